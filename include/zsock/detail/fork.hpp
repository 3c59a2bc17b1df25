// zsock/detail/fork.hpp - the machinery shared by when_all and when_any: start N children as
// root tasks of their own, forward cancellation to them, resume the parent when the last ends.
//
// Each child gets its own cancel_state, so cancelling one (a when_any loser) leaves the others
// alone; a cancellation of the parent's chain is forwarded to all of them. The parent is resumed
// only after every child has really finished, so no child outlives the operation it was part
// of. If the parent's frame is destroyed while children run, the fork destroys them too (their
// operations in flight are abandoned safely).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>

#include <zsock/detail/root.hpp>

namespace zsock::detail {

class fork_base {
public:
    fork_base(const fork_base &) = delete;
    fork_base &operator=(const fork_base &) = delete;

    bool await_ready() const noexcept { return count_ == 0; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        return start(h, ctx_of(h));
    }
    void await_resume() const noexcept {}

    /// Called by a child's sink with its outcome; returns true if it won (when_any) or is the
    /// first failure (when_all), in which case the siblings are being cancelled.
    bool child_finished(std::size_t i, bool failed) noexcept {
        if (any_) {
            if (winner_ != SIZE_MAX) return false;
            winner_ = i;
            cancel_kids();
            return true;
        }
        if (failed && winner_ == SIZE_MAX) {
            winner_ = i; // first failure
            cancel_kids();
            return true;
        }
        return false;
    }
    std::size_t winner() const noexcept { return winner_; }

protected:
    fork_base(root_task::promise_type **kids, std::size_t n, bool any) noexcept
        : kids_(kids), count_(n), any_(any) {}
    ~fork_base() {
        for (std::size_t i = 0; i < count_; ++i) {
            if (kids_[i])
                std::coroutine_handle<root_task::promise_type>::from_promise(*kids_[i]).destroy();
        }
    }

    bool start(std::coroutine_handle<> h, chain_ctx *ctx) noexcept {
        parent_ = h;
        parent_cancel_ = ctx ? ctx->cancel : nullptr;
        core::io_engine *engine = ctx && ctx->engine ? ctx->engine : current_engine();
        pending_ = count_ + 1; // +1 while starting, so that no child resumes the parent early
        for (std::size_t i = 0; i < count_; ++i) {
            root_task::promise_type *k = kids_[i];
            k->ctx.engine = engine;
            k->index = i;
            k->on_done = &on_done;
            k->arg = this;
            if (parent_cancel_ && parent_cancel_->requested) {
                k->cancel.requested = true;
                k->cancel.by_deadline = parent_cancel_->by_deadline;
            } else if (any_ && winner_ != SIZE_MAX) {
                k->cancel.requested = true;
            }
            std::coroutine_handle<root_task::promise_type>::from_promise(*k).resume();
        }
        if (--pending_ == 0) return false;
        if (parent_cancel_) parent_cancel_->set_handler(&on_parent_cancel, this);
        return true;
    }

    root_task::promise_type **kids_;
    std::size_t count_;

private:
    static std::coroutine_handle<> on_done(void *arg, root_task::promise_type &p) noexcept {
        auto *self = static_cast<fork_base *>(arg);
        self->kids_[p.index] = nullptr;
        if (--self->pending_ > 0) return std::noop_coroutine();
        if (self->parent_cancel_) self->parent_cancel_->clear_handler(self);
        return self->parent_;
    }
    static void on_parent_cancel(void *arg) noexcept {
        auto *self = static_cast<fork_base *>(arg);
        self->cancel_kids(self->parent_cancel_->by_deadline); // the parent's reason, forwarded
    }
    void cancel_kids(bool by_deadline = false) noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            if (kids_[i]) kids_[i]->cancel.request(by_deadline);
        }
    }

    std::size_t pending_ = 0;
    std::coroutine_handle<> parent_;
    cancel_state *parent_cancel_ = nullptr;
    std::size_t winner_ = SIZE_MAX;
    bool any_;
};

} // namespace zsock::detail
