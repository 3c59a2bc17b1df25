// buffer_pool.hpp - fixed-size buffers lent for a while and given back, for one thread.
//
//   thread_local example::buffer_pool pool(64 * 1024);
//   co_await s.wait(zsock::wait_type::readable);
//   auto buf = pool.take();          // back to the pool when buf goes
//   auto n = co_await s.recv(buf.data(), buf.size());
//
// A server that keeps one large buffer per connection touches one buffer per connection, and
// with hundreds of busy connections they no longer fit in the cache. Lending a buffer only while
// a connection has bytes to move, last returned first lent, keeps the few in use warm. The pool
// is one thread's (one event loop's): a lease must be returned on the thread that took it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace example {

class buffer_pool {
public:
    /// Buffers of `size` bytes; at most `keep` idle ones are kept for reuse (the rest are freed).
    explicit buffer_pool(std::size_t size, std::size_t keep = 256) : size_(size), keep_(keep) {}
    buffer_pool(const buffer_pool &) = delete;
    buffer_pool &operator=(const buffer_pool &) = delete;

    /// A lent buffer; empty (false) only when memory ran out.
    class lease {
    public:
        lease() noexcept = default;
        lease(lease &&o) noexcept : pool_(o.pool_), buf_(std::move(o.buf_)) {}
        lease &operator=(lease &&o) noexcept {
            give_back();
            pool_ = o.pool_;
            buf_ = std::move(o.buf_);
            return *this;
        }
        ~lease() { give_back(); }

        explicit operator bool() const noexcept { return buf_ != nullptr; }
        char *data() const noexcept { return buf_.get(); }
        std::size_t size() const noexcept { return pool_ ? pool_->size_ : 0; }

    private:
        friend class buffer_pool;
        lease(buffer_pool *p, std::unique_ptr<char[]> b) noexcept : pool_(p), buf_(std::move(b)) {}
        void give_back() noexcept {
            if (buf_ && pool_->idle_.size() < pool_->keep_) {
                try {
                    pool_->idle_.push_back(std::move(buf_));
                } catch (...) {
                    // no room to keep it: freed below
                }
            }
            buf_.reset();
        }
        buffer_pool *pool_ = nullptr;
        std::unique_ptr<char[]> buf_;
    };

    /// The buffer returned last, or a new one.
    lease take() noexcept {
        if (!idle_.empty()) {
            std::unique_ptr<char[]> b = std::move(idle_.back());
            idle_.pop_back();
            return {this, std::move(b)};
        }
        return {this, std::unique_ptr<char[]>(new (std::nothrow) char[size_])};
    }

    std::size_t buffer_size() const noexcept { return size_; }

private:
    std::size_t size_;
    std::size_t keep_;
    std::vector<std::unique_ptr<char[]>> idle_;
};

} // namespace example
