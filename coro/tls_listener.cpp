// coro/tls_listener.cpp - tls_listener: a TLS socket with the server's SOL_TLS options, bound
// and listening, driven as a tcp_listener (its accept goes through the TLS socket).
#include <zsock/tls_listener.hpp>

#include <cerrno>

#include "core/fd_ops.hpp"
#include "coro/tls_setup.hpp"
#include "net/socket_ops.hpp"

namespace zsock {

result<tls_listener> tls_listener::bind(const endpoint &ep, const tls_server_options &opts,
                                        const tcp_listener::options &lopts,
                                        event_loop *loop) noexcept {
    if (!detail::engine_or_current(loop)) return std::errc::invalid_argument;
    int fd = net::socket(ep.family(), SOCK_STREAM | SOCK_CLOEXEC, opts.protocol);
    if (fd < 0) return detail::errno_code(fd);
    auto fail = [fd](long r) -> result<tls_listener> {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    };
    long r = detail::tls_set_common(fd, opts.sec_tags, opts.peer_verify, opts.alpn);
    if (r < 0) return fail(r);
    int one = 1;
    // SOL_SOCKET and IPPROTO_IPV6 options go to the TLS socket's transport.
    if (lopts.reuse_address &&
        (r = net::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) < 0)
        return fail(r);
    if (lopts.reuse_port &&
        (r = net::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) < 0)
        return fail(r);
    if (ep.family() == AF_INET6) {
        int v6 = lopts.v6_only ? 1 : 0;
        if ((r = net::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6)) < 0)
            return fail(r);
    }
    if ((r = net::bind(fd, ep.data(), ep.size())) < 0) return fail(r);
    if ((r = net::listen(fd, lopts.backlog)) < 0) return fail(r);
    auto l = tcp_listener::adopt(fd, loop); // closes fd on failure
    if (!l) return l.error();
    return tls_listener(std::move(*l));
}

result<tls_listener> tls_listener::adopt(int fd, event_loop *loop) noexcept {
    if (int r = detail::tls_check_stream(fd); r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    auto l = tcp_listener::adopt(fd, loop);
    if (!l) return l.error();
    return tls_listener(std::move(*l));
}

} // namespace zsock
