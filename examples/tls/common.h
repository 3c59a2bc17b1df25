/* examples/tls/common.h - small helpers shared by the TLS examples: reading a PEM file into a
 * credential (with its NUL counted, as Zephyr wants). */
#ifndef ZSOCK_EXAMPLES_TLS_COMMON_H
#define ZSOCK_EXAMPLES_TLS_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include <zsock/posix.h>

/* Adds the PEM file at path as credential (tag, type). Returns 0 or a negative errno. */
static inline int add_pem_file(sec_tag_t tag, enum tls_credential_type type, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = (char *)malloc((size_t)size + 1);
    size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)size) {
        free(buf);
        return -5;
    }
    buf[size] = '\0';
    /* The store keeps its own copy: the buffer can go right away. */
    int r = tls_credential_add(tag, type, buf, (size_t)size + 1);
    free(buf);
    return r;
}

#endif
