// tests/support/differential.hpp - run one scenario through the kernel and through zsock.
//
// A scenario is a lambda taking an `api` (a table of the socket calls) and a `recorder`. It runs
// twice: once with the kernel's system calls (syscall(2): the oracle, and free of sanitizer
// interceptors, which would trip over the deliberately bad pointers some scenarios pass) and once
// with the zsock_ functions. Every recorded step's result and errno must match. Calls that
// return a new descriptor are recorded as "ok" or "-1 + errno", not by number.
//
// Scenarios clean up after themselves, so both runs see the same free descriptor numbers.
#pragma once

#include <catch2/catch.hpp>

#include <cerrno>
#include <functional>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

namespace zsock_test {

struct api {
    const char *name;
    long (*socket)(int, int, int);
    long (*socketpair)(int, int, int, int *);
    long (*close)(int);
    long (*shutdown)(int, int);
    long (*bind)(int, const sockaddr *, socklen_t);
    long (*connect)(int, const sockaddr *, socklen_t);
    long (*listen)(int, int);
    long (*accept4)(int, sockaddr *, socklen_t *, int);
    long (*sendto)(int, const void *, size_t, int, const sockaddr *, socklen_t);
    long (*recvfrom)(int, void *, size_t, int, sockaddr *, socklen_t *);
    long (*sendmsg)(int, const msghdr *, int);
    long (*recvmsg)(int, msghdr *, int);
    long (*getsockopt)(int, int, int, void *, socklen_t *);
    long (*setsockopt)(int, int, int, const void *, socklen_t);
    long (*getpeername)(int, sockaddr *, socklen_t *);
    long (*getsockname)(int, sockaddr *, socklen_t *);
    long (*read)(int, void *, size_t);
    long (*write)(int, const void *, size_t);
    long (*readv)(int, const iovec *, int);
    long (*writev)(int, const iovec *, int);
    long (*fcntl)(int, int, long);
    long (*ioctl)(int, unsigned long, void *);
    long (*poll)(void *, long, int);
    long (*select)(int, void *, void *, void *, void *);

    long send(int fd, const void *b, size_t n, int f) const {
        return sendto(fd, b, n, f, nullptr, 0);
    }
    long recv(int fd, void *b, size_t n, int f) const {
        return recvfrom(fd, b, n, f, nullptr, nullptr);
    }
};

// The kernel. Arguments go through syscall(2) as longs.
#define ZT_K(nr, ...) ::syscall(nr, __VA_ARGS__)
inline const api kernel_api = {
    "kernel",
    [](int f, int t, int p) -> long { return ZT_K(SYS_socket, f, t, p); },
    [](int f, int t, int p, int *sv) -> long { return ZT_K(SYS_socketpair, f, t, p, sv); },
    [](int fd) -> long { return ZT_K(SYS_close, fd); },
    [](int fd, int how) -> long { return ZT_K(SYS_shutdown, fd, how); },
    [](int fd, const sockaddr *a, socklen_t l) -> long { return ZT_K(SYS_bind, fd, a, l); },
    [](int fd, const sockaddr *a, socklen_t l) -> long { return ZT_K(SYS_connect, fd, a, l); },
    [](int fd, int b) -> long { return ZT_K(SYS_listen, fd, b); },
    [](int fd, sockaddr *a, socklen_t *l, int f) -> long { return ZT_K(SYS_accept4, fd, a, l, f); },
    [](int fd, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) -> long {
        return ZT_K(SYS_sendto, fd, b, n, f, a, l);
    },
    [](int fd, void *b, size_t n, int f, sockaddr *a, socklen_t *l) -> long {
        return ZT_K(SYS_recvfrom, fd, b, n, f, a, l);
    },
    [](int fd, const msghdr *m, int f) -> long { return ZT_K(SYS_sendmsg, fd, m, f); },
    [](int fd, msghdr *m, int f) -> long { return ZT_K(SYS_recvmsg, fd, m, f); },
    [](int fd, int lv, int n, void *v, socklen_t *l) -> long {
        return ZT_K(SYS_getsockopt, fd, lv, n, v, l);
    },
    [](int fd, int lv, int n, const void *v, socklen_t l) -> long {
        return ZT_K(SYS_setsockopt, fd, lv, n, v, l);
    },
    [](int fd, sockaddr *a, socklen_t *l) -> long { return ZT_K(SYS_getpeername, fd, a, l); },
    [](int fd, sockaddr *a, socklen_t *l) -> long { return ZT_K(SYS_getsockname, fd, a, l); },
    [](int fd, void *b, size_t n) -> long { return ZT_K(SYS_read, fd, b, n); },
    [](int fd, const void *b, size_t n) -> long { return ZT_K(SYS_write, fd, b, n); },
    [](int fd, const iovec *v, int n) -> long { return ZT_K(SYS_readv, fd, v, n); },
    [](int fd, const iovec *v, int n) -> long { return ZT_K(SYS_writev, fd, v, n); },
    [](int fd, int cmd, long arg) -> long { return ZT_K(SYS_fcntl, fd, cmd, arg); },
    [](int fd, unsigned long req, void *arg) -> long { return ZT_K(SYS_ioctl, fd, req, arg); },
    [](void *fds, long n, int t) -> long { return ZT_K(SYS_poll, fds, n, t); },
    [](int n, void *r, void *w, void *e, void *tv) -> long {
        return ZT_K(SYS_select, n, r, w, e, tv);
    },
};
#undef ZT_K

inline const api zsock_api = {
    "zsock",
    [](int f, int t, int p) -> long { return zsock_socket(f, t, p); },
    [](int f, int t, int p, int *sv) -> long { return zsock_socketpair(f, t, p, sv); },
    [](int fd) -> long { return zsock_close(fd); },
    [](int fd, int how) -> long { return zsock_shutdown(fd, how); },
    [](int fd, const sockaddr *a, socklen_t l) -> long { return zsock_bind(fd, a, l); },
    [](int fd, const sockaddr *a, socklen_t l) -> long { return zsock_connect(fd, a, l); },
    [](int fd, int b) -> long { return zsock_listen(fd, b); },
    [](int fd, sockaddr *a, socklen_t *l, int f) -> long { return zsock_accept4(fd, a, l, f); },
    [](int fd, const void *b, size_t n, int f, const sockaddr *a, socklen_t l) -> long {
        return zsock_sendto(fd, b, n, f, a, l);
    },
    [](int fd, void *b, size_t n, int f, sockaddr *a, socklen_t *l) -> long {
        return zsock_recvfrom(fd, b, n, f, a, l);
    },
    [](int fd, const msghdr *m, int f) -> long { return zsock_sendmsg(fd, m, f); },
    [](int fd, msghdr *m, int f) -> long { return zsock_recvmsg(fd, m, f); },
    [](int fd, int lv, int n, void *v, socklen_t *l) -> long {
        return zsock_getsockopt(fd, lv, n, v, l);
    },
    [](int fd, int lv, int n, const void *v, socklen_t l) -> long {
        return zsock_setsockopt(fd, lv, n, v, l);
    },
    [](int fd, sockaddr *a, socklen_t *l) -> long { return zsock_getpeername(fd, a, l); },
    [](int fd, sockaddr *a, socklen_t *l) -> long { return zsock_getsockname(fd, a, l); },
    [](int fd, void *b, size_t n) -> long { return zsock_read(fd, b, n); },
    [](int fd, const void *b, size_t n) -> long { return zsock_write(fd, b, n); },
    [](int fd, const iovec *v, int n) -> long { return zsock_readv(fd, v, n); },
    [](int fd, const iovec *v, int n) -> long { return zsock_writev(fd, v, n); },
    [](int fd, int cmd, long arg) -> long { return zsock_fcntl(fd, cmd, arg); },
    [](int fd, unsigned long req, void *arg) -> long { return zsock_ioctl(fd, req, arg); },
    [](void *fds, long n, int t) -> long {
        return zsock_poll(static_cast<zsock_pollfd *>(fds), static_cast<int>(n), t);
    },
    [](int n, void *r, void *w, void *e, void *tv) -> long {
        return zsock_select(n, static_cast<zsock_fd_set *>(r), static_cast<zsock_fd_set *>(w),
                            static_cast<zsock_fd_set *>(e), static_cast<zsock_timeval *>(tv));
    },
};

/// Records each step of a scenario: its label, its result and errno.
class recorder {
public:
    struct step {
        std::string what;
        long ret;
        int err;
    };

    /// Records a call's result (errno is read only when it failed).
    long operator()(const char *what, long r) {
        steps_.push_back({what, r, r < 0 ? errno : 0});
        return r;
    }
    /// Records a call that returns a new descriptor: only whether it succeeded.
    long fd(const char *what, long r) {
        steps_.push_back({what, r < 0 ? -1 : 0, r < 0 ? errno : 0});
        return r;
    }
    /// Records a value the scenario computed (a flag, a length, a byte).
    void value(const char *what, long v) { steps_.push_back({what, v, 0}); }

    const std::vector<step> &steps() const { return steps_; }

private:
    std::vector<step> steps_;
};

using scenario = std::function<void(const api &, recorder &)>;

/// Runs `s` through the kernel and through zsock, and checks that every step matches.
inline void differential(const scenario &s) {
    recorder k, z;
    s(kernel_api, k);
    s(zsock_api, z);
    REQUIRE(k.steps().size() == z.steps().size());
    for (size_t i = 0; i < k.steps().size(); ++i) {
        const auto &a = k.steps()[i];
        const auto &b = z.steps()[i];
        INFO("step " << i << ": " << a.what << "\n  kernel: " << a.ret << " "
                     << (a.err ? errno_name(a.err) : "") << "\n  zsock:  " << b.ret << " "
                     << (b.err ? errno_name(b.err) : ""));
        CHECK(a.ret == b.ret);
        CHECK(a.err == b.err);
    }
}

} // namespace zsock_test

/// Records `expr` under its own text.
#define ZT_STEP(rec, expr) (rec)(#expr, (expr))
#define ZT_FD(rec, expr) (rec).fd(#expr, (expr))
