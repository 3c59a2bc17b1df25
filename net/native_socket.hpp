// net/native_socket.hpp - kernel-backed sockets, the priority-50 implementation.
//
// A native socket object is nothing but its kernel descriptor: every operation is one system
// call on it, so zsock_recv/zsock_send on a native socket cost exactly one syscall. The object
// pointer encodes the fd (plus one, so that fd 0 is not NULL) and needs no allocation.
#pragma once

#include <cstdint>

#include <zsock/fdtable.h>

namespace zsock::net {

extern const zsock_socket_vtable native_vtable;

inline void *native_obj(int fd) noexcept {
    return reinterpret_cast<void *>(static_cast<uintptr_t>(fd) + 1);
}
inline int native_fd(void *obj) noexcept {
    return static_cast<int>(reinterpret_cast<uintptr_t>(obj) - 1);
}

/// Publishes an open kernel socket as a native zsock socket. On failure the kernel descriptor
/// is closed. Returns kfd or a negative errno.
int native_adopt(int kfd) noexcept;

/// Creates a kernel socket and publishes it (the native implementation's create()).
int native_create(int family, int type, int proto) noexcept;

/// Registers the native implementation at ZSOCK_PRIORITY_NATIVE.
void register_native_impl() noexcept;

} // namespace zsock::net
