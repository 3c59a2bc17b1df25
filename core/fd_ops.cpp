// core/fd_ops.cpp - close, read, write, readv, writev, fcntl and ioctl on any fd.
//
// An fd zsock does not own goes to the kernel unchanged, so files, pipes and stdin work and a bad
// fd gets exactly the kernel's errno. An fd zsock owns goes to its object's vtable.
#include "core/fd_ops.hpp"

#include <csignal>
#include <cstdarg>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "core/errno_ret.hpp"
#include "core/fd_table.hpp"
#include "core/sys.hpp"

namespace zsock::core {

long fd_close_any(int fd) noexcept {
    bool ours = false;
    int r = fd_close(fd, &ours);
    return ours ? r : sys::close(fd);
}

long fd_read(int fd, void *buf, size_t len) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::read(fd, buf, len);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    if (!ref->vtable->fd.read) return -EOPNOTSUPP;
    return woken_by_close(ref, ref->vtable->fd.read(ref->obj, buf, len));
}

long socket_send_failed(const fd_ref &ref, long r, int caller_flags) noexcept {
    if (r == -EPIPE && !(caller_flags & MSG_NOSIGNAL) && !ref.closing()) {
        // What the kernel's send would have done: SIGPIPE to the sending thread.
        sys::tgkill(sys::getpid(), sys::gettid(), SIGPIPE);
    }
    return woken_by_close(ref, r);
}

long fd_write(int fd, const void *buf, size_t len) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::write(fd, buf, len);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    if (!ref->vtable->fd.write) return -EOPNOTSUPP;
    long r = ref->vtable->fd.write(ref->obj, buf, len);
    if (ref->mode == ZSOCK_FD_MODE_SOCKET) return socket_send_result(ref, r, 0);
    return woken_by_close(ref, r);
}

// Objects without a vectored call: one buffer at a time, stopping at the first short transfer,
// which is what readv/writev on a stream promise.
template <class Fn>
static long each_iov(const iovec *iov, int iovcnt, Fn &&one) noexcept {
    if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
    long total = 0;
    for (int i = 0; i < iovcnt; ++i) {
        if (iov[i].iov_len == 0) continue;
        long r = one(iov[i]);
        if (r < 0) return total ? total : r;
        total += r;
        if (static_cast<size_t>(r) < iov[i].iov_len) break;
    }
    return total;
}

long fd_readv(int fd, const iovec *iov, int iovcnt) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::readv(fd, iov, iovcnt);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    const auto *vt = ref->vtable;
    // As the kernel's readv: no segments, no read (a datagram socket would drop a datagram).
    if (iovcnt == 0) return 0;
    if (vt->recvmsg && ref->mode == ZSOCK_FD_MODE_SOCKET) {
        if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
        msghdr msg{};
        msg.msg_iov = const_cast<iovec *>(iov);
        msg.msg_iovlen = static_cast<size_t>(iovcnt);
        return woken_by_close(ref, vt->recvmsg(ref->obj, &msg, 0));
    }
    if (!vt->fd.read) return -EOPNOTSUPP;
    return woken_by_close(ref, each_iov(iov, iovcnt, [&](const iovec &v) {
                              return vt->fd.read(ref->obj, v.iov_base, v.iov_len);
                          }));
}

long fd_writev(int fd, const iovec *iov, int iovcnt) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::writev(fd, iov, iovcnt);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    const auto *vt = ref->vtable;
    const bool socket = ref->mode == ZSOCK_FD_MODE_SOCKET;
    // As the kernel's writev: no segments, no write (a datagram socket would send an empty one).
    if (iovcnt == 0) return 0;
    if (vt->sendmsg && socket) {
        if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
        msghdr msg{};
        msg.msg_iov = const_cast<iovec *>(iov);
        msg.msg_iovlen = static_cast<size_t>(iovcnt);
        return socket_send_result(ref, vt->sendmsg(ref->obj, &msg, MSG_NOSIGNAL), 0);
    }
    if (!vt->fd.write) return -EOPNOTSUPP;
    long r = each_iov(iov, iovcnt, [&](const iovec &v) {
        return vt->fd.write(ref->obj, v.iov_base, v.iov_len);
    });
    return socket ? socket_send_result(ref, r, 0) : woken_by_close(ref, r);
}

long fd_fcntl(int fd, int cmd, uintptr_t arg) noexcept {
    // The close-on-exec flag belongs to the kernel descriptor, whatever the object is.
    if (cmd == F_GETFD || cmd == F_SETFD) return sys::fcntl(fd, cmd, arg);
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::fcntl(fd, cmd, arg);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    // Commands outside the objects' range (F_DUPFD_CLOEXEC, F_SETPIPE_SZ, ...) act on the kernel
    // descriptor, which also answers EINVAL for the ones it does not know, as Linux does.
    if (cmd < 0 || cmd >= ZSOCK_IOCTL_FCNTL_MAX) return sys::fcntl(fd, cmd, arg);
    if (!ref->vtable->fd.ioctl) return -EOPNOTSUPP;
    return ref->vtable->fd.ioctl(ref->obj, static_cast<unsigned long>(cmd), arg);
}

long fd_ioctl(int fd, unsigned long request, uintptr_t arg) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return sys::ioctl(fd, request, arg);
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    // Internal requests are not for applications: answer as the kernel does for unknown ones.
    if (request < ZSOCK_IOCTL_FCNTL_MAX ||
        (request >= ZSOCK_IOCTL_INTERNAL_FIRST && request <= ZSOCK_IOCTL_INTERNAL_LAST))
        return -ENOTTY;
    if (!ref->vtable->fd.ioctl) return -EOPNOTSUPP;
    return ref->vtable->fd.ioctl(ref->obj, request, arg);
}

} // namespace zsock::core

using namespace zsock::core;

extern "C" {

int zsock_close(int fd) { return c_ret(fd_close_any(fd)); }
ssize_t zsock_read(int fd, void *buf, size_t len) { return c_ret_size(fd_read(fd, buf, len)); }
ssize_t zsock_write(int fd, const void *buf, size_t len) {
    return c_ret_size(fd_write(fd, buf, len));
}
ssize_t zsock_readv(int fd, const struct iovec *iov, int iovcnt) {
    return c_ret_size(fd_readv(fd, iov, iovcnt));
}
ssize_t zsock_writev(int fd, const struct iovec *iov, int iovcnt) {
    return c_ret_size(fd_writev(fd, iov, iovcnt));
}

int zsock_fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    // Every fcntl argument fits a pointer-sized slot; commands without one ignore it.
    uintptr_t arg = va_arg(ap, uintptr_t);
    va_end(ap);
    return c_ret(fd_fcntl(fd, cmd, arg));
}

int zsock_ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    uintptr_t arg = va_arg(ap, uintptr_t);
    va_end(ap);
    return c_ret(fd_ioctl(fd, request, arg));
}

} // extern "C"
