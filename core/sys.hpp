// core/sys.hpp - raw system calls returning a negative errno.
//
// zsock reaches the kernel only through these. libzsock-posix exports close, read, poll, ...
// under their standard names, so a libc call from inside zsock could land back in zsock (and
// recurse); a raw syscall cannot. They also return -errno directly, which is the internal error
// convention, and leave the thread's errno untouched.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ctime>
#include <type_traits>

struct pollfd;

namespace zsock::sys {

#if defined(__x86_64__)
inline long raw6(long nr, long a, long b, long c, long d, long e, long f) noexcept {
    long ret;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    register long r9 asm("r9") = f;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
inline long raw6(long nr, long a, long b, long c, long d, long e, long f) noexcept {
    register long x8 asm("x8") = nr;
    register long x0 asm("x0") = a;
    register long x1 asm("x1") = b;
    register long x2 asm("x2") = c;
    register long x3 asm("x3") = d;
    register long x4 asm("x4") = e;
    register long x5 asm("x5") = f;
    asm volatile("svc 0"
                 : "+r"(x0)
                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                 : "memory");
    return x0;
}
#else
long raw6(long nr, long a, long b, long c, long d, long e, long f) noexcept; // sys_generic.cpp
#endif

/// A syscall argument as the register value the kernel reads.
template <class T>
inline long arg(T v) noexcept {
    if constexpr (std::is_pointer_v<T>) return reinterpret_cast<long>(v);
    else return static_cast<long>(v);
}

inline long arg(std::nullptr_t) noexcept { return 0; }

template <class... A>
inline long call(long nr, A... args) noexcept {
    static_assert(sizeof...(A) <= 6);
    long v[6] = {arg(args)...};
    return raw6(nr, v[0], v[1], v[2], v[3], v[4], v[5]);
}

inline long close(int fd) noexcept { return call(SYS_close, fd, 0, 0, 0, 0, 0); }
inline long read(int fd, void *buf, size_t len) noexcept { return call(SYS_read, fd, buf, len, 0, 0, 0); }
inline long write(int fd, const void *buf, size_t len) noexcept {
    return call(SYS_write, fd, buf, len, 0, 0, 0);
}
inline long readv(int fd, const iovec *iov, int cnt) noexcept {
    return call(SYS_readv, fd, iov, cnt, 0, 0, 0);
}
inline long writev(int fd, const iovec *iov, int cnt) noexcept {
    return call(SYS_writev, fd, iov, cnt, 0, 0, 0);
}
inline long fcntl(int fd, int cmd, uintptr_t arg) noexcept { return call(SYS_fcntl, fd, cmd, arg, 0, 0, 0); }
inline long ioctl(int fd, unsigned long req, uintptr_t arg) noexcept {
    return call(SYS_ioctl, fd, req, arg, 0, 0, 0);
}
inline long socket(int family, int type, int proto) noexcept {
    return call(SYS_socket, family, type, proto, 0, 0, 0);
}
inline long socketpair(int family, int type, int proto, int *sv) noexcept {
    return call(SYS_socketpair, family, type, proto, sv, 0, 0);
}
inline long shutdown(int fd, int how) noexcept { return call(SYS_shutdown, fd, how, 0, 0, 0, 0); }
inline long bind(int fd, const sockaddr *a, socklen_t l) noexcept {
    return call(SYS_bind, fd, a, l, 0, 0, 0);
}
inline long connect(int fd, const sockaddr *a, socklen_t l) noexcept {
    return call(SYS_connect, fd, a, l, 0, 0, 0);
}
inline long listen(int fd, int backlog) noexcept { return call(SYS_listen, fd, backlog, 0, 0, 0, 0); }
inline long accept4(int fd, sockaddr *a, socklen_t *l, int flags) noexcept {
    return call(SYS_accept4, fd, a, l, flags, 0, 0);
}
inline long sendto(int fd, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) noexcept {
    return call(SYS_sendto, fd, b, n, f, a, l);
}
inline long recvfrom(int fd, void *b, size_t n, int f, sockaddr *a, socklen_t *l) noexcept {
    return call(SYS_recvfrom, fd, b, n, f, a, l);
}
inline long sendmsg(int fd, const msghdr *m, int f) noexcept { return call(SYS_sendmsg, fd, m, f, 0, 0, 0); }
inline long recvmsg(int fd, msghdr *m, int f) noexcept { return call(SYS_recvmsg, fd, m, f, 0, 0, 0); }
inline long getsockopt(int fd, int lvl, int name, void *v, socklen_t *l) noexcept {
    return call(SYS_getsockopt, fd, lvl, name, v, l, 0);
}
inline long setsockopt(int fd, int lvl, int name, const void *v, socklen_t l) noexcept {
    return call(SYS_setsockopt, fd, lvl, name, v, l, 0);
}
inline long getpeername(int fd, sockaddr *a, socklen_t *l) noexcept {
    return call(SYS_getpeername, fd, a, l, 0, 0, 0);
}
inline long getsockname(int fd, sockaddr *a, socklen_t *l) noexcept {
    return call(SYS_getsockname, fd, a, l, 0, 0, 0);
}
/// ppoll with the kernel's sigset size; ts == nullptr waits forever.
inline long ppoll(pollfd *fds, unsigned long n, timespec *ts) noexcept {
    return call(SYS_ppoll, fds, n, ts, 0, 8, 0);
}
/// pselect6 without a signal mask; the kernel writes the remaining time back into ts.
inline long pselect6(int n, void *r, void *w, void *e, timespec *ts) noexcept {
    return call(SYS_pselect6, n, r, w, e, ts, 0);
}
inline long eventfd2(unsigned init, int flags) noexcept { return call(SYS_eventfd2, init, flags, 0, 0, 0, 0); }
inline long dup3(int oldfd, int newfd, int flags) noexcept {
    return call(SYS_dup3, oldfd, newfd, flags, 0, 0, 0);
}
inline long getpid() noexcept { return call(SYS_getpid, 0, 0, 0, 0, 0, 0); }
inline long gettid() noexcept { return call(SYS_gettid, 0, 0, 0, 0, 0, 0); }
inline long tgkill(long tgid, long tid, int sig) noexcept {
    return call(SYS_tgkill, tgid, tid, sig, 0, 0, 0);
}
inline long process_vm_readv(long pid, const iovec *local, unsigned long nl, const iovec *remote,
                             unsigned long nr) noexcept {
    return call(SYS_process_vm_readv, pid, local, nl, remote, nr, 0);
}
inline long process_vm_writev(long pid, const iovec *local, unsigned long nl,
                              const iovec *remote, unsigned long nr) noexcept {
    return call(SYS_process_vm_writev, pid, local, nl, remote, nr, 0);
}

} // namespace zsock::sys
