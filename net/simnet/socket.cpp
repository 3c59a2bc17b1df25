// net/simnet/socket.cpp - sim0 sockets as zsock objects: the vtable, creation, readiness.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <sys/ioctl.h>

#include <zsock/simnet.h>

#include "core/log.hpp"
#include "core/sys.hpp"
#include "net/simnet/sim.hpp"
#include "net/simnet/simnet.hpp"

namespace zsock::simnet {

namespace {

extern const zsock_socket_vtable sim_vtable;

sim_socket &S(void *o) {
    return *static_cast<sim_socket *>(o);
}

int check_iov(const iovec *iov, size_t n) {
    if (n > IOV_MAX) return -EMSGSIZE;
    if (n && !iov) return -EFAULT;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) {
        if (iov[i].iov_len && !iov[i].iov_base) return -EFAULT;
        if (iov[i].iov_len > static_cast<size_t>(SSIZE_MAX) - total) return -EINVAL;
        total += iov[i].iov_len;
    }
    return 0;
}

long do_send(sim_socket &s, const iovec *iov, size_t n, int flags, const sockaddr *to,
             socklen_t tolen) {
    if (int r = check_iov(iov, n); r < 0) return r;
    endpoint ep;
    const endpoint *dst = nullptr;
    if (to && !s.is_stream()) { // TCP ignores a destination, as Linux does
        bool unspec;
        if (int r = endpoint_from(to, tolen, s.family, &ep, &unspec); r < 0) return r;
        if (unspec && s.family != AF_INET) return -EAFNOSUPPORT;
        dst = &ep;
    }
    lock lk(net().mu);
    if (s.is_stream()) return stream_send(s, lk, iov, n, flags);
    return dgram_send(s, iov, n, flags, dst);
}

long do_recv(sim_socket &s, const iovec *iov, size_t n, int flags, sockaddr *from,
             socklen_t *fromlen, int *msg_flags) {
    if (int r = check_iov(iov, n); r < 0) return r;
    // Checked before any data is taken, so that a bad argument never loses a byte.
    if (from && !fromlen) return -EFAULT;
    if (from && static_cast<int>(*fromlen) < 0) return -EINVAL;
    lock lk(net().mu);
    if (s.is_stream()) {
        long r = stream_recv(s, lk, iov, n, flags);
        if (r >= 0 && from) *fromlen = 0; // a stream has no source address to report
        return r;
    }
    endpoint src;
    long r = dgram_recv(s, lk, iov, n, flags, &src, msg_flags);
    if (r >= 0 && from) endpoint_to(src, from, fromlen);
    return r;
}

ssize_t s_read(void *o, void *buf, size_t len) {
    iovec v{buf, len};
    return do_recv(S(o), &v, 1, 0, nullptr, nullptr, nullptr);
}

ssize_t s_write(void *o, const void *buf, size_t len) {
    iovec v{const_cast<void *>(buf), len};
    return do_send(S(o), &v, 1, 0, nullptr, 0);
}

int s_close(void *o, int fd) {
    sim_socket *s = static_cast<sim_socket *>(o);
    {
        lock lk(net().mu);
        if (fd != s->lv.fd())
            core::log_warn("simnet: fd {} closed, but its object was told it is fd {}: an object "
                           "that wraps it did not forward ZSOCK_IOCTL_FD_MOVED",
                           fd, s->lv.fd());
        if (s->is_stream()) stream_release(*s);
        port_unbind(*s);
        --net().live;
        s->lv.close_private();
    }
    delete s;
    return static_cast<int>(sys::close(fd));
}

int s_ioctl(void *o, unsigned long req, uintptr_t arg) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    switch (req) {
    case ZSOCK_IOCTL_WAKE_BLOCKED:
        s.woken = true;
        s.cv.notify_all();
        return 0;
    case ZSOCK_IOCTL_FD_MOVED:
        s.lv.moved_to(reinterpret_cast<zsock_fd_moved *>(arg)->new_fd);
        return 0;
    case F_GETFL:
        return O_RDWR | (s.nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
        s.nonblock = (arg & O_NONBLOCK) != 0;
        return 0;
    case FIONBIO: {
        auto *p = reinterpret_cast<int *>(arg);
        if (!p) return -EFAULT;
        s.nonblock = *p != 0;
        return 0;
    }
    case FIONREAD: {
        auto *p = reinterpret_cast<int *>(arg);
        if (!p) return -EFAULT;
        if (s.is_stream()) {
            if (s.st == stream_state::listening) return -EINVAL;
            *p = static_cast<int>(std::min<size_t>(s.rx.size(), INT_MAX));
        } else {
            *p = s.dq.empty() ? 0 : static_cast<int>(s.dq.front().data.size());
        }
        return 0;
    }
    default:
        return req < ZSOCK_IOCTL_FCNTL_MAX ? -EINVAL : -EOPNOTSUPP;
    }
}

int s_shutdown(void *o, int how) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    return s.is_stream() ? stream_shutdown(s, how) : dgram_shutdown(s, how);
}

int s_bind(void *o, const sockaddr *a, socklen_t l) {
    sim_socket &s = S(o);
    endpoint ep;
    bool unspec;
    if (int r = endpoint_from(a, l, s.family, &ep, &unspec); r < 0) return r;
    // AF_UNSPEC is taken for AF_INET with INADDR_ANY only (Linux's compatibility rule).
    if (unspec && (s.family != AF_INET || !ep.is_any())) return -EAFNOSUPPORT;
    lock lk(net().mu);
    if (s.bound) return -EINVAL;
    return port_bind(s, ep, false);
}

int s_connect(void *o, const sockaddr *a, socklen_t l) {
    sim_socket &s = S(o);
    endpoint ep;
    bool unspec;
    if (int r = endpoint_from(a, l, s.family, &ep, &unspec); r < 0) return r;
    lock lk(net().mu);
    if (!s.is_stream()) return dgram_connect(s, ep, unspec);
    if (unspec) return s.st == stream_state::fresh ? 0 : -EOPNOTSUPP;
    return stream_connect(s, lk, ep);
}

int s_listen(void *o, int backlog) {
    sim_socket &s = S(o);
    if (!s.is_stream()) return -EOPNOTSUPP;
    lock lk(net().mu);
    return stream_listen(s, backlog);
}

int s_accept(void *o, sockaddr *a, socklen_t *l, int flags) {
    sim_socket &s = S(o);
    if (!s.is_stream()) return -EOPNOTSUPP;
    lock lk(net().mu);
    return stream_accept(s, lk, a, l, flags);
}

ssize_t s_sendto(void *o, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) {
    iovec v{const_cast<void *>(b), n};
    return do_send(S(o), &v, 1, f, a, l);
}

ssize_t s_recvfrom(void *o, void *b, size_t n, int f, sockaddr *a, socklen_t *l) {
    iovec v{b, n};
    return do_recv(S(o), &v, 1, f, a, l, nullptr);
}

int s_getsockopt(void *o, int lvl, int name, void *v, socklen_t *l) {
    lock lk(net().mu);
    return sim_getsockopt(S(o), lvl, name, v, l);
}

int s_setsockopt(void *o, int lvl, int name, const void *v, socklen_t l) {
    lock lk(net().mu);
    return sim_setsockopt(S(o), lvl, name, v, l);
}

ssize_t s_sendmsg(void *o, const msghdr *m, int f) {
    if (!m) return -EFAULT;
    return do_send(S(o), m->msg_iov, m->msg_iovlen, f,
                   m->msg_name ? static_cast<const sockaddr *>(m->msg_name) : nullptr,
                   m->msg_namelen);
}

ssize_t s_recvmsg(void *o, msghdr *m, int f) {
    if (!m) return -EFAULT;
    int mflags = 0;
    socklen_t namelen = m->msg_namelen;
    long r = do_recv(S(o), m->msg_iov, m->msg_iovlen, f, static_cast<sockaddr *>(m->msg_name),
                     m->msg_name ? &namelen : nullptr, &mflags);
    if (r >= 0) {
        m->msg_namelen = m->msg_name ? namelen : 0;
        m->msg_controllen = 0; // no ancillary data on sim0
        m->msg_flags = mflags;
    }
    return r;
}

int s_getpeername(void *o, sockaddr *a, socklen_t *l) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    bool connected = s.is_stream() ? s.st == stream_state::connected && s.has_peer : s.has_peer;
    if (!connected) return -ENOTCONN;
    return endpoint_to(s.peer, a, l);
}

int s_getsockname(void *o, sockaddr *a, socklen_t *l) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    return endpoint_to(s.bound ? s.local : any_endpoint(s.family), a, l);
}

int s_poll_prepare(void *o, short events, short *kevents) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    if (short r = state_revents(s, events)) return r;
    *kevents = events; // the levels wake the kernel wait when this changes
    return 0;
}

int s_poll_update(void *o, short events, short, short *revents) {
    sim_socket &s = S(o);
    lock lk(net().mu);
    *revents = state_revents(s, events);
    return *revents ? 0 : -EAGAIN;
}

const zsock_socket_vtable sim_vtable = {
    {s_read, s_write, s_close, s_ioctl},
    s_shutdown,
    s_bind,
    s_connect,
    s_listen,
    s_accept,
    s_sendto,
    s_recvfrom,
    s_getsockopt,
    s_setsockopt,
    s_sendmsg,
    s_recvmsg,
    s_getpeername,
    s_getsockname,
    {s_poll_prepare, s_poll_update},
};

int check_args(int family, int type, int proto) {
    if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
    int base = type & 0xf;
    if (base == SOCK_STREAM) return (proto == 0 || proto == IPPROTO_TCP) ? 0 : -EPROTONOSUPPORT;
    if (base == SOCK_DGRAM) return (proto == 0 || proto == IPPROTO_UDP) ? 0 : -EPROTONOSUPPORT;
    return -ESOCKTNOSUPPORT;
}

} // namespace

int publish(sim_socket &s, int type_flags) noexcept {
    if (int r = s.lv.open(type_flags & SOCK_CLOEXEC); r < 0) return r;
    const int fd = s.lv.fd();
    if (int r = zsock_fd_reserve_kernel(fd); r < 0) {
        s.lv.close_private();
        sys::close(fd);
        return r;
    }
    if (int r = zsock_fd_finalize(fd, &s, &sim_vtable, ZSOCK_FD_MODE_SOCKET); r < 0) {
        s.lv.close_private();
        zsock_fd_free(fd); // closes the descriptor
        return r;
    }
    s.nonblock = (type_flags & SOCK_NONBLOCK) != 0;
    sync(s);
    return fd;
}

const zsock_socket_vtable *vtable() noexcept {
    return &sim_vtable;
}

void register_iface() noexcept {
    if (zsock_net_if *i = zsock_net_if_add(ifname)) {
        zsock_net_if_socket_offload_set(i, zsock_simnet_create);
        zsock_net_if_socket_offload_set_filter(i, zsock_simnet_is_supported);
    }
}

} // namespace zsock::simnet

using namespace zsock::simnet;

extern "C" {

int zsock_simnet_create(int family, int type, int proto) {
    if (int r = check_args(family, type, proto); r < 0) return r;
    lock lk(net().mu);
    sim_socket *s = make_socket(family, type & 0xf, proto);
    if (!s) return -ENOMEM;
    int fd = publish(*s, type);
    if (fd < 0) destroy(s);
    return fd;
}

bool zsock_simnet_is_supported(int family, int type, int proto) {
    return check_args(family, type, proto) == 0;
}

int zsock_simnet_register(int priority) {
    zsock_socket_impl impl{"simnet",
                           priority,
                           AF_UNSPEC,
                           zsock_simnet_is_supported,
                           zsock_simnet_create,
                           ZSOCK_IMPL_OFFLOADED};
    return zsock_register_socket_impl(&impl);
}

int zsock_simnet_unregister(void) {
    return zsock_unregister_socket_impl("simnet");
}

bool zsock_simnet_owns(int fd) {
    int saved = errno;
    bool ours = zsock_fd_get_obj(fd, vtable(), ENOTSOCK) != nullptr;
    errno = saved;
    return ours;
}

long zsock_simnet_socket_count(void) {
    lock lk(net().mu);
    return net().live;
}

} // extern "C"
