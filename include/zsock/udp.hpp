// zsock/udp.hpp - UDP (or any datagram zsock socket) for coroutines.
//
//   auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(9000)).value();
//   char buf[1500];
//   zsock::endpoint from;
//   auto n = co_await u.recv_from(buf, sizeof buf, from);    // one datagram
//   co_await u.send_to(buf, *n, from);
//
// Datagram boundaries are kept: recv_from returns one datagram (truncated to the buffer, as the
// kernel does; recvmsg reports MSG_TRUNC in msg_flags). Every operation accepts .with_timeout(),
// .with_deadline() and .with_stop(), like the TCP ones.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include <zsock/detail/io_op.hpp>
#include <zsock/endpoint.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/result.hpp>
#include <zsock/tcp.hpp>
#include <zsock/wait.hpp>

namespace zsock {

namespace detail {

/// recvmsg/sendmsg with an address: recv_from, send_to. The msghdr lives in the awaiter and is
/// built when it starts (so the awaiter can be moved before).
class datagram_awaiter : public io_awaitable<datagram_awaiter> {
public:
    datagram_awaiter(core::io_desc *d, op_code code, void *buf, std::size_t len, endpoint *from,
                     const endpoint *to, int flags) noexcept
        : from_(from), to_(to) {
        op_.desc = d;
        op_.code = code;
        op_.flags = flags;
        iov_.iov_base = buf;
        iov_.iov_len = len;
    }
    datagram_awaiter(datagram_awaiter &&o) noexcept
        : io_awaitable(std::move(o)), iov_(o.iov_), from_(o.from_), to_(o.to_) {}

    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        msg_ = {};
        msg_.msg_iov = &iov_;
        msg_.msg_iovlen = 1;
        if (from_) {
            msg_.msg_name = from_->data();
            msg_.msg_namelen = endpoint::capacity();
        } else if (to_) {
            msg_.msg_name = const_cast<sockaddr *>(to_->data());
            msg_.msg_namelen = to_->size();
        }
        op_.msg = &msg_;
        return suspend(h, ctx_of(h));
    }
    result<std::size_t> await_resume() noexcept {
        long r = finish();
        if (r < 0) return errno_code(r);
        if (from_) from_->resize(msg_.msg_namelen);
        return static_cast<std::size_t>(r);
    }

private:
    iovec iov_{};
    msghdr msg_{};
    endpoint *from_;
    const endpoint *to_;
};

} // namespace detail

class ZSOCK_API udp_socket {
public:
    udp_socket() noexcept = default;
    /// A datagram socket of ep's family bound to ep (port 0: any port).
    static result<udp_socket> bind(const endpoint &ep, event_loop *loop = nullptr) noexcept;
    /// An unbound datagram socket of `family` (AF_INET, AF_INET6).
    static result<udp_socket> open(int family, event_loop *loop = nullptr) noexcept;
    /// Takes ownership of a zsock datagram fd (native, DTLS or offloaded). A dispatcher socket
    /// whose implementation is not chosen yet gets the default choice here (so open() makes it
    /// too: to pick sim0 with SO_BINDTODEVICE, set it on your own socket, then adopt it).
    static result<udp_socket> adopt(int fd, event_loop *loop = nullptr) noexcept;

    udp_socket(udp_socket &&o) noexcept
        : fd_(std::exchange(o.fd_, -1)), desc_(std::exchange(o.desc_, nullptr)) {}
    udp_socket &operator=(udp_socket &&o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
            desc_ = std::exchange(o.desc_, nullptr);
        }
        return *this;
    }
    ~udp_socket() { close(); }

    /// Sets the default peer (connect(2) on a datagram socket completes at once). On a DTLS
    /// socket this starts the handshake, which the first send or recv awaits (bound it with
    /// .with_timeout()); a failed handshake makes that operation fail (connection_aborted,
    /// timed_out).
    result<void> connect(const endpoint &peer) noexcept;

    /// One datagram; `from` receives its source address.
    detail::datagram_awaiter recv_from(void *buf, std::size_t len, endpoint &from,
                                       int flags = 0) noexcept {
        return {desc_, detail::op_code::recvmsg, buf, len, &from, nullptr, flags};
    }
    detail::datagram_awaiter recv_from(std::span<std::byte> buf, endpoint &from,
                                       int flags = 0) noexcept {
        return recv_from(buf.data(), buf.size(), from, flags);
    }
    /// One datagram to `to`; returns the bytes sent (all of them, for a datagram).
    detail::datagram_awaiter send_to(const void *buf, std::size_t len, const endpoint &to,
                                     int flags = 0) noexcept {
        return {desc_, detail::op_code::sendmsg, const_cast<void *>(buf), len, nullptr, &to, flags};
    }
    detail::datagram_awaiter send_to(std::span<const std::byte> buf, const endpoint &to,
                                     int flags = 0) noexcept {
        return send_to(buf.data(), buf.size(), to, flags);
    }
    /// On a connected socket: one datagram from / to the peer.
    detail::transfer_awaiter recv(void *buf, std::size_t len, int flags = 0) noexcept {
        return {desc_, detail::op_code::recv, buf, len, flags};
    }
    detail::transfer_awaiter send(const void *buf, std::size_t len, int flags = 0) noexcept {
        return {desc_, detail::op_code::send, const_cast<void *>(buf), len, flags};
    }
    /// recvmsg(2)/sendmsg(2) with the caller's msghdr (kept valid until completion).
    detail::msg_awaiter recvmsg(msghdr &m, int flags = 0) noexcept {
        return {desc_, detail::op_code::recvmsg, &m, flags};
    }
    detail::msg_awaiter sendmsg(const msghdr &m, int flags = 0) noexcept {
        return {desc_, detail::op_code::sendmsg, const_cast<msghdr *>(&m), flags};
    }

    /// Waits until a datagram is there to read (readable) or a send would not wait (writable),
    /// taking nothing (see <zsock/wait.hpp>).
    detail::wait_awaiter wait(wait_type what) noexcept { return {desc_, what}; }

    result<endpoint> local_endpoint() const noexcept;
    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }

private:
    udp_socket(int fd, core::io_desc *d) noexcept : fd_(fd), desc_(d) {}
    int fd_ = -1;
    core::io_desc *desc_ = nullptr;
};

} // namespace zsock
