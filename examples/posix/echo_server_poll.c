/*
 * echo_server_poll - a single-threaded TCP echo server multiplexing its clients with poll().
 *
 *   echo_server_poll [-a ADDR] [-n MAX_CONNS] [-t IDLE_SECONDS] PORT
 *
 * Every socket is nonblocking (fcntl O_NONBLOCK). A connection reads into its buffer, writes as
 * much back as the peer takes, and while bytes are pending waits for POLLOUT instead of reading
 * more, so a slow reader slows only its own connection. Exits 0 once MAX_CONNS connections have
 * been served and closed, 1 on an error or after IDLE_SECONDS without any event.
 */
#include "echo_common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#define MAX_CLIENTS 64
#define BUF_SIZE 65536

struct conn {
    int fd;
    size_t len; /* bytes in buf */
    size_t off; /* bytes of buf already echoed */
    char buf[BUF_SIZE];
};

static struct conn conns[MAX_CLIENTS];

static int set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void drop(struct conn *c) {
    close(c->fd);
    c->fd = -1;
}

/* Writes pending bytes; returns -1 when the connection failed. */
static int flush(struct conn *c) {
    while (c->off < c->len) {
        ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, 0);
        if (w < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        c->off += (size_t)w;
    }
    c->len = c->off = 0;
    return 0;
}

int main(int argc, char **argv) {
    struct server_options o = parse_server_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(&o);
    if (set_nonblocking(lfd) != 0) {
        perror("fcntl");
        return 1;
    }
    for (int i = 0; i < MAX_CLIENTS; ++i)
        conns[i].fd = -1;

    long accepted = 0;
    int open_conns = 0;
    struct pollfd fds[MAX_CLIENTS + 1];
    int owner[MAX_CLIENTS + 1];
    for (;;) {
        int accepting = o.max_conns == 0 || accepted < o.max_conns;
        if (!accepting && open_conns == 0) break;
        nfds_t n = 0;
        if (accepting && open_conns < MAX_CLIENTS) {
            fds[n].fd = lfd;
            fds[n].events = POLLIN;
            owner[n++] = -1;
        }
        for (int i = 0; i < MAX_CLIENTS; ++i) {
            if (conns[i].fd < 0) continue;
            fds[n].fd = conns[i].fd;
            fds[n].events = conns[i].len ? POLLOUT : POLLIN;
            owner[n++] = i;
        }
        int ready = poll(fds, n, o.idle_seconds * 1000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        if (ready == 0) {
            fprintf(stderr, "echo_server_poll: idle for %d s, giving up\n", o.idle_seconds);
            return 1;
        }
        for (nfds_t k = 0; k < n; ++k) {
            if (!fds[k].revents) continue;
            if (owner[k] < 0) {
                int cfd = accept(lfd, NULL, NULL);
                if (cfd < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
                    perror("accept");
                    return 1;
                }
                if (set_nonblocking(cfd) != 0) {
                    perror("fcntl");
                    return 1;
                }
                for (int i = 0; i < MAX_CLIENTS; ++i) {
                    if (conns[i].fd < 0) {
                        conns[i].fd = cfd;
                        conns[i].len = conns[i].off = 0;
                        break;
                    }
                }
                ++accepted;
                ++open_conns;
                continue;
            }
            struct conn *c = &conns[owner[k]];
            if (c->len) { /* waiting to write */
                if (flush(c) != 0) {
                    perror("send");
                    return 1;
                }
                continue;
            }
            ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
                perror("recv");
                return 1;
            }
            if (r == 0) {
                drop(c);
                --open_conns;
                continue;
            }
            c->len += (size_t)r;
            if (flush(c) != 0) {
                perror("send");
                return 1;
            }
        }
    }
    close(lfd);
    return 0;
}
