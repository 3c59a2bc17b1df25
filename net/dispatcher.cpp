// net/dispatcher.cpp - the socket dispatcher (Zephyr's CONFIG_NET_SOCKETS_OFFLOAD_DISPATCHER).
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
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <new>
#include <optional>
#include <sys/ioctl.h>
#include <vector>

#include <zsock/offload.h>

#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/log.hpp"
#include "core/sys.hpp"
#include "net/native_socket.hpp"
#include "net/net_if.hpp"
#include "net/registry.hpp"
#include "net/socket_ops.hpp"

namespace zsock::net {
namespace {

constexpr const char *impl_name = "dispatcher";
constexpr size_t max_buffered_len = 256;

struct buffered_opt {
    int level;
    int name;
    std::vector<char> val;
};

/// The option that makes the choice, applied to the new socket before it is published.
struct choosing_opt {
    int level;
    int name;
    const void *val;
    socklen_t len;
};

struct dispatch_ctx {
    std::mutex mu;
    int fd = -1;
    int family = 0, type = 0, proto = 0; // type with its SOCK_ flags, as given to socket()
    bool kernel_placeholder = false;     // the number is a kernel socket of the same kind
    std::atomic<bool> dispatched{false};
    bool tls_native = false; // TLS_NATIVE set: zsock's TLS makes the socket
    bool nonblock_set = false;
    bool nonblock = false;
    std::vector<buffered_opt> opts;
};

// The dispatcher is creating a real socket on this thread: socket() calls made meanwhile (a
// layered implementation creating its transport) must not come back to it.
thread_local bool t_creating = false;

dispatch_ctx &C(void *o) {
    return *static_cast<dispatch_ctx *>(o);
}

int base_type(int type) {
    return type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
}

bool bufferable(const dispatch_ctx &c, int level, int name) {
    switch (level) {
    case SOL_SOCKET:
        switch (name) {
        case SO_REUSEADDR:
        case SO_REUSEPORT:
        case SO_KEEPALIVE:
        case SO_BROADCAST:
        case SO_PRIORITY:
        case SO_RCVBUF:
        case SO_SNDBUF:
        case SO_RCVTIMEO:
        case SO_SNDTIMEO:
        case SO_LINGER:
            return true;
        default:
            return false;
        }
    case IPPROTO_TCP:
        return base_type(c.type) == SOCK_STREAM && (name == TCP_NODELAY || name == TCP_KEEPIDLE ||
                                                    name == TCP_KEEPINTVL || name == TCP_KEEPCNT);
    case IPPROTO_IP:
        return c.family == AF_INET && (name == IP_TOS || name == IP_TTL);
    case IPPROTO_IPV6:
        return c.family == AF_INET6 && (name == IPV6_V6ONLY || name == IPV6_UNICAST_HOPS);
    default:
        return false;
    }
}

/// The checks a buffered option gets now, so that setsockopt answers what the kernel would.
int validate(int level, int name, const void *val, socklen_t len) {
    if (static_cast<int>(len) < 0) return -EINVAL;
    if (len && !val) return -EFAULT;
    size_t need = sizeof(int);
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        if (len < sizeof(timeval)) return -EINVAL;
        timeval tv;
        std::memcpy(&tv, val, sizeof tv);
        return (tv.tv_usec < 0 || tv.tv_usec >= 1000000) ? -EDOM : 0;
    }
    if (level == SOL_SOCKET && name == SO_LINGER) need = sizeof(linger);
    return len < need ? -EINVAL : 0;
}

int buffer_option(dispatch_ctx &c, int level, int name, const void *val, socklen_t len) {
    if (int r = validate(level, name, val, len); r < 0) return r;
    size_t n = std::min<size_t>(len, max_buffered_len);
    try {
        std::vector<char> bytes(static_cast<const char *>(val), static_cast<const char *>(val) + n);
        for (auto &o : c.opts) {
            if (o.level == level && o.name == name) {
                o.val = std::move(bytes); // the last value wins, in the first one's place
                return 0;
            }
        }
        c.opts.push_back({level, name, std::move(bytes)});
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    return 0;
}

int apply_nonblock(void *obj, const zsock_socket_vtable *vt, bool on) {
    if (!vt->fd.ioctl) return -EOPNOTSUPP;
    int fl = vt->fd.ioctl(obj, F_GETFL, 0);
    if (fl < 0) return fl;
    int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return want == fl ? 0 : vt->fd.ioctl(obj, F_SETFL, static_cast<uintptr_t>(want));
}

/// Makes the real socket, gives it the state kept so far and the choosing option, and publishes
/// it on c.fd. impl NULL: the native socket on the kernel placeholder. transport: the
/// implementation a layered impl (TLS) should put its transport on. Called with c.mu held.
/// Returns 0 or -errno; on failure nothing changed and the socket is still undispatched.
int dispatch_to(dispatch_ctx &c, const zsock_socket_impl *impl, const zsock_socket_impl *transport,
                const choosing_opt *choosing) {
    void *obj = nullptr;
    const zsock_socket_vtable *vt = nullptr;
    zsock_fd_mode mode = ZSOCK_FD_MODE_SOCKET;
    int tmp = -1;
    if (!impl) {
        obj = native_obj(c.fd);
        vt = &native_vtable;
    } else {
        {
            t_creating = true;
            std::optional<transport_override> over;
            if (transport) over.emplace(*transport);
            tmp = impl->create(c.family, c.type, c.proto);
            t_creating = false;
        }
        if (tmp < 0) return tmp;
        if (int r = core::fd_detach(tmp, &obj, &vt, &mode); r < 0) {
            core::fd_close_any(tmp);
            return r;
        }
    }
    auto undo = [&](int err) {
        if (impl) vt->fd.close(obj, tmp);
        return err;
    };
    if (c.nonblock_set)
        if (int r = apply_nonblock(obj, vt, c.nonblock); r < 0) return undo(r);
    for (const auto &o : c.opts) {
        int r = vt->setsockopt ? vt->setsockopt(obj, o.level, o.name, o.val.data(),
                                                static_cast<socklen_t>(o.val.size()))
                               : -ENOPROTOOPT;
        if (r < 0) return undo(r);
    }
    if (choosing) {
        int r = vt->setsockopt ? vt->setsockopt(obj, choosing->level, choosing->name, choosing->val,
                                                choosing->len)
                               : -ENOPROTOOPT;
        if (r < 0) return undo(r);
    }
    if (impl) {
        // Move the real descriptor onto the number the application holds (this closes the
        // placeholder), tell the object, then let the temporary number go.
        long fdflags = sys::fcntl(c.fd, F_GETFD, 0);
        long r = sys::dup3(tmp, c.fd, (fdflags > 0 && (fdflags & FD_CLOEXEC)) ? O_CLOEXEC : 0);
        if (r < 0) return undo(static_cast<int>(r));
        zsock_fd_moved m{tmp, c.fd, obj};
        int mr = vt->fd.ioctl
                     ? vt->fd.ioctl(obj, ZSOCK_IOCTL_FD_MOVED, reinterpret_cast<uintptr_t>(&m))
                     : -EOPNOTSUPP;
        if (mr == 0)
            obj = m.obj;
        else if (mr != -EOPNOTSUPP)
            core::log_warn("dispatcher: fd {} -> {}: ZSOCK_IOCTL_FD_MOVED failed ({})", tmp, c.fd,
                           mr);
        sys::close(tmp);
    }
    c.dispatched.store(true, std::memory_order_release);
    c.opts.clear();
    return core::fd_republish(c.fd, obj, vt, mode);
}

/// Dispatches to the implementation found for c (native_only: skip offloaded stacks).
int dispatch_by_priority(dispatch_ctx &c, bool native_only, const choosing_opt *choosing) {
    zsock_socket_impl impl{};
    if (int r = zsock_find_socket_impl(c.family, c.type, c.proto, ZSOCK_PRIORITY_DISPATCHER + 1,
                                       native_only || c.tls_native, &impl);
        r < 0)
        return r;
    if (impl.create == native_create && c.kernel_placeholder)
        return dispatch_to(c, nullptr, nullptr, choosing);
    return dispatch_to(c, &impl, nullptr, choosing);
}

/// The default choice, made once by the first operation that needs a real socket.
int ensure_dispatched(dispatch_ctx &c) {
    if (c.dispatched.load(std::memory_order_acquire)) return 0;
    std::lock_guard lock(c.mu);
    if (c.dispatched.load(std::memory_order_relaxed)) return 0;
    return dispatch_by_priority(c, false, nullptr);
}

int bind_to_device(dispatch_ctx &c, const void *val, socklen_t len) {
    // The kernel's reading of the option: at most IFNAMSIZ-1 bytes, up to a NUL, so that both
    // Zephyr's struct ifreq and Linux's bare name work.
    if (static_cast<int>(len) < 0) return -EINVAL;
    char name[ZSOCK_IFNAMSIZ] = {};
    size_t n = std::min<size_t>(len, sizeof name - 1);
    if (n && !val) return -EFAULT;
    if (n) std::memcpy(name, val, n);
    const choosing_opt opt{SOL_SOCKET, SO_BINDTODEVICE, val, len};
    net_if_info info;
    if (name[0] == '\0' || !net_if_lookup(name, &info) || !info.create) {
        // No name (unbind), or an interface of the kernel's: the native stack, whose kernel
        // answers the option (ENODEV for an unknown name, EPERM without the privilege...).
        return dispatch_by_priority(c, true, &opt);
    }
    zsock_socket_impl own{info.name,   ZSOCK_PRIORITY_OFFLOAD, c.family, info.filter,
                          info.create, ZSOCK_IMPL_OFFLOADED};
    const bool secure = is_secure_proto(c.proto);
    if (!secure || (!c.tls_native && (!info.filter || info.filter(c.family, c.type, c.proto))))
        return dispatch_to(c, &own, nullptr, &opt);
    // A TLS socket on an interface whose stack does not do TLS (or TLS_NATIVE asked for zsock's
    // TLS): zsock's TLS, with its transport created on the interface.
    zsock_socket_impl tls{};
    if (zsock_find_socket_impl(c.family, c.type, c.proto, ZSOCK_PRIORITY_DISPATCHER + 1, true,
                               &tls) < 0)
        return -EPROTONOSUPPORT;
    return dispatch_to(c, &tls, &own, &opt);
}

int tls_native(dispatch_ctx &c, const void *val, socklen_t len) {
    if (!is_secure_proto(c.proto)) return -ENOPROTOOPT;
    if (static_cast<int>(len) < 0 || len < sizeof(int)) return -EINVAL;
    if (!val) return -EFAULT;
    int on;
    std::memcpy(&on, val, sizeof on);
    if (!on) return 0;
    if (zsock_find_socket_impl(c.family, c.type, c.proto, ZSOCK_PRIORITY_DISPATCHER + 1, true,
                               nullptr) < 0)
        return -EPROTONOSUPPORT; // zsock was built without TLS
    // Chosen, made by the next operation: a SO_BINDTODEVICE right after it still picks the
    // transport's interface, as in Zephyr (where the TLS socket's transport is itself a
    // dispatcher socket).
    c.tls_native = true;
    return 0;
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
bool d_is_supported(int, int, int) { return !t_creating; }

int d_create(int family, int type, int proto) {
    if (zsock_find_socket_impl(family, type, proto, ZSOCK_PRIORITY_DISPATCHER + 1, false,
                               nullptr) < 0)
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
} // namespace zsock::net

using namespace zsock::net;

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
