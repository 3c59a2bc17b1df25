/*
 * tls_get - fetch "/" over HTTPS with a zsock TLS 1.2 socket, Zephyr's http_get sample style.
 *
 *   tls_get HOST PORT CA.pem [SERVER_NAME]
 *
 * Try it against a local server:
 *   openssl s_server -accept 4433 -cert server.pem -key server.key -www
 *   tls_get 127.0.0.1 4433 ca.pem localhost
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zsock/posix.h>

#include "common.h"

#define CA_TAG 1

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT CA.pem [SERVER_NAME]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *port = argv[2], *server_name = argc > 4 ? argv[4] : argv[1];
    if (add_pem_file(CA_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, argv[3]) < 0) return 1;

    struct zsock_addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int r = zsock_getaddrinfo(host, port, &hints, &res);
    if (r != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", zsock_gai_strerror(r));
        return 1;
    }
    int fd = zsock_socket(res->ai_family, SOCK_STREAM, IPPROTO_TLS_1_2);
    if (fd < 0) {
        perror("socket");
        zsock_freeaddrinfo(res);
        return 1;
    }
    sec_tag_t tags[] = {CA_TAG};
    if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) < 0 ||
        zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, server_name, strlen(server_name) + 1) < 0) {
        perror("setsockopt");
        zsock_freeaddrinfo(res);
        zsock_close(fd);
        return 1;
    }
    if (zsock_connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        /* ECONNABORTED: the handshake failed; TLS_CERT_VERIFY_RESULT says why when it is the
         * certificate. */
        int e = errno;
        uint32_t flags = 0;
        socklen_t len = sizeof flags;
        zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len);
        fprintf(stderr, "connect: %s (verify flags 0x%x)\n", strerror(e), flags);
        zsock_freeaddrinfo(res);
        zsock_close(fd);
        return 1;
    }
    zsock_freeaddrinfo(res);

    char req[256];
    int n = snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", server_name);
    for (int off = 0; off < n;) { /* a TLS send may be short: loop */
        ssize_t w = zsock_send(fd, req + off, (size_t)(n - off), 0);
        if (w < 0) {
            perror("send");
            zsock_close(fd);
            return 1;
        }
        off += (int)w;
    }
    char buf[4096];
    ssize_t got;
    while ((got = zsock_recv(fd, buf, sizeof buf, 0)) > 0)
        fwrite(buf, 1, (size_t)got, stdout);
    if (got < 0) perror("recv");
    zsock_close(fd); /* sends close_notify */
    return got < 0;
}
