// net/native_socket.cpp - the native (kernel) socket vtable.
#include "net/native_socket.hpp"

#include <cerrno>
#include <zsock/offload.h>

#include "core/fd_table.hpp"
#include "core/sys.hpp"

namespace zsock::net {
namespace {

namespace sys = zsock::sys;

ssize_t n_read(void *o, void *buf, size_t len) { return sys::read(native_fd(o), buf, len); }
// write() on a socket is send() with no flags; sent with MSG_NOSIGNAL because the generic layer
// decides about SIGPIPE (see <zsock/fdtable.h>). Still one syscall.
ssize_t n_write(void *o, const void *buf, size_t len) {
    return sys::sendto(native_fd(o), buf, len, MSG_NOSIGNAL, nullptr, 0);
}
int n_close(void *o, int) { return static_cast<int>(sys::close(native_fd(o))); }

int n_ioctl(void *o, unsigned long req, uintptr_t arg) {
    int fd = native_fd(o);
    if (req == ZSOCK_IOCTL_WAKE_BLOCKED) {
        // Shutting the socket down wakes every thread blocked on it (recv, accept, send,
        // connect) and keeps waking any that arrive late, so no wake-up can be lost.
        sys::shutdown(fd, SHUT_RDWR);
        return 0;
    }
    if (req == ZSOCK_IOCTL_FD_MOVED) {
        // The object is its number: the one to publish on the new number encodes that number.
        auto *m = reinterpret_cast<zsock_fd_moved *>(arg);
        m->obj = native_obj(m->new_fd);
        return 0;
    }
    if (req < ZSOCK_IOCTL_FCNTL_MAX) return static_cast<int>(sys::fcntl(fd, static_cast<int>(req), arg));
    return static_cast<int>(sys::ioctl(fd, req, arg));
}

int n_shutdown(void *o, int how) { return static_cast<int>(sys::shutdown(native_fd(o), how)); }
int n_bind(void *o, const sockaddr *a, socklen_t l) {
    return static_cast<int>(sys::bind(native_fd(o), a, l));
}
int n_connect(void *o, const sockaddr *a, socklen_t l) {
    return static_cast<int>(sys::connect(native_fd(o), a, l));
}
int n_listen(void *o, int backlog) { return static_cast<int>(sys::listen(native_fd(o), backlog)); }

int n_accept(void *o, sockaddr *a, socklen_t *l, int flags) {
    long k = sys::accept4(native_fd(o), a, l, flags);
    if (k < 0) return static_cast<int>(k);
    return native_adopt(static_cast<int>(k));
}

ssize_t n_sendto(void *o, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) {
    return sys::sendto(native_fd(o), b, n, f, a, l);
}
ssize_t n_recvfrom(void *o, void *b, size_t n, int f, sockaddr *a, socklen_t *l) {
    return sys::recvfrom(native_fd(o), b, n, f, a, l);
}
int n_getsockopt(void *o, int lvl, int name, void *v, socklen_t *l) {
    return static_cast<int>(sys::getsockopt(native_fd(o), lvl, name, v, l));
}
int n_setsockopt(void *o, int lvl, int name, const void *v, socklen_t l) {
    return static_cast<int>(sys::setsockopt(native_fd(o), lvl, name, v, l));
}
ssize_t n_sendmsg(void *o, const msghdr *m, int f) { return sys::sendmsg(native_fd(o), m, f); }
ssize_t n_recvmsg(void *o, msghdr *m, int f) { return sys::recvmsg(native_fd(o), m, f); }
int n_getpeername(void *o, sockaddr *a, socklen_t *l) {
    return static_cast<int>(sys::getpeername(native_fd(o), a, l));
}
int n_getsockname(void *o, sockaddr *a, socklen_t *l) {
    return static_cast<int>(sys::getsockname(native_fd(o), a, l));
}

bool n_is_supported(int, int, int proto) {
    // Everything the kernel knows; zsock's secure protocols belong to the TLS implementation.
    // Any other rejection (family, type, protocol) is the kernel's, with the kernel's errno.
    bool secure = (proto >= ZSOCK_IPPROTO_TLS_1_0 && proto <= ZSOCK_IPPROTO_TLS_1_3) ||
                  proto == ZSOCK_IPPROTO_DTLS_1_0 || proto == ZSOCK_IPPROTO_DTLS_1_2;
    return !secure;
}

} // namespace

const zsock_socket_vtable native_vtable = {
    {n_read, n_write, n_close, n_ioctl},
    n_shutdown,
    n_bind,
    n_connect,
    n_listen,
    n_accept,
    n_sendto,
    n_recvfrom,
    n_getsockopt,
    n_setsockopt,
    n_sendmsg,
    n_recvmsg,
    n_getpeername,
    n_getsockname,
    {nullptr, nullptr},
};

int native_adopt(int kfd) noexcept {
    // Fresh from the kernel, so known to be open: no F_GETFD check, no extra syscall.
    int r = core::fd_reserve_new_kernel(kfd);
    if (r < 0) {
        sys::close(kfd);
        return r;
    }
    r = zsock_fd_finalize(kfd, native_obj(kfd), &native_vtable, ZSOCK_FD_MODE_SOCKET);
    if (r < 0) {
        zsock_fd_free(kfd);
        return r;
    }
    return kfd;
}

int native_create(int family, int type, int proto) noexcept {
    long k = sys::socket(family, type, proto);
    if (k < 0) return static_cast<int>(k);
    return native_adopt(static_cast<int>(k));
}

void register_native_impl() noexcept {
    zsock_socket_impl impl{"native", ZSOCK_PRIORITY_NATIVE, AF_UNSPEC, n_is_supported,
                           native_create, 0};
    zsock_register_socket_impl(&impl);
}

} // namespace zsock::net
