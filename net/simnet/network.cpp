// net/simnet/network.cpp - the network's state, readiness and object lifetime.
#include <algorithm>
#include <new>
#include <poll.h>

#include "net/simnet/sim.hpp"

namespace zsock::simnet {

network &net() noexcept {
    static network n;
    return n;
}

long long deadline_of(const timeval &tv) noexcept {
    if (tv.tv_sec == 0 && tv.tv_usec == 0) return -1; // {0, 0}: no timeout
    if (tv.tv_sec < 0) return now_ns();               // Linux: do not wait at all
    long long ns =
        static_cast<long long>(std::min<time_t>(tv.tv_sec, 100L * 365 * 86400)) * 1000000000LL +
        static_cast<long long>(tv.tv_usec) * 1000;
    return now_ns() + ns;
}

size_t iov_total(const iovec *iov, size_t n) noexcept {
    size_t total = 0;
    for (size_t i = 0; i < n; ++i)
        total += iov[i].iov_len;
    return total;
}

void sync(sim_socket &s) noexcept {
    if (!s.lv.is_open()) return;
    const bool readable = !s.rx.empty() || !s.accept_q.empty() || !s.dq.empty() || s.so_error;
    const bool writable = s.is_stream() ? stream_writable(s) : true;
    const bool spent = s.is_stream() && (s.dead || s.lv_spent);
    s.lv.set_writable(writable);
    s.lv.set_readable(readable);
    if (s.rx_eof || s.rd_shut || spent) s.lv.shut_read();
    if (s.wr_shut || spent) s.lv.shut_write();
}

short state_revents(const sim_socket &s, short events) noexcept {
    constexpr short in = POLLIN | POLLRDNORM, out = POLLOUT | POLLWRNORM;
    short r = 0;
    if (s.is_stream()) {
        switch (s.st) {
        case stream_state::listening:
            if (!s.accept_q.empty()) r |= in;
            break;
        case stream_state::connecting:
            break;
        case stream_state::fresh: // Linux: a closed TCP socket is writable and hung up
            r |= out | POLLHUP;
            if (s.dead || !s.rx.empty()) r |= in;
            if (s.dead) r |= POLLRDHUP;
            break;
        case stream_state::connected: {
            bool eof = s.rx_eof || s.rd_shut;
            if (!s.rx.empty() || eof) r |= in;
            if (eof) r |= POLLRDHUP;
            if (stream_writable(s)) r |= out;
            if (eof && s.wr_shut) r |= POLLHUP;
            break;
        }
        }
    } else {
        if (!s.dq.empty() || s.rd_shut) r |= in;
        if (s.rd_shut) r |= POLLRDHUP;
        r |= out;
        if (s.rd_shut && s.wr_shut) r |= POLLHUP;
    }
    if (s.so_error) r |= POLLERR;
    return static_cast<short>(r & (events | POLLHUP | POLLERR));
}

sim_socket *make_socket(int family, int type, int proto) noexcept {
    auto *s = new (std::nothrow) sim_socket;
    if (!s) return nullptr;
    s->family = family;
    s->type = type;
    s->proto = proto ? proto : (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
    s->rcvbuf = type == SOCK_STREAM ? default_stream_rcvbuf : default_dgram_rcvbuf;
    ++net().live;
    return s;
}

void destroy(sim_socket *s) noexcept {
    port_unbind(*s);
    --net().live;
    delete s;
}

} // namespace zsock::simnet
