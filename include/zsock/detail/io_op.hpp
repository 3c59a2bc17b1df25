// zsock/detail/io_op.hpp - one I/O operation as the engines see it, and the awaiter core that
// every operation of the C++ API (recv, send, accept, connect, recvmsg, ...) is built on.
//
// An operation lives inside its awaiter, so starting one never allocates. The engines keep it
// linked while it waits; an awaiter that is destroyed while its operation is in flight (its
// coroutine was destroyed) calls io_abandon(), which returns only once the kernel can no longer
// touch the operation's memory or buffer.
#pragma once

#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <utility>

#include <zsock/detail/chain.hpp>
#include <zsock/detail/sched.hpp>

namespace zsock::detail {

// recv and send come first: engines test `code <= op_code::send` for "a plain stream transfer".
enum class op_code : uint8_t { recv, send, recvmsg, sendmsg, accept, connect, poll };

struct io_op : ready_node {
    core::io_desc *desc = nullptr;
    io_op *qprev = nullptr; // engine wait queue
    io_op *qnext = nullptr;
    void *buf = nullptr; // recv, send
    std::size_t len = 0;
    msghdr *msg = nullptr;    // recvmsg, sendmsg
    sockaddr *addr = nullptr; // connect: the peer; accept: where the peer address goes (or null)
    socklen_t addrlen = 0;    // connect: its length; accept: in/out length
    int flags = 0;            // MSG_* for transfers
    long result = -EBADF;     // >= 0 or a negative errno once complete
    op_code code = op_code::recv;
    short events = 0;           // poll: the events to wait for
    uint8_t state = 0;          // engine-private
    uint8_t aux = 0;            // engine-private
    bool remote_queued = false; // guarded by the engine's remote mutex
    void *engine_ref = nullptr; // engine-private
};

/// op.aux of a MSG_WAITALL stream read that has taken bytes and waits for more: its op.result
/// holds those bytes' count, which a cancellation (or detach) returns instead of an error.
inline constexpr uint8_t aux_waitall = 2;

/// Starts op on op.desc's engine. true: it completed already (op.result holds the outcome);
/// false: it is in flight and op.handle will be resumed when it completes.
inline bool io_start(io_op &op) noexcept {
    return reinterpret_cast<const io_desc_head *>(op.desc)->start(op);
}
/// Asks an operation in flight to stop; it then completes with -ECANCELED, or with its own
/// result if that won the race (a recv that got bytes reports them: nothing is lost).
ZSOCK_API void io_cancel(io_op &op) noexcept;
/// The awaiter is going away with op in flight: unlink it, and make sure the kernel is done
/// with its memory before returning.
ZSOCK_API void io_abandon(io_op &op) noexcept;
/// io_cancel from any thread (std::stop_token callbacks); marshalled to the loop thread.
ZSOCK_API void io_cancel_remote(io_op &op) noexcept;
/// Drops a pending io_cancel_remote for op (the awaiter is finishing).
ZSOCK_API void io_forget_remote(io_op &op) noexcept;
inline core::io_engine *engine_of(const core::io_desc *desc) noexcept {
    return reinterpret_cast<const io_desc_head *>(desc)->engine;
}

/// The part of every operation awaiter that does not depend on its result type: starting,
/// cancellation by the chain, a deadline, a std::stop_token, and safe destruction.
class io_awaiter_core {
public:
    io_awaiter_core(const io_awaiter_core &) = delete;
    io_awaiter_core &operator=(const io_awaiter_core &) = delete;
    io_awaiter_core &operator=(io_awaiter_core &&) = delete;
    /// Moves an awaiter that has not been started (what the modifiers below return). GCC copies
    /// the operand of co_await when it is an xvalue, so the modifiers return by value.
    io_awaiter_core(io_awaiter_core &&o) noexcept
        : op_(o.op_), deadline_(o.deadline_), stop_(std::move(o.stop_)) {}

    bool await_ready() const noexcept { return false; }
    // Inlined into the awaiting coroutine: as a call it saves and restores six registers around
    // every operation (callgrind: about 12 instructions per operation).
    template <class P>
    [[gnu::always_inline]] bool await_suspend(std::coroutine_handle<P> h) noexcept {
        return suspend(h, ctx_of(h));
    }

protected:
    io_awaiter_core() = default;
    // Inlined into every co_await: an operation that completed (the common case) only checks a
    // flag here; the abandon path is out of line.
    [[gnu::always_inline]] ~io_awaiter_core() {
        if (pending_) [[unlikely]]
            abandon_pending();
    }

    [[gnu::always_inline]] bool suspend(std::coroutine_handle<> h, chain_ctx *ctx) noexcept {
        op_.handle = h;
        if (!op_.desc) return false; // closed object: op_.result was preset
        cancel_ = ctx ? ctx->cancel : nullptr;
        if ((cancel_ && cancel_->requested) || stop_.stop_requested()) {
            op_.result = -ECANCELED;
            return false;
        }
        if (io_start(op_)) return false;
        pending_ = true;
        engine_ = engine_of(op_.desc);
        if (cancel_) cancel_->set_handler(&on_cancel, this);
        if (deadline_) {
            timer_.deadline = deadline_;
            timer_.fire = &on_deadline;
            timer_.self = this;
            timer_arm(engine_, &timer_);
        }
        if (stop_.stop_possible()) stop_cb_.emplace(stop_, stop_fn{this});
        return true;
    }

    [[gnu::noinline]] void abandon_pending() noexcept {
        io_abandon(op_);
        release_waits();
    }

    /// For destructors of derived awaiters that must let go of the operation before they
    /// release what it uses (a descriptor they own).
    void abandon_now() noexcept {
        if (pending_) {
            pending_ = false;
            io_abandon(op_);
            release_waits();
        }
    }

    /// The operation's outcome (>= 0 or -errno), with a cancellation by a deadline (its own, or
    /// its chain's) reported as -ETIMEDOUT.
    long finish() noexcept {
        if (pending_) {
            pending_ = false;
            release_waits();
        }
        long r = op_.result;
        if (r == -ECANCELED && (timed_out_ || (cancel_ && cancel_->by_deadline))) r = -ETIMEDOUT;
        return r;
    }

    io_op op_;
    int64_t deadline_ = 0;
    std::stop_token stop_;

private:
    struct deadline_timer : timer_node {
        io_awaiter_core *self = nullptr;
    };
    struct stop_fn {
        io_awaiter_core *self;
        void operator()() const noexcept { io_cancel_remote(self->op_); }
    };

    static void on_cancel(void *p) noexcept { io_cancel(static_cast<io_awaiter_core *>(p)->op_); }
    static void on_deadline(timer_node *t) noexcept {
        auto *self = static_cast<deadline_timer *>(t)->self;
        self->timed_out_ = true;
        io_cancel(self->op_);
    }
    void release_waits() noexcept {
        if (cancel_) cancel_->clear_handler(this);
        if (timer_.armed()) timer_disarm(engine_, &timer_);
        if (stop_cb_) {
            stop_cb_.reset(); // waits for a callback running on another thread
            io_forget_remote(op_);
        }
    }

    cancel_state *cancel_ = nullptr;
    core::io_engine *engine_ = nullptr;
    deadline_timer timer_;
    std::optional<std::stop_callback<stop_fn>> stop_cb_;
    bool pending_ = false;
    bool timed_out_ = false;
};

/// Adds the per-operation modifiers, which return the awaiter itself so that they chain:
///   co_await stream.recv(buf).with_timeout(5s);
/// Awaiters are meant to be awaited where they are made; they can be moved only before that.
template <class Derived>
class io_awaitable : public io_awaiter_core {
public:
    /// Cancels the operation at tp; it then completes with std::errc::timed_out.
    Derived with_deadline(std::chrono::steady_clock::time_point tp) &&noexcept {
        deadline_ = to_ns(tp);
        return static_cast<Derived &&>(*this);
    }
    /// Cancels the operation after d; it then completes with std::errc::timed_out.
    template <class Rep, class Period>
    Derived with_timeout(std::chrono::duration<Rep, Period> d) &&noexcept {
        deadline_ = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        if (deadline_ == 0) deadline_ = 1;
        return static_cast<Derived &&>(*this);
    }
    /// Cancels the operation when t is stopped (from any thread): operation_canceled.
    Derived with_stop(std::stop_token t) &&noexcept {
        stop_ = std::move(t);
        return static_cast<Derived &&>(*this);
    }

protected:
    io_awaitable() = default;
    io_awaitable(io_awaitable &&) noexcept = default;
};

} // namespace zsock::detail
