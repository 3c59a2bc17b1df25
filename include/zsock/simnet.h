/*
 * zsock/simnet.h - "sim0", an in-process user-space network shipped with zsock: a complete
 * offloaded socket implementation, the worked example of <zsock/offload.h> and a test vehicle.
 *
 * TCP-like streams and UDP-like datagrams between sockets of the same process, on addresses the
 * network owns: 127.0.0.0/8 and ::1 (and the wildcards for bind). Nothing is ever sent to a kernel
 * stack, let alone a real network. Each socket is a zsock fd whose kernel descriptor carries its
 * readiness, so zsock_poll, zsock_select and the coroutine engines wait on it like on any other.
 *
 * How sockets land on it: zsock_simnet_register() puts it in the registry (then it serves every
 * AF_INET/AF_INET6 stream and datagram socket, ahead of the native stack at the default offload
 * priority); or, with the dispatcher enabled, setsockopt(SO_BINDTODEVICE, "sim0") picks it for one
 * socket; or zsock_simnet_create() makes one directly. The interface "sim0" is in zsock's interface
 * table whenever simnet is built (ZSOCK_WITH_SIMNET, on by default).
 *
 * Where it differs from Linux TCP/UDP (nothing crosses a wire): a connect to a listener with room
 * completes at once, also when nonblocking (0, not EINPROGRESS); a send after the peer closed
 * fails with EPIPE at once (Linux accepts one more); SIGPIPE is never raised; sockets are
 * IPv6-only (IPV6_V6ONLY cannot be cleared); no urgent data (MSG_OOB: EOPNOTSUPP on send, EINVAL
 * on recv); no control messages; SO_SNDBUF is kept but the window is the receiver's SO_RCVBUF;
 * ports below 1024 need no privilege; a socket reused after a failed connection or a stopped
 * listener gets a new kernel descriptor under the same number (dup3).
 */
#ifndef ZSOCK_SIMNET_H
#define ZSOCK_SIMNET_H

#include <stdbool.h>

#include <zsock/offload.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The interface name of the in-process network. */
#define ZSOCK_SIMNET_IFNAME "sim0"

#if ZSOCK_CONFIG_SIMNET

/**
 * zsock_simnet_create - a socket on sim0. family AF_INET or AF_INET6 (else -EAFNOSUPPORT); type
 * SOCK_STREAM (protocol 0 or IPPROTO_TCP) or SOCK_DGRAM (0 or IPPROTO_UDP), with SOCK_NONBLOCK and
 * SOCK_CLOEXEC (else -ESOCKTNOSUPPORT, -EPROTONOSUPPORT or -EINVAL). Returns the fd or -errno.
 */
ZSOCK_API int zsock_simnet_create(int family, int type, int proto);

/** zsock_simnet_is_supported - whether zsock_simnet_create accepts (family, type, proto). */
ZSOCK_API bool zsock_simnet_is_supported(int family, int type, int proto);

/**
 * zsock_simnet_register - adds sim0 to the registry as the offloaded implementation "simnet" at
 * priority (ZSOCK_PRIORITY_OFFLOAD for the default). Returns 0 or -EEXIST.
 */
ZSOCK_API int zsock_simnet_register(int priority);

/** zsock_simnet_unregister - removes it. Sockets already made keep working. 0 or -ENOENT. */
ZSOCK_API int zsock_simnet_unregister(void);

/** zsock_simnet_owns - whether fd is an open sim0 socket. */
ZSOCK_API bool zsock_simnet_owns(int fd);

/** zsock_simnet_socket_count - sim0 sockets alive, including connections not accepted yet. */
ZSOCK_API long zsock_simnet_socket_count(void);

#endif /* ZSOCK_CONFIG_SIMNET */

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_SIMNET_H */
