// net/simnet/stream.cpp - TCP-like streams: connect, listen, accept, send, recv, shutdown, close.
//
// A connection is two sim_sockets pointing at each other (`conn`); a send copies bytes straight
// into the peer's receive buffer, bounded by the peer's SO_RCVBUF (that is the window: a full one
// makes send short, EAGAIN or blocking). Everything below runs under the network's mutex.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "net/simnet/sim.hpp"

namespace zsock::simnet {
namespace {

size_t rx_space(const sim_socket &p) {
    return p.rcvbuf > p.rx.size() ? p.rcvbuf - p.rx.size() : 0;
}

/// Copies bytes [offset, offset+max) of the iovecs into q; returns how many.
size_t iov_to_queue(byte_queue &q, const iovec *iov, size_t n, size_t offset, size_t max) {
    size_t done = 0;
    for (size_t i = 0; i < n && done < max; ++i) {
        size_t l = iov[i].iov_len;
        if (offset >= l) {
            offset -= l;
            continue;
        }
        size_t take = std::min(l - offset, max - done);
        q.push(static_cast<const char *>(iov[i].iov_base) + offset, take);
        done += take;
        offset = 0;
    }
    return done;
}

/// Copies the head of q into the iovecs from byte `offset` on; returns how many.
size_t queue_to_iov(const byte_queue &q, const iovec *iov, size_t n, size_t offset) {
    size_t done = 0;
    for (size_t i = 0; i < n; ++i) {
        size_t l = iov[i].iov_len;
        if (offset >= l) {
            offset -= l;
            continue;
        }
        size_t got = q.peek(static_cast<char *>(iov[i].iov_base) + offset, l - offset, done);
        done += got;
        if (got < l - offset) break;
        offset = 0;
    }
    return done;
}

/// The peer of p reset the connection (a close with unread data, SO_LINGER 0, a listener gone).
void reset_conn(sim_socket &p) {
    p.conn = nullptr;
    p.st = stream_state::fresh;
    p.dead = true;
    p.has_peer = false;
    p.so_error = ECONNRESET;
    kick(p);
}

/// Makes the server side of a connection from c to `to` and queues it on listener l.
int establish(sim_socket &l, sim_socket &c, const endpoint &to) {
    sim_socket *srv = make_socket(l.family, SOCK_STREAM, l.proto);
    if (!srv) return -ENOMEM;
    try {
        net().bound.push_back(srv);
        srv->bound = true; // holds the listener's port
        l.accept_q.push_back(srv);
    } catch (...) {
        destroy(srv);
        return -ENOMEM;
    }
    // Accepted sockets inherit the listener's options, as in Linux (not O_NONBLOCK).
    srv->reuseaddr = l.reuseaddr;
    srv->reuseport = l.reuseport;
    srv->keepalive = l.keepalive;
    srv->nodelay = l.nodelay;
    srv->keepidle = l.keepidle;
    srv->keepintvl = l.keepintvl;
    srv->keepcnt = l.keepcnt;
    srv->tos = l.tos;
    srv->ttl = l.ttl;
    srv->rcvbuf = l.rcvbuf;
    srv->sndbuf = l.sndbuf;
    srv->lingerv = l.lingerv;
    std::memcpy(srv->device, l.device, sizeof srv->device);
    srv->local = l.local.is_any() ? to : l.local;
    srv->local.port = l.local.port;
    srv->st = stream_state::connected;
    srv->has_peer = true;
    srv->peer = c.local;
    srv->conn = &c;
    c.st = stream_state::connected;
    c.has_peer = true;
    c.peer = srv->local;
    c.conn = srv;
    kick(l);
    kick(c);
    return 0;
}

/// Moves waiting clients into the accept queue while it has room (backlog + 1, as Linux).
void promote(sim_socket &l) {
    while (!l.syn_q.empty() && l.accept_q.size() <= static_cast<size_t>(l.backlog)) {
        sim_socket *c = l.syn_q.front();
        l.syn_q.pop_front();
        c->listener = nullptr;
        endpoint to = c->peer;
        if (establish(l, *c, to) < 0) {
            c->st = stream_state::fresh;
            c->dead = true;
            c->so_error = ENOMEM;
            kick(*c);
            continue;
        }
        c->connect_report = true; // a nonblocking connect() sees 0 once, then EISCONN
    }
}

void stop_listening(sim_socket &l) {
    for (sim_socket *c : l.syn_q) {
        c->listener = nullptr;
        c->st = stream_state::fresh;
        c->dead = true;
        c->so_error = ECONNREFUSED;
        kick(*c);
    }
    l.syn_q.clear();
    for (sim_socket *srv : l.accept_q) {
        if (srv->conn) reset_conn(*srv->conn);
        srv->conn = nullptr;
        destroy(srv);
    }
    l.accept_q.clear();
    l.st = stream_state::fresh;
    // A fresh socket polls POLLOUT|POLLHUP. The levels cannot say POLLHUP and be undone, so
    // they are spent (shut both ways, which wakes every waiter) and renewed on reuse.
    l.lv_spent = true;
    kick(l);
}

void leave_syn_q(sim_socket &c) {
    if (!c.listener) return;
    auto &q = c.listener->syn_q;
    for (auto it = q.begin(); it != q.end(); ++it) {
        if (*it == &c) {
            q.erase(it);
            break;
        }
    }
    c.listener = nullptr;
}

/// A socket whose last connection died is fresh again: new levels, empty buffers.
int revive(sim_socket &s) {
    if (!s.dead && !s.lv_spent) return 0;
    if (s.lv.is_open())
        if (int r = s.lv.renew(); r < 0) return r;
    s.dead = s.lv_spent = false;
    s.so_error = 0;
    s.rx.clear();
    s.rx_eof = s.rd_shut = s.wr_shut = false;
    return 0;
}

int take_error(sim_socket &s) {
    int e = s.so_error;
    s.so_error = 0;
    sync(s);
    return -e;
}

} // namespace

bool stream_writable(const sim_socket &s) noexcept {
    switch (s.st) {
    case stream_state::fresh:
        return true;
    case stream_state::listening:
    case stream_state::connecting:
        return false;
    case stream_state::connected:
        break;
    }
    if (s.wr_shut || !s.conn) return true; // a send fails at once: not a wait
    size_t space = rx_space(*s.conn);
    return space > 0 && space >= s.conn->rcvbuf / 4;
}

int stream_connect(sim_socket &s, lock &lk, const endpoint &to) noexcept {
    switch (s.st) {
    case stream_state::connected:
        if (s.connect_report) {
            s.connect_report = false;
            return 0;
        }
        return -EISCONN;
    case stream_state::connecting:
        return -EALREADY;
    case stream_state::listening:
        return -EISCONN;
    case stream_state::fresh:
        break;
    }
    if (int r = revive(s); r < 0) return r;
    endpoint dst = to;
    if (dst.is_any()) { // as in Linux, the wildcard means this host
        uint16_t port = dst.port;
        dst = loopback_endpoint(s.family);
        dst.port = port;
    }
    if (!is_local(dst)) return -ENETUNREACH;
    bool auto_bound = false;
    if (!s.bound) {
        int r = port_bind(s, loopback_endpoint(s.family), true);
        if (r < 0) return r == -EADDRINUSE ? -EADDRNOTAVAIL : r;
        auto_bound = true;
    } else if (s.local.is_any()) {
        uint16_t port = s.local.port;
        s.local = loopback_endpoint(s.family);
        s.local.port = port;
    }
    sim_socket *l = find_listener(s.family, dst);
    if (!l) {
        if (auto_bound) port_unbind(s);
        s.dead = true; // as after a RST: both sides shut until the next connect
        sync(s);
        return -ECONNREFUSED;
    }
    s.connect_report = false;
    if (l->accept_q.size() <= static_cast<size_t>(l->backlog)) return establish(*l, s, dst);

    // The accept queue is full: wait in line, as a SYN that Linux keeps retrying.
    try {
        l->syn_q.push_back(&s);
    } catch (...) {
        return -ENOMEM;
    }
    s.st = stream_state::connecting;
    s.peer = dst;
    s.listener = l;
    sync(s);
    if (s.nonblock) return -EINPROGRESS;
    int r = wait_until(lk, s, deadline_of(s.sndtimeo),
                       [&] { return s.st != stream_state::connecting; });
    if (r == -EAGAIN) return -EINPROGRESS; // SO_SNDTIMEO ran out: Linux's answer too
    if (r < 0) return r;
    if (s.st == stream_state::connected) {
        s.connect_report = false;
        return 0;
    }
    return take_error(s);
}

int stream_listen(sim_socket &s, int backlog) noexcept {
    if (s.st == stream_state::connected || s.st == stream_state::connecting) return -EINVAL;
    if (int r = revive(s); r < 0) return r;
    if (!s.bound)
        if (int r = port_bind(s, any_endpoint(s.family), true); r < 0) return r;
    if (s.st != stream_state::listening && port_listen_conflict(s)) return -EADDRINUSE;
    constexpr int somaxconn = 4096;
    s.backlog = (backlog < 0 || backlog > somaxconn) ? somaxconn : backlog;
    s.st = stream_state::listening;
    promote(s);
    kick(s);
    return 0;
}

int stream_accept(sim_socket &s, lock &lk, sockaddr *addr, socklen_t *addrlen, int flags) noexcept {
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    if (s.st != stream_state::listening) return -EINVAL;
    // Checked before a connection is taken, so a bad argument never drops one.
    if (addr && !addrlen) return -EFAULT;
    if (addrlen && static_cast<int>(*addrlen) < 0) return -EINVAL;
    if (s.accept_q.empty()) {
        if (s.nonblock) return -EAGAIN;
        int r = wait_until(lk, s, deadline_of(s.rcvtimeo),
                           [&] { return !s.accept_q.empty() || s.st != stream_state::listening; });
        if (r < 0) return r;
        if (s.st != stream_state::listening) return -EINVAL;
    }
    sim_socket *srv = s.accept_q.front();
    int fd = publish(*srv, flags);
    if (fd < 0) return fd; // the connection stays queued
    s.accept_q.pop_front();
    promote(s);
    kick(s);
    if (addrlen) endpoint_to(srv->peer, addr, addrlen);
    return fd;
}

long stream_send(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags) noexcept {
    if (flags & MSG_OOB) return -EOPNOTSUPP;
    const bool nb = s.nonblock || (flags & MSG_DONTWAIT);
    const long long deadline = deadline_of(s.sndtimeo);
    if (s.st == stream_state::connecting) {
        if (nb) return -EAGAIN;
        int r = wait_until(lk, s, deadline, [&] { return s.st != stream_state::connecting; });
        if (r < 0) return r;
    }
    if (s.so_error) return take_error(s);
    // Linux: a stream that is not connected (never was, listening, reset) answers EPIPE.
    if (s.st != stream_state::connected || s.wr_shut) return -EPIPE;
    const size_t len = iov_total(iov, iovcnt);
    if (len == 0) return 0;
    size_t done = 0;
    for (;;) {
        if (!s.conn) return done ? static_cast<long>(done) : (s.so_error ? take_error(s) : -EPIPE);
        sim_socket &p = *s.conn;
        if (size_t space = rx_space(p)) {
            try {
                done += iov_to_queue(p.rx, iov, iovcnt, done, std::min(space, len - done));
            } catch (const std::bad_alloc &) {
                if (!done) return -ENOMEM;
            }
            kick(p);
            sync(s);
            if (done == len) return static_cast<long>(done);
        }
        if (nb) return done ? static_cast<long>(done) : -EAGAIN;
        int r = wait_until(lk, s, deadline, [&] {
            return !s.conn || s.so_error || s.wr_shut || rx_space(*s.conn) > 0;
        });
        if (r < 0) return done ? static_cast<long>(done) : r;
        if (s.wr_shut) return done ? static_cast<long>(done) : -EPIPE;
    }
}

long stream_recv(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags) noexcept {
    if (flags & MSG_OOB) return -EINVAL; // no urgent data, ever
    if (s.st == stream_state::listening) return -ENOTCONN;
    if (s.st == stream_state::fresh && !s.dead && s.rx.empty() && !s.so_error) return -ENOTCONN;
    const bool peek = flags & MSG_PEEK;
    const bool waitall = (flags & MSG_WAITALL) && !peek;
    const bool nb = s.nonblock || (flags & MSG_DONTWAIT);
    const size_t len = iov_total(iov, iovcnt);
    const long long deadline = deadline_of(s.rcvtimeo);
    size_t done = 0;
    for (;;) {
        if (!s.rx.empty() && done < len) {
            size_t n = queue_to_iov(s.rx, iov, iovcnt, done);
            if (!peek) {
                s.rx.consume(n);
                if (s.conn) kick(*s.conn); // its window opened
            }
            done += n;
            sync(s);
            if (peek || !waitall || done == len) return static_cast<long>(done);
        }
        if (done == len) return static_cast<long>(done);
        if (s.so_error) return done ? static_cast<long>(done) : take_error(s);
        if (s.rx_eof || s.rd_shut || s.dead || s.st == stream_state::fresh)
            return static_cast<long>(done); // end of stream
        if (nb) return done ? static_cast<long>(done) : -EAGAIN;
        int r = wait_until(lk, s, deadline, [&] {
            return !s.rx.empty() || s.so_error || s.rx_eof || s.rd_shut || s.dead;
        });
        if (r < 0) return done ? static_cast<long>(done) : r;
    }
}

int stream_shutdown(sim_socket &s, int how) noexcept {
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    switch (s.st) {
    case stream_state::fresh:
        return -ENOTCONN;
    case stream_state::listening:
        // Linux stops listening on SHUT_RD: blocked accept() calls return EINVAL.
        if (how != SHUT_WR) stop_listening(s);
        return 0;
    case stream_state::connecting:
        leave_syn_q(s);
        s.st = stream_state::fresh;
        s.lv_spent = true;
        kick(s);
        return 0;
    case stream_state::connected:
        break;
    }
    if (how != SHUT_WR) s.rd_shut = true;
    if (how != SHUT_RD && !s.wr_shut) {
        s.wr_shut = true;
        if (s.conn) {
            s.conn->rx_eof = true; // FIN
            kick(*s.conn);
        }
    }
    kick(s);
    return 0;
}

void stream_release(sim_socket &s) noexcept {
    switch (s.st) {
    case stream_state::listening:
        stop_listening(s);
        break;
    case stream_state::connecting:
        leave_syn_q(s);
        break;
    case stream_state::connected:
        if (s.conn) {
            sim_socket &p = *s.conn;
            s.conn = nullptr;
            // Unread data, or SO_LINGER {1, 0}: Linux resets the connection; else it ends it.
            if (!s.rx.empty() || (s.lingerv.l_onoff && s.lingerv.l_linger == 0)) {
                reset_conn(p);
            } else {
                p.rx_eof = true;
                p.conn = nullptr;
                kick(p);
            }
        }
        break;
    case stream_state::fresh:
        break;
    }
}

} // namespace zsock::simnet
