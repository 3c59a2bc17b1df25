// tls/tls_io.cpp - the transport side of a TLS socket: mbedTLS's BIO callbacks, the DTLS timer,
// waiting for the transport, and the mbedTLS error -> errno mapping (ZEPHYR_NOTES 3.9).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <poll.h>

#include <mbedtls/bignum.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>

#include "core/log.hpp"
#include "core/sys.hpp"
#include "tls/tls_socket.hpp"

namespace zsock::tls {

// ---- BIO ----------------------------------------------------------------------------------------

namespace {
constexpr int io_flags_send = MSG_DONTWAIT | MSG_NOSIGNAL;

size_t clamp_len(size_t len) noexcept {
    return len > INT_MAX ? INT_MAX : len;
}
} // namespace

int bio_send(void *ctx, const unsigned char *buf, size_t len) {
    auto *s = static_cast<tls_session *>(ctx);
    tls_socket &t = *s->owner;
    if (!t.ivt->sendto) return MBEDTLS_ERR_NET_SEND_FAILED;
    ssize_t r = t.ivt->sendto(t.inner, buf, clamp_len(len), io_flags_send, nullptr, 0);
    if (r >= 0) return static_cast<int>(r);
    if (r == -EAGAIN || r == -EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    s->io_error = static_cast<int>(-r);
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

int bio_recv(void *ctx, unsigned char *buf, size_t len) {
    auto *s = static_cast<tls_session *>(ctx);
    tls_socket &t = *s->owner;
    if (!t.ivt->recvfrom) return MBEDTLS_ERR_NET_RECV_FAILED;
    ssize_t r = t.ivt->recvfrom(t.inner, buf, clamp_len(len), MSG_DONTWAIT, nullptr, nullptr);
    if (r > 0) return static_cast<int>(r);
    if (r == 0) {
        // A zero-length datagram is no end of stream; on a stream it is.
        if (t.is_dtls()) return MBEDTLS_ERR_SSL_WANT_READ;
        s->transport_eof = true;
        return 0;
    }
    if (r == -EAGAIN || r == -EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    s->io_error = static_cast<int>(-r);
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

int bio_send_to_peer(void *ctx, const unsigned char *buf, size_t len) {
    auto *s = static_cast<tls_session *>(ctx);
    tls_socket &t = *s->owner;
    ssize_t r = t.ivt->sendto(t.inner, buf, clamp_len(len), io_flags_send,
                              reinterpret_cast<const sockaddr *>(&s->peer), s->peer_len);
    if (r >= 0) return static_cast<int>(r);
    if (r == -EAGAIN || r == -EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    s->io_error = static_cast<int>(-r);
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

int bio_recv_stored(void *ctx, unsigned char *buf, size_t len) {
    auto *s = static_cast<tls_session *>(ctx);
    if (!s->rx_full) return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = s->rx_len < len ? s->rx_len : len; // a datagram larger than len is truncated
    std::copy(s->rx.begin(), s->rx.begin() + static_cast<std::ptrdiff_t>(n), buf);
    s->rx_full = false;
    return static_cast<int>(n);
}

// ---- DTLS timer
// ----------------------------------------------------------------------------------

deadline dtls_timer::expiry() const noexcept {
    if (fin_ms == 0) return std::nullopt;
    return start + std::chrono::milliseconds(fin_ms);
}

void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms) {
    auto *s = static_cast<tls_session *>(ctx);
    s->timer.start = clock::now();
    s->timer.int_ms = int_ms;
    s->timer.fin_ms = fin_ms;
}

int timer_get(void *ctx) {
    auto *s = static_cast<tls_session *>(ctx);
    if (s->timer.fin_ms == 0) return -1;
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - s->timer.start);
    if (elapsed.count() >= s->timer.fin_ms) return 2;
    if (elapsed.count() >= s->timer.int_ms) return 1;
    return 0;
}

// ---- waiting
// -------------------------------------------------------------------------------------

deadline deadline_after(std::optional<std::chrono::milliseconds> d) noexcept {
    if (!d) return std::nullopt;
    return clock::now() + *d;
}

deadline earliest(deadline a, deadline b) noexcept {
    if (!a) return b;
    if (!b) return a;
    return *a < *b ? a : b;
}

int wait_transport(tls_socket &t, short events, deadline d, int extra_fd) noexcept {
    for (;;) {
        if (t.closing.load(std::memory_order_acquire)) return -EINTR;
        short kev = events;
        if (t.ivt->poll.prepare) {
            int r = t.ivt->poll.prepare(t.inner, events, &kev);
            if (r > 0) return 0;
            if (r < 0) return r;
        }
        // events 0 on the extra fd: only its POLLHUP/POLLERR (a listener being shut down) count.
        pollfd pfd[2] = {{t.fd, kev, 0}, {extra_fd, 0, 0}};
        timespec ts{};
        timespec *tsp = nullptr;
        if (d) {
            auto left = *d - clock::now();
            if (left <= clock::duration::zero()) return -ETIMEDOUT;
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            ts.tv_sec = static_cast<time_t>(ns / 1000000000);
            ts.tv_nsec = static_cast<long>(ns % 1000000000);
            tsp = &ts;
        }
        long n = sys::ppoll(pfd, extra_fd >= 0 ? 2 : 1, tsp);
        if (n == -EINTR) continue; // a signal: wait again for what is left
        if (n < 0) return static_cast<int>(n);
        if (t.closing.load(std::memory_order_acquire)) return -EINTR;
        if (n == 0) continue; // the loop top reports the deadline
        if (extra_fd >= 0 && pfd[1].revents) return -EINTR;
        if (pfd[0].revents & POLLNVAL) return -EBADF;
        if (t.ivt->poll.update) {
            short rev = 0;
            int u = t.ivt->poll.update(t.inner, events, pfd[0].revents, &rev);
            if (u == -EAGAIN) continue;
            if (u < 0) return u;
        }
        return 0;
    }
}

// ---- errors
// --------------------------------------------------------------------------------------

namespace {

bool is_alloc_failure(int ret) noexcept {
    return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED || ret == MBEDTLS_ERR_X509_ALLOC_FAILED ||
           ret == MBEDTLS_ERR_PK_ALLOC_FAILED || ret == MBEDTLS_ERR_MPI_ALLOC_FAILED;
}

int transport_errno(const tls_session &s) noexcept {
    return s.io_error ? -s.io_error : -EIO;
}

} // namespace

int map_handshake_error(const tls_session &s, int ret) noexcept {
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return -EAGAIN;
    core::log_debug("tls fd {}: handshake failed, mbedTLS error -0x{:04x}, verify flags 0x{:x}",
                    s.owner->fd, -ret, s.verify_result);
    if (ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_NET_RECV_FAILED)
        return transport_errno(s);
    if (ret == MBEDTLS_ERR_SSL_TIMEOUT) return -ETIMEDOUT;
    if (is_alloc_failure(ret)) return -ENOMEM;
    // Verification failures, fatal alerts, malformed or unexpected messages, the peer closing
    // during the handshake: Zephyr reports all of them as ECONNABORTED (the reason is in
    // TLS_CERT_VERIFY_RESULT for certificate problems).
    return -ECONNABORTED;
}

int map_data_error(const tls_session &s, int ret) noexcept {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
        core::log_debug("tls fd {}: mbedTLS error -0x{:04x} during data transfer", s.owner->fd,
                        -ret);
    switch (ret) {
    case MBEDTLS_ERR_SSL_WANT_READ:
    case MBEDTLS_ERR_SSL_WANT_WRITE:
        return -EAGAIN;
    case MBEDTLS_ERR_NET_SEND_FAILED:
    case MBEDTLS_ERR_NET_RECV_FAILED:
        return transport_errno(s);
    case MBEDTLS_ERR_SSL_TIMEOUT:
        return -ETIMEDOUT;
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_INVALID_MAC:
    case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
    case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
    case MBEDTLS_ERR_SSL_COUNTER_WRAPPING:
    case MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED:
    case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
    // mbedTLS 2.28's answer to a record header announcing more than a record may hold.
    case MBEDTLS_ERR_SSL_BAD_INPUT_DATA:
        return -ECONNABORTED;
    default:
        break;
    }
    if (is_alloc_failure(ret)) return -ENOMEM;
    // The BAD_HS_ range: a handshake message where none belongs (renegotiation attempts).
    if (ret <= MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO && ret >= MBEDTLS_ERR_SSL_BAD_HS_FINISHED)
        return -ECONNABORTED;
    return -EIO;
}

} // namespace zsock::tls
