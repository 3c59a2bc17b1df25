/*
 * Blocking TCP echo server, in Zephyr application style with Zephyr's own zsock_ API.
 * One connection at a time: accept, echo until the client closes, next.
 */
#include <errno.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include "sample_config.h"

#define BIND_PORT 4242

int main(void) {
    int serv, one = 1;
    struct sockaddr_in bind_addr = {0};
    static int counter;
    int max = sample_connections();
    uint16_t port = sample_port(BIND_PORT);

    serv = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (serv < 0) {
        printk("error: socket: %d\n", errno);
        return 1;
    }
    zsock_setsockopt(serv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    bind_addr.sin_family = AF_INET;
    bind_addr.sin_addr.s_addr = sample_bind_addr4();
    bind_addr.sin_port = htons(port);
    if (zsock_bind(serv, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0) {
        printk("error: bind: %d\n", errno);
        return 1;
    }
    if (zsock_listen(serv, 5) < 0) {
        printk("error: listen: %d\n", errno);
        return 1;
    }
    printk("Single-threaded TCP echo server waits for a connection on port %d...\n", port);

    while (max == 0 || counter < max) {
        struct sockaddr_in client_addr;
        socklen_t client_addr_len = sizeof(client_addr);
        char addr_str[32];
        int client = zsock_accept(serv, (struct sockaddr *)&client_addr, &client_addr_len);

        if (client < 0) {
            printk("error: accept: %d\n", errno);
            continue;
        }
        zsock_inet_ntop(client_addr.sin_family, &client_addr.sin_addr, addr_str, sizeof(addr_str));
        printk("Connection #%d from %s\n", counter++, addr_str);

        while (1) {
            char buf[128], *p;
            ssize_t len = zsock_recv(client, buf, sizeof(buf), 0);

            if (len <= 0) {
                if (len < 0) printk("error: recv: %d\n", errno);
                break;
            }
            p = buf;
            do { /* send() may take less than it was given: loop */
                ssize_t out_len = zsock_send(client, p, (size_t)len, 0);
                if (out_len < 0) {
                    printk("error: send: %d\n", errno);
                    goto error;
                }
                p += out_len;
                len -= out_len;
            } while (len);
        }
    error:
        zsock_close(client);
        printk("Connection from %s closed\n", addr_str);
    }
    zsock_close(serv);
    return 0;
}
