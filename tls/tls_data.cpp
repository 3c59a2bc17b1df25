// tls/tls_data.cpp - send and recv on TLS stream sockets.
//
// send: one call encrypts at most one record (16 KiB), so writes may be short, as on Zephyr.
// A record mbedTLS could only partly hand to the transport is ACCEPTED (its bytes are counted as
// sent) and flushed by the next call or by poll: that keeps POSIX's "EAGAIN means nothing was
// taken" promise, where mbedTLS's own contract would make the caller repeat the same bytes.
// recv: returns what one record holds; 0 after close_notify or the transport's end; MSG_PEEK reads
// ahead into a small buffer of decrypted bytes; MSG_WAITALL loops.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>

#include "tls/tls_socket.hpp"

namespace zsock::tls {
namespace {

constexpr int send_flags_ok = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_CONFIRM;
constexpr int recv_flags_ok =
    MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC;

// What a transport EOF means: the end of the stream at a record boundary (Zephyr: recv gives 0),
// an attack or a crash in the middle of one (ECONNABORTED).
int on_transport_eof(tls_socket &t, tls_session &s) {
    if (ZSOCK_SSL_FIELD(&s.ssl, in_left) > 0) return t.fail(ECONNABORTED);
    s.peer_closed = true;
    return 0;
}

// One mbedTLS read into dst. > 0 bytes; 0 end of stream; -EAGAIN; or a latched -errno.
int read_record(tls_socket &t, tls_session &s, unsigned char *dst, size_t n) {
    if (s.peer_closed) return 0;
    for (;;) {
        int r = mbedtls_ssl_read(&s.ssl, dst, n);
        if (r > 0) return r;
        if (r == 0) {
            if (s.transport_eof) return on_transport_eof(t, s);
            if (n == 0) return 0;
            continue; // an empty application record: nothing for the caller, read on
        }
        if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            s.peer_closed = true;
            return 0;
        }
        if (r == MBEDTLS_ERR_SSL_CONN_EOF) return on_transport_eof(t, s);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return -EAGAIN;
        return t.fail(-map_data_error(s, r));
    }
}

// Reads ahead into the peek buffer (at most `cap` bytes held) until it holds `want` bytes or no
// more are ready. 1 when it holds them, else what the last read said (0, -EAGAIN, -errno).
int fill_peek(tls_socket &t, tls_session &s, size_t want, size_t cap) {
    if (s.peek_off > 0 && s.peek_off == s.peek.size()) {
        s.peek.clear();
        s.peek_off = 0;
    }
    while (s.peek_avail() < want) {
        size_t room = std::min<size_t>(cap - s.peek_avail(), 16384);
        size_t old = s.peek.size();
        s.peek.resize(old + room);
        int r = read_record(t, s, s.peek.data() + old, room);
        s.peek.resize(old + (r > 0 ? static_cast<size_t>(r) : 0));
        if (r <= 0) return r;
    }
    return 1;
}

size_t take_peeked(tls_session &s, unsigned char *dst, size_t n, bool consume) {
    size_t k = std::min(n, s.peek_avail());
    if (k == 0) return 0;
    std::memcpy(dst, s.peek.data() + s.peek_off, k);
    if (consume) {
        s.peek_off += k;
        if (s.peek_off == s.peek.size()) {
            s.peek.clear();
            s.peek_off = 0;
        }
    }
    return k;
}

std::optional<std::chrono::milliseconds> no_wait() {
    return std::chrono::milliseconds(0);
}

} // namespace

ssize_t tls_sendto(void *obj, const void *buf, size_t len, int flags, const sockaddr *dest,
                   socklen_t dlen) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return dtls_sendto(t, buf, len, flags, dest, dlen);
    if (flags & ~send_flags_ok) return -EOPNOTSUPP;
    if (!buf && len) return -EFAULT;
    bool may_block;
    tls_session *s;
    {
        std::lock_guard lock(t.mu);
        if (t.error) return -t.error;
        if (t.listening || !t.sess || t.sess->ph == phase::idle) return -ENOTCONN;
        s = t.sess.get();
        may_block = !t.nonblock && !(flags & MSG_DONTWAIT);
    }
    deadline d = may_block ? t.deadline_for(wait_kind::send) : deadline_after(no_wait());
    for (;;) {
        short want = POLLOUT;
        {
            std::lock_guard lock(t.mu);
            if (t.write_shut) return -EPIPE;
            int r = advance(t, *s, &want);
            if (r == 0) {
                if (s->peer_closed) return -ECONNABORTED;
                r = flush_pending(*s);
                if (r == 0) {
                    if (len == 0) return 0;
                    int room = mbedtls_ssl_get_max_out_record_payload(&s->ssl);
                    size_t take = room > 0 ? std::min(len, static_cast<size_t>(room)) : len;
                    int w =
                        mbedtls_ssl_write(&s->ssl, static_cast<const unsigned char *>(buf), take);
                    if (w >= 0) return w;
                    if (w == MBEDTLS_ERR_SSL_WANT_WRITE && ssl_out_pending(&s->ssl))
                        return static_cast<ssize_t>(take); // encrypted and queued: accepted
                    if (w != MBEDTLS_ERR_SSL_WANT_WRITE && w != MBEDTLS_ERR_SSL_WANT_READ)
                        return t.fail(-map_data_error(*s, w));
                    r = -EAGAIN;
                }
                if (r != -EAGAIN) return r;
                want = POLLOUT;
            } else if (r != -EAGAIN) {
                return r;
            }
        }
        if (!may_block) return -EAGAIN;
        int w = wait_transport(t, want, d);
        if (w == -ETIMEDOUT) return -EAGAIN;
        if (w < 0) return w;
    }
}

ssize_t tls_recvfrom(void *obj, void *buf, size_t len, int flags, sockaddr *src, socklen_t *slen) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return dtls_recvfrom(t, buf, len, flags, src, slen);
    if (flags & ~recv_flags_ok) return -EOPNOTSUPP;
    if (!buf && len) return -EFAULT;
    bool may_block;
    tls_session *s;
    {
        std::lock_guard lock(t.mu);
        if (t.error) return -t.error;
        if (t.listening || !t.sess || t.sess->ph == phase::idle) return -ENOTCONN;
        s = t.sess.get();
        may_block = !t.nonblock && !(flags & MSG_DONTWAIT);
    }
    const bool peek = flags & MSG_PEEK;
    const bool waitall = (flags & MSG_WAITALL) && may_block;
    auto *dst = static_cast<unsigned char *>(buf);
    size_t got = 0;
    deadline d = may_block ? t.deadline_for(wait_kind::recv) : deadline_after(no_wait());
    for (;;) {
        short want = POLLIN;
        {
            std::lock_guard lock(t.mu);
            int r = advance(t, *s, &want);
            if (r == 0) {
                if (len == 0) return 0;
                r = flush_pending(*s); // a request may still sit in mbedTLS: send it first
                if (r < 0 && r != -EAGAIN) return got ? static_cast<ssize_t>(got) : r;
                if (peek) {
                    // Target: one byte, or all of len with MSG_WAITALL (as Linux peeks).
                    r = fill_peek(t, *s, waitall ? len : 1, len);
                    bool have = s->peek_avail() > 0;
                    if (r == 1 || (r != -EAGAIN && have))
                        return static_cast<ssize_t>(take_peeked(*s, dst, len, false));
                    if (r != -EAGAIN) return r; // 0: end of stream, or the error
                } else {
                    got += take_peeked(*s, dst + got, len - got, true);
                    while (got < len) {
                        r = read_record(t, *s, dst + got, len - got);
                        if (r <= 0) break;
                        got += static_cast<size_t>(r);
                        if (!waitall) break;
                    }
                    if (got == len || (got && !waitall)) return static_cast<ssize_t>(got);
                    if (r == 0) return static_cast<ssize_t>(got); // end of stream
                    if (r != -EAGAIN) return got ? static_cast<ssize_t>(got) : r;
                }
                want = static_cast<short>(POLLIN | (ssl_out_pending(&s->ssl) ? POLLOUT : 0));
            } else if (r != -EAGAIN) {
                return got ? static_cast<ssize_t>(got) : r;
            }
        }
        if (!may_block) return got ? static_cast<ssize_t>(got) : -EAGAIN;
        int w = wait_transport(t, want, d);
        if (w == -ETIMEDOUT) return got ? static_cast<ssize_t>(got) : -EAGAIN;
        if (w < 0) return got ? static_cast<ssize_t>(got) : w;
    }
}

ssize_t tls_sendmsg(void *obj, const msghdr *msg, int flags) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (!msg) return -EFAULT;
    if (t.is_dtls()) return dtls_sendmsg(t, msg, flags);
    if (msg->msg_iovlen > IOV_MAX) return -EMSGSIZE;
    if (msg->msg_iovlen && !msg->msg_iov) return -EFAULT;
    // One record per iovec at most; stop at the first short write, as a stream may.
    ssize_t total = 0;
    for (size_t i = 0; i < msg->msg_iovlen; ++i) {
        const iovec &v = msg->msg_iov[i];
        if (v.iov_len == 0) continue;
        size_t done = 0;
        while (done < v.iov_len) {
            ssize_t r =
                tls_sendto(obj, static_cast<const char *>(v.iov_base) + done, v.iov_len - done,
                           flags | (total ? MSG_DONTWAIT : 0), nullptr, 0);
            if (r < 0) return total ? total : r;
            done += static_cast<size_t>(r);
            total += r;
        }
    }
    return total;
}

ssize_t tls_recvmsg(void *obj, msghdr *msg, int flags) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (!msg) return -EFAULT;
    if (msg->msg_iovlen > IOV_MAX) return -EMSGSIZE;
    if (msg->msg_iovlen && !msg->msg_iov) return -EFAULT;
    if (t.is_dtls()) {
        // One datagram: gather into a bounce buffer, then scatter.
        size_t cap = 0;
        for (size_t i = 0; i < msg->msg_iovlen; ++i)
            cap += msg->msg_iov[i].iov_len;
        std::vector<unsigned char> tmp(std::min<size_t>(cap, 65536));
        socklen_t nl = msg->msg_name ? msg->msg_namelen : 0;
        ssize_t r =
            dtls_recvfrom(t, tmp.data(), tmp.size(), flags | MSG_TRUNC,
                          static_cast<sockaddr *>(msg->msg_name), msg->msg_name ? &nl : nullptr);
        if (r < 0) return r;
        size_t n = std::min(static_cast<size_t>(r), tmp.size());
        size_t off = 0;
        for (size_t i = 0; i < msg->msg_iovlen && off < n; ++i) {
            size_t k = std::min(n - off, msg->msg_iov[i].iov_len);
            std::memcpy(msg->msg_iov[i].iov_base, tmp.data() + off, k);
            off += k;
        }
        msg->msg_namelen = nl;
        msg->msg_controllen = 0;
        msg->msg_flags = static_cast<size_t>(r) > n ? MSG_TRUNC : 0;
        return (flags & MSG_TRUNC) ? r : static_cast<ssize_t>(n);
    }
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
    if ((flags & MSG_PEEK) && msg->msg_iovlen > 1) {
        // Peeking must not hand the same bytes to every iovec: peek once, then scatter.
        size_t cap = 0;
        for (size_t i = 0; i < msg->msg_iovlen; ++i)
            cap += msg->msg_iov[i].iov_len;
        std::vector<unsigned char> tmp(std::min<size_t>(cap, 1u << 20));
        ssize_t r = tls_recvfrom(obj, tmp.data(), tmp.size(), flags, nullptr, nullptr);
        if (r < 0) return r;
        size_t off = 0;
        for (size_t i = 0; i < msg->msg_iovlen && off < static_cast<size_t>(r); ++i) {
            size_t k = std::min(static_cast<size_t>(r) - off, msg->msg_iov[i].iov_len);
            std::memcpy(msg->msg_iov[i].iov_base, tmp.data() + off, k);
            off += k;
        }
        return r;
    }
    ssize_t total = 0;
    for (size_t i = 0; i < msg->msg_iovlen; ++i) {
        const iovec &v = msg->msg_iov[i];
        if (v.iov_len == 0) continue;
        // Later iovecs only take what is ready now (recv returns what arrived), unless the
        // caller asked for all of it.
        int f = (total && !(flags & MSG_WAITALL)) ? flags | MSG_DONTWAIT : flags;
        ssize_t r = tls_recvfrom(obj, v.iov_base, v.iov_len, f, nullptr, nullptr);
        if (r < 0) {
            if (total) break;
            return r;
        }
        total += r;
        if (static_cast<size_t>(r) < v.iov_len) break;
    }
    return total;
}

} // namespace zsock::tls
