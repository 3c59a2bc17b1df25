/* tests/bench/faulty_echo.c - an echo server that misbehaves on purpose, to prove that
 * bench_loadgen notices. It echoes faithfully until a connection's stream reaches byte --at K
 * (default 1000), then, depending on --fault:
 *   none     keeps echoing faithfully (the control: the load generator must report no error);
 *   corrupt  flips one bit of byte K, then echoes faithfully again;
 *   drop     closes the connection;
 *   short    swallows everything from byte K on, keeping the connection open (answers short);
 *   extra    sends byte K twice.
 * Only connections whose index (in accept order) is a multiple of --every N (default 1) misbehave.
 *
 * Usage: faulty_echo --fault MODE [--at K] [--every N] [--port N]
 * Prints "listening on 127.0.0.1:PORT"; stops on SIGINT/SIGTERM. A poll() loop over blocking
 * sockets: simple on purpose, it only has to be obviously right about its one fault.
 */
#include <poll.h>
#include <stdint.h>

#include "bench_server.h"

enum { NONE, CORRUPT, DROP, SHORT, EXTRA };
enum { MAX_CONNS = 4096 };

struct conn {
    int faulty;
    uint64_t seen; /* stream bytes received so far */
};

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Echoes one read's worth with the fault applied. Returns -1 to close the connection. */
static int echo(int fd, struct conn *c, int fault, uint64_t at) {
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return n < 0 && errno == EINTR ? 0 : -1;
    uint64_t start = c->seen;
    c->seen += (uint64_t)n;
    int hit = c->faulty && start <= at && at < c->seen;
    size_t k = (size_t)(at - start); /* index of byte `at` in buf when hit */
    if (!c->faulty || fault == NONE || (!hit && at >= c->seen)) return send_all(fd, buf, (size_t)n);
    switch (fault) {
    case CORRUPT:
        if (hit) buf[k] ^= 0x01;
        return send_all(fd, buf, (size_t)n);
    case DROP:
        return hit ? (send_all(fd, buf, k), -1) : -1;
    case SHORT:
        return hit ? send_all(fd, buf, k) : 0;
    case EXTRA:
        if (!hit) return send_all(fd, buf, (size_t)n);
        if (send_all(fd, buf, k + 1) < 0) return -1;
        return send_all(fd, buf + k, (size_t)n - k);
    }
    return 0;
}

int main(int argc, char **argv) {
    int fault = -1, every = 1, port = 0;
    uint64_t at = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--fault")) {
            fault = !strcmp(v, "none")      ? NONE
                    : !strcmp(v, "corrupt") ? CORRUPT
                    : !strcmp(v, "drop")    ? DROP
                    : !strcmp(v, "short")   ? SHORT
                    : !strcmp(v, "extra")   ? EXTRA
                                            : -1;
        } else if (!strcmp(a, "--at")) {
            at = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--every")) {
            every = atoi(v) > 0 ? atoi(v) : 1;
        } else if (!strcmp(a, "--port")) {
            port = atoi(v);
        }
    }
    if (fault < 0) {
        fprintf(stderr,
                "usage: %s --fault none|corrupt|drop|short|extra [--at K] [--every N] "
                "[--port N]\n",
                argv[0]);
        return 2;
    }
    bench_raise_nofile();
    bench_install_stop_handlers();
    int lfd = bench_listen_tcp4(port, 0);
    bench_print_listening(lfd);

    static struct pollfd fds[MAX_CONNS + 1];
    static struct conn conns[MAX_CONNS + 1];
    size_t n = 1;
    unsigned accepted = 0;
    fds[0].fd = lfd;
    fds[0].events = POLLIN;
    while (!bench_stop_requested) {
        if (poll(fds, n, -1) < 0) continue; /* EINTR: check the flag */
        for (size_t i = n; i-- > 1;) {
            if (!fds[i].revents) continue;
            if (echo(fds[i].fd, &conns[i], fault, at) < 0) {
                close(fds[i].fd);
                fds[i] = fds[n - 1];
                conns[i] = conns[n - 1];
                --n;
            }
        }
        if ((fds[0].revents & POLLIN) && n <= MAX_CONNS) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) {
                fds[n].fd = fd;
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                conns[n].faulty = accepted++ % (unsigned)every == 0;
                conns[n].seen = 0;
                ++n;
            }
        }
    }
    printf("stopped\n");
    return 0;
}
