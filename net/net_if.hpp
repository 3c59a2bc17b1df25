// net/net_if.hpp - zsock's interface table, internal side (the dispatcher reads it).
#pragma once

#include <zsock/offload.h>

namespace zsock::net {

/// What the table says about one interface, copied out.
struct net_if_info {
    const char *name = nullptr;             // stable storage
    zsock_create_fn create = nullptr;       // NULL: the native stack's interface
    zsock_is_supported_fn filter = nullptr; // NULL: create() takes any socket
};

/// Looks name up (at most ZSOCK_IFNAMSIZ-1 significant bytes). False when the table lacks it.
bool net_if_lookup(const char *name, net_if_info *out) noexcept;

} // namespace zsock::net
