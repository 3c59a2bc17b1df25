/*
 * <zephyr/net/socket_offload.h> for Linux: offloaded socket implementations register with
 * NET_SOCKET_OFFLOAD_REGISTER(name, prio, family, is_supported, handler) and create their fds with
 * zsock_fd_reserve/zsock_fd_finalize (<zsock/offload.h>, <zsock/fdtable.h>); interfaces get a
 * socket creator with net_if_socket_offload_set (<zephyr/net/net_if.h>).
 *
 * Zephyr drivers written against Zephyr's own fd table compile unchanged too: struct
 * socket_op_vtable (below, Zephyr's layout and conventions: -1 and errno) with
 * zvfs_reserve_fd / zvfs_finalize_typed_fd / zvfs_free_fd (<zephyr/sys/fdtable.h>, which says what
 * such a driver's sockets cannot do here: poll).
 *
 * Not provided: DNS offloading (socket_offload_dns_register): zsock_getaddrinfo always uses the
 * system resolver, so code that registers a DNS offload does not compile rather than silently
 * being ignored.
 */
#ifndef ZEPHYR_INCLUDE_NET_SOCKET_OFFLOAD_H_
#define ZEPHYR_INCLUDE_NET_SOCKET_OFFLOAD_H_

#include <zsock/fdtable.h>
#include <zsock/offload.h>

#include <zephyr/net/net_if.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Zephyr's socket vtable (in Zephyr: subsys/net/lib/sockets/sockets_internal.h). Every function
 * returns -1 and sets errno on failure; accept returns the new socket's fd, made by the driver with
 * zvfs_reserve_fd/zvfs_finalize_typed_fd. Publish it with
 * zvfs_finalize_typed_fd(fd, obj, (const struct fd_op_vtable *)&vtable, ZVFS_MODE_IFSOCK).
 */
struct socket_op_vtable {
    struct fd_op_vtable fd_vtable;
    int (*shutdown)(void *obj, int how);
    int (*bind)(void *obj, const struct sockaddr *addr, socklen_t addrlen);
    int (*connect)(void *obj, const struct sockaddr *addr, socklen_t addrlen);
    int (*listen)(void *obj, int backlog);
    int (*accept)(void *obj, struct sockaddr *addr, socklen_t *addrlen);
    ssize_t (*sendto)(void *obj, const void *buf, size_t len, int flags,
                      const struct sockaddr *dest_addr, socklen_t addrlen);
    ssize_t (*recvfrom)(void *obj, void *buf, size_t max_len, int flags, struct sockaddr *src_addr,
                        socklen_t *addrlen);
    int (*getsockopt)(void *obj, int level, int optname, void *optval, socklen_t *optlen);
    int (*setsockopt)(void *obj, int level, int optname, const void *optval, socklen_t optlen);
    ssize_t (*sendmsg)(void *obj, const struct msghdr *msg, int flags);
    ssize_t (*recvmsg)(void *obj, struct msghdr *msg, int flags);
    int (*getpeername)(void *obj, struct sockaddr *addr, socklen_t *addrlen);
    int (*getsockname)(void *obj, struct sockaddr *addr, socklen_t *addrlen);
};

#ifdef __cplusplus
}
#endif

#endif /* ZEPHYR_INCLUDE_NET_SOCKET_OFFLOAD_H_ */
