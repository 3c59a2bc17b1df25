/* bench/common/bench_server.h - what every C baseline server shares: the command line
 * (--port N, 0 = a free port), the listening socket, the "listening on 127.0.0.1:PORT" line the
 * runner waits for, and a clean stop on SIGINT/SIGTERM.
 *
 * Header-only and plain C so that each baseline stays one readable file. Loopback only: every
 * server binds 127.0.0.1.
 */
#ifndef ZSOCK_BENCH_SERVER_H
#define ZSOCK_BENCH_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Set by SIGINT/SIGTERM; the event loops check it after every wait. */
static volatile sig_atomic_t bench_stop_requested;

static void bench_on_stop_signal(int sig) {
    (void)sig;
    bench_stop_requested = 1;
}

/* Installs the stop handler WITHOUT SA_RESTART, so that a blocked epoll_wait/poll/io_uring_enter
 * returns EINTR and the loop sees the flag. SIGPIPE is ignored: a peer that vanishes mid-write is
 * an EPIPE on that connection, not the end of the server. */
static inline void bench_install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Raises the soft RLIMIT_NOFILE to the hard limit: the matrix opens 1024+ connections. */
static inline void bench_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Parses "--port N" (or "--port=N"); --help prints usage. Exits 2 on anything else. */
static inline int bench_parse_port(int argc, char **argv, const char *what) {
    int port = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "--port") == 0 && i + 1 < argc) {
            val = argv[++i];
        } else if (strncmp(a, "--port=", 7) == 0) {
            val = a + 7;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s [--port N]\n  %s\n  --port N  TCP port on 127.0.0.1 (0 = a free "
                   "port, printed)\n",
                   argv[0], what);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", argv[0], a);
            exit(2);
        }
        char *end = NULL;
        long p = strtol(val, &end, 10);
        if (!end || *end || p < 0 || p > 65535) {
            fprintf(stderr, "%s: bad port '%s'\n", argv[0], val);
            exit(2);
        }
        port = (int)p;
    }
    return port;
}

/* Opens a listening TCP socket on 127.0.0.1:port with SO_REUSEADDR and the largest backlog the
 * kernel allows. Returns the fd, or exits 1 with the reason. */
static inline int bench_listen_tcp4(int port, int nonblocking) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("bind");
        exit(1);
    }
    if (listen(fd, SOMAXCONN) < 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

/* Prints "listening on 127.0.0.1:PORT" (the port the kernel chose when 0 was asked) and flushes,
 * so that a runner reading our stdout through a pipe sees it at once. */
static inline void bench_print_listening(int fd) {
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("getsockname");
        exit(1);
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
}

/* TCP_NODELAY on an accepted connection: echo answers are small and must leave at once. */
static inline void bench_set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

#endif
