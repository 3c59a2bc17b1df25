/*
 * api_app.c - a C11 consumer of zsock's own API (every public C header), linked against an
 * installed libzsock (shared or static). A loopback TCP exchange through the zsock_ calls, then
 * a line saying which socket implementations are registered, which the consumer test compares
 * between the shared and the static link (a static link must not lose an implementation that
 * registers itself from a constructor).
 */
#include <zsock/fdtable.h>
#include <zsock/offload.h>
#include <zsock/posix.h>
#include <zsock/socket.h>
#include <zsock/version.h>

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static const char *impl_for(int family, int type, int proto) {
    static struct zsock_socket_impl impl;
    if (zsock_find_socket_impl(family, type, proto, 0, false, &impl) != 0) return "none";
    return impl.name;
}

int main(void) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = ZSOCK_AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;

    int l = zsock_socket(ZSOCK_AF_INET, ZSOCK_SOCK_STREAM, 0);
    CHECK(l >= 0);
    CHECK(zsock_bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(zsock_listen(l, 1) == 0);
    CHECK(zsock_getsockname(l, (struct sockaddr *)&a, &len) == 0);
    int c = zsock_socket(ZSOCK_AF_INET, ZSOCK_SOCK_STREAM, 0);
    CHECK(zsock_connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = zsock_accept(l, NULL, NULL);
    CHECK(s >= 0);
    CHECK(zsock_send(c, "zsock", 5, 0) == 5);
    struct zsock_pollfd p = {s, ZSOCK_POLLIN, 0};
    CHECK(zsock_poll(&p, 1, 5000) == 1);
    char buf[8];
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 5 && memcmp(buf, "zsock", 5) == 0);
    CHECK(zsock_fd_get_obj(s, NULL, 0) != NULL);
    CHECK(zsock_close(s) == 0 && zsock_close(c) == 0 && zsock_close(l) == 0);

    if (failures) return 1;
    printf("zsock %s: tcp=%s tls=%s dtls=%s\n", ZSOCK_VERSION_STRING,
           impl_for(AF_INET, SOCK_STREAM, 0), impl_for(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2),
           impl_for(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2));
    return 0;
}
