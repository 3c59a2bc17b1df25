// zsock/detail/root.hpp - root_task: the coroutine at the top of a chain.
//
// sync_wait, scope::spawn, when_all and when_any each start the tasks they are given inside a
// root_task, which owns the chain's context (loop, cancellation) and, when the chain finishes,
// calls its owner back and frees itself. The callback returns the coroutine to continue with
// (symmetric transfer), so a when_all whose last child finishes resumes its awaiter without
// growing the stack.
#pragma once

#include <coroutine>
#include <exception>

#include <zsock/detail/chain.hpp>
#include <zsock/detail/sched.hpp>
#include <zsock/task.hpp>

namespace zsock::detail {

struct root_task {
    struct promise_type : chain_promise {
        static void *operator new(std::size_t n) { return frame_alloc(n); }
        static void operator delete(void *p, std::size_t n) noexcept { frame_free(p, n); }

        chain_ctx ctx;
        cancel_state cancel;
        ready_node node;       // first resumption, when scheduled instead of run inline
        promise_type *lprev = nullptr; // owner's list of running roots
        promise_type *lnext = nullptr;
        std::coroutine_handle<> (*on_done)(void *arg, promise_type &self) noexcept = nullptr;
        void *arg = nullptr;
        std::size_t index = 0; // child number, for when_all/when_any

        promise_type() noexcept {
            ctx.cancel = &cancel;
            ctx_ = &ctx;
        }
        root_task get_return_object() noexcept {
            return root_task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct final_awaiter {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                promise_type &p = h.promise();
                std::coroutine_handle<> next = p.on_done ? p.on_done(p.arg, p) : std::noop_coroutine();
                h.destroy();
                return next;
            }
            void await_resume() const noexcept {}
        };
        final_awaiter final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        // The driver bodies catch everything; an escape here is a bug in zsock.
        void unhandled_exception() noexcept { std::terminate(); }
    };

    std::coroutine_handle<promise_type> h;
};

/// Runs t and hands its outcome to sink: sink->set_value(v) / set_value() / set_error(e).
template <class T, class Sink>
root_task drive(task<T> t, Sink *sink) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(t);
            sink->set_value();
        } else {
            sink->set_value(co_await std::move(t));
        }
    } catch (...) {
        sink->set_error(std::current_exception());
    }
}

} // namespace zsock::detail
