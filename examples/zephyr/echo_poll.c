/*
 * Nonblocking TCP echo server on IPv4 and IPv6, driven by poll(), in Zephyr application style with
 * the POSIX names (built with CONFIG_POSIX_API). A fixed pollfd array; each client has an output
 * buffer, so a slow reader never blocks the others: what send() does not take waits for POLLOUT.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include "sample_config.h"

#define PORT 4242
#define NUM_FDS 10
#define BUF_SIZE 4096

static struct pollfd pollfds[NUM_FDS];
static int pollnum;
static char out_buf[NUM_FDS][BUF_SIZE];
static size_t out_len[NUM_FDS];
static char eof[NUM_FDS];

static void nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

static int pollfds_add(int fd) {
    int i;
    if (pollnum < NUM_FDS) {
        i = pollnum++;
    } else {
        for (i = 0; i < NUM_FDS; i++)
            if (pollfds[i].fd < 0) break;
        if (i == NUM_FDS) return -1;
    }
    pollfds[i].fd = fd;
    pollfds[i].events = POLLIN;
    out_len[i] = 0;
    eof[i] = 0;
    return 0;
}

static void pollfds_del(int i) {
    close(pollfds[i].fd);
    pollfds[i].fd = -1;
    out_len[i] = 0;
}

/* Sends what is pending; returns -1 when the client is gone. */
static int flush(int i) {
    while (out_len[i] > 0) {
        ssize_t n = send(pollfds[i].fd, out_buf[i], out_len[i], MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        memmove(out_buf[i], out_buf[i] + n, out_len[i] - (size_t)n);
        out_len[i] -= (size_t)n;
    }
    return 0;
}

static int open_listener(int family, uint16_t port) {
    int one = 1;
    int s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (s < 0) return -1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6) {
        /* Separate IPv4 and IPv6 sockets, as on Zephyr. */
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        struct sockaddr_in6 a6 = {0};
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = *sample_bind_addr6();
        a6.sin6_port = htons(port);
        if (bind(s, (struct sockaddr *)&a6, sizeof(a6)) < 0) goto fail;
    } else {
        struct sockaddr_in a4 = {0};
        a4.sin_family = AF_INET;
        a4.sin_addr.s_addr = sample_bind_addr4();
        a4.sin_port = htons(port);
        if (bind(s, (struct sockaddr *)&a4, sizeof(a4)) < 0) goto fail;
    }
    if (listen(s, 5) < 0) goto fail;
    nonblock(s);
    return s;
fail:
    printk("error: listener (family %d): %d\n", family, errno);
    close(s);
    return -1;
}

int main(void) {
    uint16_t port = sample_port(PORT);
    int max = sample_connections(), accepted = 0, clients = 0;
    int serv4 = open_listener(AF_INET, port);
    int serv6 = open_listener(AF_INET6, port);

    if (serv4 < 0) return 1;
    pollfds_add(serv4);
    if (serv6 >= 0) pollfds_add(serv6);
    else printk("note: no IPv6 here, serving IPv4 only\n");
    printk("Asynchronous TCP echo server waits for connections on port %d...\n", port);

    while (max == 0 || accepted < max || clients > 0) {
        if (poll(pollfds, pollnum, -1) < 0) {
            printk("error: poll: %d\n", errno);
            return 1;
        }
        for (int i = 0; i < pollnum; i++) {
            int fd = pollfds[i].fd;
            short rev = pollfds[i].revents;
            if (fd < 0 || !rev) continue;
            if (fd == serv4 || fd == serv6) {
                struct sockaddr_storage ca;
                socklen_t ca_len = sizeof(ca);
                int client = accept(fd, (struct sockaddr *)&ca, &ca_len);
                char addr_str[INET6_ADDRSTRLEN];
                if (client < 0) continue; /* EAGAIN: another poller was faster */
                void *addr = ca.ss_family == AF_INET6
                                 ? (void *)&((struct sockaddr_in6 *)&ca)->sin6_addr
                                 : (void *)&((struct sockaddr_in *)&ca)->sin_addr;
                inet_ntop(ca.ss_family, addr, addr_str, sizeof(addr_str));
                printk("Connection from %s (fd %d)\n", addr_str, client);
                nonblock(client);
                if (pollfds_add(client) < 0) {
                    static const char msg[] = "Too many connections\n";
                    send(client, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
                    close(client);
                } else {
                    clients++;
                }
                accepted++;
                if (max && accepted >= max) { /* served enough: accept no more */
                    for (int k = 0; k < pollnum; k++)
                        if (pollfds[k].fd == serv4 || pollfds[k].fd == serv6) pollfds[k].fd = -1;
                }
                continue;
            }
            if ((rev & (POLLIN | POLLHUP | POLLERR)) && !eof[i] && out_len[i] < BUF_SIZE) {
                ssize_t len = recv(fd, out_buf[i] + out_len[i], BUF_SIZE - out_len[i], 0);
                if (len == 0)
                    eof[i] = 1; /* the client is done: echo the rest, then close */
                else if (len < 0 && errno != EAGAIN)
                    goto drop;
                else if (len > 0)
                    out_len[i] += (size_t)len;
            }
            if (flush(i) < 0 || (eof[i] && out_len[i] == 0)) goto drop;
            /* Read more only when there is room; wait for POLLOUT while output is pending. */
            pollfds[i].events = (short)((!eof[i] && out_len[i] < BUF_SIZE ? POLLIN : 0) |
                                        (out_len[i] ? POLLOUT : 0));
            continue;
        drop:
            printk("Connection fd %d closed\n", fd);
            pollfds_del(i);
            clients--;
        }
    }
    close(serv4);
    if (serv6 >= 0) close(serv6);
    return 0;
}
