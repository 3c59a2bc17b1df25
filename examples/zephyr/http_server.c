/*
 * A minimal HTTP server that answers every request with one page, in Zephyr application style
 * (Zephyr's dumb_http_server) with the POSIX names (CONFIG_POSIX_API). It reads the request up to
 * the blank line that ends its headers, sends the page, and closes the connection.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include "sample_config.h"

#define BIND_PORT 8080

static const char content[] =
    "HTTP/1.0 200 OK\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 117\r\n"
    "\r\n"
    "<html><head><title>zsock</title></head>"
    "<body><h1>Hello from zsock</h1><p>Zephyr sockets, on Linux.</p></body></html>\n";

int main(void) {
    int serv, one = 1, max = sample_connections(), counter = 0;
    uint16_t port = sample_port(BIND_PORT);
    struct sockaddr_in bind_addr = {0};

    serv = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (serv < 0) {
        printk("error: socket: %d\n", errno);
        return 1;
    }
    setsockopt(serv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bind_addr.sin_family = AF_INET;
    bind_addr.sin_addr.s_addr = sample_bind_addr4();
    bind_addr.sin_port = htons(port);
    if (bind(serv, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0 || listen(serv, 5) < 0) {
        printk("error: bind/listen: %d\n", errno);
        return 1;
    }
    printk("Single-threaded dumb HTTP server waits for a connection on port %d...\n", port);

    while (max == 0 || counter < max) {
        struct sockaddr_in client_addr;
        socklen_t client_addr_len = sizeof(client_addr);
        char req[1024], addr_str[32];
        size_t have = 0;
        int client = accept(serv, (struct sockaddr *)&client_addr, &client_addr_len);

        if (client < 0) {
            printk("error: accept: %d\n", errno);
            continue;
        }
        inet_ntop(client_addr.sin_family, &client_addr.sin_addr, addr_str, sizeof(addr_str));
        printk("Connection #%d from %s\n", counter++, addr_str);

        /* The request ends with an empty line; a request too big for req is answered anyway. */
        while (have < sizeof(req) - 1) {
            ssize_t r = recv(client, req + have, sizeof(req) - 1 - have, 0);
            if (r <= 0) break;
            have += (size_t)r;
            req[have] = '\0';
            if (strstr(req, "\r\n\r\n")) break;
        }

        const char *data = content;
        size_t len = sizeof(content) - 1;
        while (len) {
            ssize_t sent = send(client, data, len, MSG_NOSIGNAL);
            if (sent < 0) {
                printk("error: send: %d\n", errno);
                break;
            }
            data += sent;
            len -= (size_t)sent;
        }
        close(client);
        printk("Connection from %s closed\n", addr_str);
    }
    close(serv);
    return 0;
}
