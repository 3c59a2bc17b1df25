/*
 * echo_client - drives an echo server and checks every byte that comes back.
 *
 *   echo_client [-c CONNS] [-b BYTES] [-s SEED] [-t IDLE_SECONDS] HOST PORT
 *
 * Opens CONNS connections (default 1) and, on each, sends BYTES bytes (default 4 MiB) of a
 * pattern that depends on the seed, the connection and the offset, while reading the echo back
 * and comparing it byte by byte; then shuts its side down and expects an orderly end of stream.
 * All connections run at once from one poll() loop over nonblocking sockets. Exits 0 when every
 * byte came back in order, 1 on a mismatch (the offset is printed), an error, or IDLE_SECONDS
 * (default 30) without progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_CONNS 64
#define CHUNK 65536

struct conn {
    int fd;
    size_t sent;
    size_t received;
    int shut; /* our side has been shut down */
    int done; /* end of stream seen */
};

static unsigned long seed = 1;

/* Byte `off` of connection `c`: cheap, position-based, no short period. */
static unsigned char pattern(int c, size_t off) {
    uint32_t x = (uint32_t)off * 2654435761u ^ (uint32_t)(off >> 12) * 40503u ^ (uint32_t)c * 97u ^
                 (uint32_t)seed * 7919u;
    return (unsigned char)(x >> 13 ^ x >> 24);
}

static int would_block(void) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "echo_client: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) perror("echo_client: connect");
    return fd;
}

int main(int argc, char **argv) {
    int nconns = 1, idle_seconds = 30;
    size_t total = 4u << 20;
    int opt;
    while ((opt = getopt(argc, argv, "c:b:s:t:")) != -1) {
        switch (opt) {
        case 'c':
            nconns = atoi(optarg);
            break;
        case 'b':
            total = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoul(optarg, NULL, 10);
            break;
        case 't':
            idle_seconds = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc - 2 || nconns < 1 || nconns > MAX_CONNS) goto usage;

    struct conn conns[MAX_CONNS];
    for (int i = 0; i < nconns; ++i) {
        memset(&conns[i], 0, sizeof conns[i]);
        conns[i].fd = connect_to(argv[optind], argv[optind + 1]);
        if (conns[i].fd < 0) return 1;
        int fl = fcntl(conns[i].fd, F_GETFL);
        if (fl < 0 || fcntl(conns[i].fd, F_SETFL, fl | O_NONBLOCK) != 0) {
            perror("echo_client: fcntl");
            return 1;
        }
    }

    unsigned char out[CHUNK], in[CHUNK];
    int remaining = nconns;
    while (remaining > 0) {
        struct pollfd fds[MAX_CONNS];
        int who[MAX_CONNS];
        nfds_t n = 0;
        for (int i = 0; i < nconns; ++i) {
            if (conns[i].done) continue;
            fds[n].fd = conns[i].fd;
            fds[n].events = POLLIN | (conns[i].sent < total ? POLLOUT : 0);
            who[n++] = i;
        }
        int ready = poll(fds, n, idle_seconds * 1000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("echo_client: poll");
            return 1;
        }
        if (ready == 0) {
            fprintf(stderr, "echo_client: no progress for %d s\n", idle_seconds);
            return 1;
        }
        for (nfds_t k = 0; k < n; ++k) {
            struct conn *c = &conns[who[k]];
            if (fds[k].revents & POLLOUT) {
                /* Chunk sizes vary so that the server sees every kind of boundary. */
                size_t len = 1 + (c->sent * 7 + (size_t)who[k] * 4093) % CHUNK;
                if (len > total - c->sent) len = total - c->sent;
                for (size_t j = 0; j < len; ++j)
                    out[j] = pattern(who[k], c->sent + j);
                ssize_t w = send(c->fd, out, len, 0);
                if (w < 0 && !would_block()) {
                    perror("echo_client: send");
                    return 1;
                }
                if (w > 0) c->sent += (size_t)w;
                if (c->sent == total && !c->shut) {
                    if (shutdown(c->fd, SHUT_WR) != 0) {
                        perror("echo_client: shutdown");
                        return 1;
                    }
                    c->shut = 1;
                }
            }
            if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                size_t want = 1 + (c->received * 13 + (size_t)who[k] * 977) % CHUNK;
                ssize_t r = recv(c->fd, in, want, 0);
                if (r < 0) {
                    if (would_block()) continue;
                    perror("echo_client: recv");
                    return 1;
                }
                if (r == 0) {
                    if (c->received != total) {
                        fprintf(stderr,
                                "echo_client: conn %d: end of stream after %zu of %zu bytes\n",
                                who[k], c->received, total);
                        return 1;
                    }
                    close(c->fd);
                    c->done = 1;
                    --remaining;
                    continue;
                }
                for (ssize_t j = 0; j < r; ++j) {
                    unsigned char want_byte = pattern(who[k], c->received + (size_t)j);
                    if (in[j] != want_byte) {
                        fprintf(stderr,
                                "echo_client: conn %d: byte %zu is 0x%02x, expected 0x%02x\n",
                                who[k], c->received + (size_t)j, in[j], want_byte);
                        return 1;
                    }
                }
                c->received += (size_t)r;
                if (c->received > total) {
                    fprintf(stderr, "echo_client: conn %d: more bytes than were sent\n", who[k]);
                    return 1;
                }
            }
        }
    }
    printf("echo_client: %d connection(s) x %zu bytes verified\n", nconns, total);
    return 0;

usage:
    fprintf(stderr, "usage: %s [-c CONNS] [-b BYTES] [-s SEED] [-t IDLE_SECONDS] HOST PORT\n",
            argv[0]);
    return 2;
}
