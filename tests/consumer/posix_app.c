/*
 * posix_app.c - a C program written with the standard socket names, linked against
 * libzsock-posix (shared or static). It makes a real loopback exchange (TCP and UDP, poll,
 * select, fcntl, read/write) and then checks, through <zsock/fdtable.h>, that every socket the
 * standard names gave it is in zsock's fd table, and that a pipe is not: proof that the calls
 * went through zsock rather than glibc. Exits 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zsock/fdtable.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n", __FILE__, __LINE__, #cond,     \
                    errno);                                                                        \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static int is_zsock_fd(int fd) {
    return zsock_fd_get_obj(fd, NULL, EINVAL) != NULL;
}

int main(void) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;

    int l = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(l >= 0);
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(l, 4) == 0);
    CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0);

    CHECK(fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) == 0);
    char buf[64];
    CHECK(recv(s, buf, sizeof buf, 0) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
    CHECK(send(c, "ping", 4, 0) == 4);
    struct pollfd p = {s, POLLIN, 0};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
    CHECK(read(s, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK(write(s, "pong", 4) == 4);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    struct timeval tv = {5, 0};
    CHECK(select(c + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(c, &rd));
    CHECK(recv(c, buf, sizeof buf, 0) == 4 && memcmp(buf, "pong", 4) == 0);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = a;
    ua.sin_port = 0;
    len = sizeof ua;
    CHECK(bind(u, (struct sockaddr *)&ua, sizeof ua) == 0);
    CHECK(getsockname(u, (struct sockaddr *)&ua, &len) == 0);
    CHECK(sendto(u, "dgram", 5, 0, (struct sockaddr *)&ua, sizeof ua) == 5);
    CHECK(recvfrom(u, buf, sizeof buf, 0, NULL, NULL) == 5);

    /* The proof: zsock owns every socket, and not the pipe. */
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    CHECK(is_zsock_fd(l));
    CHECK(is_zsock_fd(c));
    CHECK(is_zsock_fd(s));
    CHECK(is_zsock_fd(u));
    CHECK(!is_zsock_fd(pfd[0]));
    CHECK(write(pfd[1], "x", 1) == 1 && read(pfd[0], buf, 1) == 1);

    int fds[] = {u, s, c, l, pfd[0], pfd[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; ++i)
        CHECK(close(fds[i]) == 0);
    CHECK(!is_zsock_fd(s));

    if (failures) return 1;
    printf("posix_app: sockets went through zsock\n");
    return 0;
}
