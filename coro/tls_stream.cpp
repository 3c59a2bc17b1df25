// coro/tls_stream.cpp - TLS sockets set up for the coroutine engines (the I/O itself is
// tcp_stream's, through the object's poll hooks).
#include <zsock/tls_stream.hpp>

#include "core/fd_ops.hpp"
#include "net/socket_ops.hpp"

namespace zsock {
namespace {

int apply_options(int fd, const tls_options &o) noexcept {
    int r = 0;
    if (!o.sec_tags.empty() &&
        (r = net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, o.sec_tags.data(),
                             static_cast<socklen_t>(o.sec_tags.size() * sizeof(int32_t)))) < 0)
        return r;
    if (!o.hostname.empty() &&
        (r = net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, o.hostname.c_str(),
                             static_cast<socklen_t>(o.hostname.size() + 1))) < 0)
        return r;
    if (o.peer_verify >= 0 && (r = net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_PEER_VERIFY,
                                                   &o.peer_verify, sizeof o.peer_verify)) < 0)
        return r;
    return 0;
}

int apply_thunk(int fd, const void *arg) {
    return apply_options(fd, *static_cast<const tls_options *>(arg));
}

} // namespace

result<void> tls_stream::apply(int fd, const tls_options &opts) noexcept {
    int r = apply_options(fd, opts);
    if (r < 0) return detail::errno_code(r);
    return {};
}

detail::connect_awaiter tls_stream::connect(const endpoint &peer, const tls_options &opts,
                                            event_loop *loop) noexcept {
    int fd = net::socket(peer.family(), SOCK_STREAM | SOCK_CLOEXEC, opts.protocol);
    if (fd >= 0) {
        int r = apply_options(fd, opts);
        if (r < 0) {
            core::fd_close_any(fd);
            fd = r;
        }
    }
    return detail::connect_awaiter(fd, peer, loop);
}

result<tcp_listener> tls_stream::listen(const endpoint &ep, const tls_options &opts,
                                        const tcp_listener::options &lopts,
                                        event_loop *loop) noexcept {
    return tcp_listener::bind_protocol(ep, opts.protocol, lopts, &apply_thunk, &opts, loop);
}

} // namespace zsock
