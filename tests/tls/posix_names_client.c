/*
 * Unchanged-style C: an HTTPS GET as Zephyr's samples/net/sockets/http_get writes it, with the
 * standard names (socket, setsockopt, connect, send, recv, close, getaddrinfo) from the system
 * headers and the unprefixed extensions of <zsock/posix.h> (IPPROTO_TLS_1_2, SOL_TLS,
 * TLS_SEC_TAG_LIST, TLS_HOSTNAME, tls_credential_add, sec_tag_t). It is linked against
 * libzsock-posix only, so every socket call goes through zsock's POSIX names.
 *
 * usage: tls_posix_names_get PORT CA.pem   (prints the page on stdout)
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zsock/posix.h>

#define CA_CERTIFICATE_TAG 42

int posix_names_https_get(const char *port, const unsigned char *ca, size_t ca_len, char *out,
                          size_t out_len) {
    static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    struct addrinfo hints, *res = NULL;
    int sock, ret;
    size_t total = 0;

    ret = tls_credential_add(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, ca, ca_len);
    if (ret < 0 && ret != -EEXIST) {
        return ret;
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo("127.0.0.1", port, &hints, &res) != 0) {
        return -EHOSTUNREACH;
    }

    sock = socket(res->ai_family, res->ai_socktype, IPPROTO_TLS_1_2);
    if (sock < 0) {
        freeaddrinfo(res);
        return -errno;
    }

    sec_tag_t sec_tag_opt[] = {CA_CERTIFICATE_TAG};
    if (setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_opt, sizeof(sec_tag_opt)) < 0 ||
        setsockopt(sock, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0 ||
        connect(sock, res->ai_addr, res->ai_addrlen) < 0 ||
        send(sock, request, sizeof(request) - 1, 0) < 0) {
        ret = -errno;
        close(sock);
        freeaddrinfo(res);
        return ret;
    }
    freeaddrinfo(res);

    while (total + 1 < out_len) {
        int len = (int)recv(sock, out + total, out_len - total - 1, 0);
        if (len < 0) {
            ret = -errno;
            close(sock);
            return ret;
        }
        if (len == 0) {
            break;
        }
        total += (size_t)len;
    }
    out[total] = '\0';
    close(sock);
    return (int)total;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT CA.pem\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    static unsigned char ca[65536];
    size_t ca_len = fread(ca, 1, sizeof(ca) - 1, f);
    fclose(f);
    ca[ca_len++] = '\0'; /* PEM with its NUL, as sizeof(pem) counts it */
    static char page[65536];
    int n = posix_names_https_get(argv[1], ca, ca_len, page, sizeof(page));
    if (n < 0) {
        fprintf(stderr, "https get: %s\n", strerror(-n));
        return 1;
    }
    fwrite(page, 1, (size_t)n, stdout);
    return 0;
}
