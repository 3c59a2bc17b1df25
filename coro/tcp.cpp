// coro/tcp.cpp - tcp_stream, tcp_listener, and the accept/connect awaiters.
#include <zsock/tcp.hpp>

#include "core/fd_ops.hpp"
#include "core/io_engine.hpp"
#include "net/dispatch_settle.hpp"
#include "net/native_socket.hpp"
#include "net/socket_ops.hpp"

namespace zsock {
namespace {

result<void> as_result(long r) noexcept {
    if (r < 0) return detail::errno_code(r);
    return {};
}

template <class Fn>
result<endpoint> query_endpoint(int fd, Fn &&fn) noexcept {
    endpoint e;
    socklen_t len = endpoint::capacity();
    long r = fn(fd, e.data(), &len);
    if (r < 0) return detail::errno_code(r);
    e.resize(len);
    return e;
}

constexpr int64_t backoff_min_ns = 1'000'000;     // 1 ms
constexpr int64_t backoff_max_ns = 1'000'000'000; // 1 s

} // namespace

// ---- accept ---------------------------------------------------------------------------------

namespace detail {

accept_awaiter::accept_awaiter(tcp_listener *l, endpoint *peer) noexcept
    : listener_(l), peer_(peer) {
    op_.desc = l->desc_;
    op_.code = op_code::accept;
    if (peer) {
        op_.addr = peer->data();
        op_.addrlen = endpoint::capacity();
    }
    not_before_ = l->not_before_;
}

result<tcp_stream> accept_awaiter::await_resume() noexcept {
    long r = finish();
    // A listener closed under us completes with ECANCELED; do not touch it then.
    if (r != -ECANCELED) listener_->note_accept(r);
    if (r < 0) return errno_code(r);
    int fd = static_cast<int>(r);
    core::io_engine *engine = op_.desc->engine;
    if (op_.desc->flags & core::desc_native) {
        // A kernel descriptor: publish it in the fd table as a native socket.
        int z = net::native_adopt(fd);
        if (z < 0) return errno_code(z);
    }
    if (peer_) peer_->resize(op_.addrlen);
    core::io_desc *d = nullptr;
    int a = attach_fd(engine, fd, attach_stream, &d);
    if (a < 0) {
        core::fd_close_any(fd);
        return errno_code(a);
    }
    return tcp_stream(fd, d);
}

// ---- connect --------------------------------------------------------------------------------

connect_awaiter::connect_awaiter(const endpoint &peer, event_loop *loop) noexcept : peer_(peer) {
    op_.code = op_code::connect;
    core::io_engine *engine = engine_or_current(loop);
    if (!engine) {
        op_.result = -EINVAL;
        return;
    }
    int fd = net::socket(peer_.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        op_.result = fd;
        return;
    }
    // With the dispatcher on, the connect would make the default choice anyway: make it before
    // the engine watches the descriptor (see net/dispatch_settle.hpp).
    int r = net::dispatch_settle(fd);
    if (r < 0) {
        core::fd_close_any(fd);
        op_.result = r;
        return;
    }
    core::io_desc *d = nullptr;
    r = attach_fd(engine, fd, attach_stream, &d);
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

connect_awaiter::connect_awaiter(int fd, const endpoint &peer, event_loop *loop) noexcept
    : peer_(peer) {
    op_.code = op_code::connect;
    if (fd < 0) {
        op_.result = fd;
        return;
    }
    core::io_desc *d = nullptr;
    int r = attach_fd(engine_or_current(loop), fd, attach_stream, &d);
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

connect_awaiter::~connect_awaiter() {
    if (fd_ >= 0) {
        abandon_now(); // before the descriptor goes (the base destructor would be too late)
        close_fd(fd_, op_.desc);
    }
}

result<tcp_stream> connect_awaiter::await_resume() noexcept {
    long r = finish();
    if (r < 0) {
        if (fd_ >= 0) close_fd(std::exchange(fd_, -1), op_.desc);
        return errno_code(r);
    }
    return tcp_stream(std::exchange(fd_, -1), op_.desc);
}

} // namespace detail

// ---- tcp_stream -----------------------------------------------------------------------------

result<tcp_stream> tcp_stream::adopt(int fd, event_loop *loop) noexcept {
    core::io_desc *d = nullptr;
    int r = net::dispatch_settle(fd);
    if (r == 0)
        r = detail::attach_fd(detail::engine_or_current(loop), fd, detail::attach_stream, &d);
    if (r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    return tcp_stream(fd, d);
}

task<io_result> tcp_stream::recv_exact(std::span<std::byte> buf) {
    io_result out;
    while (out.bytes < buf.size()) {
        auto n = co_await recv(buf.subspan(out.bytes));
        if (!n) {
            out.error = n.error();
            break;
        }
        if (*n == 0) {
            out.error = errc::eof;
            break;
        }
        out.bytes += *n;
    }
    co_return out;
}

task<io_result> tcp_stream::send_all(std::span<const std::byte> buf) {
    io_result out;
    while (out.bytes < buf.size()) {
        auto n = co_await send(buf.subspan(out.bytes));
        if (!n) {
            out.error = n.error();
            break;
        }
        out.bytes += *n;
    }
    co_return out;
}

result<void> tcp_stream::shutdown(int how) noexcept {
    if (fd_ < 0) return std::errc::bad_file_descriptor;
    return as_result(net::shutdown(fd_, how));
}

void tcp_stream::close() noexcept {
    if (fd_ < 0) return;
    detail::close_fd(std::exchange(fd_, -1), std::exchange(desc_, nullptr));
}

int tcp_stream::release() noexcept {
    if (desc_) desc_->engine->detach(std::exchange(desc_, nullptr));
    return std::exchange(fd_, -1);
}

result<void> tcp_stream::set_nodelay(bool on) noexcept {
    int v = on ? 1 : 0;
    return as_result(net::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
}

result<endpoint> tcp_stream::local_endpoint() const noexcept {
    return query_endpoint(
        fd_, [](int fd, sockaddr *a, socklen_t *l) { return net::getsockname(fd, a, l); });
}

result<endpoint> tcp_stream::remote_endpoint() const noexcept {
    return query_endpoint(
        fd_, [](int fd, sockaddr *a, socklen_t *l) { return net::getpeername(fd, a, l); });
}

// ---- tcp_listener ---------------------------------------------------------------------------

result<tcp_listener> tcp_listener::bind(const endpoint &ep, const options &opts,
                                        event_loop *loop) noexcept {
    return bind_protocol(ep, 0, opts, nullptr, nullptr, loop);
}

result<tcp_listener> tcp_listener::bind_protocol(const endpoint &ep, int protocol,
                                                 const options &opts,
                                                 int (*prepare)(int fd, const void *arg),
                                                 const void *arg, event_loop *loop) noexcept {
    core::io_engine *engine = detail::engine_or_current(loop);
    if (!engine) return std::errc::invalid_argument;
    int fd = net::socket(ep.family(), SOCK_STREAM | SOCK_CLOEXEC, protocol);
    if (fd < 0) return detail::errno_code(fd);
    auto fail = [fd](long r) -> result<tcp_listener> {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    };
    int one = 1;
    long r = 0;
    if (prepare && (r = prepare(fd, arg)) < 0) return fail(r);
    if (opts.reuse_address &&
        (r = net::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) < 0)
        return fail(r);
    if (opts.reuse_port &&
        (r = net::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) < 0)
        return fail(r);
    if (ep.family() == AF_INET6) {
        int v6 = opts.v6_only ? 1 : 0;
        if ((r = net::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6)) < 0)
            return fail(r);
    }
    if ((r = net::bind(fd, ep.data(), ep.size())) < 0) return fail(r);
    if ((r = net::listen(fd, opts.backlog)) < 0) return fail(r);
    tcp_listener l;
    core::io_desc *d = nullptr;
    if ((r = detail::attach_fd(engine, fd, detail::attach_listener, &d)) < 0) return fail(r);
    l.fd_ = fd;
    l.desc_ = d;
    return l;
}

result<tcp_listener> tcp_listener::adopt(int fd, event_loop *loop) noexcept {
    core::io_desc *d = nullptr;
    int r = net::dispatch_settle(fd);
    if (r == 0)
        r = detail::attach_fd(detail::engine_or_current(loop), fd, detail::attach_listener, &d);
    if (r < 0) {
        core::fd_close_any(fd);
        return detail::errno_code(r);
    }
    tcp_listener l;
    l.fd_ = fd;
    l.desc_ = d;
    return l;
}

result<endpoint> tcp_listener::local_endpoint() const noexcept {
    return query_endpoint(
        fd_, [](int fd, sockaddr *a, socklen_t *l) { return net::getsockname(fd, a, l); });
}

void tcp_listener::close() noexcept {
    if (fd_ < 0) return;
    detail::close_fd(std::exchange(fd_, -1), std::exchange(desc_, nullptr));
}

int tcp_listener::release() noexcept {
    if (desc_) desc_->engine->detach(std::exchange(desc_, nullptr));
    return std::exchange(fd_, -1);
}

void tcp_listener::note_accept(long r) noexcept {
    if (r >= 0) {
        backoff_ns_ = 0;
        not_before_ = 0;
    } else if (r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM) {
        backoff_ns_ = backoff_ns_ ? std::min(backoff_ns_ * 2, backoff_max_ns) : backoff_min_ns;
        not_before_ = detail::now_ns() + backoff_ns_;
    }
}

} // namespace zsock
