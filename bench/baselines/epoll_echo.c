/* bench/baselines/epoll_echo.c - the raw epoll echo server every benchmark cell is a ratio to.
 *
 * Written the way an experienced C programmer writes it, so that nobody can say it was crippled:
 * one thread, edge-triggered epoll, nonblocking sockets, one shared 64 KiB read buffer. On a
 * readable edge it reads until EAGAIN and writes every chunk straight back. When the kernel takes
 * only part of a write, the rest is kept in a per-connection buffer, EPOLLOUT is armed and reading
 * stops (the peer is not draining; reading more would only grow our buffer); once the buffer is
 * flushed, EPOLLOUT is disarmed and reading resumes where it stopped.
 *
 * Usage: bench_epoll_echo [--port N]   (0 = a free port; prints "listening on 127.0.0.1:PORT")
 * Stops cleanly on SIGINT/SIGTERM.
 */
#include <fcntl.h>
#include <sys/epoll.h>

#include "bench_server.h"

enum { READ_BUF = 64 * 1024, MAX_EVENTS = 512 };

struct conn {
    int fd;
    int want_out; /* EPOLLOUT armed: pend holds bytes the kernel did not take yet */
    char *pend;   /* unsent bytes (malloc'd on the first short write, kept for reuse) */
    size_t pend_cap;
    size_t pend_off;
    size_t pend_len;
};

static int epfd;
static char rbuf[READ_BUF];

static void conn_close(struct conn *c) {
    close(c->fd); /* closing removes it from the epoll set */
    free(c->pend);
    free(c);
}

static void set_events(struct conn *c, unsigned events) {
    struct epoll_event ev = {.events = events | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Keeps bytes [data, data+len) for EPOLLOUT. Returns 0, or -1 when out of memory. */
static int keep_pending(struct conn *c, const char *data, size_t len) {
    if (len > c->pend_cap) {
        char *p = realloc(c->pend, len);
        if (!p) return -1;
        c->pend = p;
        c->pend_cap = len;
    }
    memcpy(c->pend, data, len);
    c->pend_off = 0;
    c->pend_len = len;
    return 0;
}

/* Writes what is pending. Returns 1 when all of it went out, 0 when the kernel is full again,
 * -1 when the connection failed. */
static int flush_pending(struct conn *c) {
    while (c->pend_off < c->pend_len) {
        ssize_t n = write(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off);
        if (n > 0) {
            c->pend_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return 0;
        } else {
            return -1;
        }
    }
    c->pend_off = c->pend_len = 0;
    return 1;
}

/* Reads until EAGAIN, echoing every chunk. Returns -1 when the connection is finished. */
static int echo_readable(struct conn *c) {
    for (;;) {
        ssize_t n = read(c->fd, rbuf, sizeof rbuf);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN ? 0 : -1;
        }
        size_t off = 0;
        while (off < (size_t)n) {
            ssize_t w = write(c->fd, rbuf + off, (size_t)n - off);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && errno == EAGAIN) {
                if (keep_pending(c, rbuf + off, (size_t)n - off) < 0) return -1;
                c->want_out = 1;
                set_events(c, EPOLLIN | EPOLLOUT);
                return 0; /* stop reading until the peer drains; input stays queued */
            } else {
                return -1;
            }
        }
    }
}

static void accept_all(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return; /* EAGAIN: drained; EMFILE and friends: try again on the next edge */
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        bench_set_nodelay(fd);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            conn_close(c);
            continue;
        }
        /* Data may have arrived before the registration: edge-triggered would miss it. */
        if (echo_readable(c) < 0) conn_close(c);
    }
}

int main(int argc, char **argv) {
    int port = bench_parse_port(argc, argv, "raw edge-triggered epoll echo server (baseline)");
    bench_raise_nofile();
    bench_install_stop_handlers();
    int lfd = bench_listen_tcp4(port, 1);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("epoll_create1");
        return 1;
    }
    static int listener_tag; /* data.ptr of the listening socket */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &listener_tag};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    bench_print_listening(lfd);
    printf("engine: epoll (edge-triggered)\n");
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!bench_stop_requested) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            if (events[i].data.ptr == &listener_tag) {
                accept_all(lfd);
                continue;
            }
            struct conn *c = events[i].data.ptr;
            unsigned ev = events[i].events;
            int r = 0;
            if (c->want_out && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                r = flush_pending(c);
                if (r == 1) {
                    c->want_out = 0;
                    set_events(c, EPOLLIN);
                    r = echo_readable(c); /* resume: input may have queued while we waited */
                }
            } else if (!c->want_out && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) {
                r = echo_readable(c);
            }
            if (r < 0) conn_close(c);
        }
    }
    close(lfd);
    close(epfd);
    printf("stopped\n");
    return 0;
}
