/*
 * A small offloaded socket driver written the way Zephyr drivers are (as in Zephyr's modem and
 * Wi-Fi offload drivers), compiled unchanged against zsock's Zephyr headers: a struct
 * socket_op_vtable whose functions return -1 and set errno, an ioctl that reads its arguments
 * from a va_list, close2, sockets made with zvfs_reserve_fd / zvfs_finalize_typed_fd (freed with
 * zvfs_free_fd on failure), objects found with zvfs_get_fd_obj, and NET_SOCKET_OFFLOAD_REGISTER.
 *
 * The "modem" is a loopback: what a connected socket sends comes back to it. A listening socket
 * accepts one pending connection per connect made to its port. Protocol number 251 keeps it away
 * from every other test's sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/socket_offload.h>
#include <zephyr/sys/fdtable.h>

#define LOOP_PROTO 251
#define LOOP_BUF 256

struct loop_sock {
    int fd;
    int nonblock;
    int connected;
    int listening;
    int pending; /* connects waiting on a listener */
    int eof;     /* shut down for writing: recv at the end gives 0 */
    int opt;     /* one SOL_SOCKET option it stores (SO_RCVBUF) */
    struct sockaddr_in local, peer;
    char buf[LOOP_BUF];
    size_t len;
};

/* What the tests look at. */
int loop_created, loop_closed, loop_last_closed_fd = -1;

static struct loop_sock *listeners[4];

static const struct socket_op_vtable loop_vtable;

static int loop_new(int nonblock) {
    struct loop_sock *s;
    int fd = zvfs_reserve_fd();
    if (fd < 0) return -1;
    s = calloc(1, sizeof(*s));
    if (!s) {
        zvfs_free_fd(fd);
        errno = ENOMEM;
        return -1;
    }
    s->fd = fd;
    s->nonblock = nonblock;
    s->opt = 4096;
    zvfs_finalize_typed_fd(fd, s, (const struct fd_op_vtable *)&loop_vtable, ZVFS_MODE_IFSOCK);
    ++loop_created;
    return fd;
}

static ssize_t loop_recvfrom(void *obj, void *buf, size_t max_len, int flags, struct sockaddr *src,
                             socklen_t *srclen) {
    struct loop_sock *s = obj;
    size_t n;
    if (!s->connected) {
        errno = ENOTCONN;
        return -1;
    }
    if (s->len == 0) {
        if (s->eof) return 0;
        /* Nothing can arrive from anyone else: a loopback never blocks. */
        errno = EAGAIN;
        return -1;
    }
    n = max_len < s->len ? max_len : s->len;
    memcpy(buf, s->buf, n);
    if (!(flags & ZSOCK_MSG_PEEK)) {
        memmove(s->buf, s->buf + n, s->len - n);
        s->len -= n;
    }
    if (src && srclen) {
        socklen_t l = *srclen < sizeof(s->peer) ? *srclen : (socklen_t)sizeof(s->peer);
        memcpy(src, &s->peer, l);
        *srclen = sizeof(s->peer);
    }
    return (ssize_t)n;
}

static ssize_t loop_sendto(void *obj, const void *buf, size_t len, int flags,
                           const struct sockaddr *to, socklen_t tolen) {
    struct loop_sock *s = obj;
    (void)flags;
    (void)to;
    (void)tolen;
    if (!s->connected || s->eof) {
        errno = s->eof ? EPIPE : ENOTCONN;
        return -1;
    }
    if (len > LOOP_BUF - s->len) {
        if (s->len == LOOP_BUF) {
            errno = EAGAIN;
            return -1;
        }
        len = LOOP_BUF - s->len;
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    return (ssize_t)len;
}

static ssize_t loop_read(void *obj, void *buf, size_t sz) {
    return loop_recvfrom(obj, buf, sz, 0, NULL, NULL);
}

static ssize_t loop_write(void *obj, const void *buf, size_t sz) {
    return loop_sendto(obj, buf, sz, 0, NULL, 0);
}

static int loop_close2(void *obj, int fd) {
    struct loop_sock *s = obj;
    size_t i;
    for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); ++i)
        if (listeners[i] == s) listeners[i] = NULL;
    loop_last_closed_fd = fd;
    ++loop_closed;
    free(s);
    return 0;
}

static int loop_ioctl(void *obj, unsigned int request, va_list args) {
    struct loop_sock *s = obj;
    switch (request) {
    case F_GETFL:
        return s->nonblock ? O_NONBLOCK : 0;
    case F_SETFL:
        s->nonblock = (va_arg(args, int) & O_NONBLOCK) != 0;
        return 0;
    case ZSOCK_FIONREAD:
        *va_arg(args, int *) = (int)s->len;
        return 0;
    default:
        errno = EOPNOTSUPP;
        return -1;
    }
}

static int loop_bind(void *obj, const struct sockaddr *addr, socklen_t addrlen) {
    struct loop_sock *s = obj;
    if (addrlen != sizeof(struct sockaddr_in) || addr->sa_family != AF_INET) {
        errno = EINVAL;
        return -1;
    }
    memcpy(&s->local, addr, sizeof(s->local));
    return 0;
}

static int loop_connect(void *obj, const struct sockaddr *addr, socklen_t addrlen) {
    struct loop_sock *s = obj;
    size_t i;
    if (addrlen != sizeof(struct sockaddr_in)) {
        errno = EINVAL;
        return -1;
    }
    if (s->connected) {
        errno = EISCONN;
        return -1;
    }
    memcpy(&s->peer, addr, sizeof(s->peer));
    s->connected = 1;
    for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); ++i)
        if (listeners[i] && listeners[i]->local.sin_port == s->peer.sin_port)
            ++listeners[i]->pending;
    return 0;
}

static int loop_listen(void *obj, int backlog) {
    struct loop_sock *s = obj;
    size_t i;
    (void)backlog;
    for (i = 0; i < sizeof(listeners) / sizeof(listeners[0]); ++i) {
        if (!listeners[i]) {
            listeners[i] = s;
            s->listening = 1;
            return 0;
        }
    }
    errno = ENOBUFS;
    return -1;
}

static int loop_accept(void *obj, struct sockaddr *addr, socklen_t *addrlen) {
    struct loop_sock *s = obj, *c;
    int fd;
    if (!s->listening) {
        errno = EINVAL;
        return -1;
    }
    if (s->pending == 0) {
        errno = EAGAIN;
        return -1;
    }
    /* A socket made inside a socket call: reserve, finalize, as in Zephyr. */
    fd = loop_new(0);
    if (fd < 0) return -1;
    c = zvfs_get_fd_obj(fd, (const struct fd_op_vtable *)&loop_vtable, ENOTSOCK);
    if (!c) return -1;
    --s->pending;
    c->connected = 1;
    c->peer = s->local;
    if (addr && addrlen) {
        socklen_t l = *addrlen < sizeof(c->peer) ? *addrlen : (socklen_t)sizeof(c->peer);
        memcpy(addr, &c->peer, l);
        *addrlen = sizeof(c->peer);
    }
    return fd;
}

static int loop_shutdown(void *obj, int how) {
    struct loop_sock *s = obj;
    if (how != ZSOCK_SHUT_WR && how != ZSOCK_SHUT_RDWR && how != ZSOCK_SHUT_RD) {
        errno = EINVAL;
        return -1;
    }
    if (how != ZSOCK_SHUT_RD) s->eof = 1;
    return 0;
}

static int loop_getsockopt(void *obj, int level, int optname, void *optval, socklen_t *optlen) {
    struct loop_sock *s = obj;
    if (level != SOL_SOCKET || optname != SO_RCVBUF) {
        errno = ENOPROTOOPT;
        return -1;
    }
    if (*optlen < sizeof(int)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(optval, &s->opt, sizeof(int));
    *optlen = sizeof(int);
    return 0;
}

static int loop_setsockopt(void *obj, int level, int optname, const void *optval,
                           socklen_t optlen) {
    struct loop_sock *s = obj;
    if (level != SOL_SOCKET || optname != SO_RCVBUF) {
        errno = ENOPROTOOPT;
        return -1;
    }
    if (optlen != sizeof(int)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(&s->opt, optval, sizeof(int));
    return 0;
}

static int loop_getpeername(void *obj, struct sockaddr *addr, socklen_t *addrlen) {
    struct loop_sock *s = obj;
    socklen_t l;
    if (!s->connected) {
        errno = ENOTCONN;
        return -1;
    }
    l = *addrlen < sizeof(s->peer) ? *addrlen : (socklen_t)sizeof(s->peer);
    memcpy(addr, &s->peer, l);
    *addrlen = sizeof(s->peer);
    return 0;
}

/* sendmsg, recvmsg and getsockname left out, as many drivers do: zsock answers EOPNOTSUPP. */
static const struct socket_op_vtable loop_vtable = {
    .fd_vtable =
        {
            .read = loop_read,
            .write = loop_write,
            .close2 = loop_close2,
            .ioctl = loop_ioctl,
        },
    .shutdown = loop_shutdown,
    .bind = loop_bind,
    .connect = loop_connect,
    .listen = loop_listen,
    .accept = loop_accept,
    .sendto = loop_sendto,
    .recvfrom = loop_recvfrom,
    .getsockopt = loop_getsockopt,
    .setsockopt = loop_setsockopt,
    .getpeername = loop_getpeername,
};

static bool loop_is_supported(int family, int type, int proto) {
    return family == AF_INET && (type & 0xf) == SOCK_STREAM && proto == LOOP_PROTO;
}

static int loop_socket(int family, int type, int proto) {
    (void)family;
    (void)proto;
    /* A driver that refuses after reserving: the number goes back with zvfs_free_fd. */
    if (type & SOCK_CLOEXEC) {
        int fd = zvfs_reserve_fd();
        if (fd >= 0) zvfs_free_fd(fd);
        errno = EPROTONOSUPPORT;
        return -1;
    }
    return loop_new((type & SOCK_NONBLOCK) != 0);
}

NET_SOCKET_OFFLOAD_REGISTER(zephyr_loop, 33, AF_INET, loop_is_supported, loop_socket);

/* The driver's own view of an fd: its object, as zvfs_get_fd_obj gives it. */
void *loop_object_of(int fd) {
    return zvfs_get_fd_obj(fd, (const struct fd_op_vtable *)&loop_vtable, ENOTSOCK);
}

int loop_object_fd(const void *obj) {
    return ((const struct loop_sock *)obj)->fd;
}
