/*
 * fortified_calls.c - an ordinary C program built with -O2 -D_FORTIFY_SOURCE=2, whose read, recv,
 * recvfrom and poll calls the compiler turns into __read_chk, __recv_chk, __recvfrom_chk and
 * __poll_chk (the lengths come from the command line, so they cannot be proven in bounds).
 *
 *   fortified_calls CHUNK
 *
 * Makes a TCP connection to itself over loopback, sends 4 * CHUNK bytes and reads them back with
 * each of the four calls, checking the bytes. Exits 0 on success. Run under LD_PRELOAD with
 * libzsock-posix, the _chk calls must reach zsock (test_posix_fortified.sh checks the probe).
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what) {
    perror(what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    size_t chunk = (size_t)strtoul(argv[1], NULL, 10);
    char buf[256], out[1024];
    /* Bounded through 4 * chunk (which may wrap), so that the compiler cannot prove chunk fits buf
     * and must call the _chk functions; chunk above 256 would make them abort. */
    if (chunk == 0 || 4 * chunk > sizeof out) return 2;

    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0)
        return fail("listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0) return fail("connect");
    int s = accept(l, NULL, NULL);
    if (s < 0) return fail("accept");

    for (size_t i = 0; i < 4 * chunk; ++i)
        out[i] = (char)('a' + i % 26);
    if (send(c, out, 4 * chunk, 0) != (ssize_t)(4 * chunk)) return fail("send");

    struct pollfd fds[2] = {{s, POLLIN, 0}, {c, POLLIN, 0}};
    nfds_t nfds = (nfds_t)(chunk / 100 + 1); /* 2 for CHUNK 100..199; not a constant */
    size_t got = 0;
    while (got < 4 * chunk) {
        if (poll(fds, nfds, 5000) < 1 || !(fds[0].revents & POLLIN)) return fail("poll");
        ssize_t r;
        size_t want = chunk < 4 * chunk - got ? chunk : 4 * chunk - got;
        switch (got / chunk) {
        case 0:
            r = read(s, buf, want);
            break;
        case 1:
            r = recv(s, buf, want, 0);
            break;
        case 2:
            r = recvfrom(s, buf, want, 0, NULL, NULL);
            break;
        default:
            r = recv(s, buf, want, MSG_WAITALL);
            break;
        }
        if (r <= 0) return fail("read");
        if (memcmp(buf, out + got, (size_t)r) != 0) {
            fprintf(stderr, "fortified_calls: wrong bytes at %zu\n", got);
            return 1;
        }
        got += (size_t)r;
    }
    close(s);
    close(c);
    close(l);
    return 0;
}
