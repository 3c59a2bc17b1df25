// core/io_engine.cpp - the run loop both engines share: ready list, timers, posted work.
#include "core/io_engine.hpp"

#include <chrono>

#include <csignal>
#include <poll.h>
#include <pthread.h>

#include "core/fd_table.hpp"
#include "core/sys.hpp"

namespace zsock::core {
namespace {

unsigned long this_thread_tid() noexcept {
    thread_local unsigned long tid = static_cast<unsigned long>(sys::call(SYS_gettid));
    return tid;
}

void link_tail(ready_node *head, ready_node *n) noexcept {
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

void unlink(ready_node *n) noexcept {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
}

} // namespace

io_engine::~io_engine() = default;

void io_engine::bind_thread() noexcept {
    thread_id_.store(this_thread_tid(), std::memory_order_release);
}

bool io_engine::on_loop_thread() const noexcept {
    return thread_id_.load(std::memory_order_acquire) == this_thread_tid();
}

void io_engine::schedule(ready_node *n) noexcept {
    if (!n->linked()) link_tail(&ready_head_, n);
}

void io_engine::unschedule(ready_node *n) noexcept {
    if (n->linked()) unlink(n);
}

// Runs what is ready now. Entries scheduled meanwhile wait for the next turn, so a coroutine that
// keeps rescheduling itself cannot starve I/O. The batch is moved to a local list head so that an
// entry unscheduled by a destructor still unlinks cleanly.
void io_engine::run_ready() noexcept {
    ready_node batch{&batch, &batch, {}};
    batch.next = ready_head_.next;
    batch.prev = ready_head_.prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    ready_head_.next = ready_head_.prev = &ready_head_;
    while (batch.next != &batch) {
        ready_node *n = batch.next;
        unlink(n);
        resume(n->handle);
    }
}

void io_engine::fire_timers() noexcept {
    int64_t now = detail::now_ns();
    // At most the timers armed before this pass, so a zero-length timer re-armed by its own
    // callback runs once per turn instead of forever.
    std::size_t budget = timers_.size();
    while (budget-- > 0 && !timers_.empty() && timers_.top()->deadline <= now) {
        timer_node *t = timers_.pop();
        inline_run = 0;
        t->fire(t);
    }
}

int64_t io_engine::wait_timeout(bool block, const bool *until, int64_t wake_at) noexcept {
    if (has_ready() || !block || (until && *until) || stop_requested() ||
        remote_pending_.load(std::memory_order_relaxed))
        return 0;
    int64_t timeout = -1;
    if (!timers_.empty()) {
        timeout = timers_.top()->deadline - detail::now_ns();
        if (timeout < 0) timeout = 0;
    }
    if (wake_at >= 0) {
        int64_t left = wake_at - detail::now_ns();
        if (left < 0) left = 0;
        if (timeout < 0 || left < timeout) timeout = left;
    }
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer runs a signal handler only when the thread next enters a function it
    // intercepts; the engines wait in raw system calls, so a signal that arrived meanwhile would
    // wait forever (a signal_set would never see it). Under TSan only: one intercepted call per
    // turn, and waits capped at 50 ms so that a late signal is still handled.
    {
        sigset_t cur;
        pthread_sigmask(SIG_SETMASK, nullptr, &cur);
        constexpr int64_t cap = 50'000'000;
        if (timeout < 0 || timeout > cap) timeout = cap;
    }
#endif
    return timeout;
}

void io_engine::run_once(bool block, const bool *until, int64_t wake_at) noexcept {
    if (remote_pending_.load(std::memory_order_acquire)) drain_remote();
    if (has_ready()) run_ready();
    if (!timers_.empty()) fire_timers();
    poll(wait_timeout(block, until, wake_at));
}

void io_engine::post(std::function<void()> fn) {
    bool first;
    {
        std::lock_guard lock(remote_mu_);
        posted_.push_back(std::move(fn));
        first = !remote_pending_.exchange(true, std::memory_order_acq_rel);
    }
    if (first) wake();
}

void io_engine::request_stop() noexcept {
    stop_.store(true, std::memory_order_release);
    if (!on_loop_thread()) wake();
}

void io_engine::cancel_remote(io_op &op) noexcept {
    if (on_loop_thread()) {
        cancel(op);
        return;
    }
    bool first;
    {
        std::lock_guard lock(remote_mu_);
        if (op.remote_queued) return;
        try {
            remote_cancels_.push_back(&op);
        } catch (...) {
            return;
        }
        op.remote_queued = true;
        first = !remote_pending_.exchange(true, std::memory_order_acq_rel);
    }
    if (first) wake();
}

void io_engine::forget_remote(io_op &op) noexcept {
    std::lock_guard lock(remote_mu_);
    if (!op.remote_queued) return;
    for (auto &p : remote_cancels_) {
        if (p == &op) {
            p = remote_cancels_.back();
            remote_cancels_.pop_back();
            break;
        }
    }
    op.remote_queued = false;
}

void io_engine::drain_remote() noexcept {
    remote_pending_.store(false, std::memory_order_release);
    {
        std::lock_guard lock(remote_mu_);
        // cancel() runs no user code, so doing it under the lock is safe, and it keeps an
        // awaiter from finishing (forget_remote) while its op is being cancelled.
        for (io_op *op : remote_cancels_) {
            op->remote_queued = false;
            cancel(*op);
        }
        remote_cancels_.clear();
        posted_run_.swap(posted_);
    }
    for (auto &fn : posted_run_) {
        try {
            fn();
        } catch (...) {
            // A posted function must not throw; dropping the exception keeps the loop alive.
        }
    }
    posted_run_.clear();
}

int hooked_wait_events(int fd, short want, short *kevents, int64_t *deadline_ns) noexcept {
    if (deadline_ns) *deadline_ns = 0;
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours:
        *kevents = want;
        return 0;
    case lookup::closed:
        return -EBADF;
    case lookup::found:
        break;
    }
    const auto &hooks = ref->vtable->poll;
    if (!hooks.prepare) {
        *kevents = want;
        return 0;
    }
    *kevents = want;
    int r = hooks.prepare(ref->obj, want, kevents);
    // CLOCK_MONOTONIC, the steady clock the engines' timers run on. At least 1 ms ahead, as in
    // zsock_poll: a hook whose deadline stays in the past cannot make the loop spin.
    int64_t ns = 0;
    if (r == 0 && deadline_ns && hooks.deadline && hooks.deadline(ref->obj, &ns) > 0) {
        const int64_t soonest = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count() +
                                1000000;
        *deadline_ns = ns > soonest ? ns : soonest;
    }
    return r;
}

} // namespace zsock::core
