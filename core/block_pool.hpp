// core/block_pool.hpp - objects carved from blocks and kept on a free list.
//
// The engines' descriptors and requests, and the fd table's entries, are made per connection or
// per operation and die in any order. Allocating them one by one from the heap would cost a
// malloc and a free on a hot path, and their addresses must stay valid while the kernel (io_uring
// user_data) or another thread (an fd-table reader) may still name them. So they come from blocks
// of Batch objects that live as long as the pool, and a freed object goes back on a free list.
//
// Not thread-safe: an engine's pools belong to its thread; the fd table takes its own lock.
// T needs a member `T *next_free`, which the pool owns while the object is free.
#pragma once

#include <memory>
#include <new>
#include <vector>

namespace zsock::core {

template <class T, int Batch>
class block_pool {
    static_assert(Batch > 0);

public:
    block_pool() = default;
    block_pool(const block_pool &) = delete;
    block_pool &operator=(const block_pool &) = delete;

    /// A free object, in the state release() left it in (a new block's objects are
    /// value-initialized), or null when the heap is exhausted. Never throws.
    T *acquire() noexcept {
        if (!free_ && !grow()) return nullptr;
        T *t = free_;
        free_ = t->next_free;
        return t;
    }

    /// Gives t back. Its memory stays valid (and reusable) until the pool is destroyed.
    void release(T *t) noexcept {
        t->next_free = free_;
        free_ = t;
    }

private:
    bool grow() noexcept {
        std::unique_ptr<T[]> block(new (std::nothrow) T[Batch]());
        if (!block) return false;
        try {
            blocks_.push_back(std::move(block));
        } catch (...) {
            return false;
        }
        T *b = blocks_.back().get();
        for (int i = 0; i < Batch; ++i)
            release(&b[i]);
        return true;
    }

    std::vector<std::unique_ptr<T[]>> blocks_;
    T *free_ = nullptr;
};

} // namespace zsock::core
