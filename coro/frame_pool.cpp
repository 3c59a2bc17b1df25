// coro/frame_pool.cpp - per-thread pool for coroutine frames.
//
// Frames are recycled in size classes of 64 bytes up to 4 KiB; larger ones go to operator new.
// Each class keeps at most max_cached free frames, so a burst does not pin memory forever. A
// frame freed on another thread simply joins that thread's pool. Under AddressSanitizer the pool
// is bypassed so that use-after-free of a frame is still caught.
#include <cstddef>
#include <new>

#include <zsock/task.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define ZSOCK_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZSOCK_FRAME_POOL 0
#endif
#endif
#ifndef ZSOCK_FRAME_POOL
#define ZSOCK_FRAME_POOL 1
#endif

namespace zsock::detail {

#if ZSOCK_FRAME_POOL
namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 4096 / granule;
constexpr unsigned max_cached = 1024;

struct free_frame {
    free_frame *next;
};

struct frame_pool {
    free_frame *heads[classes] = {};
    unsigned counts[classes] = {};
    bool alive = true;
    ~frame_pool() {
        alive = false;
        for (auto &h : heads) {
            while (h) {
                free_frame *f = h;
                h = f->next;
                ::operator delete(f);
            }
        }
    }
};

thread_local frame_pool tl_pool;

} // namespace

void *frame_alloc(std::size_t size) {
    std::size_t c = (size + granule - 1) / granule - 1;
    if (c < classes) {
        frame_pool &p = tl_pool;
        if (free_frame *f = p.heads[c]) {
            p.heads[c] = f->next;
            --p.counts[c];
            return f;
        }
        return ::operator new((c + 1) * granule);
    }
    return ::operator new(size);
}

void frame_free(void *ptr, std::size_t size) noexcept {
    std::size_t c = (size + granule - 1) / granule - 1;
    if (c < classes) {
        frame_pool &p = tl_pool;
        if (p.alive && p.counts[c] < max_cached) {
            auto *f = static_cast<free_frame *>(ptr);
            f->next = p.heads[c];
            p.heads[c] = f;
            ++p.counts[c];
            return;
        }
    }
    ::operator delete(ptr);
}

#else

void *frame_alloc(std::size_t size) { return ::operator new(size); }
void frame_free(void *ptr, std::size_t) noexcept { ::operator delete(ptr); }

#endif

} // namespace zsock::detail
