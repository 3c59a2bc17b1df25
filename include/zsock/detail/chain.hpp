// zsock/detail/chain.hpp - what a chain of awaiting coroutines shares: its loop and its
// cancellation state.
//
// A task awaited by another inherits the awaiter's context, so a chain (a spawned task and
// everything it awaits, one at a time) has exactly one operation in flight at any moment.
// Cancelling the chain runs the handler that operation registered, Asio-slot style: no atomics,
// no allocation, one pointer per operation. when_all/when_any fork a chain into children, each
// with its own cancel_state, and forward a cancellation of the parent to all of them.
//
// Cancellation is sticky: once requested, every later operation in the chain completes with
// operation_canceled at once, so a cancelled task winds down even if it ignores one error.
// A chain cancelled by a deadline (zsock::with_timeout / with_deadline on a task) carries that
// reason: its operations complete with timed_out instead, and forks forward the reason to their
// children, so the caller learns why the work stopped wherever it was.
// It is single-threaded: request() runs on the loop's thread (std::stop_token requests from
// other threads are marshalled there first, see cancellation.hpp).
#pragma once

#include <cerrno>
#include <coroutine>
#include <type_traits>

#include <zsock/detail/config.hpp>

namespace zsock::detail {

struct cancel_state {
    bool requested = false;
    bool by_deadline = false; // the cancellation's reason: a deadline (timed_out), not a request
    void (*handler)(void *) = nullptr;
    void *arg = nullptr;

    void set_handler(void (*fn)(void *), void *a) noexcept {
        handler = fn;
        arg = a;
    }
    /// Clears the handler if it is still the one registered with `a`.
    void clear_handler(void *a) noexcept {
        if (arg == a) {
            handler = nullptr;
            arg = nullptr;
        }
    }
    void request(bool deadline = false) noexcept {
        if (requested) return;
        requested = true;
        by_deadline = deadline;
        if (auto fn = handler) {
            void *a = arg;
            handler = nullptr;
            arg = nullptr;
            fn(a);
        }
    }
};

/// The errno an operation cancelled through c reports: ETIMEDOUT for a deadline, else ECANCELED.
inline int cancel_errno(const cancel_state *c) noexcept {
    return c && c->by_deadline ? ETIMEDOUT : ECANCELED;
}

struct chain_ctx {
    core::io_engine *engine = nullptr;
    cancel_state *cancel = nullptr;
};

/// Base of every zsock promise: carries the chain context down to awaited operations.
struct chain_promise {
    chain_ctx *ctx_ = nullptr;
};

/// The context of the coroutine behind `h` (null for coroutine types zsock does not know).
template <class P>
chain_ctx *ctx_of(std::coroutine_handle<P> h) noexcept {
    if constexpr (std::is_base_of_v<chain_promise, P>) {
        return h.promise().ctx_;
    } else {
        (void)h;
        return nullptr;
    }
}

} // namespace zsock::detail
