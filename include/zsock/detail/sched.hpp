// zsock/detail/sched.hpp - the intrusive nodes a loop schedules: ready entries and timers.
//
// Both live inside the objects that wait (awaiters, coroutine frames), so scheduling never
// allocates. An object that dies while linked unlinks itself first, so a destroyed coroutine can
// never be resumed by a stale entry.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>

#include <zsock/detail/config.hpp>

namespace zsock::detail {

/// An entry of a loop's ready list (doubly linked, so that removal is O(1)).
struct ready_node {
    ready_node *prev = nullptr;
    ready_node *next = nullptr;
    std::coroutine_handle<> handle;
    bool linked() const noexcept { return prev != nullptr; }
};

/// An entry of a loop's timer heap. fire() runs on the loop thread once the deadline passed.
struct timer_node {
    int64_t deadline = 0; // steady_clock, nanoseconds
    uint32_t index = UINT32_MAX;
    void (*fire)(timer_node *) = nullptr;
    bool armed() const noexcept { return index != UINT32_MAX; }
};

inline int64_t to_ns(std::chrono::steady_clock::time_point tp) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
}
inline int64_t now_ns() noexcept { return to_ns(std::chrono::steady_clock::now()); }

ZSOCK_API void schedule(core::io_engine *engine, ready_node *node) noexcept;
ZSOCK_API void unschedule(core::io_engine *engine, ready_node *node) noexcept;
ZSOCK_API void timer_arm(core::io_engine *engine, timer_node *node) noexcept;
ZSOCK_API void timer_disarm(core::io_engine *engine, timer_node *node) noexcept;

/// The engine of the loop that runs on this thread (null if none).
ZSOCK_API core::io_engine *current_engine() noexcept;

} // namespace zsock::detail
