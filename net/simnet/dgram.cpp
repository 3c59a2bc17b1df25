// net/simnet/dgram.cpp - UDP-like datagrams: connect, sendto, recvfrom, shutdown.
//
// A datagram goes straight into the receiving socket's queue, or nowhere: like UDP, a datagram
// for a full queue or for a port nobody holds is dropped, and the sender only learns about the
// latter on a connected socket (ECONNREFUSED on its next call, as Linux reports the ICMP error).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "net/simnet/sim.hpp"

namespace zsock::simnet {
namespace {

endpoint with_loopback_addr(const endpoint &e) {
    if (!e.is_any()) return e;
    endpoint l = loopback_endpoint(e.family);
    l.port = e.port;
    return l;
}

int take_error(sim_socket &s) {
    int e = s.so_error;
    s.so_error = 0;
    sync(s);
    return -e;
}

} // namespace

int dgram_connect(sim_socket &s, const endpoint &to, bool unspec) noexcept {
    if (unspec) { // dissolves the association
        s.has_peer = false;
        kick(s);
        return 0;
    }
    endpoint dst = with_loopback_addr(to);
    if (!is_local(dst)) return -ENETUNREACH;
    if (!s.bound) {
        if (int r = port_bind(s, any_endpoint(s.family), true); r < 0)
            return r == -EADDRINUSE ? -EAGAIN : r; // Linux: no ephemeral port left
    }
    if (s.local.is_any()) { // Linux fixes the source address at connect
        uint16_t port = s.local.port;
        s.local = loopback_endpoint(s.family);
        s.local.port = port;
    }
    s.has_peer = true;
    s.peer = dst;
    kick(s);
    return 0;
}

long dgram_send(sim_socket &s, const iovec *iov, size_t iovcnt, int flags,
                const endpoint *to) noexcept {
    if (flags & MSG_OOB) return -EOPNOTSUPP;
    endpoint dst;
    if (to) {
        dst = *to;
    } else if (s.has_peer) {
        dst = s.peer;
    } else {
        return -EDESTADDRREQ;
    }
    if (s.wr_shut) return -EPIPE;
    if (s.so_error) return take_error(s);
    const size_t len = iov_total(iov, iovcnt);
    if (len > (s.family == AF_INET ? max_udp_payload4 : max_udp_payload6)) return -EMSGSIZE;
    dst = with_loopback_addr(dst);
    if (!is_local(dst)) return -ENETUNREACH;
    if (dst.port == 0) return -EINVAL; // Linux refuses port 0 as a destination
    if (!s.bound)
        if (int r = port_bind(s, any_endpoint(s.family), true); r < 0)
            return r == -EADDRINUSE ? -EAGAIN : r;
    endpoint from = with_loopback_addr(s.local);
    sim_socket *r = find_receiver(from, dst);
    if (!r) {
        if (s.has_peer && !to) s.so_error = ECONNREFUSED; // the ICMP error, on the next call
        sync(s);
        return static_cast<long>(len);
    }
    if (r->rd_shut || r->dq_bytes + len > r->rcvbuf) return static_cast<long>(len); // dropped
    try {
        datagram d;
        d.from = from;
        d.data.resize(len);
        size_t off = 0;
        for (size_t i = 0; i < iovcnt; ++i) {
            if (iov[i].iov_len) std::memcpy(d.data.data() + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        r->dq.push_back(std::move(d));
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    r->dq_bytes += len;
    kick(*r);
    return static_cast<long>(len);
}

long dgram_recv(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags, endpoint *from,
                int *msg_flags) noexcept {
    if (flags & MSG_OOB) return -EOPNOTSUPP;
    const bool nb = s.nonblock || (flags & MSG_DONTWAIT);
    const long long deadline = deadline_of(s.rcvtimeo);
    for (;;) {
        if (!s.dq.empty()) {
            datagram &d = s.dq.front();
            size_t size = d.data.size(), off = 0;
            for (size_t i = 0; i < iovcnt && off < size; ++i) {
                size_t n = std::min(iov[i].iov_len, size - off);
                if (n) std::memcpy(iov[i].iov_base, d.data.data() + off, n);
                off += n;
            }
            if (off < size && msg_flags) *msg_flags |= MSG_TRUNC;
            if (from) *from = d.from;
            if (!(flags & MSG_PEEK)) {
                s.dq_bytes -= size;
                s.dq.pop_front();
                sync(s);
            }
            // MSG_TRUNC asks for the datagram's real length, as on Linux.
            return static_cast<long>((flags & MSG_TRUNC) ? size : off);
        }
        if (s.so_error) return take_error(s);
        if (s.rd_shut) return 0;
        if (nb) return -EAGAIN;
        int r =
            wait_until(lk, s, deadline, [&] { return !s.dq.empty() || s.so_error || s.rd_shut; });
        if (r < 0) return r;
    }
}

int dgram_shutdown(sim_socket &s, int how) noexcept {
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    // Linux marks the socket shut even when it is not connected (and then says ENOTCONN): that
    // is how programs wake a thread blocked in recvfrom on a UDP socket.
    if (how != SHUT_WR) s.rd_shut = true;
    if (how != SHUT_RD) s.wr_shut = true;
    kick(s);
    return s.has_peer ? 0 : -ENOTCONN;
}

} // namespace zsock::simnet
