/*
 * dtls_client - send one datagram over DTLS 1.2 and print the answer.
 *
 *   dtls_client HOST PORT CA.pem MESSAGE [SERVER_NAME]
 *
 * Try it against
 *   openssl s_server -dtls1_2 -accept 4444 -cert server.pem -key server.key
 * (type the answer into s_server once it printed the message).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zsock/posix.h>

#include "common.h"

#define CA_TAG 1

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT CA.pem MESSAGE [SERVER_NAME]\n", argv[0]);
        return 2;
    }
    const char *server_name = argc > 5 ? argv[5] : argv[1];
    if (add_pem_file(CA_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, argv[3]) < 0) return 1;

    struct zsock_addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    int r = zsock_getaddrinfo(argv[1], argv[2], &hints, &res);
    if (r != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", zsock_gai_strerror(r));
        return 1;
    }
    int fd = zsock_socket(res->ai_family, SOCK_DGRAM, IPPROTO_DTLS_1_2);
    sec_tag_t tags[] = {CA_TAG};
    /* Retransmit the handshake after 500 ms, doubling up to 4 s. */
    uint32_t hs_min = 500, hs_max = 4000;
    struct timeval rcv = {10, 0};
    if (fd < 0 || zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) < 0 ||
        zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, server_name, strlen(server_name) + 1) < 0 ||
        zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &hs_min, sizeof hs_min) < 0 ||
        zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &hs_max, sizeof hs_max) < 0 ||
        zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv) < 0) {
        perror("socket");
        zsock_freeaddrinfo(res);
        return 1;
    }
    if (zsock_connect(fd, res->ai_addr, res->ai_addrlen) < 0) { /* the handshake runs here */
        perror("connect");
        zsock_freeaddrinfo(res);
        zsock_close(fd);
        return 1;
    }
    zsock_freeaddrinfo(res);
    if (zsock_send(fd, argv[4], strlen(argv[4]), 0) < 0) {
        perror("send");
        zsock_close(fd);
        return 1;
    }
    char buf[2048];
    ssize_t n = zsock_recv(fd, buf, sizeof buf, 0); /* one datagram */
    if (n < 0) {
        perror("recv");
        zsock_close(fd);
        return 1;
    }
    printf("reply: %.*s\n", (int)n, buf);
    zsock_close(fd);
    return 0;
}
