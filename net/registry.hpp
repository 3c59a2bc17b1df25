// net/registry.hpp - the socket implementation registry, internal side.
#pragma once

#include <zsock/offload.h>

namespace zsock::net {

/// Creates a socket through the first implementation that accepts (family, type, proto).
/// Returns the fd or a negative errno (-EAFNOSUPPORT when none accepts).
int registry_create(int family, int type, int proto) noexcept;

/// Registers zsock's built-in implementations once (native; TLS when linked). Called by the entry
/// points, so that a static link that drops unreferenced objects still has them.
void ensure_builtin_impls() noexcept;

} // namespace zsock::net
