/*
 * <zephyr/net/socket_offload.h> for Linux: offloaded socket implementations register with
 * NET_SOCKET_OFFLOAD_REGISTER(name, prio, family, is_supported, handler) and create their fds with
 * zsock_fd_reserve/zsock_fd_finalize (<zsock/offload.h>, <zsock/fdtable.h>); interfaces get a
 * socket creator with net_if_socket_offload_set (<zephyr/net/net_if.h>).
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

#endif /* ZEPHYR_INCLUDE_NET_SOCKET_OFFLOAD_H_ */
