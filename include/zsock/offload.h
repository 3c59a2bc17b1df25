/*
 * zsock/offload.h - the socket implementation registry (Zephyr's NET_SOCKET_REGISTER and
 * NET_SOCKET_OFFLOAD_REGISTER). Native kernel sockets, TLS sockets and offloaded sockets all
 * register here; zsock_socket() walks the entries by priority, lowest number first, and the
 * first whose family matches (or is AF_UNSPEC) and whose is_supported() accepts creates the
 * socket. A failing create() is final: there is no fallback to the next entry.
 *
 * An implementation's create() builds its object and publishes it with the calls of
 * <zsock/fdtable.h> (reserve, then finalize), and returns the new fd or a negative errno.
 */
#ifndef ZSOCK_OFFLOAD_H
#define ZSOCK_OFFLOAD_H

#include <stdbool.h>

#include <zsock/fdtable.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default priorities (lower runs first); the CMake options ZSOCK_OFFLOAD_PRIORITY and
 * ZSOCK_TLS_PRIORITY change the defaults that zsock's own implementations register with. */
#define ZSOCK_PRIORITY_DISPATCHER 0
#define ZSOCK_PRIORITY_OFFLOAD_DEFAULT 40
#define ZSOCK_PRIORITY_TLS_DEFAULT 45
#define ZSOCK_PRIORITY_NATIVE 50

/** The entry is an offloaded stack (not the kernel's and not zsock's own TLS). */
#define ZSOCK_IMPL_OFFLOADED 0x1u

typedef bool (*zsock_is_supported_fn)(int family, int type, int proto);
/** Creates a socket and returns its fd, or a negative errno. */
typedef int (*zsock_create_fn)(int family, int type, int proto);

struct zsock_socket_impl {
    const char *name; /**< unique; used by zsock_unregister_socket_impl */
    int priority;
    int family; /**< AF_UNSPEC matches any family */
    zsock_is_supported_fn is_supported;
    zsock_create_fn create;
    unsigned flags; /**< ZSOCK_IMPL_ */
};

/** Adds an implementation (copied). Returns 0, -EEXIST (name taken) or -EINVAL. */
ZSOCK_API int zsock_register_socket_impl(const struct zsock_socket_impl *impl);
/** Removes an implementation by name. Returns 0 or -ENOENT. */
ZSOCK_API int zsock_unregister_socket_impl(const char *name);

/**
 * zsock_find_socket_impl - the entry zsock_socket() would use for (family, type, proto),
 * skipping entries whose priority is below min_priority and, when native_only, offloaded ones.
 * Copies it to *out and returns 0, or -EAFNOSUPPORT when none accepts.
 */
ZSOCK_API int zsock_find_socket_impl(int family, int type, int proto, int min_priority,
                                     bool native_only, struct zsock_socket_impl *out);

/** Registers an implementation at load time (C and C++), as Zephyr's macro does at link time. */
#define ZSOCK_SOCKET_REGISTER_FLAGS(name_, prio_, family_, is_supported_, handler_, flags_)       \
    __attribute__((constructor)) static void zsock_register_impl_##name_(void) {                 \
        struct zsock_socket_impl impl_ = {#name_,         (prio_),    (family_),                 \
                                          (is_supported_), (handler_), (flags_)};                \
        (void)zsock_register_socket_impl(&impl_);                                                \
    }
#define NET_SOCKET_REGISTER(name, prio, family, is_supported, handler)                          \
    ZSOCK_SOCKET_REGISTER_FLAGS(name, prio, family, is_supported, handler, 0u)
#define NET_SOCKET_OFFLOAD_REGISTER(name, prio, family, is_supported, handler)                  \
    ZSOCK_SOCKET_REGISTER_FLAGS(name, prio, family, is_supported, handler, ZSOCK_IMPL_OFFLOADED)

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_OFFLOAD_H */
