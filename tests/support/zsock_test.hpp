// tests/support/zsock_test.hpp - small helpers shared by zsock's tests.
//
// Every helper works on real kernel sockets over loopback; nothing is mocked.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
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

inline listener listen_tcp4(int backlog = 16) {
    listener l;
    l.fd = fd_guard(zsock_socket(AF_INET, SOCK_STREAM, 0));
    l.addr = loopback4();
    socklen_t len = sizeof l.addr;
    if (zsock_bind(l.fd, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) != 0 ||
        zsock_listen(l.fd, backlog) != 0 ||
        zsock_getsockname(l.fd, reinterpret_cast<sockaddr *>(&l.addr), &len) != 0) {
        l.fd.reset();
    }
    return l;
}

/// A connected TCP pair over loopback: {client, server}.
inline std::pair<fd_guard, fd_guard> tcp_pair4() {
    listener l = listen_tcp4();
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    if (zsock_connect(c, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) != 0) return {};
    fd_guard s(zsock_accept(l.fd, nullptr, nullptr));
    return {std::move(c), std::move(s)};
}

inline std::string errno_name(int e) { return std::string(strerrorname_np(e) ? strerrorname_np(e) : "?"); }

} // namespace zsock_test
