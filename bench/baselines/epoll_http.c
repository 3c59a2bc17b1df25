/* bench/baselines/epoll_http.c - the raw epoll HTTP plaintext responder (the HTTP baseline).
 *
 * One thread, edge-triggered epoll, nonblocking sockets. Every complete request (headers ended by
 * an empty line; requests here have no body) is answered with the same "Hello, World!" response,
 * keep-alive by default (HTTP/1.1) and pipelined: all the requests one read brought are answered
 * with one write. "Connection: close" (or HTTP/1.0 without keep-alive) closes after the answer.
 * A request with a body (Content-Length > 0) or one larger than the input buffer is answered 400
 * and the connection closed: this is a benchmark responder, not a general server.
 *
 * Usage: bench_epoll_http [--port N]   (0 = a free port; prints "listening on 127.0.0.1:PORT")
 * Stops cleanly on SIGINT/SIGTERM.
 */
#include <ctype.h>
#include <sys/epoll.h>

#include "bench_server.h"

enum { IN_CAP = 16 * 1024, OUT_CAP = 128 * 1024, MAX_EVENTS = 512 };

static const char k_ok[] = "HTTP/1.1 200 OK\r\n"
                           "Server: zsock-bench\r\n"
                           "Content-Type: text/plain\r\n"
                           "Content-Length: 13\r\n"
                           "\r\n"
                           "Hello, World!";
static const char k_bad[] = "HTTP/1.1 400 Bad Request\r\n"
                            "Content-Length: 0\r\n"
                            "Connection: close\r\n"
                            "\r\n";

struct conn {
    int fd;
    int want_out;
    int close_after; /* close once out is flushed */
    size_t in_len;
    size_t out_off, out_len;
    char in[IN_CAP];
    char out[OUT_CAP];
};

static int epfd;

static void conn_close(struct conn *c) {
    close(c->fd);
    free(c);
}

static void set_events(struct conn *c, unsigned events) {
    struct epoll_event ev = {.events = events | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Finds header `name` in the header block [h, end): returns its value (after the colon and any
 * spaces) and sets *len to the value's length up to CR, or returns NULL. */
static const char *find_header(const char *h, const char *end, const char *name, size_t *len) {
    size_t nl = strlen(name);
    for (const char *p = h; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                ++v;
            const char *ve = eol;
            if (ve > v && ve[-1] == '\r') --ve;
            *len = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* True when header `name` exists and its value contains token (case-insensitive). */
static int header_has(const char *h, const char *end, const char *name, const char *token) {
    size_t len = 0, tl = strlen(token);
    const char *v = find_header(h, end, name, &len);
    if (!v) return 0;
    for (size_t i = 0; i + tl <= len; ++i)
        if (strncasecmp(v + i, token, tl) == 0) return 1;
    return 0;
}

/* Answers every complete request in c->in. Returns 0, or -1 on a request we refuse. */
static int answer_requests(struct conn *c) {
    size_t pos = 0;
    int out_full = 0;
    while (pos < c->in_len) {
        const char *start = c->in + pos;
        size_t avail = c->in_len - pos;
        const char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (!end) break;
        end += 4;
        size_t cl_len = 0;
        const char *cl = find_header(start, end, "Content-Length", &cl_len);
        if ((cl && strtol(cl, NULL, 10) != 0) ||
            find_header(start, end, "Transfer-Encoding", &cl_len)) {
            if (c->out_len + sizeof k_bad > OUT_CAP) {
                out_full = 1;
                break;
            }
            c->close_after = 1; /* a body we do not read: refuse */
            memcpy(c->out + c->out_len, k_bad, sizeof k_bad - 1);
            c->out_len += sizeof k_bad - 1;
            c->in_len = 0;
            return 0;
        }
        if (c->out_len + sizeof k_ok > OUT_CAP) { /* answer the rest after this write */
            out_full = 1;
            break;
        }
        memcpy(c->out + c->out_len, k_ok, sizeof k_ok - 1);
        c->out_len += sizeof k_ok - 1;
        int http10 = avail > 8 && memmem(start, (size_t)(end - start), "HTTP/1.0\r\n", 10) != NULL;
        if (header_has(start, end, "Connection", "close") ||
            (http10 && !header_has(start, end, "Connection", "keep-alive"))) {
            c->close_after = 1;
            pos = c->in_len;
            break;
        }
        pos = (size_t)(end - c->in);
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    if (c->in_len == IN_CAP && !out_full) return -1; /* one request larger than the buffer */
    return 0;
}

/* Writes c->out. Returns 1 when flushed, 0 when the kernel is full, -1 on failure. */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return 0;
        } else {
            return -1;
        }
    }
    c->out_off = c->out_len = 0;
    return 1;
}

/* Reads until EAGAIN, answering as requests complete. Returns -1 when the connection is done. */
static int serve(struct conn *c) {
    for (;;) {
        int eof = 0, again = 0;
        if (c->in_len < IN_CAP) { /* a full buffer is answered first, then read again */
            ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
            if (n == 0) {
                eof = 1;
            } else if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) return -1;
                again = 1;
            } else {
                c->in_len += (size_t)n;
            }
        }
        if (answer_requests(c) < 0) return -1;
        if (c->out_len) {
            int f = flush_out(c);
            if (f < 0) return -1;
            if (f == 0) {
                c->want_out = 1;
                set_events(c, EPOLLIN | EPOLLOUT);
                return 0;
            }
        }
        if (c->close_after || eof) return -1;
        if (again) return 0; /* EAGAIN: wait for the next edge */
    }
}

static void accept_all(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;
        }
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->want_out = c->close_after = 0;
        c->in_len = c->out_off = c->out_len = 0;
        bench_set_nodelay(fd);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 || serve(c) < 0) conn_close(c);
    }
}

int main(int argc, char **argv) {
    int port = bench_parse_port(argc, argv, "raw epoll HTTP plaintext responder (baseline)");
    bench_raise_nofile();
    bench_install_stop_handlers();
    int lfd = bench_listen_tcp4(port, 1);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        perror("epoll_create1");
        return 1;
    }
    static int listener_tag;
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
            int r = 0;
            if (c->want_out) {
                if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                    r = flush_out(c);
                    if (r == 1) {
                        c->want_out = 0;
                        set_events(c, EPOLLIN);
                        r = c->close_after ? -1 : serve(c);
                    }
                }
            } else {
                r = serve(c);
            }
            if (r < 0) conn_close(c);
        }
    }
    close(lfd);
    close(epfd);
    printf("stopped\n");
    return 0;
}
