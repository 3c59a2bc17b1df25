/*
 * Unchanged-style C: a TLS echo server as Zephyr's samples/net/sockets/echo_server writes its TLS
 * part, with the standard names (socket, setsockopt, bind, listen, poll, accept, recv, send, close)
 * from the system headers and the unprefixed extensions of <zsock/posix.h> (IPPROTO_TLS_1_2,
 * SOL_TLS, TLS_SEC_TAG_LIST, tls_credential_add, sec_tag_t). It is linked against libzsock-posix
 * only, so every socket call goes through zsock's POSIX names.
 *
 * usage: tls_posix_names_echo CERT.pem KEY.pem
 * Listens on 127.0.0.1 (a port the kernel picks, printed as "PORT n"), serves one client: each
 * line it reads comes back as "echo: line", until the client closes. Every wait is bounded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <zsock/posix.h>

#define SERVER_CERTIFICATE_TAG 43

static int load(const char *path, unsigned char *buf, size_t cap, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -errno;
    }
    *len = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[(*len)++] = '\0'; /* PEM with its NUL, as sizeof(pem) counts it */
    return 0;
}

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    static unsigned char cert[65536], key[65536];
    size_t cert_len, key_len;
    if (argc != 3) {
        fprintf(stderr, "usage: %s CERT.pem KEY.pem\n", argv[0]);
        return 2;
    }
    if (load(argv[1], cert, sizeof(cert), &cert_len) < 0 ||
        load(argv[2], key, sizeof(key), &key_len) < 0) {
        fprintf(stderr, "cannot read the certificate or key\n");
        return 2;
    }
    if (tls_credential_add(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_SERVER_CERTIFICATE, cert,
                           cert_len) < 0 ||
        tls_credential_add(SERVER_CERTIFICATE_TAG, TLS_CREDENTIAL_PRIVATE_KEY, key, key_len) < 0) {
        fprintf(stderr, "tls_credential_add failed\n");
        return 1;
    }

    int serv = socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    if (serv < 0) {
        return fail("socket");
    }
    sec_tag_t sec_tag_list[] = {SERVER_CERTIFICATE_TAG};
    if (setsockopt(serv, SOL_TLS, TLS_SEC_TAG_LIST, sec_tag_list, sizeof(sec_tag_list)) < 0) {
        return fail("setsockopt TLS_SEC_TAG_LIST");
    }
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(serv, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(serv, 1) < 0 ||
        getsockname(serv, (struct sockaddr *)&addr, &addr_len) < 0) {
        return fail("bind/listen");
    }
    printf("PORT %u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);

    struct pollfd pfd = {.fd = serv, .events = POLLIN};
    if (poll(&pfd, 1, 10000) != 1) {
        fprintf(stderr, "no client came\n");
        return 1;
    }
    int client = accept(serv, NULL, NULL); /* the TLS handshake runs here */
    if (client < 0) {
        return fail("accept");
    }
    struct timeval tv = {.tv_sec = 10};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    char line[1024];
    size_t have = 0;
    for (;;) {
        ssize_t len = recv(client, line + have, sizeof(line) - have, 0);
        if (len < 0) {
            return fail("recv");
        }
        if (len == 0) {
            break; /* close_notify */
        }
        have += (size_t)len;
        char *nl;
        while ((nl = memchr(line, '\n', have)) != NULL) {
            char reply[1100];
            size_t n = (size_t)(nl - line) + 1;
            int r = snprintf(reply, sizeof(reply), "echo: %.*s", (int)n, line);
            if (send(client, reply, (size_t)r, 0) != r) {
                return fail("send");
            }
            memmove(line, nl + 1, have - n);
            have -= n;
        }
        if (have == sizeof(line)) {
            have = 0;
        }
    }
    close(client); /* sends close_notify */
    close(serv);
    printf("served\n");
    return 0;
}
