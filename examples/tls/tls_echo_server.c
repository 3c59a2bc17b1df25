/*
 * tls_echo_server - a TLS 1.2 echo server on zsock: every byte a client sends comes back.
 *
 *   tls_echo_server PORT CERT.pem KEY.pem [CONNECTIONS]
 *
 * Serves CONNECTIONS clients one after the other (default: forever). Talk to it with
 *   openssl s_client -connect 127.0.0.1:PORT -CAfile ca.pem
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zsock/posix.h>

#include "common.h"

#define SERVER_TAG 2

static void serve(int fd) {
    char buf[2048];
    for (;;) {
        ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
        if (n <= 0) { /* 0: close_notify or the end of the stream */
            if (n < 0) perror("recv");
            return;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = zsock_send(fd, buf + off, (size_t)(n - off), 0);
            if (w < 0) {
                perror("send");
                return;
            }
            off += w;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT CERT.pem KEY.pem [CONNECTIONS]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    long connections = argc > 4 ? atol(argv[4]) : -1;
    if (add_pem_file(SERVER_TAG, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, argv[2]) < 0 ||
        add_pem_file(SERVER_TAG, TLS_CREDENTIAL_PRIVATE_KEY, argv[3]) < 0)
        return 1;

    int l = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    int one = 1;
    sec_tag_t tags[] = {SERVER_TAG};
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || zsock_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        zsock_setsockopt(l, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) < 0 ||
        zsock_bind(l, (struct sockaddr *)&addr, sizeof addr) < 0 || zsock_listen(l, 8) < 0) {
        perror("listen");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    for (long served = 0; connections < 0 || served < connections;) {
        /* The handshake runs inside accept(); a client that fails it is just skipped. */
        int fd = zsock_accept(l, NULL, NULL);
        if (fd < 0) {
            fprintf(stderr, "accept: %s\n", strerror(errno));
            continue;
        }
        ++served;
        serve(fd);
        zsock_close(fd);
    }
    zsock_close(l);
    return 0;
}
