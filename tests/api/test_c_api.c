/*
 * test_c_api.c - zsock's public C headers from strict C11.
 *
 * Built with -std=c11 -Wall -Wextra -Werror -pedantic and linked against libzsock: every public
 * C header (zsock_all_c_headers.h, generated from the .h files of include/zsock) must compile
 * there, and the calls below must link and work. Exits 0 on success.
 */
#include "zsock_all_c_headers.h"

#include <stdio.h>
#include <string.h>

static bool impl_supported(int family, int type, int proto) {
    (void)type;
    return family == ZSOCK_AF_UNIX && proto == 0;
}

static int impl_created;
static int impl_create(int family, int type, int proto) {
    struct zsock_socket_impl next;
    ++impl_created;
    int r = zsock_find_socket_impl(family, type, proto, 31, false, &next);
    return r < 0 ? r : next.create(family, type, proto);
}

/* Registration from C, as an offloaded stack would do it. */
NET_SOCKET_OFFLOAD_REGISTER(c_api_test, 30, ZSOCK_AF_UNIX, impl_supported, impl_create)

int main(void) {
    int failures = 0;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                                \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

    int sv[2];
    CHECK(zsock_socketpair(ZSOCK_AF_UNIX, ZSOCK_SOCK_STREAM, 0, sv) == 0);
    CHECK(zsock_send(sv[0], "c11", 3, 0) == 3);
    char buf[4] = {0};
    CHECK(zsock_recv(sv[1], buf, sizeof buf, 0) == 3 && memcmp(buf, "c11", 3) == 0);

    zsock_fd_set set;
    ZSOCK_FD_ZERO(&set);
    ZSOCK_FD_SET(sv[1], &set);
    struct zsock_timeval tv = {0, 0};
    CHECK(zsock_select(sv[1] + 1, &set, NULL, NULL, &tv) == 0);
    CHECK(zsock_close(sv[0]) == 0 && zsock_close(sv[1]) == 0);

    int u = zsock_socket(ZSOCK_AF_UNIX, ZSOCK_SOCK_DGRAM, 0);
    CHECK(u >= 0 && impl_created == 1); /* went through the C-registered implementation */
    CHECK(zsock_close(u) == 0);

    struct zsock_addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = ZSOCK_AI_NUMERICHOST;
    CHECK(zsock_getaddrinfo("127.0.0.1", "80", &hints, &res) == 0 && res != NULL);
    zsock_freeaddrinfo(res);

    CHECK(SOL_TLS == ZSOCK_SOL_TLS && TLS_PEER_VERIFY == ZSOCK_TLS_PEER_VERIFY);
    CHECK(strlen(ZSOCK_VERSION_STRING) > 0);
    return failures ? 1 : 0;
}
