// tls/tls_socket.cpp - creating TLS sockets, their vtable, close, ioctl, shutdown, and the
// registration of the TLS implementation in the socket registry.
#include "tls/tls_socket.hpp"

#include <cerrno>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <sys/ioctl.h>

#include <zsock/offload.h>

#include "core/fd_ops.hpp"
#include "core/log.hpp"
#include "core/sys.hpp"

#ifndef ZSOCK_TLS_PRIORITY
#define ZSOCK_TLS_PRIORITY ZSOCK_PRIORITY_TLS_DEFAULT
#endif

namespace zsock::tls {

tls_socket::tls_socket(int fd_, int family_, int type_, int proto_)
    : fd(fd_), family(family_), type(type_), proto(proto_) {}

tls_socket::~tls_socket() {
    if (int w = wake_fd.load(std::memory_order_relaxed); w >= 0) sys::close(w);
}

int tls_socket::min_minor() const noexcept {
    switch (proto) {
    case ZSOCK_IPPROTO_TLS_1_0:
        return lowest_tls_minor();
    case ZSOCK_IPPROTO_TLS_1_1:
        return std::max(lowest_tls_minor(), static_cast<int>(MBEDTLS_SSL_MINOR_VERSION_2));
    case ZSOCK_IPPROTO_DTLS_1_0:
        return lowest_dtls_minor();
    default:
        return MBEDTLS_SSL_MINOR_VERSION_3;
    }
}

deadline tls_socket::deadline_for(wait_kind k) {
    std::optional<std::chrono::milliseconds> bound;
    {
        std::lock_guard lock(mu);
        switch (k) {
        case wait_kind::send:
            bound = sndtimeo;
            break;
        case wait_kind::recv:
            bound = rcvtimeo;
            break;
        case wait_kind::handshake:
            if (opts.handshake_timeout_ms)
                bound = std::chrono::milliseconds(opts.handshake_timeout_ms);
            break;
        }
    }
    return deadline_after(bound);
}

int tls_socket::fail(int err) noexcept {
    if (!error) error = err;
    return -error;
}

namespace {

ssize_t t_read(void *obj, void *buf, size_t len) {
    return tls_recvfrom(obj, buf, len, 0, nullptr, nullptr);
}
ssize_t t_write(void *obj, const void *buf, size_t len) {
    return tls_sendto(obj, buf, len, 0, nullptr, 0);
}

int t_close(void *obj, int fd) {
    auto *t = static_cast<tls_socket *>(obj);
    if (!t->closing.load(std::memory_order_acquire)) {
        // close_notify, best effort: a blocking socket gives the transport a moment to take it.
        deadline d = clock::now() + std::chrono::milliseconds(t->nonblock ? 0 : 1000);
        if (t->sess) send_close_notify(*t, *t->sess, d);
        for (auto &p : t->peers)
            send_close_notify(*t, *p, clock::now());
    }
    int r = t->ivt->fd.close(t->inner, fd);
    delete t;
    return r;
}

int t_ioctl(void *obj, unsigned long req, uintptr_t arg) {
    auto &t = *static_cast<tls_socket *>(obj);
    auto inner_ioctl = [&](unsigned long rq, uintptr_t a) {
        return t.ivt->fd.ioctl ? t.ivt->fd.ioctl(t.inner, rq, a) : -EOPNOTSUPP;
    };
    if (req == ZSOCK_IOCTL_WAKE_BLOCKED) {
        // Our waits see `closing` once woken and answer EINTR; waking the transport also ends
        // its own blocking calls (connect, accept) made from here.
        t.wake_all();
        inner_ioctl(req, arg);
        return 0;
    }
    if (req == ZSOCK_IOCTL_FD_MOVED) {
        // The dispatcher moved the transport's descriptor, which is our number: the transport
        // follows it and may hand back a new object (a native one encodes its number); the
        // TLS object itself stays what the table publishes. No other thread can use the socket
        // yet (it is between two numbers), so the fields change without the lock.
        auto *m = reinterpret_cast<zsock_fd_moved *>(arg);
        if (!m) return -EFAULT;
        zsock_fd_moved tm{m->old_fd, m->new_fd, t.inner};
        int r = inner_ioctl(req, reinterpret_cast<uintptr_t>(&tm));
        if (r < 0 && r != -EOPNOTSUPP) return r;
        if (r == 0) t.inner = tm.obj;
        t.fd = m->new_fd;
        m->obj = &t;
        return 0;
    }
    if (req == F_SETFL) {
        int r = inner_ioctl(req, arg);
        if (r == 0) {
            std::lock_guard lock(t.mu);
            t.nonblock = (arg & O_NONBLOCK) != 0;
        }
        return r;
    }
    if (req == FIONBIO) {
        int r = inner_ioctl(req, arg);
        if (r == 0) { // the kernel read *arg successfully, so it is safe to read it here
            std::lock_guard lock(t.mu);
            t.nonblock = *reinterpret_cast<const int *>(arg) != 0;
        }
        return r;
    }
    if (req < ZSOCK_IOCTL_FCNTL_MAX) return inner_ioctl(req, arg); // F_GETFL and friends
    // FIONREAD and the rest: the transport's answer would count ciphertext, so none (Zephyr).
    return -EOPNOTSUPP;
}

int t_shutdown(void *obj, int how) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    if (how != SHUT_RD && !t.is_dtls() && t.sess) {
        if (t.nonblock) {
            // Like TCP's shutdown, a nonblocking one never waits. If the transport cannot take
            // close_notify now, the alert stays queued and poll flushes it, then shuts the
            // transport (shutting it first would make the alert unsendable).
            std::lock_guard lock(t.mu);
            t.write_shut = true;
            if (close_notify_step(*t.sess) == -EAGAIN) {
                if (how == SHUT_RDWR || t.shut_pending == SHUT_RDWR) how = SHUT_RDWR;
                t.shut_pending = how;
                return 0;
            }
        } else {
            deadline d =
                earliest(t.deadline_for(wait_kind::send), clock::now() + std::chrono::seconds(1));
            send_close_notify(t, *t.sess, d);
            std::lock_guard lock(t.mu);
            t.write_shut = true;
        }
    }
    return t.ivt->shutdown ? t.ivt->shutdown(t.inner, how) : -EOPNOTSUPP;
}

int t_bind(void *obj, const sockaddr *a, socklen_t l) {
    auto &t = *static_cast<tls_socket *>(obj);
    return t.ivt->bind ? t.ivt->bind(t.inner, a, l) : -EOPNOTSUPP;
}

int t_getpeername(void *obj, sockaddr *a, socklen_t *l) {
    auto &t = *static_cast<tls_socket *>(obj);
    return t.ivt->getpeername ? t.ivt->getpeername(t.inner, a, l) : -EOPNOTSUPP;
}

int t_getsockname(void *obj, sockaddr *a, socklen_t *l) {
    auto &t = *static_cast<tls_socket *>(obj);
    return t.ivt->getsockname ? t.ivt->getsockname(t.inner, a, l) : -EOPNOTSUPP;
}

bool is_tls_proto(int proto) noexcept {
    return (proto >= ZSOCK_IPPROTO_TLS_1_0 && proto <= ZSOCK_IPPROTO_TLS_1_3) ||
           proto == ZSOCK_IPPROTO_DTLS_1_0 || proto == ZSOCK_IPPROTO_DTLS_1_2;
}

bool tls_is_supported(int, int, int proto) {
    return is_tls_proto(proto);
}

int tls_create(int family, int type, int proto) {
    if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
    const int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    const bool dtls = proto == ZSOCK_IPPROTO_DTLS_1_0 || proto == ZSOCK_IPPROTO_DTLS_1_2;
    if (!is_tls_proto(proto)) return -EPROTONOSUPPORT;
    if (base != (dtls ? SOCK_DGRAM : SOCK_STREAM)) return -EPROTOTYPE;
    if (proto == ZSOCK_IPPROTO_TLS_1_3 && !has_tls13()) return -EPROTONOSUPPORT;

    // The transport: the first implementation after the dispatcher that makes plain TCP/UDP
    // sockets, as Zephyr's TLS gets it from socket(): an offload registered ahead of TLS
    // (priority 40, such as sim0), else native. TLS itself, and any entry that takes only secure
    // protocols, refuse TCP/UDP and are passed over by the lookup. While the dispatcher creates
    // this socket for an interface (SO_BINDTODEVICE), the lookup answers that interface's stack.
    zsock_socket_impl impl{};
    const int tproto = dtls ? IPPROTO_UDP : IPPROTO_TCP;
    if (int r = zsock_find_socket_impl(family, base, tproto, ZSOCK_PRIORITY_DISPATCHER + 1, false,
                                       &impl);
        r < 0)
        return r;
    if (impl.create == tls_create) return -EPROTONOSUPPORT; // never over itself
    int fd = zsock_socket_impl_create(&impl, family, base | flags, tproto);
    if (fd < 0) return fd;
    int err = 0;
    tls_socket *t = wrap_transport(fd, family, base, proto, &err);
    if (!t) return err;
    t->nonblock = (flags & SOCK_NONBLOCK) != 0;
    return fd;
}

} // namespace

const zsock_socket_vtable tls_vtable = {
    {t_read, t_write, t_close, t_ioctl},
    t_shutdown,
    t_bind,
    tls_connect,
    tls_listen,
    tls_accept,
    tls_sendto,
    tls_recvfrom,
    tls_getsockopt,
    tls_setsockopt,
    tls_sendmsg,
    tls_recvmsg,
    t_getpeername,
    t_getsockname,
    {tls_poll_prepare, tls_poll_update, tls_poll_deadline},
};

tls_socket *wrap_transport(int fd, int family, int type, int proto, int *err) {
    auto *t = new (std::nothrow) tls_socket(fd, family, type, proto);
    if (!t) {
        core::fd_close_any(fd);
        *err = -ENOMEM;
        return nullptr;
    }
    void *inner = nullptr;
    const zsock_socket_vtable *ivt = nullptr;
    if (int r = zsock_fd_swap_obj(fd, t, &tls_vtable, &inner, &ivt); r < 0) {
        delete t;
        core::fd_close_any(fd);
        *err = r;
        return nullptr;
    }
    t->inner = inner;
    t->ivt = ivt;
    return t;
}

} // namespace zsock::tls

extern "C" {

// Referenced by the static library's link options (--undefined), so that a static link always
// pulls this object in, and with it the constructor below.
ZSOCK_API extern const int zsock_tls_anchor;
const int zsock_tls_anchor = 1;

__attribute__((constructor)) static void zsock_tls_register(void) {
    zsock_socket_impl impl{
        "tls", ZSOCK_TLS_PRIORITY, AF_UNSPEC, zsock::tls::tls_is_supported, zsock::tls::tls_create,
        0};
    if (int r = zsock_register_socket_impl(&impl); r < 0)
        zsock::core::log_warn("tls: registration failed ({})", r);
}

} // extern "C"
