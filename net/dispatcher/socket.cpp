// net/dispatcher/socket.cpp - the socket dispatcher (CONFIG_NET_SOCKETS_OFFLOAD_DISPATCHER).
//
// Registered at priority 0 by zsock_dispatcher_enable(), it answers every socket() call with a
// dispatcher socket: an fd number whose real socket is made later, by the first operation that
// needs one, so that the application can choose the stack first:
//   - setsockopt(SO_BINDTODEVICE, name): an interface of zsock's table with a creator makes the
//     socket (sim0: the in-process network); any other name belongs to the kernel, so the native
//     implementation makes it and the kernel applies the option (ENODEV for unknown names...);
//   - setsockopt(SOL_TLS, TLS_NATIVE, 1) on a TLS socket: zsock's own TLS implementation;
//   - anything else: the first implementation by priority (default dispatch).
// The real socket is published on the same fd number (its descriptor moved there with dup3), and
// from then on the fd table points at it directly: a dispatched socket costs what the socket it
// became costs. Before dispatch:
//   - harmless options (SO_REUSEADDR, timeouts, buffer sizes, TCP_NODELAY, ... see bufferable())
//     and O_NONBLOCK are kept and replayed on the chosen socket, in order, instead of forcing a
//     choice as Zephyr does; a replay the chosen implementation refuses fails the choosing call,
//     which then changes nothing;
//   - getsockopt answers SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN and SO_ERROR itself;
//   - poll and select see the placeholder: a fresh kernel socket of the same kind (what a fresh
//     socket reports), or for TLS sockets an eventfd (POLLOUT);
//   - close frees everything.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/ioctl.h>

#include <zsock/offload.h>

#include "core/fd_ops.hpp"
#include "core/sys.hpp"
#include "net/dispatch_settle.hpp"
#include "net/dispatcher/dispatcher.hpp"
#include "net/native_socket.hpp"
#include "net/registry.hpp"
#include "net/socket_ops.hpp"

namespace zsock::net::dispatcher {
namespace {

constexpr const char *impl_name = "dispatcher";

dispatch_ctx &C(void *o) {
    return *static_cast<dispatch_ctx *>(o);
}

// ---- the vtable: dispatch first, then the generic call on the same fd number --------------

ssize_t d_read(void *o, void *buf, size_t len) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return core::fd_read(C(o).fd, buf, len);
}

ssize_t d_write(void *o, const void *buf, size_t len) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return core::fd_write(C(o).fd, buf, len);
}

int d_close(void *o, int fd) {
    auto *c = static_cast<dispatch_ctx *>(o);
    // Once dispatched, the descriptor belongs to the real socket's entry.
    bool placeholder = !c->dispatched.load(std::memory_order_acquire);
    delete c;
    return placeholder ? static_cast<int>(sys::close(fd)) : 0;
}

int d_ioctl(void *o, unsigned long req, uintptr_t arg) {
    dispatch_ctx &c = C(o);
    switch (req) {
    case ZSOCK_IOCTL_WAKE_BLOCKED:
        return 0; // nothing ever waits in the dispatcher itself
    case ZSOCK_IOCTL_FD_MOVED:
        return -EOPNOTSUPP;
    default:
        break;
    }
    {
        std::lock_guard lock(c.mu);
        if (!c.dispatched.load(std::memory_order_relaxed)) {
            switch (req) {
            case F_GETFL:
                return O_RDWR | (c.nonblock ? O_NONBLOCK : 0);
            case F_SETFL:
                c.nonblock = (arg & O_NONBLOCK) != 0;
                c.nonblock_set = true;
                return 0;
            case FIONBIO: {
                auto *p = reinterpret_cast<const int *>(arg);
                if (!p) return -EFAULT;
                c.nonblock = *p != 0;
                c.nonblock_set = true;
                return 0;
            }
            default:
                if (int r = dispatch_by_priority(c, false, nullptr); r < 0) return r;
            }
        }
    }
    long r = req < ZSOCK_IOCTL_FCNTL_MAX ? core::fd_fcntl(c.fd, static_cast<int>(req), arg)
                                         : core::fd_ioctl(c.fd, req, arg);
    return static_cast<int>(r);
}

int d_shutdown(void *o, int how) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::shutdown(C(o).fd, how);
}

int d_bind(void *o, const sockaddr *a, socklen_t l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::bind(C(o).fd, a, l);
}

int d_connect(void *o, const sockaddr *a, socklen_t l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::connect(C(o).fd, a, l);
}

int d_listen(void *o, int backlog) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::listen(C(o).fd, backlog);
}

int d_accept(void *o, sockaddr *a, socklen_t *l, int flags) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::accept4(C(o).fd, a, l, flags);
}

ssize_t d_sendto(void *o, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::sendto(C(o).fd, b, n, f, a, l);
}

ssize_t d_recvfrom(void *o, void *b, size_t n, int f, sockaddr *a, socklen_t *l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::recvfrom(C(o).fd, b, n, f, a, l);
}

ssize_t d_sendmsg(void *o, const msghdr *m, int f) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::sendmsg(C(o).fd, m, f);
}

ssize_t d_recvmsg(void *o, msghdr *m, int f) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::recvmsg(C(o).fd, m, f);
}

int d_getpeername(void *o, sockaddr *a, socklen_t *l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::getpeername(C(o).fd, a, l);
}

int d_getsockname(void *o, sockaddr *a, socklen_t *l) {
    if (int r = ensure_dispatched(C(o)); r < 0) return r;
    return net::getsockname(C(o).fd, a, l);
}

int put_int(void *val, socklen_t *len, int v) {
    if (!len) return -EFAULT;
    if (static_cast<int>(*len) < 0) return -EINVAL;
    size_t k = std::min<size_t>(*len, sizeof v);
    if (k && !val) return -EFAULT;
    std::memcpy(val, &v, k);
    *len = static_cast<socklen_t>(k);
    return 0;
}

int d_getsockopt(void *o, int level, int name, void *val, socklen_t *len) {
    dispatch_ctx &c = C(o);
    if (!c.dispatched.load(std::memory_order_acquire) && level == SOL_SOCKET) {
        // What every implementation would say, answered without choosing one.
        switch (name) {
        case SO_TYPE:
            return put_int(val, len, base_type(c.type));
        case SO_DOMAIN:
            return put_int(val, len, c.family);
        case SO_PROTOCOL:
            if (c.proto == 0 && c.kernel_placeholder)
                return static_cast<int>(sys::getsockopt(c.fd, level, name, val, len));
            return put_int(val, len, c.proto);
        case SO_ACCEPTCONN:
        case SO_ERROR:
            return put_int(val, len, 0);
        default:
            break;
        }
    }
    if (int r = ensure_dispatched(c); r < 0) return r;
    return net::getsockopt(c.fd, level, name, val, len);
}

int d_setsockopt(void *o, int level, int name, const void *val, socklen_t len) {
    dispatch_ctx &c = C(o);
    if (!c.dispatched.load(std::memory_order_acquire)) {
        std::lock_guard lock(c.mu);
        if (!c.dispatched.load(std::memory_order_relaxed)) {
            if (level == SOL_SOCKET && name == SO_BINDTODEVICE)
                return bind_to_device(c, val, len); // applied to the new socket already
            if (level == ZSOCK_SOL_TLS && name == ZSOCK_TLS_NATIVE) return tls_native(c, val, len);
            if (bufferable(c, level, name)) return buffer_option(c, level, name, val, len);
            if (int r = dispatch_by_priority(c, false, nullptr); r < 0) return r;
        }
    }
    return net::setsockopt(c.fd, level, name, val, len);
}

const zsock_socket_vtable dispatcher_vtable = {
    {d_read, d_write, d_close, d_ioctl},
    d_shutdown,
    d_bind,
    d_connect,
    d_listen,
    d_accept,
    d_sendto,
    d_recvfrom,
    d_getsockopt,
    d_setsockopt,
    d_sendmsg,
    d_recvmsg,
    d_getpeername,
    d_getsockname,
    {nullptr, nullptr}, // poll and select see the placeholder descriptor
};

// Called by the registry under its lock: it must not look the registry up itself. Whether some
// implementation would take the socket is checked by d_create, as Zephyr's dispatcher does.
bool d_is_supported(int, int, int) {
    return !t_creating;
}

int d_create(int family, int type, int proto) {
    if (zsock_find_socket_impl(family, type, proto, ZSOCK_PRIORITY_DISPATCHER + 1, false, nullptr) <
        0)
        return -EAFNOSUPPORT;
    auto *c = new (std::nothrow) dispatch_ctx;
    if (!c) return -ENOMEM;
    c->family = family;
    c->type = type;
    c->proto = proto;
    c->nonblock = (type & SOCK_NONBLOCK) != 0;
    int fd = -1;
    if (!is_secure_proto(proto)) {
        // A kernel socket of the same kind holds the number: the kernel checks the arguments
        // exactly as for a native socket(), and if the choice is native it simply becomes it.
        long k = sys::socket(family, type, proto);
        if (k >= 0) {
            int r = zsock_fd_reserve_kernel(static_cast<int>(k));
            if (r < 0) {
                sys::close(static_cast<int>(k));
                delete c;
                return r;
            }
            fd = r;
            c->kernel_placeholder = true;
        } else {
            zsock_socket_impl def{};
            if (zsock_find_socket_impl(family, type, proto, ZSOCK_PRIORITY_DISPATCHER + 1, false,
                                       &def) < 0 ||
                def.create == native_create) {
                delete c;
                return static_cast<int>(k); // the kernel's answer, as without the dispatcher
            }
        }
    }
    if (fd < 0) {
        fd = zsock_fd_reserve(); // an eventfd: a sock kind the kernel does not make
        if (fd < 0) {
            delete c;
            return fd;
        }
        if (!(type & SOCK_CLOEXEC)) sys::fcntl(fd, F_SETFD, 0);
    }
    c->fd = fd;
    if (int r = zsock_fd_finalize(fd, c, &dispatcher_vtable, ZSOCK_FD_MODE_SOCKET); r < 0) {
        zsock_fd_free(fd);
        delete c;
        return r;
    }
    return fd;
}

} // namespace
} // namespace zsock::net::dispatcher

namespace zsock::net {

int dispatch_settle(int fd) noexcept {
    core::fd_ref ref;
    if (core::fd_lookup(fd, &ref) != core::lookup::found) return 0;
    if (ref->vtable != &dispatcher::dispatcher_vtable) return 0;
    return dispatcher::ensure_dispatched(dispatcher::C(ref->obj));
}

} // namespace zsock::net

using namespace zsock::net::dispatcher;
using zsock::net::ensure_builtin_impls;

extern "C" {

int zsock_dispatcher_enable(void) {
    ensure_builtin_impls();
    zsock_socket_impl impl{
        impl_name, ZSOCK_PRIORITY_DISPATCHER, AF_UNSPEC, d_is_supported, d_create, 0};
    int r = zsock_register_socket_impl(&impl);
    return r == -EEXIST ? -EALREADY : r;
}

int zsock_dispatcher_disable(void) {
    return zsock_unregister_socket_impl(impl_name);
}

} // extern "C"
