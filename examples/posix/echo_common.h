/*
 * echo_common.h - command line and listening socket shared by the example echo servers.
 *
 * Ordinary POSIX code: nothing here knows about zsock. Built against libc it runs on the
 * kernel's sockets; built with $(pkg-config --cflags --libs zsock-posix), or run with
 * LD_PRELOAD=libzsock-posix.so, the same calls go through zsock.
 */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

struct server_options {
    const char *addr; /* -a: address to listen on (default 127.0.0.1) */
    const char *port; /* PORT: 0 lets the kernel choose; the chosen port is printed */
    long max_conns;   /* -n: exit 0 after serving this many connections (0: never) */
    int idle_seconds; /* -t: exit 1 after this long without any activity */
};

static void usage(const char *prog) {
    fprintf(stderr, "usage: %s [-a ADDR] [-n MAX_CONNS] [-t IDLE_SECONDS] PORT\n", prog);
    exit(2);
}

static struct server_options parse_server_options(int argc, char **argv) {
    struct server_options o = {"127.0.0.1", NULL, 0, 60};
    int c;
    while ((c = getopt(argc, argv, "a:n:t:")) != -1) {
        switch (c) {
        case 'a':
            o.addr = optarg;
            break;
        case 'n':
            o.max_conns = strtol(optarg, NULL, 10);
            break;
        case 't':
            o.idle_seconds = atoi(optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind != argc - 1) usage(argv[0]);
    o.port = argv[optind];
    return o;
}

/* Opens a listening TCP socket on addr:port and prints "port N" (the bound port) on stdout. */
static int listen_on(const struct server_options *o) {
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(o->addr, o->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo %s:%s: %s\n", o->addr, o->port, gai_strerror(rc));
        exit(1);
    }
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        perror("listen");
        exit(1);
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        perror("getsockname");
        exit(1);
    }
    printf("port %s\n", serv);
    fflush(stdout);
    return fd;
}

#endif /* ECHO_COMMON_H */
