// coro/event_loop.cpp - event_loop: engine construction, run variants, teardown.
#include <cstring>
#include <system_error>

#include <zsock/cancellation.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/sync_wait.hpp>

#include "core/log.hpp"
#include "core/uring_engine.hpp"
#include "coro/loop_internal.hpp"

namespace zsock {
namespace {

thread_local event_loop *tl_first = nullptr;   // the first loop built on this thread
thread_local event_loop *tl_running = nullptr; // the loop running on this thread now

core::backend_kind to_core(backend b) noexcept {
    switch (b) {
    case backend::epoll:
        return core::backend_kind::epoll;
    case backend::io_uring:
        return core::backend_kind::io_uring;
    default:
        return core::backend_kind::automatic;
    }
}

struct running_guard {
    event_loop *prev;
    event_loop::impl &im;
    running_guard(event_loop *self, event_loop::impl &i) noexcept : prev(tl_running), im(i) {
        tl_running = self;
        ++im.running;
        im.engine->bind_thread();
    }
    ~running_guard() {
        --im.running;
        tl_running = prev;
    }
};

} // namespace

bool parse_backend(const char *text, backend *out) noexcept {
    if (!text) return false;
    if (!std::strcmp(text, "auto") || !std::strcmp(text, "automatic"))
        *out = backend::automatic;
    else if (!std::strcmp(text, "epoll"))
        *out = backend::epoll;
    else if (!std::strcmp(text, "io_uring") || !std::strcmp(text, "uring"))
        *out = backend::io_uring;
    else
        return false;
    return true;
}

const char *to_string(backend b) noexcept {
    switch (b) {
    case backend::epoll:
        return "epoll";
    case backend::io_uring:
        return "io_uring";
    default:
        return "auto";
    }
}

bool io_uring_available() noexcept {
    static const bool ok = [] {
        core::engine_options o;
        o.entries = 8;
        o.recv_buffers = 0;
        int err = 0;
        std::string why;
        return core::uring_engine::create(o, &err, &why) != nullptr;
    }();
    return ok;
}

event_loop::event_loop() : event_loop(options{}) {}

event_loop::event_loop(const options &opts) : impl_(std::make_unique<impl>()) {
    core::engine_options eo;
    eo.backend = to_core(opts.backend);
    eo.entries = opts.sq_entries;
    eo.recv_buffers = opts.recv_buffers;
    eo.recv_buffer_size = opts.recv_buffer_size;
    int err = 0;
    impl_->engine = core::make_engine(eo, &err);
    if (!impl_->engine) {
        throw std::system_error(err < 0 ? -err : EINVAL, std::system_category(),
                                "zsock::event_loop: no I/O engine");
    }
    impl_->engine->owner = this;
    impl_->kind =
        impl_->engine->kind() == core::backend_kind::io_uring ? backend::io_uring : backend::epoll;
    engine_ = impl_->engine.get();
    if (!tl_first) tl_first = this;
    impl_->root = std::make_unique<scope>(*this);
    // scope's constructor registered the root scope; mark it as the one that logs failures.
    impl_->scopes->log_errors = true;
}

event_loop::~event_loop() {
    // Cancel everything still running, then give it time to wind down (its operations complete
    // with operation_canceled on the next turns). Whatever is still there after that is destroyed.
    detail::cancel_all_scopes(*this);
    {
        running_guard g(this, *impl_);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        impl_->drained = false;
        while (detail::live_children(*this) > 0 && std::chrono::steady_clock::now() < deadline) {
            impl_->engine->run_once(true, &impl_->drained, detail::to_ns(deadline));
        }
        if (detail::live_children(*this) > 0) {
            core::log_warn("event_loop: {} task(s) ignored cancellation; destroying them",
                           detail::live_children(*this));
            detail::destroy_stragglers(*this);
        }
        impl_->root.reset();
        // Let completions of cancelled operations drain (they only touch engine memory now).
        impl_->engine->run_once(false);
    }
    const auto &st = impl_->engine->stats();
    core::log_debug("event_loop: {} turns; multishot recv armed {} times, ring ran dry {} times, "
                    "{} single-shot fallbacks, {} plain bulk reads; multishot accept armed {} "
                    "times; {} sync cancels",
                    st.submits, st.ms_recv_arms, st.ms_recv_enobufs, st.ms_recv_fallbacks,
                    st.ms_recv_left, st.ms_accept_arms, st.sync_cancels);
    if (tl_first == this) tl_first = nullptr;
}

backend event_loop::backend() const noexcept {
    return impl_->kind;
}
const std::string &event_loop::backend_reason() const noexcept {
    return impl_->engine->selection_reason;
}

void event_loop::run() {
    running_guard g(this, *impl_);
    while (!engine_->stop_requested())
        engine_->run_once(true);
    engine_->clear_stop();
}

void event_loop::run_until(std::chrono::steady_clock::time_point tp) {
    running_guard g(this, *impl_);
    const int64_t end = detail::to_ns(tp);
    while (!engine_->stop_requested() && detail::now_ns() < end)
        engine_->run_once(true, nullptr, end);
    engine_->clear_stop();
}

void event_loop::run_until_flag(const bool &flag) {
    running_guard g(this, *impl_);
    while (!flag)
        engine_->run_once(true, &flag);
}

void event_loop::poll_once() {
    running_guard g(this, *impl_);
    engine_->run_once(false);
}

void event_loop::stop() noexcept {
    engine_->request_stop();
}

void event_loop::post(std::function<void()> fn) {
    engine_->post(std::move(fn));
}

void event_loop::spawn(task<void> t) {
    impl_->root->spawn(std::move(t));
}

bool event_loop::running() const noexcept {
    return impl_->running > 0;
}

event_loop *event_loop::current() noexcept {
    return tl_running ? tl_running : tl_first;
}

namespace detail {

event_loop &thread_default_loop() {
    thread_local std::unique_ptr<event_loop> loop;
    if (!loop) loop = std::make_unique<event_loop>();
    return *loop;
}

bool loop_is_running(const event_loop &loop) noexcept {
    return loop.running();
}

core::io_engine *current_engine() noexcept {
    event_loop *l = event_loop::current();
    return l ? l->engine() : nullptr;
}

void run_on_loop(core::io_engine *engine, std::function<void()> fn) {
    if (!engine) return;
    if (engine->on_loop_thread())
        fn();
    else
        engine->post(std::move(fn));
}

} // namespace detail
} // namespace zsock
