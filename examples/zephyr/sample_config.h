/*
 * examples/zephyr/sample_config.h - what a Zephyr project keeps in its Kconfig (prj.conf), read
 * here from the environment so that the samples can run side by side in tests:
 *   ZSOCK_SAMPLE_PORT         the port (default: the sample's own, as in Zephyr's samples);
 *   ZSOCK_SAMPLE_CONNECTIONS  connections a server handles before it exits (default 0: forever);
 *   ZSOCK_SAMPLE_ANY=1        listen on every interface instead of loopback only;
 *   ZSOCK_SAMPLE_HOST, ZSOCK_SAMPLE_CA   the server and CA certificate file of the TLS client.
 */
#ifndef SAMPLE_CONFIG_H
#define SAMPLE_CONFIG_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint16_t sample_port(uint16_t dflt) {
    const char *v = getenv("ZSOCK_SAMPLE_PORT");
    long p = v ? strtol(v, NULL, 10) : 0;
    return (p > 0 && p < 65536) ? (uint16_t)p : dflt;
}

static inline int sample_connections(void) {
    const char *v = getenv("ZSOCK_SAMPLE_CONNECTIONS");
    return v ? atoi(v) : 0;
}

static inline uint32_t sample_bind_addr4(void) {
    const char *v = getenv("ZSOCK_SAMPLE_ANY");
    return htonl((v && v[0] == '1') ? INADDR_ANY : INADDR_LOOPBACK);
}

static inline const struct in6_addr *sample_bind_addr6(void) {
    const char *v = getenv("ZSOCK_SAMPLE_ANY");
    return (v && v[0] == '1') ? &in6addr_any : &in6addr_loopback;
}

static inline const char *sample_env(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return v ? v : dflt;
}

#endif /* SAMPLE_CONFIG_H */
