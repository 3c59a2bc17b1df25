// tests/support/zsock_test.hpp - small helpers shared by zsock's tests.
//
// Every helper works on real kernel sockets over loopback; nothing is mocked.
// Catch2 v2 assertions are not thread-safe: helper threads record what they saw (atomics,
// futures) and the test thread checks it.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

#include <zsock/socket.h>

namespace zsock_test {

/// Owns a zsock fd; closes it with zsock_close.
class fd_guard {
public:
    fd_guard() = default;
    explicit fd_guard(int fd) : fd_(fd) {}
    fd_guard(fd_guard &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    fd_guard &operator=(fd_guard &&o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~fd_guard() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) zsock_close(fd_);
        fd_ = -1;
    }
    operator int() const { return fd_; }

private:
    int fd_ = -1;
};

template <class T>
inline sockaddr *sa(T *addr) {
    return reinterpret_cast<sockaddr *>(addr);
}
template <class T>
inline const sockaddr *sa(const T *addr) {
    return reinterpret_cast<const sockaddr *>(addr);
}

inline sockaddr_in loopback4(uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline sockaddr_in6 loopback6(uint16_t port = 0) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    return a;
}

/// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
struct listener {
    fd_guard fd;
    sockaddr_in addr{};
};

inline listener listen_tcp4(int backlog = 16, int type_flags = 0) {
    listener l;
    l.fd = fd_guard(zsock_socket(AF_INET, SOCK_STREAM | type_flags, 0));
    l.addr = loopback4();
    socklen_t len = sizeof l.addr;
    if (zsock_bind(l.fd, sa(&l.addr), sizeof l.addr) != 0 || zsock_listen(l.fd, backlog) != 0 ||
        zsock_getsockname(l.fd, sa(&l.addr), &len) != 0) {
        l.fd.reset();
    }
    return l;
}

/// A listening TCP socket on ::1 with a kernel-chosen port.
struct listener6 {
    fd_guard fd;
    sockaddr_in6 addr{};
};

inline listener6 listen_tcp6(int backlog = 16) {
    listener6 l;
    l.fd = fd_guard(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    l.addr = loopback6();
    socklen_t len = sizeof l.addr;
    if (zsock_bind(l.fd, sa(&l.addr), sizeof l.addr) != 0 || zsock_listen(l.fd, backlog) != 0 ||
        zsock_getsockname(l.fd, sa(&l.addr), &len) != 0) {
        l.fd.reset();
    }
    return l;
}

/// A connected TCP pair over loopback: {client, server}.
inline std::pair<fd_guard, fd_guard> tcp_pair4() {
    listener l = listen_tcp4();
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    if (zsock_connect(c, sa(&l.addr), sizeof l.addr) != 0) return {};
    fd_guard s(zsock_accept(l.fd, nullptr, nullptr));
    return {std::move(c), std::move(s)};
}

/// A UDP socket bound to 127.0.0.1 with a kernel-chosen port; *addr receives its address.
inline fd_guard udp_bound4(sockaddr_in *addr) {
    fd_guard s(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    *addr = loopback4();
    socklen_t len = sizeof *addr;
    if (zsock_bind(s, sa(addr), sizeof *addr) != 0 || zsock_getsockname(s, sa(addr), &len) != 0)
        s.reset();
    return s;
}

/// A listener whose accept queue is full (backlog 0 and one connection nobody accepts): Linux
/// drops further SYNs, so a connect() to it stays pending, without any route to a black hole.
struct full_listener {
    listener l;
    fd_guard filler;
    bool ok = false;
};

inline full_listener make_full_listener() {
    full_listener f;
    f.l = listen_tcp4(0);
    if (f.l.fd < 0) return f;
    f.filler = fd_guard(zsock_socket(AF_INET, SOCK_STREAM, 0));
    if (zsock_connect(f.filler, sa(&f.l.addr), sizeof f.l.addr) != 0) return f;
    // Probe: a nonblocking connect must still be pending after a while.
    fd_guard probe(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    if (zsock_connect(probe, sa(&f.l.addr), sizeof f.l.addr) == 0 || errno != EINPROGRESS) return f;
    zsock_pollfd p{probe, POLLOUT, 0};
    f.ok = zsock_poll(&p, 1, 200) == 0;
    return f;
}

/// Address of a loopback TCP port nobody listens on (bound once, then closed).
inline sockaddr_in dead_port4() {
    sockaddr_in a = loopback4();
    fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, 0));
    socklen_t len = sizeof a;
    zsock_bind(t, sa(&a), sizeof a);
    zsock_getsockname(t, sa(&a), &len);
    return a;
}

/// An abstract AF_UNIX address unique to this process (no file to clean up).
inline sockaddr_un unix_abstract(const char *tag, socklen_t *len) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    int n = std::snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "zsock-test-%d-%s", getpid(), tag);
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
    return a;
}

inline std::string errno_name(int e) {
    const char *n = strerrorname_np(e);
    return n ? n : std::to_string(e);
}

using clock = std::chrono::steady_clock;

inline long ms_since(clock::time_point t0) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count());
}

/// Raises the soft RLIMIT_NOFILE to at least `want` (up to the hard limit); returns the new soft
/// limit.
inline long raise_nofile(long want) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (static_cast<long>(rl.rlim_cur) < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || static_cast<long>(rl.rlim_max) > want
                          ? static_cast<rlim_t>(want)
                          : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return static_cast<long>(rl.rlim_cur);
}

/// Number of open descriptors of this process (for leak checks).
inline long open_fd_count() {
    long n = 0;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
        --n; // the directory stream's own descriptor
    }
    return n;
}

} // namespace zsock_test
