// net/socket_ops.cpp - the socket calls: fd table lookup, then the object's vtable.
#include "net/socket_ops.hpp"

#include <cerrno>

#include "core/errno_ret.hpp"
#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/sys.hpp"
#include "net/native_socket.hpp"
#include "net/registry.hpp"

namespace zsock::net {
namespace {

using core::fd_lookup;
using core::fd_ref;
using core::lookup;

// Runs `call(obj, vtable)` on a zsock socket, `kernel()` on an fd zsock does not own.
// `blocking` calls report EINTR when a concurrent zsock_close() woke them.
template <class Kernel, class Call>
long dispatch(int fd, bool blocking, Kernel &&kernel, Call &&call) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return kernel();
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    if (ref->mode != ZSOCK_FD_MODE_SOCKET) return -ENOTSOCK;
    long r = call(ref->obj, *ref->vtable);
    return blocking ? core::woken_by_close(ref, r) : r;
}

// A send: the object gets MSG_NOSIGNAL, and core::socket_send_result raises SIGPIPE where Linux
// would (so that a send woken by zsock_close() reports EINTR instead of killing the process).
// An fd zsock does not own is the kernel's business, SIGPIPE included.
template <class Kernel, class Call>
long dispatch_send(int fd, int flags, Kernel &&kernel, Call &&call) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours: return kernel();
    case lookup::closed: return -EBADF;
    case lookup::found: break;
    }
    if (ref->mode != ZSOCK_FD_MODE_SOCKET) return -ENOTSOCK;
    return core::socket_send_result(ref, call(ref->obj, *ref->vtable), flags);
}

#define ZSOCK_VCALL(member, ...) (vt.member ? vt.member(obj, __VA_ARGS__) : -EOPNOTSUPP)

} // namespace

int socket(int family, int type, int proto) noexcept {
    return registry_create(family, type, proto);
}

int socketpair(int family, int type, int proto, int sv[2]) noexcept {
    // The kernel writes sv itself, so a bad pointer is its EFAULT, never a crash here.
    long r = sys::socketpair(family, type, proto, sv);
    if (r < 0) return static_cast<int>(r);
    int a = native_adopt(sv[0]);
    int b = native_adopt(sv[1]);
    if (a < 0 || b < 0) {
        if (a >= 0) core::fd_close_any(a);
        if (b >= 0) core::fd_close_any(b);
        return a < 0 ? a : b;
    }
    return 0;
}

int shutdown(int fd, int how) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::shutdown(fd, how); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long { return ZSOCK_VCALL(shutdown, how); }));
}

int bind(int fd, const sockaddr *addr, socklen_t len) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::bind(fd, addr, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long { return ZSOCK_VCALL(bind, addr, len); }));
}

int connect(int fd, const sockaddr *addr, socklen_t len) noexcept {
    return static_cast<int>(dispatch(
        fd, true, [&] { return sys::connect(fd, addr, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(connect, addr, len);
        }));
}

int listen(int fd, int backlog) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::listen(fd, backlog); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long { return ZSOCK_VCALL(listen, backlog); }));
}

int accept4(int fd, sockaddr *addr, socklen_t *len, int flags) noexcept {
    return static_cast<int>(dispatch(
        fd, true,
        [&]() -> long {
            long k = sys::accept4(fd, addr, len, flags);
            return k < 0 ? k : native_adopt(static_cast<int>(k));
        },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(accept, addr, len, flags);
        }));
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const sockaddr *dest,
               socklen_t len) noexcept {
    return dispatch_send(
        fd, flags, [&] { return sys::sendto(fd, buf, n, flags, dest, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(sendto, buf, n, flags | MSG_NOSIGNAL, dest, len);
        });
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, sockaddr *src, socklen_t *len) noexcept {
    return dispatch(
        fd, true, [&] { return sys::recvfrom(fd, buf, n, flags, src, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(recvfrom, buf, n, flags, src, len);
        });
}

ssize_t sendmsg(int fd, const msghdr *msg, int flags) noexcept {
    return dispatch_send(
        fd, flags, [&] { return sys::sendmsg(fd, msg, flags); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(sendmsg, msg, flags | MSG_NOSIGNAL);
        });
}

ssize_t recvmsg(int fd, msghdr *msg, int flags) noexcept {
    return dispatch(
        fd, true, [&] { return sys::recvmsg(fd, msg, flags); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long { return ZSOCK_VCALL(recvmsg, msg, flags); });
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::getsockopt(fd, level, name, val, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(getsockopt, level, name, val, len);
        }));
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::setsockopt(fd, level, name, val, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(setsockopt, level, name, val, len);
        }));
}

int getpeername(int fd, sockaddr *addr, socklen_t *len) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::getpeername(fd, addr, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(getpeername, addr, len);
        }));
}

int getsockname(int fd, sockaddr *addr, socklen_t *len) noexcept {
    return static_cast<int>(dispatch(
        fd, false, [&] { return sys::getsockname(fd, addr, len); },
        [&](void *obj, const zsock_socket_vtable &vt) -> long {
            return ZSOCK_VCALL(getsockname, addr, len);
        }));
}

} // namespace zsock::net

using zsock::core::c_ret;
using zsock::core::c_ret_size;
namespace n = zsock::net;
namespace sys = zsock::sys;
using zsock::core::fd_lookup;
using zsock::core::fd_ref;
using zsock::core::lookup;

extern "C" {

int zsock_socket(int family, int type, int proto) { return c_ret(n::socket(family, type, proto)); }
int zsock_socketpair(int family, int type, int proto, int sv[2]) {
    return c_ret(n::socketpair(family, type, proto, sv));
}
int zsock_shutdown(int fd, int how) { return c_ret(n::shutdown(fd, how)); }
int zsock_bind(int fd, const struct sockaddr *addr, socklen_t len) {
    return c_ret(n::bind(fd, addr, len));
}
int zsock_connect(int fd, const struct sockaddr *addr, socklen_t len) {
    return c_ret(n::connect(fd, addr, len));
}
int zsock_listen(int fd, int backlog) { return c_ret(n::listen(fd, backlog)); }
int zsock_accept(int fd, struct sockaddr *addr, socklen_t *len) {
    return c_ret(n::accept4(fd, addr, len, 0));
}
int zsock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return c_ret(n::accept4(fd, addr, len, flags));
}
ssize_t zsock_send(int fd, const void *buf, size_t len, int flags) {
    return c_ret_size(n::sendto(fd, buf, len, flags, nullptr, 0));
}
ssize_t zsock_recv(int fd, void *buf, size_t len, int flags) {
    return c_ret_size(n::recvfrom(fd, buf, len, flags, nullptr, nullptr));
}
ssize_t zsock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *dest,
                     socklen_t addrlen) {
    return c_ret_size(n::sendto(fd, buf, len, flags, dest, addrlen));
}
ssize_t zsock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *src,
                       socklen_t *addrlen) {
    return c_ret_size(n::recvfrom(fd, buf, len, flags, src, addrlen));
}
ssize_t zsock_sendmsg(int fd, const struct msghdr *msg, int flags) {
    return c_ret_size(n::sendmsg(fd, msg, flags));
}
ssize_t zsock_recvmsg(int fd, struct msghdr *msg, int flags) {
    return c_ret_size(n::recvmsg(fd, msg, flags));
}
int zsock_getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
    return c_ret(n::getsockopt(fd, level, name, val, len));
}
int zsock_setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
    return c_ret(n::setsockopt(fd, level, name, val, len));
}
void *zsock_get_context_object(int fd) {
    // Nothing to hand out (see socket.h); the errno says why, with the kernel's word on fds that
    // zsock does not own (EBADF for a closed fd, ENOTSOCK for a file).
    int err = EOPNOTSUPP;
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::closed:
        err = EBADF;
        break;
    case lookup::found:
        if (ref->mode != ZSOCK_FD_MODE_SOCKET) err = ENOTSOCK;
        break;
    case lookup::not_ours: {
        int type = 0;
        socklen_t len = sizeof type;
        long r = sys::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
        if (r < 0) err = static_cast<int>(-r);
        break;
    }
    }
    errno = err;
    return nullptr;
}
int zsock_getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
    return c_ret(n::getpeername(fd, addr, len));
}
int zsock_getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
    return c_ret(n::getsockname(fd, addr, len));
}

} // extern "C"
