/*
 * HTTPS GET client, in Zephyr application style (Zephyr's http_get sample with TLS): the CA
 * certificate goes into the credential store under a tag, the socket is a TLS 1.2 socket
 * (IPPROTO_TLS_1_2) that names that tag (TLS_SEC_TAG_LIST) and the server's name
 * (TLS_HOSTNAME, checked against its certificate), then it is plain connect/send/recv.
 * Prints the response on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/tls_credentials.h>

#include "sample_config.h"

#define CA_CERTIFICATE_TAG 1
#define HTTPS_PORT "4443"
#define REQUEST "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"

/* On Zephyr the certificate is usually compiled in; here it is read from a PEM file. */
static char *read_ca(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1);
        if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
            buf[size] = '\0';
            *len = (size_t)size + 1; /* PEM: the terminating NUL is counted, as Zephyr wants */
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

int main(void) {
    static struct addrinfo hints;
    struct addrinfo *res;
    sec_tag_t sec_tag_list[] = {CA_CERTIFICATE_TAG};
    const char *host = sample_env("ZSOCK_SAMPLE_HOST", "127.0.0.1");
    const char *port = sample_env("ZSOCK_SAMPLE_PORT", HTTPS_PORT);
    size_t ca_len = 0;
    char *ca = read_ca(sample_env("ZSOCK_SAMPLE_CA", "ca.pem"), &ca_len);
    int sock, st, total = 0;

    if (!ca) {
        printk("error: cannot read the CA certificate\n");
        return 1;
    }
    st = tls_credential_add(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE, ca, ca_len);
    if (st < 0) {
        printk("error: tls_credential_add: %d\n", st);
        return 1;
    }

    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    st = getaddrinfo(host, port, &hints, &res);
    if (st != 0) {
        printk("error: getaddrinfo: %d (%s)\n", st, gai_strerror(st));
        return 1;
    }

    sock = socket(res->ai_family, res->ai_socktype, IPPROTO_TLS_1_2);
    if (sock < 0) {
        printk("error: socket: %d\n", errno);
        return 1;
    }
    if (setsockopt(sock, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list, sizeof(sec_tag_list)) < 0 ||
        setsockopt(sock, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof("localhost")) < 0) {
        printk("error: setsockopt: %d\n", errno);
        return 1;
    }
    if (connect(sock, res->ai_addr, res->ai_addrlen) < 0) {
        printk("error: connect: %d\n", errno);
        return 1;
    }
    freeaddrinfo(res);

    if (send(sock, REQUEST, sizeof(REQUEST) - 1, 0) != (ssize_t)(sizeof(REQUEST) - 1)) {
        printk("error: send: %d\n", errno);
        return 1;
    }
    for (;;) {
        char buf[512];
        ssize_t len = recv(sock, buf, sizeof(buf), 0);
        if (len < 0) {
            printk("\nerror: recv: %d\n", errno);
            return 1;
        }
        if (len == 0) break;
        fwrite(buf, 1, (size_t)len, stdout);
        total += (int)len;
    }
    fflush(stdout);
    fprintf(stderr, "received %d bytes\n", total);
    close(sock);
    tls_credential_delete(CA_CERTIFICATE_TAG, TLS_CREDENTIAL_CA_CERTIFICATE);
    free(ca);
    return 0;
}
