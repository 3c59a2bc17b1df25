// posix_test.hpp - helpers for the tests of the POSIX names (linked against libzsock-posix).
//
// Everything here uses the standard names, so in these tests it runs through zsock.
#pragma once

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

#include <zsock/fdtable.h>

namespace zsock_test {

/// Owns an fd; closes it with close() (zsock's, in these tests).
class posix_fd {
public:
    posix_fd() = default;
    explicit posix_fd(int fd) : fd_(fd) {}
    posix_fd(posix_fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    posix_fd &operator=(posix_fd &&o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~posix_fd() { reset(); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int release() { return std::exchange(fd_, -1); }
    operator int() const { return fd_; }

private:
    int fd_ = -1;
};

/// True when fd is in zsock's fd table (any kind of zsock object).
inline bool is_zsock_fd(int fd) {
    errno = 0;
    if (zsock_fd_get_obj(fd, nullptr, EINVAL) != nullptr) return true;
    return false;
}

inline sockaddr_in loopback(uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/// A listening TCP socket on 127.0.0.1 (kernel-chosen port) made with the standard names.
struct tcp_listener {
    posix_fd fd;
    sockaddr_in addr{};
};

inline tcp_listener listen_loopback() {
    tcp_listener l;
    l.fd = posix_fd(::socket(AF_INET, SOCK_STREAM, 0));
    l.addr = loopback();
    socklen_t len = sizeof l.addr;
    if (::bind(l.fd, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) != 0 ||
        ::listen(l.fd, 16) != 0 ||
        ::getsockname(l.fd, reinterpret_cast<sockaddr *>(&l.addr), &len) != 0)
        l.fd.reset();
    return l;
}

/// A connected TCP pair {client, server} over loopback, made with the standard names.
inline std::pair<posix_fd, posix_fd> tcp_pair() {
    tcp_listener l = listen_loopback();
    posix_fd c(::socket(AF_INET, SOCK_STREAM, 0));
    if (::connect(c, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) != 0) return {};
    posix_fd s(::accept(l.fd, nullptr, nullptr));
    return {std::move(c), std::move(s)};
}

} // namespace zsock_test
