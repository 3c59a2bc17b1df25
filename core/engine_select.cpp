// core/engine_select.cpp - which engine runs: the option, then ZSOCK_BACKEND, then the probe.
#include <cstdlib>
#include <cstring>

#include "core/epoll_engine.hpp"
#include "core/log.hpp"
#include "core/uring_engine.hpp"

namespace zsock::core {
namespace {

bool env_backend(backend_kind *out, const char **raw) noexcept {
    const char *v = std::getenv("ZSOCK_BACKEND");
    *raw = v;
    if (!v || !*v) return false;
    if (!std::strcmp(v, "epoll")) *out = backend_kind::epoll;
    else if (!std::strcmp(v, "io_uring") || !std::strcmp(v, "uring")) *out = backend_kind::io_uring;
    else if (!std::strcmp(v, "auto")) *out = backend_kind::automatic;
    else return false;
    return true;
}

} // namespace

std::unique_ptr<io_engine> make_engine(const engine_options &opts, int *err) noexcept {
    backend_kind want = opts.backend;
    const char *source = "event_loop option";
    const char *raw = nullptr;
    if (want == backend_kind::automatic) {
        if (env_backend(&want, &raw)) {
            source = "ZSOCK_BACKEND";
        } else if (raw && *raw) {
            log_warn("ZSOCK_BACKEND={} is not epoll, io_uring or auto; probing", raw);
        }
    }

    if (want == backend_kind::epoll) {
        auto e = epoll_engine::create(err);
        if (!e) return nullptr;
        e->selection_reason = fmt::format("epoll (forced by {})", source);
        log_info("engine: {}", e->selection_reason);
        return e;
    }

    std::string why;
    auto u = uring_engine::create(opts, err, &why);
    if (u) {
        u->selection_reason = want == backend_kind::io_uring ? fmt::format("{} (forced by {})", why, source)
                                                             : fmt::format("{} (probe passed)", why);
        log_info("engine: {}", u->selection_reason);
        return u;
    }
    if (want == backend_kind::io_uring) {
        log_warn("engine: io_uring forced by {} but refused: {}", source, why);
        return nullptr;
    }
    auto e = epoll_engine::create(err);
    if (!e) return nullptr;
    e->selection_reason = fmt::format("epoll (io_uring refused: {})", why);
    // A fallback is worth a warning-level line even at the default log level? No: it is the
    // expected outcome on kernels without io_uring; info keeps default output quiet.
    log_info("engine: {}", e->selection_reason);
    return e;
}

} // namespace zsock::core
