// zsock/cancellation.hpp - cancelling work: chains, stop tokens, deadlines.
//
// Three ways to stop something, all ending the operations in flight with
// std::errc::operation_canceled (a deadline with std::errc::timed_out):
//  - per operation: co_await s.recv(buf).with_timeout(2s) / .with_deadline(tp) / .with_stop(tok);
//  - per task: co_await zsock::with_stop(work(), token) cancels work()'s whole chain when token
//    is stopped, from any thread; co_await zsock::with_timeout(work(), 2s) (or with_deadline)
//    cancels it when the time is up, and the operations it had in flight, or starts later,
//    complete with std::errc::timed_out. That is how composed operations get a deadline:
//      auto r = co_await zsock::with_timeout(s.recv_exact(buf), 5s); // r.bytes: how far it got
//  - structurally: when_any cancels its losers, a scope cancels its children on failure or on
//    scope::cancel(), and the loop cancels its own children when it is destroyed.
// Cancellation of a chain is sticky: every later operation of that chain fails at once, so a
// cancelled task winds down even if it ignores one error. `co_await zsock::cancelled()` tells a
// task whether its chain has been cancelled.
#pragma once

#include <chrono>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>

#include <zsock/detail/fork.hpp>
#include <zsock/detail/sched.hpp>
#include <zsock/task.hpp>

namespace zsock {

namespace detail {

/// Runs fn on engine's loop thread (now, if this is that thread).
ZSOCK_API void run_on_loop(core::io_engine *engine, std::function<void()> fn);

struct cancelled_awaiter {
    bool value = false;
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        chain_ctx *ctx = ctx_of(h);
        value = ctx && ctx->cancel && ctx->cancel->requested;
        return false;
    }
    bool await_resume() const noexcept { return value; }
};

class single_fork : public fork_base {
public:
    single_fork() noexcept : fork_base(&kid_, 1, false) {}
    root_task::promise_type *kid_ = nullptr;
};

template <class T>
struct optional_sink {
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> value;
    std::exception_ptr error;
    template <class... U>
    void set_value(U &&...v) {
        if constexpr (std::is_void_v<T>)
            value.emplace('\0');
        else
            value.emplace(std::forward<U>(v)...);
    }
    void set_error(std::exception_ptr e) noexcept { error = std::move(e); }
};

} // namespace detail

/// True if the calling task's chain has been cancelled.
inline detail::cancelled_awaiter cancelled() noexcept {
    return {};
}

/// Runs t in a chain of its own that is cancelled when token is stopped (from any thread), or
/// when the awaiter's chain is. Returns t's value or rethrows its exception.
template <class T>
task<T> with_stop(task<T> t, std::stop_token token) {
    struct link {
        detail::cancel_state *target = nullptr;
    };
    detail::optional_sink<T> sink;
    detail::single_fork fork;
    fork.kid_ = &detail::drive(std::move(t), &sink).h.promise();
    auto shared = std::make_shared<link>();
    shared->target = &fork.kid_->cancel;
    core::io_engine *engine = detail::current_engine();
    std::optional<std::stop_callback<std::function<void()>>> cb;
    if (token.stop_possible()) {
        cb.emplace(token, std::function<void()>([shared, engine] {
                       detail::run_on_loop(engine, [shared] {
                           if (shared->target) shared->target->request();
                       });
                   }));
    }
    co_await fork;
    shared->target = nullptr; // the child is gone; a late stop request must not reach it
    cb.reset();
    if (sink.error) std::rethrow_exception(sink.error);
    if constexpr (!std::is_void_v<T>) co_return std::move(*sink.value);
}

/// Runs t in a chain of its own that is cancelled at tp (steady clock), or when the awaiter's
/// chain is. Operations of t cancelled by the deadline complete with std::errc::timed_out (and
/// so do any it starts after it), so t winds down and reports why; with_deadline then returns
/// t's value (or rethrows its exception). A deadline already past cancels t before its first
/// operation. Must be awaited on an event_loop's thread.
template <class T>
task<T> with_deadline(task<T> t, std::chrono::steady_clock::time_point tp) {
    struct deadline_timer : detail::timer_node {
        detail::cancel_state *target = nullptr;
        core::io_engine *engine = nullptr;
        ~deadline_timer() { // the awaiting frame may be destroyed while t runs
            if (armed()) detail::timer_disarm(engine, this);
        }
    };
    detail::optional_sink<T> sink;
    detail::single_fork fork;
    fork.kid_ = &detail::drive(std::move(t), &sink).h.promise();
    deadline_timer timer; // after fork: destroyed (disarmed) before fork destroys the child
    timer.engine = detail::current_engine();
    timer.target = &fork.kid_->cancel;
    const int64_t deadline = detail::to_ns(tp);
    if (!timer.engine || deadline <= detail::now_ns()) {
        fork.kid_->cancel.request(true);
    } else {
        timer.deadline = deadline;
        timer.fire = [](detail::timer_node *n) noexcept {
            static_cast<deadline_timer *>(n)->target->request(true);
        };
        detail::timer_arm(timer.engine, &timer);
    }
    co_await fork; // resumed only once t has finished, so timer.target never dangles when fired
    if (timer.armed()) detail::timer_disarm(timer.engine, &timer);
    if (sink.error) std::rethrow_exception(sink.error);
    if constexpr (!std::is_void_v<T>) co_return std::move(*sink.value);
}

/// with_deadline(t, now + d).
template <class T, class Rep, class Period>
task<T> with_timeout(task<T> t, std::chrono::duration<Rep, Period> d) {
    return with_deadline(std::move(t),
                         std::chrono::steady_clock::now() +
                             std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
}

} // namespace zsock
