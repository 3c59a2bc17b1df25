// coro/udp.cpp - udp_socket.
#include <zsock/udp.hpp>

#include "core/fd_ops.hpp"
#include "net/dispatch_settle.hpp"
#include "net/socket_ops.hpp"

namespace zsock {

result<udp_socket> udp_socket::adopt(int fd, event_loop *loop) noexcept {
    core::io_desc *d = nullptr;
    int r = net::dispatch_settle(fd); // before the engine watches it (net/dispatch_settle.hpp)
    if (r == 0)
        r = detail::attach_fd(detail::engine_or_current(loop), fd, detail::attach_dgram, &d);
    if (r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    return udp_socket(fd, d);
}

result<udp_socket> udp_socket::open(int family, event_loop *loop) noexcept {
    if (!detail::engine_or_current(loop)) return std::errc::invalid_argument;
    int fd = net::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return detail::errno_code(fd);
    return adopt(fd, loop);
}

result<udp_socket> udp_socket::bind(const endpoint &ep, event_loop *loop) noexcept {
    if (!detail::engine_or_current(loop)) return std::errc::invalid_argument;
    int fd = net::socket(ep.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return detail::errno_code(fd);
    long r = net::bind(fd, ep.data(), ep.size());
    if (r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    return adopt(fd, loop);
}

result<void> udp_socket::connect(const endpoint &peer) noexcept {
    if (fd_ < 0) return std::errc::bad_file_descriptor;
    long r = net::connect(fd_, peer.data(), peer.size());
    // A DTLS client starts its handshake here; on a nonblocking socket it goes on in the first
    // send or recv, which wait for it like any other readiness.
    if (r < 0 && r != -EINPROGRESS) return detail::errno_code(r);
    return {};
}

result<endpoint> udp_socket::local_endpoint() const noexcept {
    endpoint e;
    socklen_t len = endpoint::capacity();
    long r = net::getsockname(fd_, e.data(), &len);
    if (r < 0) return detail::errno_code(r);
    e.resize(len);
    return e;
}

void udp_socket::close() noexcept {
    if (fd_ < 0) return;
    detail::close_fd(std::exchange(fd_, -1), std::exchange(desc_, nullptr));
}

} // namespace zsock
