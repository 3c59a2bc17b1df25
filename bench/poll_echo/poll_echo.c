/* bench/poll_echo/poll_echo.c - a poll()-based blocking-API echo loop, built twice from this one
 * file: bench_poll_echo_zsock calls zsock_socket/zsock_poll/zsock_recv/zsock_send..., and
 * bench_poll_echo_libc calls the same functions in libc. Same source, same load: the difference in
 * syscalls and instructions per message is what zsock costs (issue 2, section 9).
 *
 * The loop is the textbook one: blocking sockets, one pollfd array [listener, connections...],
 * poll with no timeout, then for each ready connection one recv of up to 64 KiB and a send loop
 * until all of it went out. Closed connections are swapped out of the array.
 *
 * Usage: bench_poll_echo_{zsock,libc} [--port N]   (prints "listening on 127.0.0.1:PORT")
 * Stops cleanly on SIGINT/SIGTERM.
 */
#include "bench_server.h"

#include <poll.h>

#ifdef BENCH_USE_ZSOCK
#include <zsock/socket.h>
#define API_NAME "zsock"
#define S_SOCKET zsock_socket
#define S_SETSOCKOPT zsock_setsockopt
#define S_BIND zsock_bind
#define S_LISTEN zsock_listen
#define S_ACCEPT zsock_accept
#define S_POLL(fds, n, t) zsock_poll((struct zsock_pollfd *)(fds), (n), (t))
#define S_RECV zsock_recv
#define S_SEND zsock_send
#define S_CLOSE zsock_close
#define S_GETSOCKNAME zsock_getsockname
#else
#define API_NAME "libc"
#define S_SOCKET socket
#define S_SETSOCKOPT setsockopt
#define S_BIND bind
#define S_LISTEN listen
#define S_ACCEPT accept
#define S_POLL poll
#define S_RECV recv
#define S_SEND send
#define S_CLOSE close
#define S_GETSOCKNAME getsockname
#endif

enum { BUF = 64 * 1024 };

static char buf[BUF];

static int open_listener(int port) {
    int fd = S_SOCKET(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    S_SETSOCKOPT(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (S_BIND(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || S_LISTEN(fd, SOMAXCONN) < 0) {
        perror("bind/listen");
        exit(1);
    }
    socklen_t len = sizeof sa;
    S_GETSOCKNAME(fd, (struct sockaddr *)&sa, &len);
    printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
    printf("engine: %s poll() loop, blocking sockets\n", API_NAME);
    fflush(stdout);
    return fd;
}

/* Echoes one recv's worth. Returns -1 when the connection is finished. */
static int echo_once(int fd) {
    ssize_t n = S_RECV(fd, buf, sizeof buf, 0);
    if (n <= 0) return n < 0 && errno == EINTR ? 0 : -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = S_SEND(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR && !bench_stop_requested) continue;
            return -1;
        }
        off += w;
    }
    return 0;
}

int main(int argc, char **argv) {
    int port = bench_parse_port(argc, argv, "poll() echo loop on the blocking API (" API_NAME ")");
    bench_raise_nofile();
    bench_install_stop_handlers();
    int lfd = open_listener(port);

    size_t cap = 64, n = 1;
    struct pollfd *fds = malloc(cap * sizeof *fds);
    if (!fds) return 1;
    fds[0].fd = lfd;
    fds[0].events = POLLIN;

    while (!bench_stop_requested) {
        int ready = S_POLL(fds, (int)n, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        /* Connections first, from the end, so that a close can swap the last one in. */
        for (size_t i = n; i-- > 1 && ready > 0;) {
            if (!fds[i].revents) continue;
            --ready;
            if (echo_once(fds[i].fd) < 0) {
                S_CLOSE(fds[i].fd);
                fds[i] = fds[--n];
            }
        }
        if (fds[0].revents & POLLIN) {
            int fd = S_ACCEPT(lfd, NULL, NULL);
            if (fd >= 0) {
                if (n == cap) {
                    struct pollfd *bigger = realloc(fds, 2 * cap * sizeof *fds);
                    if (!bigger) {
                        S_CLOSE(fd);
                        continue;
                    }
                    fds = bigger;
                    cap *= 2;
                }
                int one = 1;
                S_SETSOCKOPT(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                fds[n].fd = fd;
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                ++n;
            }
        }
    }
    for (size_t i = 0; i < n; ++i)
        S_CLOSE(fds[i].fd);
    free(fds);
    printf("stopped\n");
    return 0;
}
