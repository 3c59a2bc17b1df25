/*
 * <zephyr/net/net_if.h> for Linux: the part offload drivers use, over zsock's interface table
 * (<zsock/offload.h>): net_if_get_by_name, net_if_get_by_index, net_if_socket_offload_set.
 * A struct net_if is an interface of zsock's table, not a kernel interface; its indices are
 * zsock's own.
 */
#ifndef ZEPHYR_INCLUDE_NET_NET_IF_H_
#define ZEPHYR_INCLUDE_NET_NET_IF_H_

#include <errno.h>

#include <zsock/offload.h>

#ifdef __cplusplus
extern "C" {
#endif

struct net_if; /* is a struct zsock_net_if */

typedef zsock_create_fn net_socket_create_t;

/** The 1-based index of the interface called name, or -ENOENT. */
static inline int net_if_get_by_name(const char *name) {
    struct zsock_net_if *i = zsock_net_if_get_by_name(name);
    return i ? zsock_net_if_get_index(i) : -ENOENT;
}

static inline struct net_if *net_if_get_by_index(int index) {
    return (struct net_if *)zsock_net_if_get_by_index(index);
}

static inline void net_if_socket_offload_set(struct net_if *iface,
                                             net_socket_create_t socket_offload) {
    zsock_net_if_socket_offload_set((struct zsock_net_if *)iface, socket_offload);
}

#ifdef __cplusplus
}
#endif

#endif /* ZEPHYR_INCLUDE_NET_NET_IF_H_ */
