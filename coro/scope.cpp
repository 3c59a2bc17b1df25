// coro/scope.cpp - scope: spawn, join, cancel; the loop's registry of scopes.
#include <stdexcept>

#include <zsock/scope.hpp>

#include "core/log.hpp"
#include "coro/loop_internal.hpp"

namespace zsock {
namespace detail {
namespace {

std::coroutine_handle<> on_child_done(void *arg, root_task::promise_type &p) noexcept {
    auto *st = static_cast<scope_state *>(arg);
    if (p.lprev) p.lprev->lnext = p.lnext;
    else st->head = p.lnext;
    if (p.lnext) p.lnext->lprev = p.lprev;
    p.lprev = p.lnext = nullptr;
    --st->count;
    if (st->count == 0) {
        if (st->join_node.handle) st->engine->schedule(&st->join_node);
        if (st->loop && live_children(*st->loop) == 0) st->loop->impl_ptr()->drained = true;
    }
    st->put();
    return std::noop_coroutine();
}

struct join_awaiter {
    scope_state *st;
    bool await_ready() const noexcept { return st->count == 0; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        st->join_node.handle = h;
        chain_ctx *ctx = ctx_of(h);
        st->join_cancel = ctx ? ctx->cancel : nullptr;
        if (st->join_cancel) {
            if (st->join_cancel->requested) st->cancel_all();
            else st->join_cancel->set_handler(&on_cancel, st);
        }
    }
    void await_resume() noexcept { release(); }
    ~join_awaiter() { release(); }
    void release() noexcept {
        if (st->join_cancel) st->join_cancel->clear_handler(st);
        st->join_cancel = nullptr;
        st->engine->unschedule(&st->join_node);
        st->join_node.handle = {};
    }
    static void on_cancel(void *p) noexcept { static_cast<scope_state *>(p)->cancel_all(); }
};

} // namespace

void scope_state::set_error(std::exception_ptr e) noexcept {
    if (log_errors) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception &ex) {
            core::log_warn("event_loop: a spawned task failed: {}", ex.what());
        } catch (...) {
            core::log_warn("event_loop: a spawned task failed with a non-standard exception");
        }
        return;
    }
    if (!error) {
        error = std::move(e);
        cancel_all(); // the scope failed: its other children stop
    }
}

void scope_state::cancel_all() noexcept {
    cancelled = true;
    // request() never resumes anything inline, so the list stays intact while we walk it.
    for (auto *p = head; p; p = p->lnext) p->cancel.request();
}

void scope_state::put() noexcept {
    if (--refs > 0) return;
    if (loop) {
        auto &im = *loop->impl_ptr();
        if (rprev) rprev->rnext = rnext;
        else im.scopes = rnext;
        if (rnext) rnext->rprev = rprev;
    }
    delete this;
}

void cancel_all_scopes(event_loop &loop) noexcept {
    for (auto *s = loop.impl_ptr()->scopes; s; s = s->rnext) s->cancel_all();
}

std::size_t live_children(event_loop &loop) noexcept {
    std::size_t n = 0;
    for (auto *s = loop.impl_ptr()->scopes; s; s = s->rnext) n += s->count;
    return n;
}

void destroy_stragglers(event_loop &loop) noexcept {
    for (auto *s = loop.impl_ptr()->scopes; s;) {
        ++s->refs; // keep s while its children go
        while (auto *p = s->head) {
            s->head = p->lnext;
            if (s->head) s->head->lprev = nullptr;
            --s->count;
            s->engine->unschedule(&p->node);
            std::coroutine_handle<root_task::promise_type>::from_promise(*p).destroy();
            --s->refs; // the child's reference
        }
        auto *next = s->rnext;
        s->put();
        s = next;
    }
}

} // namespace detail

scope::scope() : scope([]() -> event_loop & {
    event_loop *l = event_loop::current();
    if (!l) throw std::logic_error("zsock::scope: no event_loop on this thread");
    return *l;
}()) {}

scope::scope(event_loop &loop) : st_(new detail::scope_state) {
    st_->engine = loop.engine();
    st_->loop = &loop;
    auto &im = *loop.impl_ptr();
    st_->rnext = im.scopes;
    if (im.scopes) im.scopes->rprev = st_;
    im.scopes = st_;
}

scope::~scope() {
    if (st_->count > 0) st_->cancel_all();
    st_->put();
}

void scope::spawn(task<void> t) {
    auto root = detail::drive(std::move(t), st_);
    auto &p = root.h.promise();
    p.ctx.engine = st_->engine;
    p.on_done = &detail::on_child_done;
    p.arg = st_;
    if (st_->cancelled) p.cancel.requested = true;
    p.lnext = st_->head;
    if (st_->head) st_->head->lprev = &p;
    st_->head = &p;
    ++st_->count;
    ++st_->refs;
    p.node.handle = root.h;
    st_->engine->schedule(&p.node);
}

task<void> scope::join() {
    co_await detail::join_awaiter{st_};
    if (st_->error) {
        auto e = std::exchange(st_->error, nullptr);
        std::rethrow_exception(e);
    }
}

void scope::cancel() noexcept { st_->cancel_all(); }

std::size_t scope::size() const noexcept { return st_->count; }

} // namespace zsock
