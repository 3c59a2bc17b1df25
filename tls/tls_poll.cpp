// tls/tls_poll.cpp - the readiness hooks of TLS stream sockets (ZEPHYR_NOTES 3.6).
//
// The two rules a plain "poll the transport" gets wrong:
//  - decrypted bytes already inside mbedTLS make the socket readable now, with an empty kernel
//    buffer (prepare answers ready-now);
//  - a readable transport that only carried non-application records (handshake messages, warning
//    alerts) is not readable (update processes the records with a zero-length read and answers
//    -EAGAIN, so zsock_poll waits again).
// poll also moves nonblocking handshakes on, flushes a record send() left half-written, and
// finishes a nonblocking shutdown() whose close_notify had to wait for the transport.
//
// A DTLS socket also reports when its timers need poll's next round (tls_poll_deadline): a
// handshake's retransmission, a server session's idle expiry.
//
// The hooks compose with the transport's: a transport with hooks of its own (sim0) is asked what
// to wait for and may be ready without a kernel event; its answer, in its own terms, is what the
// TLS rules above read (transport_prepare / transport_update).
#include <cerrno>
#include <poll.h>

#include "tls/tls_socket.hpp"

namespace zsock::tls {
namespace {

// Processes buffered/arriving records without consuming application data. Needs t.mu.
void process_records(tls_socket &t, tls_session &s) {
    unsigned char none = 0;
    for (int guard = 0; guard < 64 && !s.readable_now() && !s.peer_closed && !t.error; ++guard) {
        int r = mbedtls_ssl_read(&s.ssl, &none, 0);
        if (r == 0) {
            if (s.transport_eof && mbedtls_ssl_get_bytes_avail(&s.ssl) == 0) {
                if (ZSOCK_SSL_FIELD(&s.ssl, in_left) > 0)
                    t.fail(ECONNABORTED);
                else
                    s.peer_closed = true;
                return;
            }
            if (!mbedtls_ssl_check_pending(&s.ssl)) return;
            continue;
        }
        if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            s.peer_closed = true;
            return;
        }
        if (r == MBEDTLS_ERR_SSL_CONN_EOF) {
            if (ZSOCK_SSL_FIELD(&s.ssl, in_left) > 0)
                t.fail(ECONNABORTED);
            else
                s.peer_closed = true;
            return;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return;
        t.fail(-map_data_error(s, r));
        return;
    }
}

// The answer for an established session from what mbedTLS holds. Needs t.mu.
short ready_events(tls_socket &t, tls_session &s, short events) {
    if (t.error) return POLLERR;
    short rev = 0;
    if (s.peer_closed)
        rev |= POLLHUP | (events & POLLIN); // POLLIN too: recv() returns 0
    else if ((events & POLLIN) && s.readable_now())
        rev |= POLLIN;
    return rev;
}

short transport_events(tls_session &s, short events) {
    short kev = 0;
    if (events & POLLIN) kev |= POLLIN;
    if ((events & POLLOUT) || ssl_out_pending(&s.ssl)) kev |= POLLOUT;
    return kev;
}

// update's logic, given the transport's events in the transport's own terms. Needs t.mu.
int update_locked(tls_socket &t, short events, short kr, short *revents) {
    if (t.listening || !t.sess || t.sess->ph == phase::idle) {
        *revents = t.error ? POLLERR : kr;
        return 0;
    }
    tls_session &s = *t.sess;
    if (s.ph != phase::established) {
        if (!kr) return -EAGAIN;
        short want = POLLIN;
        int r = advance(t, s, &want);
        if (r == -EAGAIN) return -EAGAIN;
        if (r < 0) {
            // A failed nonblocking connect looks like Linux's: writable, with an error.
            *revents = static_cast<short>(POLLERR | (events & POLLOUT) |
                                          (t.error == ECONNREFUSED ? POLLHUP : 0));
            return 0;
        }
        // Established just now: report from the fresh state (POLLOUT comes with the next wait).
    }
    if (ssl_out_pending(&s.ssl) && (kr & (POLLOUT | POLLERR | POLLHUP))) flush_pending(s);
    finish_pending_shutdown(t);
    if ((kr & (POLLIN | POLLHUP | POLLERR)) && !s.readable_now()) process_records(t, s);
    short rev = ready_events(t, s, events);
    if ((events & POLLOUT) && (kr & POLLOUT) && !ssl_out_pending(&s.ssl) && !s.peer_closed &&
        !t.error)
        rev |= POLLOUT;
    if (kr & POLLERR) rev |= POLLERR;
    *revents = rev;
    return rev ? 0 : -EAGAIN;
}

// Asks the transport for kev: the kernel events to wait on, or (an offloaded transport that is
// ready at once) the answer right away. Needs t.mu.
int ask_transport(tls_socket &t, short events, short kev, short *kevents) {
    int r = transport_prepare(t, kev, kevents);
    if (r <= 0) return r;
    short rev = 0;
    if (update_locked(t, events, static_cast<short>(r), &rev) == 0 && rev) return rev;
    // Nothing for the user in it: wait on the transport after all.
    *kevents = kev;
    return 0;
}

} // namespace

int transport_prepare(tls_socket &t, short kev, short *kevents) {
    t.last_kev = kev; // update hands it back to the transport
    if (t.ivt->poll.prepare) return t.ivt->poll.prepare(t.inner, kev, kevents);
    *kevents = kev;
    return 0;
}

int transport_update(tls_socket &t, short krevents, short *revents) {
    if (t.ivt->poll.update) return t.ivt->poll.update(t.inner, t.last_kev, krevents, revents);
    *revents = krevents;
    return 0;
}

int tls_poll_prepare(void *obj, short events, short *kevents) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return dtls_poll_prepare(t, events, kevents);
    std::lock_guard lock(t.mu);
    if (t.listening || !t.sess || t.sess->ph == phase::idle) {
        if (t.error) return POLLERR;
        return transport_prepare(t, events, kevents);
    }
    tls_session &s = *t.sess;
    short want = POLLIN;
    int r = advance(t, s, &want);
    if (r == -EAGAIN) return ask_transport(t, events, want, kevents);
    if (r < 0) return POLLERR;
    if (mbedtls_ssl_check_pending(&s.ssl) && !s.readable_now()) process_records(t, s);
    finish_pending_shutdown(t);
    if (short rev = ready_events(t, s, events)) return rev;
    return ask_transport(t, events, transport_events(s, events), kevents);
}

int tls_poll_update(void *obj, short events, short krevents, short *revents) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return dtls_poll_update(t, events, krevents, revents);
    std::lock_guard lock(t.mu);
    short kr = 0;
    if (int r = transport_update(t, krevents, &kr); r < 0) return r;
    return update_locked(t, events, kr, revents);
}

int tls_poll_deadline(void *obj, int64_t *monotonic_ns) {
    auto &t = *static_cast<tls_socket *>(obj);
    // A TLS stream has no timer of its own: no lock for it on poll's path (the transport and its
    // vtable are fixed when the socket is made).
    if (!t.is_dtls() && !t.ivt->poll.deadline) return 0;
    std::lock_guard lock(t.mu);
    deadline d = t.is_dtls() ? dtls_poll_deadline(t) : std::nullopt;
    int64_t inner = 0;
    if (t.ivt->poll.deadline && t.ivt->poll.deadline(t.inner, &inner) > 0)
        d = earliest(d, clock::time_point(std::chrono::nanoseconds(inner)));
    if (!d) return 0;
    // steady_clock counts CLOCK_MONOTONIC on Linux, the clock of the hook's contract.
    *monotonic_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(d->time_since_epoch()).count();
    return 1;
}

} // namespace zsock::tls
