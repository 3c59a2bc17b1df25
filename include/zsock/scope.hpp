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
// wait for them. All members: the loop's thread only.
#pragma once

#include <cstddef>

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

} // namespace zsock
