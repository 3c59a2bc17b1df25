// zsock/timer.hpp - sleeping on the loop's timer heap.
//
//   co_await zsock::sleep_for(100ms);
//   co_await zsock::sleep_until(deadline);
//
// Timers live in the awaiter (no allocation) and fire on the loop thread; resolution is the
// engine's wait (nanoseconds through io_uring and epoll_pwait2). A sleep is cancellable like any
// operation: cancelling its chain ends it early with operation_canceled. sleep_for(0) yields to
// the loop for one turn.
#pragma once

#include <cerrno>
#include <chrono>
#include <coroutine>

#include <zsock/detail/chain.hpp>
#include <zsock/detail/sched.hpp>
#include <zsock/result.hpp>

namespace zsock {

namespace detail {

class sleep_awaiter {
public:
    explicit sleep_awaiter(int64_t deadline) noexcept : deadline_(deadline) {}
    sleep_awaiter(const sleep_awaiter &) = delete;
    sleep_awaiter &operator=(const sleep_awaiter &) = delete;
    ~sleep_awaiter() {
        if (pending_) release();
    }

    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        chain_ctx *ctx = ctx_of(h);
        engine_ = ctx && ctx->engine ? ctx->engine : current_engine();
        cancel_ = ctx ? ctx->cancel : nullptr;
        if ((cancel_ && cancel_->requested) || !engine_) {
            cancelled_ = true;
            return false;
        }
        node_.handle = h;
        timer_.deadline = deadline_;
        timer_.fire = &on_fire;
        timer_.self = this;
        timer_arm(engine_, &timer_);
        if (cancel_) cancel_->set_handler(&on_cancel, this);
        pending_ = true;
        return true;
    }
    result<void> await_resume() noexcept {
        if (pending_) release();
        if (cancelled_) return std::error_code(cancel_errno(cancel_), std::generic_category());
        return {};
    }

private:
    struct fire_node : timer_node {
        sleep_awaiter *self = nullptr;
    };
    static void on_fire(timer_node *t) noexcept {
        auto *self = static_cast<fire_node *>(t)->self;
        self->node_.handle.resume();
    }
    static void on_cancel(void *p) noexcept {
        auto *self = static_cast<sleep_awaiter *>(p);
        timer_disarm(self->engine_, &self->timer_);
        self->cancelled_ = true;
        schedule(self->engine_, &self->node_); // never resume inside the canceller
    }
    void release() noexcept {
        pending_ = false;
        if (cancel_) cancel_->clear_handler(this);
        if (timer_.armed()) timer_disarm(engine_, &timer_);
        unschedule(engine_, &node_);
    }

    int64_t deadline_;
    core::io_engine *engine_ = nullptr;
    cancel_state *cancel_ = nullptr;
    fire_node timer_;
    ready_node node_;
    bool pending_ = false;
    bool cancelled_ = false;
};

} // namespace detail

/// Suspends until tp (steady clock). Completes with operation_canceled if cancelled first.
inline detail::sleep_awaiter sleep_until(std::chrono::steady_clock::time_point tp) noexcept {
    return detail::sleep_awaiter(detail::to_ns(tp));
}

/// Suspends for d. Completes with operation_canceled if cancelled first.
template <class Rep, class Period>
detail::sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
    return detail::sleep_awaiter(detail::now_ns() +
                                 std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

} // namespace zsock
