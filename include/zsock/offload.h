/*
 * zsock/offload.h - socket offloading (Zephyr's NET_SOCKET_REGISTER, NET_SOCKET_OFFLOAD_REGISTER,
 * net_if_socket_offload_set) and the socket dispatcher.
 *
 * The registry. Native kernel sockets, zsock's TLS sockets and offloaded sockets all register
 * here; zsock_socket() walks the entries by priority, lowest number first, and the first whose
 * family matches (or is AF_UNSPEC) and whose is_supported() accepts creates the socket. A failing
 * create() is final: there is no fallback to the next entry. Default priorities: dispatcher 0,
 * offloaded stacks 40, TLS 45, native 50 (the offload and TLS ones are CMake cache variables).
 *
 * Writing an implementation. create(family, type, proto) builds the object and publishes it with
 * the calls of <zsock/fdtable.h>: reserve a number (zsock_fd_reserve() gives an eventfd, or
 * zsock_fd_reserve_kernel() a descriptor of your own), then zsock_fd_finalize() with your
 * zsock_socket_vtable and ZSOCK_FD_MODE_SOCKET, or zsock_fd_free() on failure. It returns the fd or
 * a negative errno; type may carry SOCK_NONBLOCK and SOCK_CLOEXEC. Every vtable function returns
 * >= 0 or a negative errno, may run on any thread, holds no lock while it waits, and a blocked
 * call returns -EINTR after ZSOCK_IOCTL_WAKE_BLOCKED. An object that remembers its fd number must
 * handle ZSOCK_IOCTL_FD_MOVED (the dispatcher moves objects between numbers). net/simnet/ is a
 * complete worked example.
 *
 * Interfaces. A small process-wide table maps interface names to the implementation that owns
 * them (Zephyr's net_if_socket_offload_set). The dispatcher consults it for SO_BINDTODEVICE. It is
 * zsock's own table: its indices are not the kernel's interface indices, and a name it does not
 * hold belongs to the kernel ("lo", "eth0").
 */
#ifndef ZSOCK_OFFLOAD_H
#define ZSOCK_OFFLOAD_H

#include <stdbool.h>

#include <zsock/config.h>
#include <zsock/fdtable.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Priorities (lower runs first). ZSOCK_PRIORITY_OFFLOAD and ZSOCK_PRIORITY_TLS are the values of
 * the CMake cache variables ZSOCK_OFFLOAD_PRIORITY and ZSOCK_TLS_PRIORITY (40 and 45 by default). */
#define ZSOCK_PRIORITY_DISPATCHER 0
#define ZSOCK_PRIORITY_OFFLOAD_DEFAULT 40
#define ZSOCK_PRIORITY_TLS_DEFAULT 45
#define ZSOCK_PRIORITY_NATIVE 50
#define ZSOCK_PRIORITY_OFFLOAD ZSOCK_CONFIG_OFFLOAD_PRIORITY
#define ZSOCK_PRIORITY_TLS ZSOCK_CONFIG_TLS_PRIORITY

/** The entry is an offloaded stack (not the kernel's and not zsock's own TLS). */
#define ZSOCK_IMPL_OFFLOADED 0x1u

typedef bool (*zsock_is_supported_fn)(int family, int type, int proto);
/**
 * Creates a socket and returns its fd. On failure it returns a negative errno (zsock's
 * convention), or -1 with errno set (Zephyr's net_socket_create_t, so that unchanged Zephyr
 * drivers work): zsock clears errno before the call, so -1 with errno still 0 means -EPERM.
 */
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
/** Removes an implementation by name. Returns 0 or -ENOENT. Sockets it made keep working. */
ZSOCK_API int zsock_unregister_socket_impl(const char *name);

/**
 * zsock_find_socket_impl - the entry zsock_socket() would use for (family, type, proto),
 * skipping entries whose priority is below min_priority and, when native_only, offloaded ones.
 * Copies it to *out and returns 0, or -EAFNOSUPPORT when none accepts.
 *
 * Layered implementations (TLS) find their transport with it. While the dispatcher creates such
 * a socket for an interface chosen with SO_BINDTODEVICE, a lookup made on the same thread for a
 * plain protocol (not TLS/DTLS) answers with that interface's implementation instead, so the
 * transport lands on the chosen interface.
 */
ZSOCK_API int zsock_find_socket_impl(int family, int type, int proto, int min_priority,
                                     bool native_only, struct zsock_socket_impl *out);

/**
 * zsock_socket_impl_create - runs impl->create(family, type, proto) and returns the fd or a
 * negative errno, whichever of the two conventions above the implementation follows. Layered
 * implementations create their transport with it.
 */
ZSOCK_API int zsock_socket_impl_create(const struct zsock_socket_impl *impl, int family, int type,
                                       int proto);

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

/* ---- Interfaces ------------------------------------------------------------------------- */

/** Longest interface name, NUL included (the kernel's IFNAMSIZ). */
#define ZSOCK_IFNAMSIZ 16
/** Most interfaces the table holds. */
#define ZSOCK_NET_IF_MAX 16

/** An interface of zsock's table. Interfaces are never removed, so a handle stays valid. */
struct zsock_net_if;

/**
 * zsock_net_if_add - the interface called name, added if the table does not hold it yet.
 * Returns the handle, or NULL with errno EINVAL (name NULL, empty or not shorter than
 * ZSOCK_IFNAMSIZ) or ENOMEM (table full).
 */
ZSOCK_API struct zsock_net_if *zsock_net_if_add(const char *name);

/** zsock_net_if_get_by_name - the interface called name, or NULL (errno ENODEV). */
ZSOCK_API struct zsock_net_if *zsock_net_if_get_by_name(const char *name);

/** zsock_net_if_get_by_index - interface number index (1-based, zsock's numbering), or NULL. */
ZSOCK_API struct zsock_net_if *zsock_net_if_get_by_index(int index);

/** zsock_net_if_get_index - the 1-based index of iface in zsock's table. */
ZSOCK_API int zsock_net_if_get_index(const struct zsock_net_if *iface);

/** zsock_net_if_name - the interface's name (stable storage). */
ZSOCK_API const char *zsock_net_if_name(const struct zsock_net_if *iface);

/**
 * zsock_net_if_socket_offload_set - Zephyr's net_if_socket_offload_set: sockets bound to iface
 * with SO_BINDTODEVICE (through the dispatcher) are created by create. NULL makes the interface
 * the native stack's. Also clears an is_supported filter set earlier.
 */
ZSOCK_API void zsock_net_if_socket_offload_set(struct zsock_net_if *iface, zsock_create_fn create);

/**
 * zsock_net_if_socket_offload_set_filter - a zsock extension: which sockets the interface's
 * create() can make. For a TLS protocol it rejects, the dispatcher makes a native TLS socket whose
 * transport is created on the interface (TLS over an offloaded stack).
 */
ZSOCK_API void zsock_net_if_socket_offload_set_filter(struct zsock_net_if *iface,
                                                      zsock_is_supported_fn is_supported);

/** zsock_net_if_socket_offload - the interface's creator (NULL: native). */
ZSOCK_API zsock_create_fn zsock_net_if_socket_offload(const struct zsock_net_if *iface);

/* ---- The dispatcher --------------------------------------------------------------------- */

/**
 * zsock_dispatcher_enable - registers the socket dispatcher (Zephyr's
 * CONFIG_NET_SOCKETS_OFFLOAD_DISPATCHER) at ZSOCK_PRIORITY_DISPATCHER. From then on socket()
 * hands out a dispatcher socket: its fd number is final, but the real socket is made only by the
 * first operation that needs it, so that SO_BINDTODEVICE (an interface of zsock's table) or
 * TLS_NATIVE can choose the implementation first. Returns 0, -EALREADY, or -EOPNOTSUPP when zsock
 * was built without it (ZSOCK_WITH_DISPATCHER=OFF). While it is not enabled it costs nothing.
 */
ZSOCK_API int zsock_dispatcher_enable(void);

/** zsock_dispatcher_disable - unregisters it; dispatcher sockets already made keep working.
 * Returns 0 or -ENOENT. */
ZSOCK_API int zsock_dispatcher_disable(void);

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_OFFLOAD_H */
