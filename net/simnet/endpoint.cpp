// net/simnet/endpoint.cpp - address parsing and formatting with the kernel's errnos.
#include "net/simnet/endpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zsock::simnet {

namespace {
constexpr uint8_t zero16[16] = {};
int addr_size(int family) {
    return family == AF_INET ? 4 : 16;
}
} // namespace

bool endpoint::is_any() const noexcept {
    return std::memcmp(addr, zero16, addr_size(family)) == 0;
}

bool endpoint::same_addr(const endpoint &o) const noexcept {
    return family == o.family && std::memcmp(addr, o.addr, addr_size(family)) == 0;
}

endpoint any_endpoint(int family) noexcept {
    endpoint e;
    e.family = family;
    return e;
}

endpoint loopback_endpoint(int family) noexcept {
    endpoint e;
    e.family = family;
    if (family == AF_INET) {
        e.addr[0] = 127;
        e.addr[3] = 1;
    } else {
        e.addr[15] = 1;
    }
    return e;
}

int endpoint_from(const sockaddr *sa, socklen_t len, int family, endpoint *out,
                  bool *unspec) noexcept {
    *unspec = false;
    if (static_cast<int>(len) < 0 || len > sizeof(sockaddr_storage)) return -EINVAL;
    if (!sa) return -EFAULT;
    if (len < sizeof(sa_family_t)) return -EINVAL;
    sa_family_t f;
    std::memcpy(&f, sa, sizeof f);
    if (f == AF_UNSPEC) {
        // Callers give it meaning: connect() disconnects, and bind() on an IPv4 socket accepts
        // it with INADDR_ANY (old programs do that), so the IPv4 fields are read when present.
        *unspec = true;
        *out = any_endpoint(family);
        if (family == AF_INET && len >= sizeof(sockaddr_in)) {
            sockaddr_in in;
            std::memcpy(&in, sa, sizeof in);
            std::memcpy(out->addr, &in.sin_addr, 4);
            out->port = ntohs(in.sin_port);
        }
        return 0;
    }
    if (family == AF_INET) {
        if (len < sizeof(sockaddr_in)) return -EINVAL;
        if (f != AF_INET) return -EAFNOSUPPORT;
        sockaddr_in in;
        std::memcpy(&in, sa, sizeof in);
        *out = endpoint{};
        out->family = AF_INET;
        std::memcpy(out->addr, &in.sin_addr, 4);
        out->port = ntohs(in.sin_port);
        return 0;
    }
    if (len < 24) return -EINVAL; // SIN6_LEN_RFC2133: sockaddr_in6 without sin6_scope_id
    if (f != AF_INET6) return -EAFNOSUPPORT;
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, std::min<size_t>(len, sizeof in6));
    *out = endpoint{};
    out->family = AF_INET6;
    std::memcpy(out->addr, &in6.sin6_addr, 16);
    out->port = ntohs(in6.sin6_port);
    return 0;
}

int endpoint_to(const endpoint &ep, sockaddr *sa, socklen_t *len) noexcept {
    if (!len) return -EFAULT;
    if (static_cast<int>(*len) < 0) return -EINVAL;
    sockaddr_storage ss{};
    socklen_t full;
    if (ep.family == AF_INET) {
        auto *in = reinterpret_cast<sockaddr_in *>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(ep.port);
        std::memcpy(&in->sin_addr, ep.addr, 4);
        full = sizeof(sockaddr_in);
    } else {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(ep.port);
        std::memcpy(&in6->sin6_addr, ep.addr, 16);
        full = sizeof(sockaddr_in6);
    }
    if (*len > 0 && !sa) return -EFAULT;
    if (sa) std::memcpy(sa, &ss, std::min(*len, full));
    *len = full;
    return 0;
}

bool is_local(const endpoint &ep) noexcept {
    if (ep.is_any()) return true;
    if (ep.family == AF_INET) return ep.addr[0] == 127;
    return ep.same_addr(loopback_endpoint(AF_INET6));
}

} // namespace zsock::simnet
