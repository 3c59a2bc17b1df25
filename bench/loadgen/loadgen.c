/* bench/loadgen/loadgen.c - zsock's echo load generator, on plain epoll (never on zsock, so that it
 * does not measure itself).
 *
 * N connections spread over T threads; each keeps `depth` messages of `size` bytes in flight: a
 * message is issued, written, and complete when all of its bytes came back; each completion issues
 * the next one. Every echoed byte is checked against the connection's own pattern (pattern.h).
 *
 * Timeline: connect all -> warm-up (not counted) -> measured window (messages/s, latency) -> stop
 * issuing -> drain (answers still owed may arrive; the drain lasts while answers keep coming, and
 * ends --drain seconds after the last byte, or 120 s after the window at most) -> report. With
 * --count M each connection sends exactly M messages instead and the run ends when all are answered
 * (the window stays a cap).
 *
 * Verdicts, all counted: mismatched bytes/messages (corruption, cross-talk, reordering), extra
 * bytes (more came back than was sent), short answers (messages not fully answered by the end of
 * the drain), dropped connections (EOF/reset while answers were owed), connect failures.
 * Output: one JSON line on stdout. Exit 0 when every byte was right, 1 when anything was wrong,
 * 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "histogram.h"
#include "loadgen.h"
#include "pattern.h"

unsigned char pattern_table[2 * PATTERN_P];

enum { CONNECTING, ACTIVE, FINISHED, DEAD };
enum { RBUF = 256 * 1024, MAX_EVENTS = 256 };

struct conn {
    int fd;
    int state;
    int want_out;
    unsigned seed;
    uint64_t tx_off, tx_target, rx_off;
    uint64_t issued, done;
    uint64_t window_msgs;  /* completed inside the measured window */
    uint64_t bad_msg_mark; /* 1 + index of the last message counted as mismatched */
    uint64_t *sent_at;     /* issue time of each in-flight message, by index % depth */
};

struct worker {
    pthread_t th;
    int epfd;
    struct conn *conns;
    size_t nconns;
    unsigned char *rbuf;
    size_t live;            /* connections still ACTIVE */
    uint64_t last_progress; /* when bytes last arrived */
    struct lg_counts n;
    struct histogram hist;
};

static struct lg_options opt;
static pthread_barrier_t barrier;
static uint64_t t_window_start, t_window_end, t_drain_cap; /* set by main between the barriers */
static uint64_t drain_ns;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void note_error(struct worker *w, const char *what, const struct conn *c) {
    if (w->n.first_error[0]) return;
    snprintf(w->n.first_error, sizeof w->n.first_error,
             "%s (connection %td, rx %" PRIu64 ", tx %" PRIu64 ")", what, c - w->conns, c->rx_off,
             c->tx_off);
}

static void conn_end(struct worker *w, struct conn *c, int state) {
    if (c->state == ACTIVE) --w->live;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = state;
}

/* A failure while answers were owed: a dropped connection. */
static void conn_dropped(struct worker *w, struct conn *c, const char *why) {
    ++w->n.dropped;
    note_error(w, why, c);
    conn_end(w, c, DEAD);
}

static void set_out(struct worker *w, struct conn *c, int on) {
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* Writes issued bytes until they are all out or the socket is full. */
static void flush_tx(struct worker *w, struct conn *c) {
    while (c->tx_off < c->tx_target) {
        uint64_t left = c->tx_target - c->tx_off;
        size_t chunk = left < PATTERN_P ? (size_t)left : PATTERN_P;
        ssize_t n = send(c->fd, pattern_at(c->seed, c->tx_off), chunk, MSG_NOSIGNAL);
        if (n > 0) {
            c->tx_off += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!c->want_out) set_out(w, c, 1);
            return;
        } else {
            conn_dropped(w, c, "send failed");
            return;
        }
    }
    if (c->want_out) set_out(w, c, 0);
}

static int may_issue(const struct conn *c, uint64_t now) {
    if (now >= t_window_end) return 0;
    return opt.count == 0 || c->issued < opt.count;
}

static void issue(struct conn *c, uint64_t now) {
    c->sent_at[c->issued % opt.depth] = now;
    ++c->issued;
    c->tx_target += opt.size;
}

/* --pace-on: waits for the server to fall asleep before a send. A server slowed by valgrind would
 * otherwise often find the next message already queued when it reads again after its reply, and
 * skip its wait (epoll_wait, io_uring_enter) on some messages but not on others: its instruction
 * count would then depend on timing. Full speed, a ping-pong server waits on every message. */
static void pace(struct worker *w) {
    if (opt.pace_pid > 0 && lg_wait_asleep(opt.pace_pid, 100000000ull) != 1) ++w->n.pace_timeouts;
}

/* Checks n received bytes against the pattern; counts what is wrong. */
static void verify(struct worker *w, struct conn *c, const unsigned char *p, size_t n) {
    uint64_t owed = c->tx_off - c->rx_off; /* only bytes we have sent can come back */
    size_t valid = n < owed ? n : (size_t)owed;
    if (valid < n) {
        w->n.extra_bytes += n - valid;
        note_error(w, "more bytes came back than were sent", c);
    }
    for (size_t done = 0; done < valid;) {
        size_t chunk = valid - done < PATTERN_P ? valid - done : PATTERN_P;
        const unsigned char *want = pattern_at(c->seed, c->rx_off + done);
        if (memcmp(p + done, want, chunk) != 0) {
            for (size_t i = 0; i < chunk; ++i) {
                if (p[done + i] == want[i]) continue;
                ++w->n.mismatched_bytes;
                uint64_t msg = (c->rx_off + done + i) / opt.size;
                if (c->bad_msg_mark != msg + 1) {
                    c->bad_msg_mark = msg + 1;
                    ++w->n.mismatched_msgs;
                }
            }
            note_error(w, "echoed bytes differ from what was sent", c);
        }
        done += chunk;
    }
    c->rx_off += valid;
}

static void on_readable(struct worker *w, struct conn *c, uint64_t now) {
    ssize_t n = recv(c->fd, w->rbuf, RBUF, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        conn_dropped(w, c, "recv failed (connection reset?)");
        return;
    }
    if (n == 0) {
        conn_dropped(w, c, "server closed the connection while answers were owed");
        return;
    }
    w->last_progress = now;
    verify(w, c, w->rbuf, (size_t)n);
    uint64_t issued_before = c->issued;
    while (c->done < c->issued && c->rx_off >= (c->done + 1) * opt.size) {
        uint64_t lat = now - c->sent_at[c->done % opt.depth];
        ++c->done;
        ++w->n.total_msgs;
        w->n.last_completion_ns = now;
        if (now >= t_window_start && now < t_window_end) {
            ++w->n.window_msgs;
            ++c->window_msgs;
            hist_record(&w->hist, lat);
        }
        if (may_issue(c, now)) issue(c, now);
    }
    if (c->done == c->issued && !may_issue(c, now)) {
        conn_end(w, c, FINISHED); /* everything owed arrived and nothing more will be sent */
        return;
    }
    if (c->issued != issued_before) pace(w);
    flush_tx(w, c);
}

/* Opens this worker's connections; returns once all are connected or failed, or the timeout. */
static void connect_all(struct worker *w) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)opt.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t pending = 0;
    for (size_t i = 0; i < w->nconns; ++i) {
        struct conn *c = &w->conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            ++w->n.connect_failures;
            note_error(w, "socket() failed (raise ulimit -n?)", c);
            c->state = DEAD;
            continue;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
            ++w->n.connect_failures;
            note_error(w, "connect failed", c);
            conn_end(w, c, DEAD);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev);
        c->state = CONNECTING;
        ++pending;
    }
    uint64_t deadline = now_ns() + (uint64_t)(opt.connect_timeout_s * 1e9);
    struct epoll_event evs[MAX_EVENTS];
    while (pending > 0) {
        uint64_t now = now_ns();
        if (now >= deadline) break;
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, (int)((deadline - now) / 1000000 + 1));
        for (int i = 0; i < n; ++i) {
            struct conn *c = evs[i].data.ptr;
            if (c->state != CONNECTING) continue;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            --pending;
            if (err) {
                ++w->n.connect_failures;
                note_error(w, "connect refused or failed", c);
                conn_end(w, c, DEAD);
                continue;
            }
            c->state = ACTIVE;
            ++w->live;
            set_out(w, c, 0);
        }
    }
    for (size_t i = 0; i < w->nconns; ++i) {
        struct conn *c = &w->conns[i];
        if (c->state != CONNECTING) continue;
        ++w->n.connect_failures;
        note_error(w, "connect timed out", c);
        conn_end(w, c, DEAD);
    }
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    connect_all(w);
    pthread_barrier_wait(&barrier); /* all connected (or failed) */
    pthread_barrier_wait(&barrier); /* main has set the timeline */

    pace(w);
    uint64_t now = now_ns();
    for (size_t i = 0; i < w->nconns; ++i) {
        struct conn *c = &w->conns[i];
        if (c->state != ACTIVE) continue;
        for (unsigned d = 0; d < opt.depth && may_issue(c, now); ++d)
            issue(c, now);
        flush_tx(w, c);
    }
    int stopped = 0;
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        now = now_ns();
        uint64_t heard = w->last_progress > t_window_start ? w->last_progress : t_window_start;
        /* With --count, a server silent for drain_ns ends the run early (it owes answers). */
        uint64_t silence_end = heard + drain_ns;
        if (!stopped && (now >= t_window_end || (opt.count && now >= silence_end))) {
            stopped = 1; /* no more issues; connections with nothing owed end now */
            for (size_t i = 0; i < w->nconns; ++i) {
                struct conn *c = &w->conns[i];
                if (c->state == ACTIVE && c->done == c->issued) conn_end(w, c, FINISHED);
            }
        }
        /* The drain ends when the server has been silent for drain_ns (or at the cap). */
        uint64_t last = heard > t_window_end || now < t_window_end ? heard : t_window_end;
        uint64_t drain_end = last + drain_ns < t_drain_cap ? last + drain_ns : t_drain_cap;
        if (w->live == 0 || (stopped && now >= drain_end)) break;
        uint64_t next = stopped ? drain_end : t_window_end;
        if (!stopped && opt.count && silence_end < next) next = silence_end;
        int timeout_ms = (int)((next - now) / 1000000 + 1);
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, timeout_ms);
        if (n < 0 && errno != EINTR) break;
        now = now_ns();
        for (int i = 0; i < n; ++i) {
            struct conn *c = evs[i].data.ptr;
            if (c->state != ACTIVE) continue;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(w, c, now);
            if (c->state == ACTIVE && c->want_out && (evs[i].events & EPOLLOUT)) flush_tx(w, c);
        }
    }
    for (size_t i = 0; i < w->nconns; ++i) {
        struct conn *c = &w->conns[i];
        if (c->state != ACTIVE) continue;
        w->n.short_msgs += c->issued - c->done; /* answers that never (fully) came */
        w->n.short_bytes += c->tx_off - c->rx_off;
        note_error(w, "answers missing: the server went silent during the drain", c);
        conn_end(w, c, FINISHED);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (lg_parse_options(argc, argv, &opt) != 0) return 2;
    lg_raise_nofile(opt.connections + 64);
    pattern_init();

    struct worker *workers = calloc(opt.threads, sizeof *workers);
    if (!workers) return 1;
    for (unsigned t = 0; t < opt.threads; ++t) {
        struct worker *w = &workers[t];
        w->nconns = opt.connections / opt.threads + (t < opt.connections % opt.threads);
        w->conns = calloc(w->nconns ? w->nconns : 1, sizeof *w->conns);
        w->rbuf = malloc(RBUF);
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (!w->conns || !w->rbuf || w->epfd < 0) return 1;
        for (size_t i = 0; i < w->nconns; ++i) {
            struct conn *c = &w->conns[i];
            unsigned id = (unsigned)(i * opt.threads + t);
            c->fd = -1;
            c->seed = pattern_seed(id);
            c->sent_at = calloc(opt.depth, sizeof *c->sent_at);
            if (!c->sent_at) return 1;
        }
    }
    pthread_barrier_init(&barrier, NULL, opt.threads + 1);
    for (unsigned t = 0; t < opt.threads; ++t)
        pthread_create(&workers[t].th, NULL, worker_main, &workers[t]);

    pthread_barrier_wait(&barrier);
    uint64_t t0 = now_ns();
    t_window_start = t0 + (uint64_t)(opt.warmup_s * 1e9);
    t_window_end = t_window_start + (uint64_t)(opt.duration_s * 1e9);
    drain_ns = (uint64_t)(opt.drain_s * 1e9);
    t_drain_cap = t_window_end + drain_ns + 120000000000ull;
    struct lg_cpu cpu0 = {0}, cpu1 = {0};
    pthread_barrier_wait(&barrier);

    /* Server CPU over the measured window (or over the whole run with --count). */
    if (opt.server_pid > 0) {
        if (opt.count == 0) lg_sleep_until(t_window_start);
        lg_read_cpu(opt.server_pid, &cpu0);
        if (opt.count == 0) {
            lg_sleep_until(t_window_end);
            lg_read_cpu(opt.server_pid, &cpu1);
        }
    }
    struct lg_counts total = {0};
    struct histogram *hist = calloc(1, sizeof *hist);
    if (!hist) return 1;
    for (unsigned t = 0; t < opt.threads; ++t) {
        pthread_join(workers[t].th, NULL);
        lg_counts_add(&total, &workers[t].n);
        hist_merge(hist, &workers[t].hist);
    }
    if (opt.server_pid > 0 && opt.count != 0) lg_read_cpu(opt.server_pid, &cpu1);

    double window_s = opt.duration_s;
    if (opt.count != 0) { /* the window ended when the last answer arrived */
        uint64_t end = total.last_completion_ns ? total.last_completion_ns : t_window_start;
        window_s = end > t_window_start ? (double)(end - t_window_start) / 1e9 : 0.0;
        if (opt.warmup_s == 0) total.window_msgs = total.total_msgs;
    }
    struct lg_spread spread = {0};
    uint64_t *per_conn = calloc(opt.connections ? opt.connections : 1, sizeof *per_conn);
    if (!per_conn) return 1;
    size_t nper = 0;
    for (unsigned t = 0; t < opt.threads; ++t) {
        for (size_t i = 0; i < workers[t].nconns; ++i) {
            const struct conn *c = &workers[t].conns[i];
            per_conn[nper++] = opt.count != 0 && opt.warmup_s == 0 ? c->done : c->window_msgs;
        }
    }
    lg_spread_of(per_conn, nper, &spread);
    free(per_conn);
    lg_print_json(&opt, &total, hist, &spread, window_s, opt.server_pid > 0 ? &cpu0 : NULL, &cpu1);
    for (unsigned t = 0; t < opt.threads; ++t) {
        for (size_t i = 0; i < workers[t].nconns; ++i)
            free(workers[t].conns[i].sent_at);
        free(workers[t].conns);
        free(workers[t].rbuf);
        close(workers[t].epfd);
    }
    free(workers);
    free(hist);
    pthread_barrier_destroy(&barrier);
    return lg_counts_ok(&total) ? 0 : 1;
}
