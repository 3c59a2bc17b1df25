// net/simnet/options.cpp - getsockopt/setsockopt of sim sockets, with Linux's checks and errnos.
//
// Options are kept and reported; those that change behaviour here are SO_RCVBUF (the receive
// window), SO_RCVTIMEO/SO_SNDTIMEO, SO_REUSEADDR/SO_REUSEPORT (bind rules), SO_LINGER {1, 0}
// (close resets) and SO_ERROR. The others (TCP_NODELAY, keepalive, TOS, TTL...) are stored only:
// nothing travels over a wire.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/tcp.h>

#include "net/simnet/sim.hpp"

namespace zsock::simnet {
namespace {

int put_bytes(void *val, socklen_t *len, const void *src, size_t n) {
    if (!len) return -EFAULT;
    if (static_cast<int>(*len) < 0) return -EINVAL;
    size_t k = std::min<size_t>(*len, n);
    if (k && !val) return -EFAULT;
    if (k) std::memcpy(val, src, k);
    *len = static_cast<socklen_t>(k);
    return 0;
}

int put_int(void *val, socklen_t *len, int v) {
    return put_bytes(val, len, &v, sizeof v);
}

int get_int(const void *val, socklen_t len, int *out) {
    if (static_cast<int>(len) < 0 || len < sizeof(int)) return -EINVAL;
    if (!val) return -EFAULT;
    std::memcpy(out, val, sizeof(int));
    return 0;
}

template <class T>
int get_struct(const void *val, socklen_t len, T *out) {
    if (static_cast<int>(len) < 0 || len < sizeof(T)) return -EINVAL;
    if (!val) return -EFAULT;
    std::memcpy(out, val, sizeof(T));
    return 0;
}

int set_timeout(const void *val, socklen_t len, timeval *out) {
    timeval tv;
    if (int r = get_struct(val, len, &tv); r < 0) return r;
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM; // Linux's answer
    *out = tv;
    return 0;
}

size_t doubled(int v, size_t floor) {
    // Linux doubles the value (for its bookkeeping) and has a floor; capped at 8 MiB here.
    long long d = 2LL * std::clamp(v, 0, 4 << 20);
    return std::max<size_t>(static_cast<size_t>(d), floor);
}

int sol_socket_get(sim_socket &s, int name, void *val, socklen_t *len) {
    switch (name) {
    case SO_TYPE:
        return put_int(val, len, s.type);
    case SO_DOMAIN:
        return put_int(val, len, s.family);
    case SO_PROTOCOL:
        return put_int(val, len, s.proto);
    case SO_ACCEPTCONN:
        return put_int(val, len, s.st == stream_state::listening);
    case SO_ERROR: {
        int r = put_int(val, len, s.so_error);
        if (r == 0) {
            s.so_error = 0;
            sync(s);
        }
        return r;
    }
    case SO_REUSEADDR:
        return put_int(val, len, s.reuseaddr);
    case SO_REUSEPORT:
        return put_int(val, len, s.reuseport);
    case SO_KEEPALIVE:
        return put_int(val, len, s.keepalive);
    case SO_BROADCAST:
        return put_int(val, len, s.broadcast);
    case SO_PRIORITY:
        return put_int(val, len, s.priority);
    case SO_RCVBUF:
        return put_int(val, len, static_cast<int>(s.rcvbuf));
    case SO_SNDBUF:
        return put_int(val, len, static_cast<int>(s.sndbuf));
    case SO_RCVTIMEO:
        return put_bytes(val, len, &s.rcvtimeo, sizeof s.rcvtimeo);
    case SO_SNDTIMEO:
        return put_bytes(val, len, &s.sndtimeo, sizeof s.sndtimeo);
    case SO_LINGER:
        return put_bytes(val, len, &s.lingerv, sizeof s.lingerv);
    case SO_BINDTODEVICE: {
        size_t n = strnlen(s.device, sizeof s.device);
        return put_bytes(val, len, s.device, n ? n + 1 : 0);
    }
    default:
        return -ENOPROTOOPT;
    }
}

int sol_socket_set(sim_socket &s, int name, const void *val, socklen_t len) {
    int v = 0;
    switch (name) {
    case SO_REUSEADDR:
    case SO_REUSEPORT:
    case SO_KEEPALIVE:
    case SO_BROADCAST:
    case SO_PRIORITY:
    case SO_RCVBUF:
    case SO_SNDBUF:
        if (int r = get_int(val, len, &v); r < 0) return r;
        break;
    default:
        break;
    }
    switch (name) {
    case SO_REUSEADDR:
        s.reuseaddr = v != 0;
        return 0;
    case SO_REUSEPORT:
        s.reuseport = v != 0;
        return 0;
    case SO_KEEPALIVE:
        s.keepalive = v != 0;
        return 0;
    case SO_BROADCAST:
        s.broadcast = v != 0;
        return 0;
    case SO_PRIORITY:
        if (v < 0 || v > 6) return -EPERM; // above 6 needs CAP_NET_ADMIN on Linux
        s.priority = v;
        return 0;
    case SO_RCVBUF:
        s.rcvbuf = doubled(v, 2304);
        kick(s); // the window changed: a peer's send may proceed
        if (s.conn) kick(*s.conn);
        return 0;
    case SO_SNDBUF:
        s.sndbuf = doubled(v, 4608);
        return 0;
    case SO_RCVTIMEO:
        return set_timeout(val, len, &s.rcvtimeo);
    case SO_SNDTIMEO:
        return set_timeout(val, len, &s.sndtimeo);
    case SO_LINGER:
        return get_struct(val, len, &s.lingerv);
    case SO_BINDTODEVICE: {
        // The kernel's reading: at most IFNAMSIZ-1 bytes, up to a NUL; empty unbinds.
        if (static_cast<int>(len) < 0) return -EINVAL;
        char name_buf[16] = {};
        size_t n = std::min<size_t>(len, sizeof name_buf - 1);
        if (n && !val) return -EFAULT;
        if (n) std::memcpy(name_buf, val, n);
        if (name_buf[0] == '\0') {
            std::memset(s.device, 0, sizeof s.device);
            return 0;
        }
        // A sim socket lives on sim0 and cannot move to another stack's interface.
        if (std::strcmp(name_buf, ifname) != 0) return -ENODEV;
        std::memcpy(s.device, name_buf, sizeof s.device);
        return 0;
    }
    case SO_TYPE:
    case SO_DOMAIN:
    case SO_PROTOCOL:
    case SO_ACCEPTCONN:
    case SO_ERROR:
    default:
        return -ENOPROTOOPT;
    }
}

int tcp_get(sim_socket &s, int name, void *val, socklen_t *len) {
    switch (name) {
    case TCP_NODELAY:
        return put_int(val, len, s.nodelay);
    case TCP_KEEPIDLE:
        return put_int(val, len, s.keepidle);
    case TCP_KEEPINTVL:
        return put_int(val, len, s.keepintvl);
    case TCP_KEEPCNT:
        return put_int(val, len, s.keepcnt);
    default:
        return -ENOPROTOOPT;
    }
}

int tcp_set(sim_socket &s, int name, const void *val, socklen_t len) {
    int v;
    switch (name) {
    case TCP_NODELAY:
    case TCP_KEEPIDLE:
    case TCP_KEEPINTVL:
    case TCP_KEEPCNT:
        if (int r = get_int(val, len, &v); r < 0) return r;
        break;
    default:
        return -ENOPROTOOPT;
    }
    switch (name) {
    case TCP_NODELAY:
        s.nodelay = v != 0;
        return 0;
    case TCP_KEEPIDLE:
        if (v < 1 || v > 32767) return -EINVAL;
        s.keepidle = v;
        return 0;
    case TCP_KEEPINTVL:
        if (v < 1 || v > 32767) return -EINVAL;
        s.keepintvl = v;
        return 0;
    default:
        if (v < 1 || v > 127) return -EINVAL;
        s.keepcnt = v;
        return 0;
    }
}

int ip_get(sim_socket &s, int name, void *val, socklen_t *len) {
    switch (name) {
    case IP_TOS:
        return put_int(val, len, s.tos);
    case IP_TTL:
        return put_int(val, len, s.ttl);
    default:
        return -ENOPROTOOPT;
    }
}

int ip_set(sim_socket &s, int name, const void *val, socklen_t len) {
    int v;
    if (name != IP_TOS && name != IP_TTL) return -ENOPROTOOPT;
    if (int r = get_int(val, len, &v); r < 0) return r;
    if (name == IP_TOS) {
        s.tos = v & 0xff;
        return 0;
    }
    if (v == -1) v = 64;
    if (v < 1 || v > 255) return -EINVAL;
    s.ttl = v;
    return 0;
}

int ipv6_get(sim_socket &s, int name, void *val, socklen_t *len) {
    switch (name) {
    case IPV6_V6ONLY:
        return put_int(val, len, 1);
    case IPV6_UNICAST_HOPS:
        return put_int(val, len, s.hops);
    default:
        return -ENOPROTOOPT;
    }
}

int ipv6_set(sim_socket &s, int name, const void *val, socklen_t len) {
    int v;
    if (name != IPV6_V6ONLY && name != IPV6_UNICAST_HOPS) return -ENOPROTOOPT;
    if (int r = get_int(val, len, &v); r < 0) return r;
    if (name == IPV6_V6ONLY) return v ? 0 : -EOPNOTSUPP; // sim0 has no IPv4-mapped addresses
    if (v == -1) v = 64;
    if (v < 0 || v > 255) return -EINVAL;
    s.hops = v;
    return 0;
}

} // namespace

int sim_getsockopt(sim_socket &s, int level, int name, void *val, socklen_t *len) noexcept {
    switch (level) {
    case SOL_SOCKET:
        return sol_socket_get(s, name, val, len);
    case IPPROTO_TCP:
        return s.is_stream() ? tcp_get(s, name, val, len) : -ENOPROTOOPT;
    case IPPROTO_IP:
        return s.family == AF_INET ? ip_get(s, name, val, len) : -ENOPROTOOPT;
    case IPPROTO_IPV6:
        return s.family == AF_INET6 ? ipv6_get(s, name, val, len) : -ENOPROTOOPT;
    default:
        return -ENOPROTOOPT;
    }
}

int sim_setsockopt(sim_socket &s, int level, int name, const void *val, socklen_t len) noexcept {
    switch (level) {
    case SOL_SOCKET:
        return sol_socket_set(s, name, val, len);
    case IPPROTO_TCP:
        return s.is_stream() ? tcp_set(s, name, val, len) : -ENOPROTOOPT;
    case IPPROTO_IP:
        return s.family == AF_INET ? ip_set(s, name, val, len) : -ENOPROTOOPT;
    case IPPROTO_IPV6:
        return s.family == AF_INET6 ? ipv6_set(s, name, val, len) : -ENOPROTOOPT;
    default:
        return -ENOPROTOOPT;
    }
}

} // namespace zsock::simnet
