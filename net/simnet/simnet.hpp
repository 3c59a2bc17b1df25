// net/simnet/simnet.hpp - what the rest of zsock needs from simnet.
#pragma once

#include <zsock/fdtable.h>

namespace zsock::simnet {

/// Adds "sim0" to the interface table (called once with the built-in implementations).
void register_iface() noexcept;

/// The vtable of sim0 sockets.
const zsock_socket_vtable *vtable() noexcept;

} // namespace zsock::simnet
