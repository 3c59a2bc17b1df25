/* bench/baselines/uring_echo.c - a tuned raw io_uring echo server: the physical limit a framework
 * on io_uring can approach on this machine.
 *
 * One thread, one ring, everything the kernel offers for this job:
 *  - SINGLE_ISSUER|DEFER_TASKRUN when the kernel takes them (completion work runs only when we
 *    wait, in our thread, batched), else COOP_TASKRUN, else plain;
 *  - one multishot accept for the listener;
 *  - one multishot recv per connection, drawing from a provided buffer ring registered by hand
 *    (io_uring_register_buf_ring: liburing 2.3 has no io_uring_setup_buf_ring);
 *  - sends straight from the received buffers (no copy), one send in flight per connection so that
 *    bytes leave in order; sends start after the whole batch of completions was seen, and gather
 *    every buffer queued by then into one sendmsg (so a 64 KiB message that arrived as four 16 KiB
 *    buffers leaves in one call); buffers go back to the ring in one batch per loop turn;
 *  - one io_uring_submit_and_wait per loop turn for all new SQEs.
 * When the ring runs out of buffers a connection's multishot recv ends with ENOBUFS; it is re-armed
 * once buffers come back.
 *
 * Usage: bench_uring_echo [--port N]   (0 = a free port; prints "listening on 127.0.0.1:PORT")
 * Exits 77 with a reason when the kernel refuses io_uring or a feature it needs.
 * Stops cleanly on SIGINT/SIGTERM.
 */
#include <liburing.h>
#include <stdint.h>
#include <sys/mman.h>

#include "bench_server.h"

enum {
    RING_ENTRIES = 4096,
    NBUF = 2048,      /* provided buffers (power of two) */
    BUF_SIZE = 16384, /* bytes each */
    BGID = 7,         /* buffer group id */
    SEND_IOV = 16,    /* buffers gathered into one sendmsg */
    EXIT_SKIP = 77,
};

enum { TAG_ACCEPT = 1, TAG_RECV = 2, TAG_SEND = 3, TAG_MASK = 3 };

struct conn {
    int fd;
    int recv_armed;     /* multishot recv active */
    int send_inflight;  /* one send at a time keeps the echo in order */
    int closing;        /* peer done or error: free once nothing is in flight */
    int starved;        /* on the starved list, waiting for buffers to re-arm recv */
    int q_head, q_tail; /* FIFO of buffer ids waiting to be sent, linked through buf_next */
    unsigned q_off;     /* bytes of the head buffer already sent */
    int flush_queued;   /* on the flush list: a send starts after this batch of completions */
    struct conn *next_starved, *next_flush;
    struct msghdr msg;
    struct iovec iov[SEND_IOV];
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *buf_base;
static uint16_t buf_next[NBUF];
static unsigned buf_len[NBUF];
static unsigned buf_returned; /* buffers added to the ring this turn, published in one advance */
static struct conn *starved_head;
static struct conn *flush_head;
static int listen_fd;

static inline char *buf_addr(int bid) {
    return buf_base + (size_t)bid * BUF_SIZE;
}

static struct io_uring_sqe *get_sqe(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    while (!sqe) { /* SQ full: push what we have, then there is room */
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void return_buffer(int bid) {
    io_uring_buf_ring_add(br, buf_addr(bid), BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(NBUF), (int)buf_returned);
    ++buf_returned;
}

static void arm_accept(void) {
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, TAG_ACCEPT);
}

static void arm_recv(struct conn *c) {
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | TAG_RECV);
    c->recv_armed = 1;
}

/* Sends what is queued: one send for one buffer, else one sendmsg gathering up to SEND_IOV. */
static void start_send(struct conn *c) {
    struct io_uring_sqe *sqe = get_sqe();
    int bid = c->q_head;
    if (bid == c->q_tail) {
        io_uring_prep_send(sqe, c->fd, buf_addr(bid) + c->q_off, buf_len[bid] - c->q_off,
                           MSG_NOSIGNAL);
    } else {
        int n = 0;
        unsigned off = c->q_off;
        for (;;) {
            c->iov[n].iov_base = buf_addr(bid) + off;
            c->iov[n].iov_len = buf_len[bid] - off;
            ++n;
            off = 0;
            if (bid == c->q_tail || n == SEND_IOV) break;
            bid = buf_next[bid];
        }
        memset(&c->msg, 0, sizeof c->msg);
        c->msg.msg_iov = c->iov;
        c->msg.msg_iovlen = (size_t)n;
        io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | TAG_SEND);
    c->send_inflight = 1;
}

/* Queues c for a send once this batch of completions has been seen. */
static void want_flush(struct conn *c) {
    if (c->flush_queued || c->send_inflight) return;
    c->flush_queued = 1;
    c->next_flush = flush_head;
    flush_head = c;
}

/* Frees c once no operation refers to it any more. */
static void maybe_free(struct conn *c) {
    if (!c->closing || c->recv_armed || c->send_inflight || c->starved || c->flush_queued) return;
    while (c->q_head >= 0) { /* unsent data of a failed connection goes back to the ring */
        int bid = c->q_head;
        c->q_head = bid == c->q_tail ? -1 : buf_next[bid];
        return_buffer(bid);
    }
    close(c->fd);
    free(c);
}

/* Marks c as closing. The caller ends with maybe_free(c), the only place that frees. */
static void begin_close(struct conn *c) {
    if (!c->closing) {
        c->closing = 1;
        /* Ends an armed multishot recv (it completes with 0), so its last CQE arrives. */
        if (c->recv_armed) shutdown(c->fd, SHUT_RDWR);
    }
}

static void on_accept(struct io_uring_cqe *cqe) {
    if (!(cqe->flags & IORING_CQE_F_MORE) && !bench_stop_requested) arm_accept();
    if (cqe->res < 0) return; /* e.g. EMFILE: the next connection tries again */
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(cqe->res);
        return;
    }
    c->fd = cqe->res;
    c->q_head = c->q_tail = -1;
    bench_set_nodelay(c->fd);
    arm_recv(c);
}

static void on_recv(struct conn *c, struct io_uring_cqe *cqe) {
    int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (!more) c->recv_armed = 0;
    if (cqe->res > 0) {
        int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        buf_len[bid] = (unsigned)cqe->res;
        if (c->closing) {
            return_buffer(bid);
        } else {
            if (c->q_head < 0) {
                c->q_head = bid;
                c->q_off = 0;
            } else {
                buf_next[c->q_tail] = (uint16_t)bid;
            }
            c->q_tail = bid;
            want_flush(c);
            if (!more) arm_recv(c); /* ended for another reason (e.g. CQ overflow) */
        }
    } else if (cqe->res == -ENOBUFS && !c->closing) {
        c->starved = 1; /* re-armed when buffers come back */
        c->next_starved = starved_head;
        starved_head = c;
    } else if (!more) {
        begin_close(c); /* 0 = peer closed, or an error */
    }
    maybe_free(c);
}

static void on_send(struct conn *c, struct io_uring_cqe *cqe) {
    c->send_inflight = 0;
    if (cqe->res < 0 || c->closing) {
        begin_close(c);
        maybe_free(c);
        return;
    }
    unsigned sent = (unsigned)cqe->res; /* may end inside any of the gathered buffers */
    while (sent > 0) {
        int bid = c->q_head;
        unsigned left = buf_len[bid] - c->q_off;
        if (sent < left) {
            c->q_off += sent;
            break;
        }
        sent -= left;
        c->q_head = bid == c->q_tail ? -1 : buf_next[bid];
        c->q_off = 0;
        return_buffer(bid);
    }
    if (c->q_head >= 0) want_flush(c);
}

/* Starts the sends queued during this batch of completions. */
static void flush_sends(void) {
    struct conn *c = flush_head;
    flush_head = NULL;
    while (c) {
        struct conn *next = c->next_flush;
        c->flush_queued = 0;
        if (c->closing)
            maybe_free(c);
        else if (c->q_head >= 0 && !c->send_inflight)
            start_send(c);
        c = next;
    }
}

/* Re-arms recv on connections that ran dry, now that buffers came back. */
static void rearm_starved(void) {
    struct conn *c = starved_head;
    starved_head = NULL;
    while (c) {
        struct conn *next = c->next_starved;
        c->starved = 0;
        if (c->closing)
            maybe_free(c);
        else
            arm_recv(c);
        c = next;
    }
}

static int setup_ring(const char **mode) {
    static const struct {
        unsigned flags;
        const char *name;
    } tries[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN"},
        {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
        {0, "plain"},
    };
    int r = -ENOSYS;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; ++i) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        p.flags = tries[i].flags | IORING_SETUP_CQSIZE;
        p.cq_entries = RING_ENTRIES * 4;
        r = io_uring_queue_init_params(RING_ENTRIES, &ring, &p);
        if (r == 0) {
            *mode = tries[i].name;
            return 0;
        }
        if (r == -EPERM || r == -ENOSYS) break; /* refused outright: no point in other flags */
    }
    return r;
}

static int setup_buffers(void) {
    size_t ring_bytes = NBUF * sizeof(struct io_uring_buf);
    br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) return -errno;
    buf_base = mmap(NULL, (size_t)NBUF * BUF_SIZE, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (buf_base == MAP_FAILED) return -errno;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)br;
    reg.ring_entries = NBUF;
    reg.bgid = BGID;
    int r = io_uring_register_buf_ring(&ring, &reg, 0);
    if (r < 0) return r;
    io_uring_buf_ring_init(br);
    for (int i = 0; i < NBUF; ++i)
        return_buffer(i);
    io_uring_buf_ring_advance(br, (int)buf_returned);
    buf_returned = 0;
    return 0;
}

int main(int argc, char **argv) {
    int port = bench_parse_port(argc, argv, "tuned raw io_uring echo server (baseline)");
    bench_raise_nofile();
    bench_install_stop_handlers();
    const char *mode = "";
    int r = setup_ring(&mode);
    if (r < 0) {
        fprintf(stderr, "io_uring refused by the kernel: %s (skipping)\n", strerror(-r));
        return EXIT_SKIP;
    }
    r = setup_buffers();
    if (r < 0) {
        fprintf(stderr, "provided buffer ring refused: %s (kernel < 5.19?; skipping)\n",
                strerror(-r));
        return EXIT_SKIP;
    }
    listen_fd = bench_listen_tcp4(port, 0);
    arm_accept();
    bench_print_listening(listen_fd);
    printf("engine: io_uring (%s, multishot accept+recv, provided buffer ring)\n", mode);
    fflush(stdout);

    while (!bench_stop_requested) {
        if (buf_returned) {
            io_uring_buf_ring_advance(br, (int)buf_returned);
            buf_returned = 0;
            if (starved_head) rearm_starved();
        }
        r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
            fprintf(stderr, "io_uring_submit_and_wait: %s\n", strerror(-r));
            return 1;
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            uint64_t ud = cqe->user_data;
            struct conn *c = (struct conn *)(uintptr_t)(ud & ~(uint64_t)TAG_MASK);
            switch (ud & TAG_MASK) {
            case TAG_ACCEPT:
                on_accept(cqe);
                break;
            case TAG_RECV:
                on_recv(c, cqe);
                break;
            case TAG_SEND:
                on_send(c, cqe);
                break;
            default:
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (flush_head) flush_sends();
    }
    close(listen_fd);
    io_uring_queue_exit(&ring);
    printf("stopped\n");
    return 0;
}
