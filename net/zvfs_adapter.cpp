// net/zvfs_adapter.cpp - Zephyr-convention objects (struct fd_op_vtable / socket_op_vtable from
// <zephyr/sys/fdtable.h> and <zephyr/net/socket_offload.h>) published in zsock's fd table.
//
// A Zephyr driver's functions return -1 and set errno, take ioctl arguments as a va_list, accept
// without flags, and close with close2(obj, fd). zsock's objects return negative errnos and take
// an integer ioctl argument. The adapter is a small object that holds the driver's object and
// vtable, and one zsock vtable of trampolines that translate each call; the driver never knows.
#include <cerrno>
#include <cstdarg>
#include <fcntl.h>
#include <new>

#include <zephyr/net/socket_offload.h>
#include <zephyr/sys/fdtable.h>

#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/log.hpp"
#include "core/sys.hpp"

namespace zsock::net {
namespace {

struct adapted {
    void *obj;
    const fd_op_vtable *zvt;
    bool socket; // zvt is the start of a socket_op_vtable
};

adapted *self(void *o) {
    return static_cast<adapted *>(o);
}
const socket_op_vtable *svt(void *o) {
    return reinterpret_cast<const socket_op_vtable *>(self(o)->zvt);
}

// Runs a driver call with errno cleared, and turns "-1 and errno" into a negative errno. A driver
// that fails without setting errno gets EIO rather than a success.
template <class F>
long zcall(F &&f) noexcept {
    const int saved = errno;
    errno = 0;
    long r = static_cast<long>(f());
    long out = r < 0 ? -(errno ? errno : EIO) : r;
    errno = saved;
    return out;
}

int call_ioctl(const fd_op_vtable *vt, void *obj, unsigned int request, ...) {
    va_list ap;
    va_start(ap, request);
    int r = vt->ioctl(obj, request, ap);
    va_end(ap);
    return r;
}

ssize_t a_read(void *o, void *buf, size_t len) {
    if (!self(o)->zvt->read) return -EOPNOTSUPP;
    return zcall([&] { return self(o)->zvt->read(self(o)->obj, buf, len); });
}
ssize_t a_write(void *o, const void *buf, size_t len) {
    if (!self(o)->zvt->write) return -EOPNOTSUPP;
    return zcall([&] { return self(o)->zvt->write(self(o)->obj, buf, len); });
}
int a_close(void *o, int fd) {
    adapted *a = self(o);
    long r = 0;
    // close and close2 share their slot, as in Zephyr, whose fd table calls close2(obj, fd) for
    // both: an extra argument is harmless to a one-argument close in the C calling convention.
    if (a->zvt->close2) r = zcall([&] { return a->zvt->close2(a->obj, fd); });
    sys::close(fd); // the eventfd zvfs_reserve_fd made
    delete a;
    return static_cast<int>(r);
}
int a_ioctl(void *o, unsigned long request, uintptr_t arg) {
    adapted *a = self(o);
    // zsock's own requests (wake-up on close, fd moves) mean nothing to a Zephyr driver.
    if (request >= ZSOCK_IOCTL_INTERNAL_FIRST && request <= ZSOCK_IOCTL_INTERNAL_LAST)
        return -EOPNOTSUPP;
    if (!a->zvt->ioctl) return -EOPNOTSUPP;
    const auto req = static_cast<unsigned int>(request);
    // fcntl commands carry an int (Zephyr's drivers va_arg(args, int) for F_SETFL); FIONBIO and
    // FIONREAD a pointer.
    if (request < ZSOCK_IOCTL_FCNTL_MAX)
        return static_cast<int>(
            zcall([&] { return call_ioctl(a->zvt, a->obj, req, static_cast<int>(arg)); }));
    return static_cast<int>(
        zcall([&] { return call_ioctl(a->zvt, a->obj, req, reinterpret_cast<void *>(arg)); }));
}

// Readiness: a Zephyr driver answers it with k_poll events (ZFD_IOCTL_POLL_PREPARE), which Linux
// does not have. Failing the wait says so; reporting the placeholder eventfd's state would be a
// readiness nobody computed.
int a_poll_prepare(void *, short, short *) {
    return -EOPNOTSUPP;
}
int a_poll_update(void *, short, short, short *) {
    return -EOPNOTSUPP;
}

#define ZSOCK_ADAPT(member, ...)                                                                   \
    if (!svt(o)->member) return -EOPNOTSUPP;                                                       \
    return zcall([&] { return svt(o)->member(self(o)->obj, __VA_ARGS__); })

int a_shutdown(void *o, int how) {
    ZSOCK_ADAPT(shutdown, how);
}
int a_bind(void *o, const sockaddr *addr, socklen_t len) {
    ZSOCK_ADAPT(bind, addr, len);
}
int a_connect(void *o, const sockaddr *addr, socklen_t len) {
    ZSOCK_ADAPT(connect, addr, len);
}
int a_listen(void *o, int backlog) {
    ZSOCK_ADAPT(listen, backlog);
}
int a_accept(void *o, sockaddr *addr, socklen_t *len, int flags) {
    if (!svt(o)->accept) return -EOPNOTSUPP;
    long fd = zcall([&] { return svt(o)->accept(self(o)->obj, addr, len); });
    // Zephyr's accept has no flags. The new socket is close-on-exec already (its eventfd is);
    // SOCK_NONBLOCK is the driver's F_SETFL, as accept4 promises.
    if (fd >= 0 && (flags & SOCK_NONBLOCK)) {
        long r = core::fd_fcntl(static_cast<int>(fd), F_SETFL, O_NONBLOCK);
        if (r < 0) {
            core::fd_close_any(static_cast<int>(fd));
            return static_cast<int>(r);
        }
    }
    return static_cast<int>(fd);
}
ssize_t a_sendto(void *o, const void *buf, size_t len, int flags, const sockaddr *to,
                 socklen_t tolen) {
    ZSOCK_ADAPT(sendto, buf, len, flags, to, tolen);
}
ssize_t a_recvfrom(void *o, void *buf, size_t len, int flags, sockaddr *from, socklen_t *fromlen) {
    ZSOCK_ADAPT(recvfrom, buf, len, flags, from, fromlen);
}
int a_getsockopt(void *o, int level, int name, void *val, socklen_t *len) {
    ZSOCK_ADAPT(getsockopt, level, name, val, len);
}
int a_setsockopt(void *o, int level, int name, const void *val, socklen_t len) {
    ZSOCK_ADAPT(setsockopt, level, name, val, len);
}
ssize_t a_sendmsg(void *o, const msghdr *msg, int flags) {
    ZSOCK_ADAPT(sendmsg, msg, flags);
}
ssize_t a_recvmsg(void *o, msghdr *msg, int flags) {
    ZSOCK_ADAPT(recvmsg, msg, flags);
}
int a_getpeername(void *o, sockaddr *addr, socklen_t *len) {
    ZSOCK_ADAPT(getpeername, addr, len);
}
int a_getsockname(void *o, sockaddr *addr, socklen_t *len) {
    ZSOCK_ADAPT(getsockname, addr, len);
}

#undef ZSOCK_ADAPT

const zsock_socket_vtable socket_vtable = {
    {a_read, a_write, a_close, a_ioctl},
    a_shutdown,
    a_bind,
    a_connect,
    a_listen,
    a_accept,
    a_sendto,
    a_recvfrom,
    a_getsockopt,
    a_setsockopt,
    a_sendmsg,
    a_recvmsg,
    a_getpeername,
    a_getsockname,
    {a_poll_prepare, a_poll_update},
};

// An object that is not a socket (an eventfd-like driver object): fd operations only.
const zsock_socket_vtable fd_vtable = {
    {a_read, a_write, a_close, a_ioctl},
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    {a_poll_prepare, a_poll_update},
};

} // namespace
} // namespace zsock::net

using namespace zsock::net;

extern "C" {

int zsock_zvfs_finalize(int fd, void *obj, const struct fd_op_vtable *vtable, uint32_t mode) {
    const bool socket = (mode & ZVFS_MODE_IFMT) == ZVFS_MODE_IFSOCK;
    auto *a = new (std::nothrow) adapted{obj, vtable, socket};
    if (!a) {
        zsock::core::log_warn("zvfs_finalize_typed_fd({}): out of memory; fd freed", fd);
        zsock_fd_free(fd);
        return -ENOMEM;
    }
    int r = zsock_fd_finalize(fd, a, socket ? &socket_vtable : &fd_vtable,
                              socket ? ZSOCK_FD_MODE_SOCKET : ZSOCK_FD_MODE_UNSPEC);
    if (r < 0) delete a;
    return r;
}

void *zsock_zvfs_get_fd_obj(int fd, const struct fd_op_vtable *vtable, int err) {
    zsock::core::fd_ref ref;
    if (zsock::core::fd_lookup(fd, &ref) != zsock::core::lookup::found) {
        errno = EBADF;
        return nullptr;
    }
    // Only Zephyr-convention objects have a driver object to hand back; any other fd (native,
    // TLS, zsock-convention offloads) answers `err`, as a vtable mismatch does in Zephyr.
    const bool ours = ref->vtable == &socket_vtable || ref->vtable == &fd_vtable;
    if (!ours || (vtable && static_cast<adapted *>(ref->obj)->zvt != vtable)) {
        errno = err;
        return nullptr;
    }
    return static_cast<adapted *>(ref->obj)->obj;
}

} // extern "C"
