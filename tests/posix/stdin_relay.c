/*
 * stdin_relay.c - copies standard input to standard output, waiting for input with poll() and
 * select() in turn and reading it with read() and readv() in chunks of changing sizes. An
 * ordinary POSIX program, written with no knowledge of zsock: the tests build it plain and
 * against libzsock-posix, and run the plain build under LD_PRELOAD too (run_stdin_relay.sh).
 *
 * It also holds a bound UDP socket that nobody sends to, in every poll and select set beside
 * fd 0. Over zsock that socket is a zsock socket, so the waits take zsock's full path with a
 * kernel fd (stdin) and a socket mixed, and the counting probe sees them; and a socket that never
 * receives must never be reported ready.
 *
 * Exits 0 at end of input with every byte copied; 1 on any error or a wait of more than 10 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Waits until fd 0 is readable (or at its end): poll on even turns, select on odd ones. */
static int wait_stdin(int quiet, unsigned long turn) {
    for (;;) {
        if (turn % 2 == 0) {
            struct pollfd p[2];
            p[0].fd = 0;
            p[0].events = POLLIN;
            p[0].revents = 0;
            p[1].fd = quiet;
            p[1].events = POLLIN;
            p[1].revents = 0;
            int n = poll(p, 2, 10000);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return perror("stdin_relay: poll"), -1;
            if (n == 0) return fprintf(stderr, "stdin_relay: poll timed out\n"), -1;
            if (p[1].revents != 0)
                return fprintf(stderr, "stdin_relay: idle socket polled %#x\n", p[1].revents), -1;
            if ((p[0].revents & (POLLIN | POLLHUP)) == 0)
                return fprintf(stderr, "stdin_relay: stdin polled %#x\n", p[0].revents), -1;
            return 0;
        }
        fd_set r;
        struct timeval tv;
        FD_ZERO(&r);
        FD_SET(0, &r);
        FD_SET(quiet, &r);
        tv.tv_sec = 10;
        tv.tv_usec = 0;
        int n = select(quiet + 1, &r, NULL, NULL, &tv);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return perror("stdin_relay: select"), -1;
        if (n == 0) return fprintf(stderr, "stdin_relay: select timed out\n"), -1;
        if (FD_ISSET(quiet, &r)) return fprintf(stderr, "stdin_relay: idle socket selected\n"), -1;
        if (!FD_ISSET(0, &r)) return fprintf(stderr, "stdin_relay: stdin not selected\n"), -1;
        return 0;
    }
}

int main(void) {
    static const size_t sizes[] = {1, 7, 512, 4096, 65536, 3, 1000};
    static char buf[65536];
    struct sockaddr_in a;
    unsigned long turn = 0;
    int quiet = socket(AF_INET, SOCK_DGRAM, 0);
    if (quiet < 0) return perror("stdin_relay: socket"), 1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(quiet, (struct sockaddr *)&a, sizeof a) != 0) return perror("stdin_relay: bind"), 1;

    for (;;) {
        size_t want = sizes[turn % (sizeof sizes / sizeof sizes[0])];
        ssize_t n;
        if (wait_stdin(quiet, turn) != 0) return 1;
        if (turn % 3 == 2) {
            /* readv into two pieces of the buffer */
            struct iovec iov[2];
            iov[0].iov_base = buf;
            iov[0].iov_len = want / 2;
            iov[1].iov_base = buf + want / 2;
            iov[1].iov_len = want - want / 2;
            n = readv(0, iov, 2);
        } else {
            n = read(0, buf, want);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return perror("stdin_relay: read"), 1;
        if (n == 0) break;
        if (write_all(1, buf, (size_t)n) != 0) return perror("stdin_relay: write"), 1;
        ++turn;
    }
    if (close(quiet) != 0) return perror("stdin_relay: close"), 1;
    fprintf(stderr, "stdin_relay: %lu reads\n", turn);
    return 0;
}
