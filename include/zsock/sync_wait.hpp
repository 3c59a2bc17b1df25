// zsock/sync_wait.hpp - run a task to completion from ordinary (non-coroutine) code.
//
//   int main() { return zsock::sync_wait(amain()); }
//
// sync_wait(loop, t) runs loop until t finished and returns its value (or rethrows its
// exception). sync_wait(t) uses the loop built on this thread, or a thread-local default loop
// (backend from ZSOCK_BACKEND, else automatic) if there is none. Calling it from inside a
// running loop on the same thread would deadlock, so it throws std::logic_error instead.
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <zsock/detail/root.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/task.hpp>

namespace zsock {

namespace detail {
ZSOCK_API event_loop &thread_default_loop();
ZSOCK_API bool loop_is_running(const event_loop &loop) noexcept;

template <class T>
struct sync_sink {
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> value;
    std::exception_ptr error;
    bool done = false;
    template <class... U>
    void set_value(U &&...v) {
        if constexpr (std::is_void_v<T>) value.emplace('\0');
        else value.emplace(std::forward<U>(v)...);
    }
    void set_error(std::exception_ptr e) noexcept { error = std::move(e); }
    static std::coroutine_handle<> on_done(void *arg, root_task::promise_type &) noexcept {
        static_cast<sync_sink *>(arg)->done = true;
        return std::noop_coroutine();
    }
};
} // namespace detail

template <class T>
T sync_wait(event_loop &loop, task<T> t) {
    if (detail::loop_is_running(loop)) throw std::logic_error("zsock::sync_wait inside a running loop");
    detail::sync_sink<T> sink;
    auto root = detail::drive(std::move(t), &sink);
    auto &p = root.h.promise();
    p.ctx.engine = loop.engine();
    p.on_done = &detail::sync_sink<T>::on_done;
    p.arg = &sink;
    // Started from the loop's ready list, so that it runs with the loop as the current one.
    p.node.handle = root.h;
    detail::schedule(loop.engine(), &p.node);
    loop.run_until_flag(sink.done);
    if (sink.error) std::rethrow_exception(sink.error);
    if constexpr (!std::is_void_v<T>) return std::move(*sink.value);
}

template <class T>
T sync_wait(task<T> t) {
    event_loop *loop = event_loop::current();
    return sync_wait(loop ? *loop : detail::thread_default_loop(), std::move(t));
}

} // namespace zsock
