// zsock/signal.hpp - awaiting process signals (SIGINT, SIGTERM...) for graceful shutdown.
//
//   zsock::signal_set sigs{SIGINT, SIGTERM};
//   auto sig = co_await sigs.wait();          // result<int>: the signal that arrived
//
// A signal_set installs a handler for its signals when it is built (so a signal that arrives
// before wait() is not lost) and restores the previous disposition when the last set using that
// signal goes away. Delivery goes through an eventfd watched by the loop, so it works on both
// engines and needs no signal mask. Every set listening to a signal sees it. At most 64 sets may
// exist at once (EMFILE beyond that, reported by wait()).
#pragma once

#include <cstdint>
#include <initializer_list>

#include <zsock/event_loop.hpp>
#include <zsock/result.hpp>
#include <zsock/task.hpp>

namespace zsock {

class ZSOCK_API signal_set {
public:
    /// Starts catching sigs (1..64, not SIGKILL/SIGSTOP: EINVAL) for this loop (default:
    /// this thread's loop). Errors are reported by wait().
    signal_set(std::initializer_list<int> sigs, event_loop *loop = nullptr);
    ~signal_set();
    signal_set(const signal_set &) = delete;
    signal_set &operator=(const signal_set &) = delete;

    /// The next signal of the set (the lowest number if several are pending). Cancellable.
    task<result<int>> wait();

private:
    int slot_ = -1;
    int efd_ = -1;
    uint64_t mask_ = 0;
    int error_ = 0;
    core::io_desc *desc_ = nullptr;
};

} // namespace zsock
