/*
 * Nonblocking TCP echo server driven by select(), using read() and write(), in Zephyr application
 * style with the POSIX names (built with CONFIG_NET_SOCKETS_POSIX_NAMES). What write() does not
 * take waits in the client's buffer until select() says the socket is writable.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include "sample_config.h"

#define PORT 4242
#define MAX_CLIENTS 8
#define BUF_SIZE 2048

struct client {
    int fd;
    int eof;
    size_t len;
    char buf[BUF_SIZE];
};

static struct client clients[MAX_CLIENTS];

static void drop(struct client *c) {
    printk("Connection fd %d closed\n", c->fd);
    close(c->fd);
    c->fd = -1;
}

int main(void) {
    int one = 1, serv, max = sample_connections(), accepted = 0, active = 0;
    uint16_t port = sample_port(PORT);
    struct sockaddr_in addr = {0};

    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    serv = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    setsockopt(serv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = sample_bind_addr4();
    addr.sin_port = htons(port);
    if (bind(serv, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(serv, 5) < 0) {
        printk("error: bind/listen: %d\n", errno);
        return 1;
    }
    fcntl(serv, F_SETFL, O_NONBLOCK);
    printk("select() TCP echo server waits for connections on port %d...\n", port);

    while (max == 0 || accepted < max || active > 0) {
        fd_set rd, wr;
        int maxfd = -1;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        if (max == 0 || accepted < max) {
            FD_SET(serv, &rd);
            maxfd = serv;
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            struct client *c = &clients[i];
            if (c->fd < 0) continue;
            if (!c->eof && c->len < BUF_SIZE) FD_SET(c->fd, &rd);
            if (c->len) FD_SET(c->fd, &wr);
            if (c->fd > maxfd) maxfd = c->fd;
        }
        if (select(maxfd + 1, &rd, &wr, NULL, NULL) < 0) {
            printk("error: select: %d\n", errno);
            return 1;
        }
        if (FD_ISSET(serv, &rd)) {
            int fd = accept(serv, NULL, NULL);
            if (fd >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
                    if (clients[i].fd < 0) slot = i;
                accepted++;
                if (slot < 0) {
                    close(fd); /* full */
                } else {
                    fcntl(fd, F_SETFL, O_NONBLOCK);
                    clients[slot].fd = fd;
                    clients[slot].eof = 0;
                    clients[slot].len = 0;
                    active++;
                    printk("Connection #%d (fd %d)\n", accepted, fd);
                }
            }
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            struct client *c = &clients[i];
            if (c->fd < 0) continue;
            if (FD_ISSET(c->fd, &rd)) {
                ssize_t n = read(c->fd, c->buf + c->len, BUF_SIZE - c->len);
                if (n == 0)
                    c->eof = 1;
                else if (n > 0)
                    c->len += (size_t)n;
                else if (errno != EAGAIN) {
                    drop(c);
                    active--;
                    continue;
                }
            }
            if (c->len) {
                ssize_t n = write(c->fd, c->buf, c->len);
                if (n < 0 && errno != EAGAIN) {
                    drop(c);
                    active--;
                    continue;
                }
                if (n > 0) {
                    memmove(c->buf, c->buf + n, c->len - (size_t)n);
                    c->len -= (size_t)n;
                }
            }
            if (c->eof && c->len == 0) {
                drop(c);
                active--;
            }
        }
    }
    close(serv);
    return 0;
}
