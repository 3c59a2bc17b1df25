/*
 * echo_server_blocking - a blocking, one-connection-at-a-time TCP echo server.
 *
 *   echo_server_blocking [-a ADDR] [-n MAX_CONNS] [-t IDLE_SECONDS] PORT
 *
 * Accepts a connection, echoes everything it receives with recv/send until the peer closes, then
 * takes the next one. Exits 0 after MAX_CONNS connections, 1 on an error or when a single accept
 * or recv waits longer than IDLE_SECONDS.
 */
#include "echo_common.h"

#include <signal.h>
#include <sys/time.h>

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, 0);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct server_options o = parse_server_options(argc, argv);
    signal(SIGPIPE, SIG_IGN); /* a vanished client is an error return, not a dead server */
    int lfd = listen_on(&o);
    struct timeval idle = {o.idle_seconds, 0};
    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle); /* bounds accept() */

    char buf[65536];
    for (long served = 0; o.max_conns == 0 || served < o.max_conns; ++served) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            perror("accept");
            return 1;
        }
        setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
        for (;;) {
            ssize_t n = recv(cfd, buf, sizeof buf, 0);
            if (n == 0) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                perror("recv");
                return 1;
            }
            if (send_all(cfd, buf, (size_t)n) != 0) {
                perror("send");
                return 1;
            }
        }
        close(cfd);
    }
    close(lfd);
    return 0;
}
