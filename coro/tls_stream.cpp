// coro/tls_stream.cpp - tls_stream: connect (socket, SOL_TLS options, connect + handshake as one
// operation), adopt, shutdown in nonblocking steps, and the TLS queries.
#include <zsock/tls_stream.hpp>

#include <cerrno>
#include <poll.h>

#include "core/fd_ops.hpp"
#include "coro/poll_awaiter.hpp"
#include "coro/tls_setup.hpp"
#include "net/dispatch_settle.hpp"
#include "net/socket_ops.hpp"
#include "tls/tls_step.hpp"

namespace zsock {

// ---- connect --------------------------------------------------------------------------------

namespace detail {
namespace {

/// A TLS client socket of `family` with opts applied. The fd, or -errno.
int make_client_socket(int family, const tls_client_options &opts) noexcept {
    int fd = net::socket(family, SOCK_STREAM | SOCK_CLOEXEC, opts.protocol);
    if (fd < 0) return fd;
    int r = tls_set_common(fd, opts.sec_tags, opts.peer_verify, opts.alpn);
    if (r == 0) {
        // An empty name with the check on leaves the option unset: the check then fails, as on
        // Zephyr, rather than silently passing.
        if (!opts.verify_hostname)
            r = static_cast<int>(
                net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, nullptr, 0));
        else if (!opts.hostname.empty())
            r = static_cast<int>(net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME,
                                                 opts.hostname.c_str(),
                                                 static_cast<socklen_t>(opts.hostname.size() + 1)));
    }
    if (r < 0) {
        core::fd_close_any(fd);
        return r;
    }
    return fd;
}

} // namespace

tls_connect_awaiter::tls_connect_awaiter(const endpoint &peer, const tls_client_options &opts,
                                         event_loop *loop) noexcept
    : peer_(peer) {
    // The TLS socket's connect covers both steps: the transport's connect (EINPROGRESS), then
    // the handshake, which its poll hooks and later connect calls move on; it answers 0 once the
    // session is established, or the error that ended it.
    op_.code = op_code::connect;
    core::io_engine *engine = engine_or_current(loop);
    if (!engine) {
        op_.result = -EINVAL;
        return;
    }
    int fd = make_client_socket(peer_.family(), opts);
    if (fd < 0) {
        op_.result = fd;
        return;
    }
    // Its SOL_TLS options made the dispatcher (if on) choose already; settle it all the same
    // before the engine watches the descriptor (see net/dispatch_settle.hpp).
    int r = net::dispatch_settle(fd);
    core::io_desc *d = nullptr;
    if (r == 0) r = attach_fd(engine, fd, attach_stream, &d);
    if (r < 0) {
        core::fd_close_any(fd);
        op_.result = r;
        return;
    }
    fd_ = fd;
    op_.desc = d;
    op_.addr = peer_.data();
    op_.addrlen = peer_.size();
}

tls_connect_awaiter::~tls_connect_awaiter() {
    if (fd_ >= 0) {
        abandon_now(); // before the descriptor goes
        close_fd(fd_, op_.desc);
    }
}

result<tls_stream> tls_connect_awaiter::await_resume() noexcept {
    long r = finish();
    if (r < 0) {
        if (fd_ >= 0) close_fd(std::exchange(fd_, -1), op_.desc);
        return errno_code(r);
    }
    return tls_stream(stream_access::make(std::exchange(fd_, -1), op_.desc));
}

} // namespace detail

// ---- tls_stream -----------------------------------------------------------------------------

result<tls_stream> tls_stream::adopt(int fd, event_loop *loop) noexcept {
    if (int r = detail::tls_check_stream(fd); r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    auto s = tcp_stream::adopt(fd, loop); // closes fd on failure
    if (!s) return s.error();
    return tls_stream(std::move(*s));
}

task<result<void>> tls_stream::shutdown() {
    if (!is_open()) co_return std::errc::bad_file_descriptor;
    for (;;) {
        int r = tls::shutdown_write_step(native_handle());
        if (r != -EAGAIN) {
            if (r < 0) co_return detail::errno_code(r);
            co_return result<void>{};
        }
        // The transport is full: wait until it takes more. The TLS poll hooks flush what is
        // pending when it turns writable, so the next step usually finds the alert gone.
        long w = co_await detail::poll_awaiter(desc(), POLLOUT);
        if (w < 0) co_return detail::errno_code(w);
        // POLLERR / POLLHUP: the next step reports what went wrong, or shuts the transport.
    }
}

result<uint32_t> tls_stream::verify_result() const noexcept {
    uint32_t v = 0;
    socklen_t len = sizeof v;
    long r =
        net::getsockopt(native_handle(), ZSOCK_SOL_TLS, ZSOCK_TLS_CERT_VERIFY_RESULT, &v, &len);
    if (r < 0) return detail::errno_code(r);
    return v;
}

result<std::string> tls_stream::alpn_protocol() const {
    char name[256];
    socklen_t len = sizeof name;
    long r = net::getsockopt(native_handle(), ZSOCK_SOL_TLS, ZSOCK_TLS_ALPN_USED, name, &len);
    if (r < 0) return detail::errno_code(r);
    if (len == 0) return std::string();
    return std::string(name, len > 0 && name[len - 1] == '\0' ? len - 1 : len);
}

} // namespace zsock
