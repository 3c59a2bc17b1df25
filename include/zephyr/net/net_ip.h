/*
 * <zephyr/net/net_ip.h> for Linux: addresses and protocol numbers (Linux's structures and
 * values), the secure protocols (IPPROTO_TLS_1_2 ...) and Zephyr's net_addr_pton/net_addr_ntop.
 */
#ifndef ZEPHYR_INCLUDE_NET_NET_IP_H_
#define ZEPHYR_INCLUDE_NET_NET_IP_H_

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <zsock/posix.h>
#include <zsock/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Zephyr's net_addr_pton: 0, or -EINVAL when src is not an address of family. */
static inline int net_addr_pton(sa_family_t family, const char *src, void *dst) {
    return zsock_inet_pton(family, src, dst) == 1 ? 0 : -EINVAL;
}

/** Zephyr's net_addr_ntop: dst, or NULL. */
static inline char *net_addr_ntop(sa_family_t family, const void *src, char *dst, size_t size) {
    return (char *)zsock_inet_ntop(family, src, dst, (socklen_t)size);
}

#ifdef __cplusplus
}
#endif

#endif /* ZEPHYR_INCLUDE_NET_NET_IP_H_ */
