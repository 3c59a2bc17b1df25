/*
 * zsock_probe.c - a counting socket implementation, for proving that a program's socket calls
 * really go through zsock (tests only).
 *
 * Loaded with LD_PRELOAD into a process, it registers itself in zsock's implementation registry
 * ahead of every other implementation (priority 1). Each socket it is asked for is created by the
 * next implementation in line (native, TLS, ...), then wrapped in place (zsock_fd_swap_obj) by an
 * object whose vtable counts every call and delegates it; accepted sockets are wrapped the same
 * way. Its poll hooks are real, so poll() and select() take zsock's hooked path and are counted.
 *
 * At exit the counts go to the file named by $ZSOCK_PROBE_OUT, one "name count" line each. A
 * program whose calls bypass zsock (plain libc, no libzsock-posix) leaves every count at zero:
 * that is the control that shows the check can fail.
 *
 * Written in C against the public headers only, as an offloaded stack would be.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zsock/fdtable.h>
#include <zsock/offload.h>

#define PROBE_PRIORITY 1

enum counter {
    C_SOCKET,
    C_ACCEPT,
    C_CONNECT,
    C_BIND,
    C_LISTEN,
    C_SHUTDOWN,
    C_READ,
    C_WRITE,
    C_SEND,
    C_RECV,
    C_SOCKOPT,
    C_NAME,
    C_IOCTL,
    C_POLL,
    C_CLOSE,
    C_COUNT
};
static const char *const counter_names[C_COUNT] = {
    "socket", "accept", "connect", "bind", "listen", "shutdown", "read", "write",
    "send",   "recv",   "sockopt", "name", "ioctl",  "poll",     "close"};
static unsigned long counts[C_COUNT];

static void count(enum counter c) {
    __atomic_fetch_add(&counts[c], 1, __ATOMIC_RELAXED);
}

struct probe {
    void *inner;
    const struct zsock_socket_vtable *vt;
};

#define INNER(o) ((struct probe *)(o))
#define DELEGATE(o, member, ...)                                                                   \
    (INNER(o)->vt->member ? INNER(o)->vt->member(INNER(o)->inner, __VA_ARGS__) : -EOPNOTSUPP)

static int wrap(int fd);

static ssize_t p_read(void *o, void *buf, size_t len) {
    count(C_READ);
    return DELEGATE(o, fd.read, buf, len);
}
static ssize_t p_write(void *o, const void *buf, size_t len) {
    count(C_WRITE);
    return DELEGATE(o, fd.write, buf, len);
}
static int p_close(void *o, int fd) {
    count(C_CLOSE);
    struct probe *p = INNER(o);
    int r = p->vt->fd.close(p->inner, fd);
    free(p);
    return r;
}
static int p_ioctl(void *o, unsigned long req, uintptr_t arg) {
    if (req != ZSOCK_IOCTL_WAKE_BLOCKED) count(C_IOCTL);
    return DELEGATE(o, fd.ioctl, req, arg);
}
static int p_shutdown(void *o, int how) {
    count(C_SHUTDOWN);
    return DELEGATE(o, shutdown, how);
}
static int p_bind(void *o, const struct sockaddr *a, socklen_t l) {
    count(C_BIND);
    return DELEGATE(o, bind, a, l);
}
static int p_connect(void *o, const struct sockaddr *a, socklen_t l) {
    count(C_CONNECT);
    return DELEGATE(o, connect, a, l);
}
static int p_listen(void *o, int backlog) {
    count(C_LISTEN);
    return DELEGATE(o, listen, backlog);
}
static int p_accept(void *o, struct sockaddr *a, socklen_t *l, int flags) {
    count(C_ACCEPT);
    int fd = DELEGATE(o, accept, a, l, flags);
    return fd < 0 ? fd : wrap(fd);
}
static ssize_t p_sendto(void *o, const void *b, size_t n, int f, const struct sockaddr *a,
                        socklen_t l) {
    count(C_SEND);
    return DELEGATE(o, sendto, b, n, f, a, l);
}
static ssize_t p_recvfrom(void *o, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l) {
    count(C_RECV);
    return DELEGATE(o, recvfrom, b, n, f, a, l);
}
static int p_getsockopt(void *o, int lvl, int name, void *v, socklen_t *l) {
    count(C_SOCKOPT);
    return DELEGATE(o, getsockopt, lvl, name, v, l);
}
static int p_setsockopt(void *o, int lvl, int name, const void *v, socklen_t l) {
    count(C_SOCKOPT);
    return DELEGATE(o, setsockopt, lvl, name, v, l);
}
static ssize_t p_sendmsg(void *o, const struct msghdr *m, int f) {
    count(C_SEND);
    return DELEGATE(o, sendmsg, m, f);
}
static ssize_t p_recvmsg(void *o, struct msghdr *m, int f) {
    count(C_RECV);
    return DELEGATE(o, recvmsg, m, f);
}
static int p_getpeername(void *o, struct sockaddr *a, socklen_t *l) {
    count(C_NAME);
    return DELEGATE(o, getpeername, a, l);
}
static int p_getsockname(void *o, struct sockaddr *a, socklen_t *l) {
    count(C_NAME);
    return DELEGATE(o, getsockname, a, l);
}
static int p_prepare(void *o, short events, short *kevents) {
    count(C_POLL);
    if (INNER(o)->vt->poll.prepare) return DELEGATE(o, poll.prepare, events, kevents);
    *kevents = events; /* a plain kernel descriptor: wait for what the caller asked */
    return 0;
}
static int p_update(void *o, short events, short krevents, short *revents) {
    if (INNER(o)->vt->poll.update) return DELEGATE(o, poll.update, events, krevents, revents);
    *revents = krevents;
    return 0;
}

static const struct zsock_socket_vtable probe_vtable = {
    {p_read, p_write, p_close, p_ioctl},
    p_shutdown,
    p_bind,
    p_connect,
    p_listen,
    p_accept,
    p_sendto,
    p_recvfrom,
    p_getsockopt,
    p_setsockopt,
    p_sendmsg,
    p_recvmsg,
    p_getpeername,
    p_getsockname,
    {p_prepare, p_update},
};

/* Puts a probe in front of the object behind fd. On failure the fd stays as it was. */
static int wrap(int fd) {
    struct probe *p = malloc(sizeof *p);
    if (!p) return fd;
    if (zsock_fd_swap_obj(fd, p, &probe_vtable, &p->inner, &p->vt) != 0) free(p);
    return fd;
}

static bool probe_is_supported(int family, int type, int proto) {
    (void)family, (void)type, (void)proto;
    return true; /* whatever the next implementation accepts */
}

static int probe_create(int family, int type, int proto) {
    struct zsock_socket_impl next;
    int r = zsock_find_socket_impl(family, type, proto, PROBE_PRIORITY + 1, false, &next);
    if (r < 0) return r;
    int fd = next.create(family, type, proto);
    if (fd < 0) return fd;
    count(C_SOCKET);
    return wrap(fd);
}

NET_SOCKET_REGISTER(zsock_probe, PROBE_PRIORITY, AF_UNSPEC, probe_is_supported, probe_create)

__attribute__((destructor)) static void probe_report(void) {
    const char *path = getenv("ZSOCK_PROBE_OUT");
    if (!path) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[64];
    for (int i = 0; i < C_COUNT; ++i) {
        int n = snprintf(line, sizeof line, "%s %lu\n", counter_names[i],
                         __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
        if (write(fd, line, (size_t)n) != n) break;
    }
    close(fd);
}
