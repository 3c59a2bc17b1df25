// coro/loop_internal.hpp - event_loop's private state and the scopes registered with it.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>

#include <zsock/detail/root.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/scope.hpp>

#include "core/io_engine.hpp"

namespace zsock::detail {

/// A scope's shared state: its children, its first error, its joiner. Lives until the scope
/// object and every child are gone. Registered with its loop so that destroying the loop can
/// cancel and, if need be, destroy children of scopes that were dropped.
struct scope_state {
    core::io_engine *engine = nullptr;
    event_loop *loop = nullptr;
    scope_state *rprev = nullptr; // the loop's registry
    scope_state *rnext = nullptr;
    int refs = 1;
    root_task::promise_type *head = nullptr; // running children
    std::size_t count = 0;
    std::exception_ptr error;
    bool cancelled = false;
    bool log_errors = false; // the loop's own scope: nobody joins it, so failures are logged
    ready_node join_node;
    cancel_state *join_cancel = nullptr;

    // drive() sink
    void set_value() noexcept {}
    void set_error(std::exception_ptr e) noexcept;

    void cancel_all() noexcept;
    void put() noexcept;
};

/// Destroys the children of every scope of loop that are still running (loop teardown).
void destroy_stragglers(event_loop &loop) noexcept;
/// Children still running in all scopes of loop.
std::size_t live_children(event_loop &loop) noexcept;
void cancel_all_scopes(event_loop &loop) noexcept;

} // namespace zsock::detail

namespace zsock {

struct event_loop::impl {
    std::unique_ptr<core::io_engine> engine;
    zsock::backend kind = backend::epoll;
    std::unique_ptr<scope> root;
    int running = 0;
    detail::scope_state *scopes = nullptr; // registry
    bool drained = false; // set when the last child of any scope finished (teardown waits on it)
};

} // namespace zsock
