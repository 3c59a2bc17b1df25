// tls/tls_io.cpp - the transport side of a TLS socket: mbedTLS's BIO callbacks, the DTLS timer,
// waiting for the transport, and the mbedTLS error -> errno mapping (ZEPHYR_NOTES 3.9).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/eventfd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>

#include "core/log.hpp"
#include "core/sys.hpp"
#include "net/native_socket.hpp"
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

bool tls_socket::transport_wakes_descriptor() const noexcept {
    return ivt == &net::native_vtable;
}

int tls_socket::wake_source() noexcept {
    if (transport_wakes_descriptor()) return -1;
    int w = wake_fd.load(std::memory_order_seq_cst);
    if (w >= 0) return w;
    long e = sys::eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e < 0) {
        core::log_debug("tls fd {}: no wake eventfd ({}); waits check for close() in slices", fd,
                        e);
        return -1;
    }
    int expected = -1;
    if (wake_fd.compare_exchange_strong(expected, static_cast<int>(e), std::memory_order_seq_cst))
        return static_cast<int>(e);
    sys::close(static_cast<int>(e)); // another thread's wait made it first
    return expected;
}

void tls_socket::wake_all() noexcept {
    // Sequentially consistent with wake_source(): either a wait that made the eventfd sees
    // `closing` before it sleeps, or this sees the eventfd and wakes it.
    closing.store(true, std::memory_order_seq_cst);
    int w = wake_fd.load(std::memory_order_seq_cst);
    if (w >= 0) {
        uint64_t one = 1;
        sys::write(w, &one, sizeof one);
    }
}

namespace {

/// How long one kernel wait may last when close() cannot wake it (no eventfd could be made).
constexpr auto close_check_slice = std::chrono::milliseconds(50);

bool closing(const tls_socket &t, const tls_socket *also) noexcept {
    return t.closing.load(std::memory_order_seq_cst) ||
           (also && also->closing.load(std::memory_order_seq_cst));
}

} // namespace

int wait_transport(tls_socket &t, short events, deadline d, tls_socket *also) noexcept {
    // What tells this wait that close() started, besides the flags: for a native transport its
    // own descriptor (shut down by its WAKE_BLOCKED; a shut-down listener reports POLLHUP, so
    // `also` is watched with no events), else the socket's wake eventfd. Both are made before
    // the flags are first read (see wake_all).
    const int wake = t.wake_source();
    bool sliced = wake < 0 && !t.transport_wakes_descriptor();
    pollfd also_pfd{-1, 0, 0};
    if (also) {
        if (also->transport_wakes_descriptor()) {
            also_pfd.fd = also->fd;
        } else {
            also_pfd = {also->wake_source(), POLLIN, 0};
            sliced = sliced || also_pfd.fd < 0;
        }
    }
    for (;;) {
        if (closing(t, also)) return -EINTR;
        short kev = events;
        if (t.ivt->poll.prepare) {
            // A user-space transport: it may be ready without any kernel event, and it says
            // which events its descriptor will carry.
            int r = t.ivt->poll.prepare(t.inner, events, &kev);
            if (r > 0) return 0;
            if (r < 0) return r;
        }
        pollfd pfd[3] = {{t.fd, kev, 0}};
        nfds_t n = 1;
        if (wake >= 0) pfd[n++] = {wake, POLLIN, 0};
        if (also_pfd.fd >= 0) pfd[n++] = also_pfd;
        deadline until = d;
        if (sliced) until = earliest(d, clock::now() + close_check_slice);
        timespec ts{};
        timespec *tsp = nullptr;
        if (until) {
            auto left = *until - clock::now();
            if (left <= clock::duration::zero()) {
                if (d && clock::now() >= *d) return -ETIMEDOUT;
                left = clock::duration::zero();
            }
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            ts.tv_sec = static_cast<time_t>(ns / 1000000000);
            ts.tv_nsec = static_cast<long>(ns % 1000000000);
            tsp = &ts;
        }
        long k = sys::ppoll(pfd, n, tsp);
        if (k == -EINTR) continue; // a signal: wait again for what is left
        if (k < 0) return static_cast<int>(k);
        if (closing(t, also)) return -EINTR;
        if (k == 0) continue; // the loop top reports the deadline
        for (nfds_t i = 1; i < n; ++i)
            if (pfd[i].revents) return -EINTR; // a wake-up, or the listener shut down
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
    // mbedTLS 2.28's answer to a record header announcing more than a record may hold.
    case MBEDTLS_ERR_SSL_BAD_INPUT_DATA:
        return -ECONNABORTED;
    default:
        break;
    }
    if (is_alloc_failure(ret)) return -ENOMEM;
    // A handshake message where none belongs (renegotiation attempts), a bad version.
    if (is_bad_handshake_message(ret)) return -ECONNABORTED;
    return -EIO;
}

} // namespace zsock::tls
