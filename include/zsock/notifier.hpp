// zsock/notifier.hpp - a single-waiter wake-up for coroutines of one loop.
//
//   zsock::notifier ready;
//   ... producer:  queue.push_back(msg); ready.notify();
//   ... consumer:  while (queue.empty()) co_await ready.wait();
//
// notify() wakes the waiting coroutine (on the loop's next turn), or, if none waits, makes the
// next wait() complete at once. One waiter at a time: a second concurrent wait() completes with
// device_or_resource_busy. wait() is cancellable like any operation. Loop thread only.
#pragma once

#include <coroutine>

#include <zsock/detail/chain.hpp>
#include <zsock/detail/sched.hpp>
#include <zsock/result.hpp>

namespace zsock {

class notifier {
public:
    class awaiter {
    public:
        explicit awaiter(notifier &n) noexcept : n_(&n) {}
        awaiter(const awaiter &) = delete;
        awaiter &operator=(const awaiter &) = delete;
        ~awaiter() { release(); }

        bool await_ready() noexcept {
            if (!n_->signalled_) return false;
            n_->signalled_ = false;
            return true;
        }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) noexcept {
            detail::chain_ctx *ctx = detail::ctx_of(h);
            engine_ = ctx && ctx->engine ? ctx->engine : detail::current_engine();
            cancel_ = ctx ? ctx->cancel : nullptr;
            if (cancel_ && cancel_->requested) {
                result_ = std::error_code(detail::cancel_errno(cancel_), std::generic_category());
                return false;
            }
            if (n_->waiter_) {
                result_ = std::make_error_code(std::errc::device_or_resource_busy);
                return false;
            }
            node_.handle = h;
            n_->waiter_ = this;
            if (cancel_) cancel_->set_handler(&on_cancel, this);
            return true;
        }
        result<void> await_resume() noexcept {
            release();
            return result_;
        }

    private:
        friend class notifier;
        static void on_cancel(void *p) noexcept {
            auto *self = static_cast<awaiter *>(p);
            self->result_ =
                std::error_code(detail::cancel_errno(self->cancel_), std::generic_category());
            self->cancel_ = nullptr;
            self->wake();
        }
        void wake() noexcept {
            if (n_ && n_->waiter_ == this) n_->waiter_ = nullptr;
            detail::schedule(engine_, &node_);
        }
        void release() noexcept {
            if (n_ && n_->waiter_ == this) n_->waiter_ = nullptr;
            if (cancel_) cancel_->clear_handler(this);
            cancel_ = nullptr;
            if (engine_) detail::unschedule(engine_, &node_);
        }

        notifier *n_;
        core::io_engine *engine_ = nullptr;
        detail::cancel_state *cancel_ = nullptr;
        detail::ready_node node_;
        std::error_code result_;
    };

    notifier() noexcept = default;
    notifier(const notifier &) = delete;
    notifier &operator=(const notifier &) = delete;
    ~notifier() {
        if (awaiter *w = waiter_) { // never leave a coroutine waiting on a dead notifier
            w->n_ = nullptr;
            w->result_ = std::make_error_code(std::errc::operation_canceled);
            w->wake();
        }
    }

    void notify() noexcept {
        if (awaiter *w = waiter_)
            w->wake();
        else
            signalled_ = true;
    }
    awaiter wait() noexcept { return awaiter(*this); }

private:
    bool signalled_ = false;
    awaiter *waiter_ = nullptr;
};

} // namespace zsock
