// tls/dtls.cpp - DTLS 1.2 over UDP transports (ZEPHYR_NOTES 3.7).
//
// Client (TLS_DTLS_ROLE_CLIENT, the default): connect() records the peer, connects the UDP
// transport (so the kernel filters other senders) and handshakes, or leaves the handshake to the
// first send/recv/poll when TLS_DTLS_HANDSHAKE_ON_CONNECT is 0. Retransmissions follow
// TLS_DTLS_HANDSHAKE_TIMEOUT_MIN/MAX through mbedTLS's timer callbacks.
//
// Server (TLS_DTLS_ROLE_SERVER): bind(), then recvfrom() or poll(). Datagrams are read here and
// handed to the session of their sender (one mbedTLS session per peer address); a ClientHello
// from a new address gets a stateless HelloVerifyRequest (cookie) first, and only a ClientHello
// with a valid cookie creates a session. Sessions silent for ZSOCK_TLS_DTLS_SESSION_TIMEOUT are
// dropped; sendto() reaches the session of its address (ENOTCONN for an unknown one).
//
// Datagram rules: one record per send (larger -> EMSGSIZE, sendmsg gathers its iovecs into one
// record), one record per recv (the rest of a longer record is dropped; MSG_TRUNC returns its
// real length).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>

#include "core/log.hpp"
#include "tls/tls_socket.hpp"

namespace zsock::tls {
namespace {

constexpr int send_flags_ok = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CONFIRM;
constexpr int recv_flags_ok = MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_NOSIGNAL | MSG_CMSG_CLOEXEC;
constexpr size_t max_datagram = 65536;

bool is_server(const tls_socket &t) {
    return t.opts.dtls_role == ZSOCK_TLS_DTLS_ROLE_SERVER;
}

bool same_peer(const sockaddr_storage &a, socklen_t al, const sockaddr *b, socklen_t bl) {
    if (!b || bl < sizeof(sa_family_t) || a.ss_family != b->sa_family) return false;
    if (b->sa_family == AF_INET && al >= sizeof(sockaddr_in) && bl >= sizeof(sockaddr_in)) {
        const auto &x = reinterpret_cast<const sockaddr_in &>(a);
        const auto *y = reinterpret_cast<const sockaddr_in *>(b);
        return x.sin_port == y->sin_port && x.sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (b->sa_family == AF_INET6 && al >= sizeof(sockaddr_in6) && bl >= sizeof(sockaddr_in6)) {
        const auto &x = reinterpret_cast<const sockaddr_in6 &>(a);
        const auto *y = reinterpret_cast<const sockaddr_in6 *>(b);
        return x.sin6_port == y->sin6_port &&
               std::memcmp(&x.sin6_addr, &y->sin6_addr, sizeof x.sin6_addr) == 0;
    }
    return false;
}

void put_addr(const tls_session &s, sockaddr *src, socklen_t *slen) {
    if (!src || !slen) return;
    std::memcpy(src, &s.peer, std::min<socklen_t>(*slen, s.peer_len));
    *slen = s.peer_len;
}

std::optional<std::chrono::milliseconds> no_wait() {
    return std::chrono::milliseconds(0);
}

// ---- reading one record ------------------------------------------------------------------------

// Reads the next application record of an established session into dst (at most n bytes; the rest
// of the record is dropped, or kept whole in s.peek with MSG_PEEK). Returns the record's length,
// -EAGAIN, -ENOTCONN after close_notify, or a failure (latched for a client). Needs t.mu.
ssize_t read_record(tls_socket &t, tls_session &s, unsigned char *dst, size_t n, bool peek) {
    if (!s.peek.empty()) {
        size_t full = s.peek.size();
        std::memcpy(dst, s.peek.data(), std::min(n, full));
        if (!peek) s.peek.clear();
        return static_cast<ssize_t>(full);
    }
    if (s.peer_closed) return -ENOTCONN;
    // The record goes to a scratch buffer first when it must be kept (peek) or may be longer than
    // the caller's buffer; mbedTLS would otherwise hand out its tail as the next "datagram".
    unsigned char scratch[16384 + 256];
    unsigned char *into = (peek || n < sizeof scratch) ? scratch : dst;
    size_t cap = into == scratch ? sizeof scratch : n;
    for (;;) {
        int r = mbedtls_ssl_read(&s.ssl, into, cap);
        if (r > 0) {
            size_t full = static_cast<size_t>(r);
            // A record longer than cap (only when the caller gave a huge buffer, so never here
            // in practice): drop what is left of it.
            unsigned char sink[1024];
            while (mbedtls_ssl_get_bytes_avail(&s.ssl) > 0) {
                int k = mbedtls_ssl_read(&s.ssl, sink, sizeof sink);
                if (k <= 0) break;
                full += static_cast<size_t>(k);
            }
            if (into == scratch) {
                std::memcpy(dst, scratch, std::min(n, static_cast<size_t>(r)));
                if (peek) s.peek.assign(scratch, scratch + r);
            }
            s.last_active = clock::now();
            return static_cast<ssize_t>(full);
        }
        if (r == 0) continue; // an empty record: not a datagram anyone sent to us
        if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            s.peer_closed = true;
            return -ENOTCONN;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return -EAGAIN;
        if (r == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) return -EAGAIN; // server: handled by dispatch
        return t.fail(s, -map_data_error(s, r));
    }
}

// Processes records of an established session without taking application data. Needs t.mu.
void process_records(tls_socket &t, tls_session &s) {
    unsigned char none = 0;
    for (int guard = 0; guard < 64 && !s.readable_now() && !s.peer_closed; ++guard) {
        int r = mbedtls_ssl_read(&s.ssl, &none, 0);
        if (r == 0) {
            if (mbedtls_ssl_get_bytes_avail(&s.ssl) > 0 || !mbedtls_ssl_check_pending(&s.ssl))
                return;
            continue;
        }
        if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            s.peer_closed = true;
            return;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return;
        t.fail(s, -map_data_error(s, r));
        return;
    }
}

// ---- client ----------------------------------------------------------------------------------

// Starts the handshake of a client whose peer is known. Needs t.mu.
int client_start(tls_socket &t, tls_session &s) {
    std::shared_ptr<const tls_conf> conf;
    int r = build_conf(
        t.opts, {MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, t.min_minor()}, &conf);
    if (r < 0) return r;
    if ((r = session_setup(t, s, std::move(conf), MBEDTLS_SSL_IS_CLIENT)) < 0) return r;
    s.ph = phase::handshaking;
    return 0;
}

// Brings a client to `established`, blocking when may_block. 0, -EAGAIN, -ENOTCONN, -errno.
int client_ready(tls_socket &t, bool may_block) {
    tls_session *s;
    {
        std::lock_guard lock(t.mu);
        if (t.error) return -t.error;
        if (!t.sess || !t.sess->peer_len) return -ENOTCONN;
        s = t.sess.get();
        if (s->ph == phase::established) return 0;
        if (s->ph == phase::idle) // TLS_DTLS_HANDSHAKE_ON_CONNECT 0: the first use starts it
            if (int r = client_start(t, *s); r < 0) return r;
    }
    int r = run_handshake(t, *s, may_block, t.deadline_for(wait_kind::handshake));
    if (r == -ETIMEDOUT) {
        std::lock_guard lock(t.mu);
        return t.fail(ETIMEDOUT);
    }
    return r;
}

// ---- server ----------------------------------------------------------------------------------

int server_conf(tls_socket &t) {
    if (t.listen_conf) return 0;
    return build_conf(t.opts,
                      {MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_DATAGRAM, t.min_minor()},
                      &t.listen_conf);
}

void drop_peer(tls_socket &t, size_t i, bool notify) {
    tls_session &s = *t.peers[i];
    if (notify && s.ph == phase::established && !s.peer_closed) mbedtls_ssl_close_notify(&s.ssl);
    if (t.current_peer == &s) t.current_peer = nullptr;
    t.peers.erase(t.peers.begin() + static_cast<std::ptrdiff_t>(i));
}

tls_session *find_peer(tls_socket &t, const sockaddr *a, socklen_t al) {
    for (auto &p : t.peers)
        if (same_peer(p->peer, p->peer_len, a, al)) return p.get();
    return nullptr;
}

// Drops silent sessions and runs expired retransmission timers. Needs t.mu.
void service_sessions(tls_socket &t) {
    const auto now = clock::now();
    const auto idle = std::chrono::milliseconds(t.opts.dtls_session_timeout_ms);
    for (size_t i = 0; i < t.peers.size();) {
        tls_session &s = *t.peers[i];
        if (t.opts.dtls_session_timeout_ms && now - s.last_active >= idle) {
            core::log_debug("dtls fd {}: dropping a silent session", t.fd);
            drop_peer(t, i, true);
            continue;
        }
        if (s.ph == phase::handshaking && s.timer.expiry() && now >= *s.timer.expiry()) {
            short want;
            int r = handshake_steps(t, s, &want); // resends the last flight, or gives up
            if (r < 0 && r != -EAGAIN) {
                drop_peer(t, i, false);
                continue;
            }
            if (r == 0) s.ph = phase::established;
        }
        ++i;
    }
}

// When the server must look at its sessions again without any datagram arriving.
deadline next_service(const tls_socket &t) {
    deadline d;
    for (const auto &p : t.peers) {
        if (p->ph == phase::handshaking) d = earliest(d, p->timer.expiry());
        if (t.opts.dtls_session_timeout_ms)
            d = earliest(d, p->last_active +
                                std::chrono::milliseconds(t.opts.dtls_session_timeout_ms));
    }
    return d;
}

// Hands one datagram from `from` to its session (creating one for a ClientHello with a valid
// cookie). Needs t.mu.
void dispatch(tls_socket &t, const unsigned char *data, size_t len, const sockaddr_storage &from,
              socklen_t from_len) {
    tls_session *s = find_peer(t, reinterpret_cast<const sockaddr *>(&from), from_len);
    if (!s) {
        // Only a handshake record (content type 22) may open a session.
        if (len < 13 || data[0] != 22) return;
        if (t.peers.size() >= ZSOCK_TLS_MAX_DTLS_PEERS) return;
        if (server_conf(t) < 0) return;
        auto fresh = std::make_unique<tls_session>(&t);
        std::memcpy(&fresh->peer, &from, from_len);
        fresh->peer_len = from_len;
        if (session_setup(t, *fresh, t.listen_conf, MBEDTLS_SSL_IS_SERVER) < 0) return;
        // The cookie binds the ClientHello to the sender's address.
        if (mbedtls_ssl_set_client_transport_id(
                &fresh->ssl, reinterpret_cast<const unsigned char *>(&from), from_len) != 0)
            return;
        fresh->ph = phase::handshaking;
        fresh->last_active = clock::now();
        t.peers.push_back(std::move(fresh));
        s = t.peers.back().get();
    }
    s->rx.assign(data, data + len);
    s->rx_len = len;
    s->rx_full = true;
    s->last_active = clock::now();
    auto index = [&] {
        for (size_t i = 0; i < t.peers.size(); ++i)
            if (t.peers[i].get() == s) return i;
        return t.peers.size();
    };
    if (s->ph == phase::handshaking) {
        short want;
        int r = handshake_steps(t, *s, &want);
        if (r == hello_verify_sent) { // stateless: forget it until it comes back with the cookie
            drop_peer(t, index(), false);
            return;
        }
        if (r < 0 && r != -EAGAIN) {
            core::log_debug("dtls fd {}: a peer's handshake failed ({})", t.fd, r);
            drop_peer(t, index(), false);
            return;
        }
        if (r == -EAGAIN) return;
    }
    process_records(t, *s);
    s->rx_full = false;
    if (s->peer_closed) drop_peer(t, index(), false); // s is gone after this
}

// Reads and dispatches datagrams until one gives a session application data, the transport is
// empty, or it fails. Returns 1 when some session is readable, -EAGAIN, or -errno. Needs t.mu.
int server_pump(tls_socket &t) {
    auto readable = [&] {
        for (auto &p : t.peers)
            if (p->ph == phase::established && p->readable_now()) return true;
        return false;
    };
    service_sessions(t);
    std::vector<unsigned char> buf(max_datagram);
    for (int i = 0; i < 64; ++i) {
        if (readable()) return 1;
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        ssize_t n = t.ivt->recvfrom(t.inner, buf.data(), buf.size(), MSG_DONTWAIT,
                                    reinterpret_cast<sockaddr *>(&from), &fl);
        if (n == -EAGAIN) return -EAGAIN;
        if (n < 0) return static_cast<int>(n);
        dispatch(t, buf.data(), static_cast<size_t>(n), from, fl);
    }
    return readable() ? 1 : -EAGAIN;
}

ssize_t server_recvfrom(tls_socket &t, void *buf, size_t len, int flags, sockaddr *src,
                        socklen_t *slen) {
    bool may_block;
    {
        std::lock_guard lock(t.mu);
        may_block = !t.nonblock && !(flags & MSG_DONTWAIT);
        if (int r = server_conf(t); r < 0) return r;
    }
    deadline d = may_block ? t.deadline_for(wait_kind::recv) : deadline_after(no_wait());
    for (;;) {
        deadline wake;
        {
            std::lock_guard lock(t.mu);
            int r = server_pump(t);
            if (r < 0 && r != -EAGAIN) return r;
            if (r == 1) {
                for (auto &p : t.peers) {
                    if (p->ph != phase::established || !p->readable_now()) continue;
                    ssize_t n = read_record(t, *p, static_cast<unsigned char *>(buf), len,
                                            flags & MSG_PEEK);
                    if (n < 0) continue;
                    t.current_peer = p.get();
                    put_addr(*p, src, slen);
                    return (flags & MSG_TRUNC) ? n : std::min(static_cast<ssize_t>(len), n);
                }
            }
            wake = next_service(t);
        }
        if (!may_block) return -EAGAIN;
        int w = wait_transport(t, POLLIN, earliest(d, wake));
        if (w == -ETIMEDOUT) {
            if (d && clock::now() >= *d) return -EAGAIN;
            continue;
        }
        if (w < 0) return w;
    }
}

ssize_t write_record(tls_socket &t, tls_session &s, const void *buf, size_t len) {
    int room = mbedtls_ssl_get_max_out_record_payload(&s.ssl);
    if (room > 0 && len > static_cast<size_t>(room)) return -EMSGSIZE;
    int w = mbedtls_ssl_write(&s.ssl, static_cast<const unsigned char *>(buf), len);
    if (w >= 0) return w;
    if (w == MBEDTLS_ERR_SSL_WANT_WRITE || w == MBEDTLS_ERR_SSL_WANT_READ) {
        // A datagram goes whole or not at all; a kernel send queue that is full drops nothing.
        if (ssl_out_pending(&s.ssl)) return static_cast<ssize_t>(len);
        return -EAGAIN;
    }
    if (w == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) return -EMSGSIZE;
    return t.fail(s, -map_data_error(s, w));
}

ssize_t server_sendto(tls_socket &t, const void *buf, size_t len, const sockaddr *dest,
                      socklen_t dlen) {
    std::lock_guard lock(t.mu);
    tls_session *s = dest ? find_peer(t, dest, dlen) : t.current_peer;
    if (!s) return dest ? -ENOTCONN : -EDESTADDRREQ;
    if (s->ph != phase::established || s->peer_closed) return -ENOTCONN;
    s->last_active = clock::now();
    return write_record(t, *s, buf, len);
}

} // namespace

int dtls_connect(tls_socket &t, const sockaddr *addr, socklen_t len) {
    if (is_server(t)) return -EOPNOTSUPP; // a DTLS server has no single peer
    if (!addr) return -EFAULT;
    if (len < sizeof(sa_family_t) || len > sizeof(sockaddr_storage)) return -EINVAL;
    {
        std::lock_guard lock(t.mu);
        if (t.sess && t.sess->ph == phase::established) return -EISCONN;
        if (t.sess && t.sess->ph == phase::handshaking) return -EALREADY;
    }
    if (int r = t.ivt->connect(t.inner, addr, len); r < 0) return r;
    bool nonblock;
    {
        std::lock_guard lock(t.mu);
        if (!t.sess) t.sess = std::make_unique<tls_session>(&t);
        std::memcpy(&t.sess->peer, addr, len);
        t.sess->peer_len = len;
        t.sess->ph = phase::idle;
        if (!t.opts.dtls_hs_on_connect) return 0;
        if (int r = client_start(t, *t.sess); r < 0) return r;
        nonblock = t.nonblock;
    }
    int r = client_ready(t, !nonblock);
    return r == -EAGAIN ? -EINPROGRESS : r;
}

ssize_t dtls_sendto(tls_socket &t, const void *buf, size_t len, int flags, const sockaddr *dest,
                    socklen_t dlen) {
    if (flags & ~send_flags_ok) return -EOPNOTSUPP;
    if (!buf && len) return -EFAULT;
    if (is_server(t)) return server_sendto(t, buf, len, dest, dlen);
    bool known;
    {
        std::lock_guard lock(t.mu);
        known = t.sess && t.sess->peer_len;
        if (known && dest && !same_peer(t.sess->peer, t.sess->peer_len, dest, dlen))
            return -EISCONN;
        if (!known && !dest) return -EDESTADDRREQ;
    }
    if (!known) { // sendto() on an unconnected client: that address becomes its peer
        int r = dtls_connect(t, dest, dlen);
        if (r < 0 && r != -EINPROGRESS) return r;
    }
    bool may_block = !t.nonblock && !(flags & MSG_DONTWAIT);
    if (int r = client_ready(t, may_block); r < 0) return r;
    deadline d = may_block ? t.deadline_for(wait_kind::send) : deadline_after(no_wait());
    for (;;) {
        {
            std::lock_guard lock(t.mu);
            if (t.error) return -t.error;
            tls_session &s = *t.sess;
            if (s.peer_closed) return -ENOTCONN;
            ssize_t r = write_record(t, s, buf, len);
            if (r != -EAGAIN) return r;
        }
        if (!may_block) return -EAGAIN;
        int w = wait_transport(t, POLLOUT, d);
        if (w == -ETIMEDOUT) return -EAGAIN;
        if (w < 0) return w;
    }
}

ssize_t dtls_recvfrom(tls_socket &t, void *buf, size_t len, int flags, sockaddr *src,
                      socklen_t *slen) {
    if (flags & ~recv_flags_ok) return -EOPNOTSUPP;
    if (!buf && len) return -EFAULT;
    if (is_server(t)) return server_recvfrom(t, buf, len, flags, src, slen);
    bool may_block = !t.nonblock && !(flags & MSG_DONTWAIT);
    if (int r = client_ready(t, may_block); r < 0) return r;
    deadline d = may_block ? t.deadline_for(wait_kind::recv) : deadline_after(no_wait());
    for (;;) {
        {
            std::lock_guard lock(t.mu);
            if (t.error) return -t.error;
            tls_session &s = *t.sess;
            ssize_t n = read_record(t, s, static_cast<unsigned char *>(buf), len, flags & MSG_PEEK);
            if (n >= 0) {
                put_addr(s, src, slen);
                return (flags & MSG_TRUNC) ? n : std::min(static_cast<ssize_t>(len), n);
            }
            if (n != -EAGAIN) return n;
        }
        if (!may_block) return -EAGAIN;
        int w = wait_transport(t, POLLIN, d);
        if (w == -ETIMEDOUT) return -EAGAIN;
        if (w < 0) return w;
    }
}

ssize_t dtls_sendmsg(tls_socket &t, const msghdr *msg, int flags) {
    if (msg->msg_iovlen > IOV_MAX) return -EMSGSIZE;
    if (msg->msg_iovlen && !msg->msg_iov) return -EFAULT;
    const auto *dest = static_cast<const sockaddr *>(msg->msg_name);
    const socklen_t dlen = dest ? msg->msg_namelen : 0;
    // One datagram is one record: gather the iovecs, and refuse what cannot fit in one.
    size_t total = 0, nonempty = 0;
    const iovec *only = nullptr;
    for (size_t i = 0; i < msg->msg_iovlen; ++i) {
        if (!msg->msg_iov[i].iov_len) continue;
        total += msg->msg_iov[i].iov_len;
        ++nonempty;
        only = &msg->msg_iov[i];
    }
    if (nonempty <= 1)
        return dtls_sendto(t, only ? only->iov_base : "", only ? only->iov_len : 0, flags, dest,
                           dlen);
    if (total > 16384) return -EMSGSIZE;
    std::vector<unsigned char> gathered;
    gathered.reserve(total);
    for (size_t i = 0; i < msg->msg_iovlen; ++i) {
        const auto *p = static_cast<const unsigned char *>(msg->msg_iov[i].iov_base);
        gathered.insert(gathered.end(), p, p + msg->msg_iov[i].iov_len);
    }
    return dtls_sendto(t, gathered.data(), gathered.size(), flags, dest, dlen);
}

namespace {

// update's logic, given the transport's events in the transport's own terms. Needs t.mu.
int dtls_update_locked(tls_socket &t, short events, short kr, short *revents) {
    if (t.error) {
        *revents = POLLERR;
        return 0;
    }
    if (is_server(t)) {
        short rev = static_cast<short>(kr & events & POLLOUT);
        if (kr & POLLIN) {
            int r = server_pump(t);
            if (r == 1 && (events & POLLIN)) rev |= POLLIN;
            if (r < 0 && r != -EAGAIN) rev |= POLLERR;
        }
        *revents = rev;
        return rev ? 0 : -EAGAIN;
    }
    if (!t.sess || !t.sess->peer_len) {
        *revents = kr;
        return 0;
    }
    tls_session &s = *t.sess;
    if (s.ph != phase::established) {
        short want;
        int r = advance(t, s, &want);
        if (r == -EAGAIN) return -EAGAIN;
        if (r < 0) {
            *revents = POLLERR;
            return 0;
        }
        *revents = static_cast<short>(events & POLLOUT);
        return *revents ? 0 : -EAGAIN;
    }
    if (kr & (POLLIN | POLLERR)) process_records(t, s);
    short rev = 0;
    if (t.error) rev |= POLLERR;
    if (s.peer_closed)
        rev |= POLLHUP;
    else if ((events & POLLIN) && s.readable_now())
        rev |= POLLIN;
    *revents = rev;
    return rev ? 0 : -EAGAIN;
}

// Asks the transport for kev: the kernel events to wait on, or (a user-space transport that is
// ready at once) the answer right away. Needs t.mu.
int dtls_ask(tls_socket &t, short events, short kev, short *kevents) {
    int r = transport_prepare(t, kev, kevents);
    if (r <= 0) return r;
    short rev = 0;
    if (dtls_update_locked(t, events, static_cast<short>(r), &rev) == 0 && rev) return rev;
    *kevents = kev; // nothing for the user in it: wait on the transport after all
    return 0;
}

} // namespace

int dtls_poll_prepare(tls_socket &t, short events, short *kevents) {
    std::lock_guard lock(t.mu);
    if (t.error) return POLLERR;
    if (is_server(t)) {
        if (server_conf(t) < 0) return POLLERR;
        service_sessions(t);
        if (events & POLLIN)
            for (auto &p : t.peers)
                if (p->ph == phase::established && p->readable_now()) return POLLIN;
        return dtls_ask(t, events, static_cast<short>(events & (POLLIN | POLLOUT)), kevents);
    }
    if (!t.sess || !t.sess->peer_len)
        return dtls_ask(t, events, static_cast<short>(events & (POLLIN | POLLOUT)), kevents);
    tls_session &s = *t.sess;
    if (s.ph == phase::idle)
        if (client_start(t, s) < 0) return POLLERR;
    short want = POLLIN;
    int r = advance(t, s, &want);
    if (r == -EAGAIN) return dtls_ask(t, events, want, kevents);
    if (r < 0) return POLLERR;
    if (s.peer_closed) return POLLHUP;
    short rev = 0;
    if ((events & POLLIN) && s.readable_now()) rev |= POLLIN;
    if (events & POLLOUT) rev |= POLLOUT; // a datagram socket is always writable
    if (rev) return rev;
    return dtls_ask(t, events, POLLIN, kevents);
}

deadline dtls_poll_deadline(tls_socket &t) {
    if (t.error) return std::nullopt;
    if (is_server(t)) return next_service(t); // what service_sessions() in prepare acts on
    // A client's handshake: prepare's advance() lets mbedTLS see its timer expire, and it resends
    // the last flight (or gives up with ETIMEDOUT). An established session runs no timer.
    if (t.sess && t.sess->ph == phase::handshaking) return t.sess->timer.expiry();
    return std::nullopt;
}

int dtls_poll_update(tls_socket &t, short events, short krevents, short *revents) {
    std::lock_guard lock(t.mu);
    if (t.error) {
        *revents = POLLERR;
        return 0;
    }
    short kr = 0;
    if (int r = transport_update(t, krevents, &kr); r < 0) return r;
    return dtls_update_locked(t, events, kr, revents);
}

} // namespace zsock::tls
