/* bench/tools/uring_probe.c - what this kernel's io_uring offers, as one JSON line, so that the
 * runner records which features were probed in and out next to every result.
 *
 * Each feature is tried for real rather than guessed from the kernel version: setup flags by
 * setting up a ring with them, opcodes through IORING_REGISTER_PROBE, a provided buffer ring by
 * registering one, multishot recv by receiving twice on one armed request over a socketpair, and
 * multishot accept by accepting two loopback connections on one armed request.
 * Exit 0 always (a refused io_uring is a result, printed as "io_uring": false).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int try_flags(unsigned flags) {
    struct io_uring ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    int r = io_uring_queue_init_params(8, &ring, &p);
    if (r == 0) io_uring_queue_exit(&ring);
    return r == 0;
}

/* Waits for one CQE (1 s at most); returns 0 and copies it, or -ETIME. */
static int wait_one(struct io_uring *ring, struct io_uring_cqe *out) {
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {1, 0};
    io_uring_submit(ring);
    int r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
    if (r < 0) return r;
    *out = *cqe;
    io_uring_cqe_seen(ring, cqe);
    return 0;
}

static int probe_buf_ring_and_recv(struct io_uring *ring, int *buf_ring_ok) {
    enum { N = 8, SZ = 64 };
    *buf_ring_ok = 0;
    struct io_uring_buf_ring *br = mmap(NULL, N * sizeof(struct io_uring_buf),
                                        PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    static char bufs[N][SZ];
    if (br == MAP_FAILED) return 0;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)br;
    reg.ring_entries = N;
    reg.bgid = 1;
    if (io_uring_register_buf_ring(ring, &reg, 0) < 0) return 0;
    *buf_ring_ok = 1;
    io_uring_buf_ring_init(br);
    for (int i = 0; i < N; ++i)
        io_uring_buf_ring_add(br, bufs[i], SZ, (unsigned short)i, io_uring_buf_ring_mask(N), i);
    io_uring_buf_ring_advance(br, N);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 0;
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv_multishot(sqe, sv[0], NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 1;
    io_uring_submit(ring);
    int got = 0;
    struct io_uring_cqe cqe;
    for (int i = 0; i < 2; ++i) {
        if (write(sv[1], "x", 1) != 1) break;
        if (wait_one(ring, &cqe) < 0 || cqe.res != 1 || !(cqe.flags & IORING_CQE_F_MORE)) break;
        ++got;
    }
    close(sv[1]);
    wait_one(ring, &cqe); /* the final EOF completion */
    close(sv[0]);
    return got == 2;
}

static int probe_multishot_accept(struct io_uring *ring) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
        if (lfd >= 0) close(lfd);
        return 0;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, 0);
    io_uring_submit(ring);
    int got = 0, cfd[2] = {-1, -1};
    struct io_uring_cqe cqe;
    for (int i = 0; i < 2; ++i) {
        cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (cfd[i] < 0 || connect(cfd[i], (struct sockaddr *)&sa, sizeof sa) < 0) break;
        if (wait_one(ring, &cqe) < 0 || cqe.res < 0 || !(cqe.flags & IORING_CQE_F_MORE)) break;
        close(cqe.res);
        ++got;
    }
    for (int i = 0; i < 2; ++i)
        if (cfd[i] >= 0) close(cfd[i]);
    close(lfd);
    return got == 2;
}

int main(void) {
    struct io_uring ring;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int r = io_uring_queue_init_params(64, &ring, &p);
    if (r < 0) {
        printf("{\"io_uring\":false,\"error\":\"%s\"}\n", strerror(-r));
        return 0;
    }
    printf("{\"io_uring\":true,\"setup\":{\"SINGLE_ISSUER\":%s,\"DEFER_TASKRUN\":%s,"
           "\"COOP_TASKRUN\":%s,\"SUBMIT_ALL\":%s}",
           try_flags(IORING_SETUP_SINGLE_ISSUER) ? "true" : "false",
           try_flags(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) ? "true" : "false",
           try_flags(IORING_SETUP_COOP_TASKRUN) ? "true" : "false",
           try_flags(IORING_SETUP_SUBMIT_ALL) ? "true" : "false");
    printf(",\"features\":{\"NODROP\":%s,\"FAST_POLL\":%s,\"EXT_ARG\":%s,\"SUBMIT_STABLE\":%s}",
           p.features & IORING_FEAT_NODROP ? "true" : "false",
           p.features & IORING_FEAT_FAST_POLL ? "true" : "false",
           p.features & IORING_FEAT_EXT_ARG ? "true" : "false",
           p.features & IORING_FEAT_SUBMIT_STABLE ? "true" : "false");
    struct io_uring_probe *pr = io_uring_get_probe_ring(&ring);
    static const struct {
        int op;
        const char *name;
    } ops[] = {{IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_RECV, "RECV"},
               {IORING_OP_SEND, "SEND"},         {IORING_OP_CONNECT, "CONNECT"},
               {IORING_OP_MSG_RING, "MSG_RING"}, {IORING_OP_SEND_ZC, "SEND_ZC"},
               {IORING_OP_SOCKET, "SOCKET"}};
    printf(",\"ops\":{");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; ++i)
        printf("%s\"%s\":%s", i ? "," : "", ops[i].name,
               pr && io_uring_opcode_supported(pr, ops[i].op) ? "true" : "false");
    printf("}");
    if (pr) io_uring_free_probe(pr);
    int buf_ring = 0;
    int ms_recv = probe_buf_ring_and_recv(&ring, &buf_ring);
    int ms_accept = probe_multishot_accept(&ring);
    printf(",\"provided_buffer_ring\":%s,\"multishot_recv\":%s,\"multishot_accept\":%s}\n",
           buf_ring ? "true" : "false", ms_recv ? "true" : "false", ms_accept ? "true" : "false");
    io_uring_queue_exit(&ring);
    return 0;
}
