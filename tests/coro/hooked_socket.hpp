// tests/coro/hooked_socket.hpp - a socket object that is not native and has poll hooks, the way
// TLS and offloaded sockets are: the coroutine engines must drive it through its nonblocking
// calls and its prepare/update hooks, never through the kernel socket directly.
//
// It wraps a kernel TCP socket and keeps received bytes "above the kernel" (as TLS keeps
// decrypted records): each recv pulls everything the kernel has into `held`, but hands out at
// most `chunk` bytes, so the object is often readable while its kernel socket is not. prepare()
// reports that. Sends go straight to the kernel.
#pragma once

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <zsock/fdtable.h>

namespace hooked {

struct object {
    int kfd;
    std::string held;
    std::size_t chunk = 3;
    bool nonblock = false;
};

inline object *obj(void *o) { return static_cast<object *>(o); }

inline long pull(object *s, int flags) {
    char buf[65536];
    bool dontwait = s->nonblock || (flags & MSG_DONTWAIT);
    ssize_t n = ::recv(s->kfd, buf, sizeof buf, dontwait ? MSG_DONTWAIT : 0);
    if (n < 0) return -errno;
    s->held.append(buf, static_cast<std::size_t>(n));
    return n;
}

inline ssize_t h_recvfrom(void *o, void *buf, size_t len, int flags, sockaddr *, socklen_t *) {
    object *s = obj(o);
    if (s->held.empty()) {
        long r = pull(s, flags);
        if (r < 0) return r;
        if (r == 0) return 0; // end of stream
    } else {
        (void)pull(s, flags | MSG_DONTWAIT); // top up what the kernel has, never wait
    }
    std::size_t n = std::min({len, s->chunk, s->held.size()});
    std::memcpy(buf, s->held.data(), n);
    s->held.erase(0, n);
    return static_cast<ssize_t>(n);
}

inline ssize_t h_sendto(void *o, const void *buf, size_t len, int flags, const sockaddr *, socklen_t) {
    object *s = obj(o);
    int f = flags | MSG_NOSIGNAL | (s->nonblock ? MSG_DONTWAIT : 0);
    ssize_t n = ::send(s->kfd, buf, len, f);
    return n < 0 ? -errno : n;
}
inline ssize_t h_read(void *o, void *b, size_t l) { return h_recvfrom(o, b, l, 0, nullptr, nullptr); }
inline ssize_t h_write(void *o, const void *b, size_t l) { return h_sendto(o, b, l, 0, nullptr, 0); }

inline int h_close(void *o, int) {
    object *s = obj(o);
    int r = ::close(s->kfd);
    delete s;
    return r < 0 ? -errno : 0;
}

inline int h_ioctl(void *o, unsigned long req, uintptr_t arg) {
    object *s = obj(o);
    if (req == ZSOCK_IOCTL_WAKE_BLOCKED) {
        ::shutdown(s->kfd, SHUT_RDWR);
        return 0;
    }
    if (req == F_GETFL) {
        int fl = fcntl(s->kfd, F_GETFL);
        return fl < 0 ? -errno : fl;
    }
    if (req == F_SETFL) {
        s->nonblock = (arg & O_NONBLOCK) != 0;
        return fcntl(s->kfd, F_SETFL, static_cast<int>(arg)) < 0 ? -errno : 0;
    }
    return -EOPNOTSUPP;
}

inline int h_prepare(void *o, short events, short *kevents) {
    object *s = obj(o);
    if ((events & POLLIN) && !s->held.empty()) return POLLIN; // ready above the kernel
    *kevents = events;
    return 0;
}
inline int h_update(void *, short events, short krevents, short *revents) {
    *revents = static_cast<short>(krevents & (events | POLLERR | POLLHUP));
    return 0;
}

int adopt(int kfd);

inline int h_accept(void *o, sockaddr *a, socklen_t *l, int flags) {
    int k = ::accept4(obj(o)->kfd, a, l, flags);
    if (k < 0) return -errno;
    return adopt(k);
}
inline int h_connect(void *o, const sockaddr *a, socklen_t l) { return ::connect(obj(o)->kfd, a, l) < 0 ? -errno : 0; }
inline int h_shutdown(void *o, int how) { return ::shutdown(obj(o)->kfd, how) < 0 ? -errno : 0; }
inline int h_getsockopt(void *o, int lvl, int name, void *v, socklen_t *l) {
    return ::getsockopt(obj(o)->kfd, lvl, name, v, l) < 0 ? -errno : 0;
}
inline int h_setsockopt(void *o, int lvl, int name, const void *v, socklen_t l) {
    return ::setsockopt(obj(o)->kfd, lvl, name, v, l) < 0 ? -errno : 0;
}
inline int h_getpeername(void *o, sockaddr *a, socklen_t *l) { return ::getpeername(obj(o)->kfd, a, l) < 0 ? -errno : 0; }
inline int h_getsockname(void *o, sockaddr *a, socklen_t *l) { return ::getsockname(obj(o)->kfd, a, l) < 0 ? -errno : 0; }

inline const zsock_socket_vtable vtable = {
    {h_read, h_write, h_close, h_ioctl},
    h_shutdown, nullptr, h_connect, nullptr, h_accept, h_sendto, h_recvfrom, h_getsockopt, h_setsockopt,
    nullptr, nullptr, h_getpeername, h_getsockname,
    {h_prepare, h_update},
};

/// Publishes an open kernel socket as a hooked zsock socket on the same fd number.
inline int adopt(int kfd) {
    int r = zsock_fd_reserve_kernel(kfd);
    if (r < 0) {
        ::close(kfd);
        return r;
    }
    auto *o = new object{kfd, {}, 3, false};
    r = zsock_fd_finalize(kfd, o, &vtable, ZSOCK_FD_MODE_SOCKET);
    if (r < 0) {
        delete o;
        zsock_fd_free(kfd);
        return r;
    }
    return kfd;
}

} // namespace hooked
