// zsock/task.hpp - task<T>: a lazy coroutine that produces a T.
//
//   zsock::task<std::size_t> count(zsock::tcp_stream &s);
//   std::size_t n = co_await count(s);
//
// A task does nothing until it is awaited (or handed to sync_wait, spawn, when_all...). Awaiting
// it starts it, and when it finishes it resumes its awaiter by symmetric transfer, so chains of
// tasks never grow the stack. An exception that escapes the task is rethrown by co_await.
// Frames come from a per-thread pool of size classes (see frame_alloc), so starting a task in
// steady state does not reach malloc. A task inherits its awaiter's loop and cancellation (see
// detail/chain.hpp). Destroying a task that never ran, or that finished, frees its frame;
// destroying one that is suspended destroys its frame and everything in it (operations in flight
// are abandoned safely).
//
// With g++ 12.2, keep co_await out of an if condition in a coroutine that declares no local
// (`bool ok = co_await f(); if (ok) ...`), and never co_await a conditional expression of tasks:
// that compiler miscompiles both (README, "Compiler pitfalls").
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <zsock/detail/chain.hpp>

namespace zsock {

template <class T = void>
class task;

namespace detail {

/// Coroutine frame allocation from the calling thread's pool (plain operator new under
/// AddressSanitizer, so that it still sees every frame).
ZSOCK_API void *frame_alloc(std::size_t size);
ZSOCK_API void frame_free(void *p, std::size_t size) noexcept;

class task_promise_base : public chain_promise {
public:
    static void *operator new(std::size_t n) { return frame_alloc(n); }
    static void operator delete(void *p, std::size_t n) noexcept { frame_free(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().continuation_;
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    std::coroutine_handle<> continuation_ = std::noop_coroutine();

protected:
    std::exception_ptr error_;
};

template <class T>
class task_promise final : public task_promise_base {
public:
    task<T> get_return_object() noexcept;
    template <class U = T>
    void return_value(U &&v) noexcept(std::is_nothrow_constructible_v<T, U &&>) {
        value_.emplace(std::forward<U>(v));
    }
    T take() {
        if (error_) std::rethrow_exception(error_);
        return std::move(*value_);
    }

private:
    std::optional<T> value_;
};

template <>
class task_promise<void> final : public task_promise_base {
public:
    task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() {
        if (error_) std::rethrow_exception(error_);
    }
};

} // namespace detail

template <class T>
class [[nodiscard]] task {
public:
    using promise_type = detail::task_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    task() noexcept = default;
    explicit task(handle_type h) noexcept : h_(h) {}
    task(task &&o) noexcept : h_(std::exchange(o.h_, {})) {}
    task &operator=(task &&o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task &) = delete;
    task &operator=(const task &) = delete;
    ~task() {
        if (h_) h_.destroy();
    }

    /// True if this task holds a coroutine (a default-constructed or moved-from one does not).
    bool valid() const noexcept { return static_cast<bool>(h_); }
    bool done() const noexcept { return !h_ || h_.done(); }

    struct awaiter {
        handle_type h;
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
            h.promise().continuation_ = parent;
            h.promise().ctx_ = detail::ctx_of(parent);
            return h;
        }
        T await_resume() { return h.promise().take(); }
    };
    /// Starts the task; resumes the awaiter with its value (or rethrows its exception).
    awaiter operator co_await() &&noexcept { return awaiter{h_}; }
    awaiter operator co_await() &noexcept { return awaiter{h_}; }

    /// The coroutine (for the schedulers in this library).
    handle_type handle() const noexcept { return h_; }
    handle_type release() noexcept { return std::exchange(h_, {}); }

private:
    handle_type h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}
} // namespace detail

} // namespace zsock
