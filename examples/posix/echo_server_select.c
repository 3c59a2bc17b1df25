/*
 * echo_server_select - a single-threaded TCP echo server multiplexing its clients with select(),
 * moving bytes with plain read() and write().
 *
 *   echo_server_select [-a ADDR] [-n MAX_CONNS] [-t IDLE_SECONDS] PORT
 *
 * Same shape as echo_server_poll: nonblocking sockets (ioctl FIONBIO), one buffer per connection,
 * writability awaited while bytes are pending. Exits 0 once MAX_CONNS connections have been
 * served and closed, 1 on an error or after IDLE_SECONDS without any event.
 */
#include "echo_common.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>

#define MAX_CLIENTS 64
#define BUF_SIZE 65536

struct conn {
    int fd;
    size_t len;
    size_t off;
    char buf[BUF_SIZE];
};

static struct conn conns[MAX_CLIENTS];

static int set_nonblocking(int fd) {
    int on = 1;
    return ioctl(fd, FIONBIO, &on);
}

static int would_block(void) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static int flush(struct conn *c) {
    while (c->off < c->len) {
        ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);
        if (w < 0) return would_block() ? 0 : -1;
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
        perror("ioctl");
        return 1;
    }
    for (int i = 0; i < MAX_CLIENTS; ++i)
        conns[i].fd = -1;

    long accepted = 0;
    int open_conns = 0;
    for (;;) {
        int accepting = o.max_conns == 0 || accepted < o.max_conns;
        if (!accepting && open_conns == 0) break;
        fd_set rd, wr;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        int maxfd = -1;
        if (accepting && open_conns < MAX_CLIENTS) {
            FD_SET(lfd, &rd);
            maxfd = lfd;
        }
        for (int i = 0; i < MAX_CLIENTS; ++i) {
            if (conns[i].fd < 0) continue;
            FD_SET(conns[i].fd, conns[i].len ? &wr : &rd);
            if (conns[i].fd > maxfd) maxfd = conns[i].fd;
        }
        struct timeval tv = {o.idle_seconds, 0};
        int ready = select(maxfd + 1, &rd, &wr, NULL, &tv);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("select");
            return 1;
        }
        if (ready == 0) {
            fprintf(stderr, "echo_server_select: idle for %d s, giving up\n", o.idle_seconds);
            return 1;
        }
        if (FD_ISSET(lfd, &rd)) {
            int cfd = accept(lfd, NULL, NULL);
            if (cfd >= 0) {
                if (cfd >= FD_SETSIZE || set_nonblocking(cfd) != 0) {
                    fprintf(stderr, "echo_server_select: cannot serve fd %d\n", cfd);
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
            } else if (!would_block()) {
                perror("accept");
                return 1;
            }
        }
        for (int i = 0; i < MAX_CLIENTS; ++i) {
            struct conn *c = &conns[i];
            if (c->fd < 0) continue;
            if (FD_ISSET(c->fd, &wr)) {
                if (flush(c) != 0) {
                    perror("write");
                    return 1;
                }
            } else if (FD_ISSET(c->fd, &rd)) {
                ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
                if (r < 0) {
                    if (would_block()) continue;
                    perror("read");
                    return 1;
                }
                if (r == 0) {
                    close(c->fd);
                    c->fd = -1;
                    --open_conns;
                    continue;
                }
                c->len += (size_t)r;
                if (flush(c) != 0) {
                    perror("write");
                    return 1;
                }
            }
        }
    }
    close(lfd);
    return 0;
}
