// tests/net/layered_fake.hpp - a layered implementation shaped like zsock's TLS: it finds its
// transport with zsock_find_socket_impl (priority above its own), creates it, and wraps it on the
// same fd with zsock_fd_swap_obj, forwarding every call (and ZSOCK_IOCTL_FD_MOVED) to it. It adds
// no cryptography: it exists so that the dispatcher's TLS rules (TLS_NATIVE, TLS over an
// interface's transport) are tested before and independently of the real TLS layer.
// getsockopt(SOL_SOCKET, SO_PROTOCOL) answers the secure protocol, which tells tests it is there.
#pragma once

#include <atomic>
#include <cerrno>

#include <zsock/offload.h>
#include <zsock/simnet.h>

namespace layered_fake {

inline constexpr int priority = ZSOCK_PRIORITY_TLS - 1; // ahead of the real TLS, if linked
inline std::atomic<int> created{0};
inline std::atomic<int> modem_created{0};

struct wrap {
    int proto;
    void *tobj;
    const zsock_socket_vtable *tvt;
};

inline wrap &W(void *o) {
    return *static_cast<wrap *>(o);
}

#define LF_FWD(member, ...)                                                                        \
    (W(o).tvt->member ? W(o).tvt->member(W(o).tobj, __VA_ARGS__) : -EOPNOTSUPP)

inline ssize_t w_read(void *o, void *b, size_t n) {
    return LF_FWD(fd.read, b, n);
}
inline ssize_t w_write(void *o, const void *b, size_t n) {
    return LF_FWD(fd.write, b, n);
}
inline int w_close(void *o, int fd) {
    wrap *w = static_cast<wrap *>(o);
    int r = w->tvt->fd.close(w->tobj, fd);
    delete w;
    return r;
}
inline int w_ioctl(void *o, unsigned long req, uintptr_t arg) {
    if (req == ZSOCK_IOCTL_FD_MOVED) {
        // Forward to the transport and keep the object it gives back (a native transport's
        // object encodes its fd number).
        auto *m = reinterpret_cast<zsock_fd_moved *>(arg);
        zsock_fd_moved tm{m->old_fd, m->new_fd, W(o).tobj};
        int r = W(o).tvt->fd.ioctl(W(o).tobj, req, reinterpret_cast<uintptr_t>(&tm));
        if (r == 0) W(o).tobj = tm.obj;
        return r == -EOPNOTSUPP ? 0 : r;
    }
    return LF_FWD(fd.ioctl, req, arg);
}
inline int w_shutdown(void *o, int how) {
    return LF_FWD(shutdown, how);
}
inline int w_bind(void *o, const sockaddr *a, socklen_t l) {
    return LF_FWD(bind, a, l);
}
inline int w_connect(void *o, const sockaddr *a, socklen_t l) {
    return LF_FWD(connect, a, l);
}
inline int w_listen(void *o, int b) {
    return LF_FWD(listen, b);
}
inline int w_accept(void *o, sockaddr *a, socklen_t *l, int f) {
    return LF_FWD(accept, a, l, f);
}
inline ssize_t w_sendto(void *o, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) {
    return LF_FWD(sendto, b, n, f, a, l);
}
inline ssize_t w_recvfrom(void *o, void *b, size_t n, int f, sockaddr *a, socklen_t *l) {
    return LF_FWD(recvfrom, b, n, f, a, l);
}
inline int w_getsockopt(void *o, int lvl, int name, void *v, socklen_t *l) {
    if (lvl == SOL_SOCKET && name == SO_PROTOCOL && l && *l >= sizeof(int)) {
        *static_cast<int *>(v) = W(o).proto;
        *l = sizeof(int);
        return 0;
    }
    return LF_FWD(getsockopt, lvl, name, v, l);
}
inline int w_setsockopt(void *o, int lvl, int name, const void *v, socklen_t l) {
    if (lvl == ZSOCK_SOL_TLS) return name == ZSOCK_TLS_NATIVE ? -ENOPROTOOPT : 0;
    return LF_FWD(setsockopt, lvl, name, v, l);
}
inline ssize_t w_sendmsg(void *o, const msghdr *m, int f) {
    return LF_FWD(sendmsg, m, f);
}
inline ssize_t w_recvmsg(void *o, msghdr *m, int f) {
    return LF_FWD(recvmsg, m, f);
}
inline int w_getpeername(void *o, sockaddr *a, socklen_t *l) {
    return LF_FWD(getpeername, a, l);
}
inline int w_getsockname(void *o, sockaddr *a, socklen_t *l) {
    return LF_FWD(getsockname, a, l);
}
inline int w_prepare(void *o, short ev, short *kev) {
    return W(o).tvt->poll.prepare ? W(o).tvt->poll.prepare(W(o).tobj, ev, kev) : (*kev = ev, 0);
}
inline int w_update(void *o, short ev, short krev, short *rev) {
    if (W(o).tvt->poll.update) return W(o).tvt->poll.update(W(o).tobj, ev, krev, rev);
    *rev = krev;
    return 0;
}
#undef LF_FWD

inline const zsock_socket_vtable wrap_vtable = {
    {w_read, w_write, w_close, w_ioctl},
    w_shutdown,
    w_bind,
    w_connect,
    w_listen,
    w_accept,
    w_sendto,
    w_recvfrom,
    w_getsockopt,
    w_setsockopt,
    w_sendmsg,
    w_recvmsg,
    w_getpeername,
    w_getsockname,
    {w_prepare, w_update},
};

inline bool is_secure(int proto) {
    return proto >= ZSOCK_IPPROTO_TLS_1_0 && proto <= ZSOCK_IPPROTO_TLS_1_3;
}

inline bool supported(int family, int type, int proto) {
    return (family == AF_INET || family == AF_INET6) && (type & 0xf) == SOCK_STREAM &&
           is_secure(proto);
}

/// Creates the transport as zsock's TLS does, then wraps it.
inline int create(int family, int type, int proto) {
    zsock_socket_impl tr{};
    int r = zsock_find_socket_impl(family, type, IPPROTO_TCP, priority + 1, false, &tr);
    if (r < 0) return r;
    int fd = tr.create(family, type, IPPROTO_TCP);
    if (fd < 0) return fd;
    auto *w = new wrap{proto, nullptr, nullptr};
    if (int s = zsock_fd_swap_obj(fd, w, &wrap_vtable, &w->tobj, &w->tvt); s < 0) {
        delete w;
        return s;
    }
    ++created;
    return fd;
}

/// A "modem" offload that does TLS itself (as modem firmware does): at the offload priority,
/// it claims the secure protocols; its sockets are wraps over sim0 too.
inline int modem_create(int family, int type, int proto) {
    int fd = zsock_simnet_create(family, type, IPPROTO_TCP);
    if (fd < 0) return fd;
    auto *w = new wrap{proto, nullptr, nullptr};
    zsock_fd_swap_obj(fd, w, &wrap_vtable, &w->tobj, &w->tvt);
    ++modem_created;
    return fd;
}

inline void register_all() {
    zsock_socket_impl tls{"fake_tls", priority, AF_UNSPEC, supported, create, 0};
    zsock_register_socket_impl(&tls);
}

} // namespace layered_fake
