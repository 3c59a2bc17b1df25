// net/dispatcher/choose.cpp - how the dispatcher chooses an implementation and publishes the
// real socket on the fd number it handed out (see socket.cpp for the rules in one place).
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <optional>
#include <sys/time.h>

#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/log.hpp"
#include "core/sys.hpp"
#include "net/dispatcher/dispatcher.hpp"
#include "net/native_socket.hpp"
#include "net/net_if.hpp"
#include "net/registry.hpp"

namespace zsock::net::dispatcher {

thread_local bool t_creating = false;

namespace {
constexpr size_t max_buffered_len = 256;
} // namespace

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
static int validate(int level, int name, const void *val, socklen_t len) {
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

static int apply_nonblock(void *obj, const zsock_socket_vtable *vt, bool on) {
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
static int dispatch_to(dispatch_ctx &c, const zsock_socket_impl *impl,
                       const zsock_socket_impl *transport, const choosing_opt *choosing) {
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
            tmp = zsock_socket_impl_create(impl, c.family, c.type, c.proto);
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

} // namespace zsock::net::dispatcher
