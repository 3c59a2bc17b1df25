// net/simnet/endpoint.hpp - addresses of the in-process network.
//
// The network owns the loopback ranges and nothing else: 127.0.0.0/8 and ::1 (plus the
// wildcards for bind). Any other destination is unreachable (ENETUNREACH) and any other local
// address is not ours (EADDRNOTAVAIL). No byte ever reaches a kernel stack, and a socket that
// ended up on the wrong stack by mistake could only ever talk to loopback.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>

namespace zsock::simnet {

struct endpoint {
    int family = 0;        // AF_INET or AF_INET6
    uint8_t addr[16] = {}; // IPv4: the first 4 bytes, network order
    uint16_t port = 0;     // host order

    bool is_any() const noexcept;
    bool same_addr(const endpoint &o) const noexcept;
    bool operator==(const endpoint &o) const noexcept { return same_addr(o) && port == o.port; }
};

/// The wildcard address of family (port 0).
endpoint any_endpoint(int family) noexcept;
/// 127.0.0.1 or ::1 (port 0).
endpoint loopback_endpoint(int family) noexcept;

/// Reads a socket address given to bind/connect/sendto on a socket of `family`, with the kernel's
/// checks: NULL -> EFAULT; too short, or longer than sockaddr_storage -> EINVAL; another family
/// -> EAFNOSUPPORT. `unspec` is set (and 0 returned) for AF_UNSPEC, which callers give meaning.
int endpoint_from(const sockaddr *sa, socklen_t len, int family, endpoint *out,
                  bool *unspec) noexcept;

/// Writes ep as the kernel does: truncated to *len, and *len set to the full size.
/// Returns 0, -EFAULT (len NULL) or -EINVAL (*len negative).
int endpoint_to(const endpoint &ep, sockaddr *sa, socklen_t *len) noexcept;

/// An address the network owns (wildcard, 127.0.0.0/8, ::1).
bool is_local(const endpoint &ep) noexcept;

} // namespace zsock::simnet
