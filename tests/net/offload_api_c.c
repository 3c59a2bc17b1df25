/* The offload API from C: a registration with Zephyr's macro, and the interface calls. The
 * registered implementation makes sim0 sockets for a protocol number nobody uses (253), so that it
 * never takes sockets from the other tests. */
#include <errno.h>
#include <string.h>

#include <zsock/offload.h>
#include <zsock/simnet.h>

#define TEST_PROTO 253

static bool c_is_supported(int family, int type, int proto) {
    return family == AF_INET && (type & 0xf) == SOCK_DGRAM && proto == TEST_PROTO;
}

static int c_created;

static int c_create(int family, int type, int proto) {
    (void)proto;
    ++c_created;
    return zsock_simnet_create(family, type, 0);
}

NET_SOCKET_OFFLOAD_REGISTER(c_offload, 30, AF_INET, c_is_supported, c_create)

int c_offload_created(void) {
    return c_created;
}

/* Returns 0 when the C view of the interface table works, else the step that failed. */
int c_net_if_steps(void) {
    struct zsock_net_if *i = zsock_net_if_add("ctest0");
    if (!i) return 1;
    if (zsock_net_if_get_by_name("ctest0") != i) return 2;
    if (strcmp(zsock_net_if_name(i), "ctest0") != 0) return 3;
    if (zsock_net_if_get_by_index(zsock_net_if_get_index(i)) != i) return 4;
    zsock_net_if_socket_offload_set(i, c_create);
    if (zsock_net_if_socket_offload(i) != c_create) return 5;
    errno = 0;
    if (zsock_net_if_get_by_name("nope0") != NULL || errno != ENODEV) return 6;
    return 0;
}
