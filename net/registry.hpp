// net/registry.hpp - the socket implementation registry, internal side.
#pragma once

#include <zsock/offload.h>

namespace zsock::net {

/// Creates a socket through the first implementation that accepts (family, type, proto).
/// Returns the fd or a negative errno (-EAFNOSUPPORT when none accepts).
int registry_create(int family, int type, int proto) noexcept;

/// While alive, zsock_find_socket_impl() answers lookups made on this thread for plain protocols
/// (a layered implementation looking for its transport) with `impl`. The dispatcher sets one
/// around the creation of a TLS socket whose transport goes on an interface it chose.
class transport_override {
public:
    explicit transport_override(const zsock_socket_impl &impl) noexcept;
    ~transport_override();
    transport_override(const transport_override &) = delete;
    transport_override &operator=(const transport_override &) = delete;

private:
    const zsock_socket_impl *prev_;
    zsock_socket_impl impl_;
};

/// True for zsock's secure protocols (IPPROTO_TLS_1_0..1_3, IPPROTO_DTLS_1_0/1_2).
bool is_secure_proto(int proto) noexcept;

/// Registers zsock's built-in implementations once (native; TLS when linked). Called by the entry
/// points, so that a static link that drops unreferenced objects still has them.
void ensure_builtin_impls() noexcept;

} // namespace zsock::net
