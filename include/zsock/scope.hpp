// zsock/scope.hpp - structured concurrency: spawn tasks into a scope, join them.
//
//   zsock::scope s;                          // on this thread's loop
//   s.spawn(handle(std::move(client)));      // runs concurrently, owned by s
//   co_await s.join();                       // waits for every child; rethrows the first failure
//
// A child that throws cancels its siblings (the scope failed); join() then rethrows that first
// exception. cancel() cancels every child (their operations complete with operation_canceled,
// and every later operation too). Children start on the loop's next turn, in spawn order.
//
// Destroying a scope that still has children cancels them; they finish on the loop by
// themselves (the scope's shared state lives until the last one does). Await join() to really
// wait for them, or let with_scope() do it: it joins on every exit, a throw included, so children
// can safely use the locals of the code that spawned them:
//
//   co_await zsock::with_scope([&](zsock::scope &s) -> zsock::task<void> {
//       for (auto &peer : peers) s.spawn(notify(peer, msg)); // msg outlives every child
//       co_return;
//   });
//
// All members: the loop's thread only.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <zsock/event_loop.hpp>
#include <zsock/task.hpp>

namespace zsock {

namespace detail {
struct scope_state;
}

class ZSOCK_API scope {
public:
    /// A scope on event_loop::current(); throws std::logic_error if this thread has no loop.
    scope();
    explicit scope(event_loop &loop);
    ~scope();
    scope(const scope &) = delete;
    scope &operator=(const scope &) = delete;

    /// Starts t in this scope (on the loop's next turn).
    void spawn(task<void> t);
    /// Completes when no child is left; rethrows the first exception a child threw (once).
    /// Cancelling the awaiter of join() cancels the children, and join() still waits for them.
    task<void> join();
    /// Cancels every child, and every child spawned later.
    void cancel() noexcept;
    /// Children still running.
    std::size_t size() const noexcept;

private:
    detail::scope_state *st_;
};

/// Runs body(s) with a fresh scope s on this thread's loop, and completes only once every child
/// of s has finished: on a normal return (join), and when body throws (the children are
/// cancelled, then joined). Returns body's value; rethrows body's exception, else the first
/// exception a child threw.
template <class F>
auto with_scope(F body) -> std::invoke_result_t<F &, scope &> {
    using body_task = std::invoke_result_t<F &, scope &>;
    using T = typename body_task::value_type;
    scope s;
    std::exception_ptr failure;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> value;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await body(s);
            value.emplace('\0');
        } else {
            auto v = co_await body(s);
            value.emplace(std::move(v));
        }
    } catch (...) {
        failure = std::current_exception();
        s.cancel();
    }
    if (failure) {
        try {
            co_await s.join(); // the children's own failures give way to body's
        } catch (...) {
        }
        std::rethrow_exception(failure);
    }
    co_await s.join();
    if constexpr (!std::is_void_v<T>) co_return std::move(*value);
}

} // namespace zsock
