/* The Zephyr compatibility headers from C with the POSIX names on, the system headers included
 * after them (a common order in Zephyr code): it must compile without a warning, and the names
 * must reach zsock. */
#define CONFIG_POSIX_API 1
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/socket_offload.h>
#include <zephyr/net/tls_credentials.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

LOG_MODULE_REGISTER(zephyr_headers_c, LOG_LEVEL_ERR);

/* Returns 0 when a UDP round trip over POSIX names (mapped to zsock) works. */
int zephyr_posix_names_roundtrip(void) {
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    struct pollfd p;
    char buf[8];
    int r = 1;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, "127.0.0.1", &a.sin_addr) != 1) goto out;
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) goto out;
    if (getsockname(s, (struct sockaddr *)&a, &len) < 0) goto out;
    if (sendto(c, "zephyr", 6, 0, (struct sockaddr *)&a, sizeof(a)) != 6) goto out;
    p.fd = s;
    p.events = POLLIN;
    if (poll(&p, 1, 2000) != 1) goto out;
    if (read(s, buf, sizeof(buf)) != 6) goto out;
    r = memcmp(buf, "zephyr", 6) != 0;
out:
    if (r) LOG_ERR("round trip failed: %d", errno);
    close(s);
    close(c);
    return r;
}

int zephyr_c_sec_tag_size(void) {
    return (int)sizeof(sec_tag_t);
}
