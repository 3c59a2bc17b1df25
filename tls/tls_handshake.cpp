// tls/tls_handshake.cpp - connect, listen, accept, and driving a session to `established`.
//
// Blocking sockets run the whole handshake inside connect()/accept(), bounded by
// ZSOCK_TLS_HANDSHAKE_TIMEOUT. Nonblocking sockets return EINPROGRESS from connect() (and accept()
// returns the new socket at once); the handshake then moves on in every later send, recv and poll,
// which answer EAGAIN (or wait) until it is done.
#include <cerrno>
#include <cstring>
#include <poll.h>

#include "core/fd_ops.hpp"
#include "tls/session_cache.hpp"
#include "tls/tls_socket.hpp"

namespace zsock::tls {

int handshake_steps(tls_socket &t, tls_session &s, short *want) {
    s.hs_attempted = true;
    while (!ssl_handshake_over(&s.ssl)) {
        int before = ssl_state(&s.ssl);
        int r = mbedtls_ssl_handshake_step(&s.ssl);
        // A resumed session skips from ServerHello straight to ChangeCipherSpec, on both sides:
        // this is the only trace of resumption mbedTLS 2.28 leaves in public state.
        if (before == MBEDTLS_SSL_SERVER_HELLO &&
            ssl_state(&s.ssl) == MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC)
            s.resumed = true;
        if (r == 0) continue;
        if (r == MBEDTLS_ERR_SSL_WANT_READ) {
            *want = static_cast<short>(POLLIN | (ssl_out_pending(&s.ssl) ? POLLOUT : 0));
            return -EAGAIN;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            *want = POLLOUT;
            return -EAGAIN;
        }
        s.verify_result = mbedtls_ssl_get_verify_result(&s.ssl);
        if (r == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) return hello_verify_sent;
        return t.fail(s, -map_handshake_error(s, r));
    }
    s.ph = phase::established;
    s.hs_done_once = true;
    s.verify_result = mbedtls_ssl_get_verify_result(&s.ssl);
    if (!t.is_server && t.opts.session_cache == ZSOCK_TLS_SESSION_CACHE_ENABLED && s.peer_len)
        client_cache_save(s.peer, s.peer_len, &s.ssl);
    return 0;
}

tls_session::~tls_session() {
    if (ssl_ready) mbedtls_ssl_free(&ssl);
}

bool tls_session::readable_now() const noexcept {
    if (peek_avail() > 0) return true;
    return ssl_ready && ph == phase::established && mbedtls_ssl_get_bytes_avail(&ssl) > 0;
}

int session_setup(tls_socket &t, tls_session &s, std::shared_ptr<const tls_conf> conf,
                  int endpoint) {
    if (s.ssl_ready) mbedtls_ssl_free(&s.ssl);
    mbedtls_ssl_init(&s.ssl);
    s.ssl_ready = true;
    s.conf = std::move(conf);
    s.peer_closed = s.transport_eof = s.close_notify_sent = s.resumed = false;
    s.hs_attempted = s.hs_done_once = false;
    s.io_error = 0;
    s.verify_result = 0;
    s.peek.clear();
    s.peek_off = 0;
    if (int r = mbedtls_ssl_setup(&s.ssl, &s.conf->conf); r != 0)
        return r == MBEDTLS_ERR_SSL_ALLOC_FAILED ? -ENOMEM : -EINVAL;
    if (endpoint == MBEDTLS_SSL_IS_CLIENT && t.opts.hostname_set && !t.opts.hostname.empty()) {
        if (mbedtls_ssl_set_hostname(&s.ssl, t.opts.hostname.c_str()) != 0) return -EINVAL;
    }
    if (t.is_dtls() && endpoint == MBEDTLS_SSL_IS_SERVER) {
        mbedtls_ssl_set_bio(&s.ssl, &s, bio_send_to_peer, bio_recv_stored, nullptr);
    } else {
        mbedtls_ssl_set_bio(&s.ssl, &s, bio_send, bio_recv, nullptr);
    }
    if (t.is_dtls()) mbedtls_ssl_set_timer_cb(&s.ssl, &s, timer_set, timer_get);
    if (endpoint == MBEDTLS_SSL_IS_CLIENT &&
        t.opts.session_cache == ZSOCK_TLS_SESSION_CACHE_ENABLED && s.peer_len)
        client_cache_load(s.peer, s.peer_len, &s.ssl);
    return 0;
}

int advance(tls_socket &t, tls_session &s, short *want) {
    if (t.error) return -t.error;
    switch (s.ph) {
    case phase::idle:
        return -ENOTCONN;
    case phase::connecting: {
        // Asking the transport to connect again is how its progress is read: 0 (or EISCONN) once
        // connected, EALREADY while pending, the failure (ECONNREFUSED...) once it failed.
        int r = t.ivt->connect(t.inner, reinterpret_cast<const sockaddr *>(&s.peer), s.peer_len);
        if (r == -EALREADY || r == -EINPROGRESS) {
            *want = POLLOUT;
            return -EAGAIN;
        }
        if (r < 0 && r != -EISCONN) return t.fail(-r);
        s.ph = phase::handshaking;
        [[fallthrough]];
    }
    case phase::handshaking:
        return handshake_steps(t, s, want);
    case phase::established:
        return 0;
    }
    return -EINVAL;
}

int run_handshake(tls_socket &t, tls_session &s, bool may_block, deadline d, tls_socket *also) {
    for (;;) {
        short want = POLLIN;
        deadline wd = d;
        {
            std::lock_guard lock(t.mu);
            int r = advance(t, s, &want);
            if (r != -EAGAIN) return r;
            if (t.is_dtls()) wd = earliest(d, s.timer.expiry());
        }
        if (!may_block) return -EAGAIN;
        int w = wait_transport(t, want, wd, also);
        if (w == -ETIMEDOUT) {
            if (d && clock::now() >= *d) return -ETIMEDOUT;
            continue; // the DTLS retransmission timer fired: the next step resends
        }
        if (w < 0) return w;
    }
}

int flush_pending(tls_session &s) {
    if (!ssl_out_pending(&s.ssl)) return 0;
    // With output pending, a zero-length write only flushes it (it builds no record).
    static const unsigned char none = 0;
    int r = mbedtls_ssl_write(&s.ssl, &none, 0);
    if (r >= 0) return ssl_out_pending(&s.ssl) ? -EAGAIN : 0;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) return -EAGAIN;
    return s.owner->fail(s, -map_data_error(s, r));
}

int close_notify_step(tls_session &s) {
    if (!s.ssl_ready || s.ph != phase::established || s.owner->error) return 0;
    if (ssl_out_pending(&s.ssl)) {
        // What an earlier record left unsent goes first. mbedtls_ssl_close_notify() must not see
        // it: with output pending it only flushes, reports success, and never writes the alert.
        if (int r = flush_pending(s); r < 0) return r;
    }
    if (s.close_notify_sent) return 0;
    s.close_notify_sent = true;
    int r = mbedtls_ssl_close_notify(&s.ssl);
    if (r == 0 || r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ)
        return ssl_out_pending(&s.ssl) ? -EAGAIN : 0;
    return map_data_error(s, r);
}

void finish_pending_shutdown(tls_socket &t) {
    if (t.shut_pending < 0 || !t.sess) return;
    if (close_notify_step(*t.sess) == -EAGAIN) return;
    const int how = t.shut_pending;
    t.shut_pending = -1;
    if (t.ivt->shutdown) t.ivt->shutdown(t.inner, how);
}

void send_close_notify(tls_socket &t, tls_session &s, deadline d) {
    for (;;) {
        int r;
        {
            std::lock_guard lock(t.mu);
            r = close_notify_step(s);
        }
        if (r != -EAGAIN) return;
        if (wait_transport(t, POLLOUT, d) < 0) return;
    }
}

int tls_connect(void *obj, const sockaddr *addr, socklen_t len) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return dtls_connect(t, addr, len);
    if (!addr) return -EFAULT;
    if (len < sizeof(sa_family_t) || len > sizeof(sockaddr_storage)) return -EINVAL;
    tls_session *s;
    {
        std::lock_guard lock(t.mu);
        if (t.listening) return -EISCONN;
        if (t.sess && t.sess->ph != phase::idle) {
            if (t.error) return -t.error;
            if (t.sess->ph != phase::established) return -EALREADY;
            if (!t.connect_reported) { // Linux: the first connect() after completion returns 0
                t.connect_reported = true;
                return 0;
            }
            return -EISCONN;
        }
        if (t.error) return -t.error;
        std::shared_ptr<const tls_conf> conf;
        int r = build_conf(
            t.opts, {MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, t.min_minor()}, &conf);
        if (r < 0) return r;
        if (!t.sess) t.sess = std::make_unique<tls_session>(&t);
        s = t.sess.get();
        std::memcpy(&s->peer, addr, len);
        s->peer_len = len;
        if ((r = session_setup(t, *s, std::move(conf), MBEDTLS_SSL_IS_CLIENT)) < 0) return r;
        s->ph = phase::connecting;
    }
    // The transport connect blocks or not as the socket does; no lock is held meanwhile.
    int r = t.ivt->connect(t.inner, addr, len);
    bool nonblock;
    {
        std::lock_guard lock(t.mu);
        nonblock = t.nonblock;
        if (r == -EINPROGRESS) {
            short want;
            advance(t, *s, &want); // nothing to do yet unless the connect completed meanwhile
            return -EINPROGRESS;
        }
        if (r < 0) {
            s->ph = phase::idle; // the transport may be connected again, like a kernel socket
            return r;
        }
        s->ph = phase::handshaking;
        if (nonblock) {
            short want;
            int a = advance(t, *s, &want); // sends the ClientHello
            return a == -EAGAIN ? -EINPROGRESS : a;
        }
    }
    int h = run_handshake(t, *s, true, t.deadline_for(wait_kind::handshake));
    std::lock_guard lock(t.mu);
    if (h == 0) {
        t.connect_reported = true;
        return 0;
    }
    if (h == -ETIMEDOUT && !t.error) t.fail(ETIMEDOUT);
    return h;
}

int tls_listen(void *obj, int backlog) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls()) return t.ivt->listen ? t.ivt->listen(t.inner, backlog) : -EOPNOTSUPP;
    {
        std::lock_guard lock(t.mu);
        if (t.sess && t.sess->ph != phase::idle)
            return -EINVAL; // Linux: listen on a connected TCP socket
        if (!t.listen_conf) {
            std::shared_ptr<const tls_conf> conf;
            int r = build_conf(t.opts,
                               {MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, t.min_minor()},
                               &conf);
            if (r < 0) return r;
            t.listen_conf = std::move(conf);
        }
    }
    int r = t.ivt->listen ? t.ivt->listen(t.inner, backlog) : -EOPNOTSUPP;
    if (r == 0) {
        std::lock_guard lock(t.mu);
        t.listening = true;
        t.is_server = true;
    }
    return r;
}

int tls_accept(void *obj, sockaddr *addr, socklen_t *len, int flags) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (t.is_dtls() || !t.ivt->accept) return -EOPNOTSUPP;
    std::shared_ptr<const tls_conf> conf;
    bool listener_nonblock;
    {
        std::lock_guard lock(t.mu);
        if (!t.listening) return -EINVAL;
        if (!t.listen_conf) { // options changed since listen()
            int r = build_conf(t.opts,
                               {MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, t.min_minor()},
                               &t.listen_conf);
            if (r < 0) return r;
        }
        conf = t.listen_conf;
        listener_nonblock = t.nonblock;
    }
    int cfd = t.ivt->accept(t.inner, addr, len, flags);
    if (cfd < 0) return cfd;
    int err = 0;
    tls_socket *c = wrap_transport(cfd, t.family, t.type, t.proto, &err);
    if (!c) return err;
    {
        std::scoped_lock lock(t.mu, c->mu);
        c->opts = t.opts;
        c->opts.set_alpn(t.opts.alpn); // the pointers must point into the child's own copies
        c->rcvtimeo = t.rcvtimeo;
        c->sndtimeo = t.sndtimeo;
        c->nonblock = (flags & SOCK_NONBLOCK) != 0;
        c->is_server = true;
        c->sess = std::make_unique<tls_session>(c);
        if (int r = session_setup(*c, *c->sess, conf, MBEDTLS_SSL_IS_SERVER); r < 0) err = r;
        c->sess->ph = phase::handshaking;
    }
    if (err < 0) {
        core::fd_close_any(cfd);
        return err;
    }
    if (listener_nonblock) {
        // An event loop must not stall on one client: hand the socket out now; its handshake
        // continues in its own recv/send/poll calls.
        std::lock_guard lock(c->mu);
        short want;
        advance(*c, *c->sess, &want);
        return cfd;
    }
    // Closing the listener meanwhile (another thread) ends this handshake too: EINTR.
    int h = run_handshake(*c, *c->sess, true, c->deadline_for(wait_kind::handshake), &t);
    if (h < 0) {
        core::fd_close_any(cfd); // Zephyr: a failed server handshake closes the connection
        return h;
    }
    return cfd;
}

} // namespace zsock::tls
