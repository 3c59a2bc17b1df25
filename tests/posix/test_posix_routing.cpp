// The standard names route through zsock: every socket they create is a zsock fd, data moves
// through zsock's calls, and fds zsock did not create (pipes, files, stdin, sockets made behind
// its back) keep working as the kernel's.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/uio.h>

#include "support/libc_ref.hpp"
#include "support/posix_test.hpp"

using namespace zsock_test;

TEST_CASE("socket, accept, accept4 and socketpair hand out zsock fds") {
    tcp_listener l = listen_loopback();
    REQUIRE(l.fd >= 0);
    CHECK(is_zsock_fd(l.fd));

    posix_fd c1(::socket(AF_INET, SOCK_STREAM, 0));
    posix_fd c2(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(::connect(c1, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) == 0);
    REQUIRE(::connect(c2, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) == 0);
    CHECK(is_zsock_fd(c1));

    posix_fd s1(::accept(l.fd, nullptr, nullptr));
    REQUIRE(s1 >= 0);
    CHECK(is_zsock_fd(s1));

    posix_fd s2(::accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    REQUIRE(s2 >= 0);
    CHECK(is_zsock_fd(s2));
    CHECK((::fcntl(s2, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(s2, F_GETFD) & FD_CLOEXEC) != 0);

    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    posix_fd a(sv[0]), b(sv[1]);
    CHECK(is_zsock_fd(a));
    CHECK(is_zsock_fd(b));

    posix_fd udp(::socket(AF_INET6, SOCK_DGRAM, 0));
    REQUIRE(udp >= 0);
    CHECK(is_zsock_fd(udp));
}

TEST_CASE("close removes a socket from zsock's table") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    REQUIRE(is_zsock_fd(fd));
    REQUIRE(::close(fd) == 0);
    CHECK_FALSE(is_zsock_fd(fd));
    CHECK(errno == EBADF);
    char c;
    CHECK(::read(fd, &c, 1) == -1);
    CHECK(errno == EBADF);
    CHECK(::close(fd) == -1);
    CHECK(errno == EBADF);

    // The number comes back for a pipe, which is the kernel's.
    int p[2];
    REQUIRE(::pipe(p) == 0);
    posix_fd r(p[0]), w(p[1]);
    CHECK_FALSE(is_zsock_fd(r));
    CHECK(::write(w, "x", 1) == 1);
    CHECK(::read(r, &c, 1) == 1);
    CHECK(c == 'x');
}

TEST_CASE("bytes move through send/recv, read/write, readv/writev and sendmsg/recvmsg") {
    auto [c, s] = tcp_pair();
    REQUIRE(c >= 0);
    REQUIRE(s >= 0);
    char buf[64] = {};

    REQUIRE(::send(c, "hello", 5, 0) == 5);
    REQUIRE(::recv(s, buf, 5, MSG_WAITALL) == 5);
    CHECK(std::string(buf, 5) == "hello");

    REQUIRE(::write(s, "world", 5) == 5);
    REQUIRE(::read(c, buf, 5) == 5);
    CHECK(std::string(buf, 5) == "world");

    char h[] = "scatter", t[] = "-gather";
    iovec out[2] = {{h, 7}, {t, 7}};
    REQUIRE(::writev(c, out, 2) == 14);
    char x[7], y[7];
    iovec in[2] = {{x, 7}, {y, 7}};
    // writev returned, so on loopback all 14 bytes are already queued: one readv takes them.
    REQUIRE(::readv(s, in, 2) == 14);
    CHECK(std::string(x, 7) + std::string(y, 7) == "scatter-gather");

    msghdr m{};
    iovec v{const_cast<char *>("msg"), 3};
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    REQUIRE(::sendmsg(s, &m, 0) == 3);
    msghdr rm{};
    iovec rv{buf, sizeof buf};
    rm.msg_iov = &rv;
    rm.msg_iovlen = 1;
    REQUIRE(::recvmsg(c, &rm, 0) == 3);
    CHECK(std::string(buf, 3) == "msg");
}

TEST_CASE("UDP datagrams through sendto and recvfrom") {
    posix_fd a(::socket(AF_INET, SOCK_DGRAM, 0));
    posix_fd b(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in addr = loopback();
    REQUIRE(::bind(b, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(b, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
    REQUIRE(::sendto(a, "one", 3, 0, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 3);
    REQUIRE(::sendto(a, "three", 5, 0, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 5);
    char buf[16];
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    CHECK(::recvfrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &flen) == 3);
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(::recvfrom(b, buf, 2, MSG_TRUNC, nullptr, nullptr) == 5); // MSG_TRUNC: real length
}

TEST_CASE("files, pipes and stdin keep working through read, write, close, poll, select") {
    char path[] = "/tmp/zsock_posix_XXXXXX";
    int f = ::mkstemp(path);
    REQUIRE(f >= 0);
    ::unlink(path);
    posix_fd file(f);
    CHECK_FALSE(is_zsock_fd(file));
    REQUIRE(::write(file, "filedata", 8) == 8);
    REQUIRE(::lseek(file, 0, SEEK_SET) == 0);
    char buf[16] = {};
    REQUIRE(::read(file, buf, sizeof buf) == 8);
    CHECK(std::string(buf, 8) == "filedata");
    CHECK(::recv(file, buf, 1, 0) == -1); // a file is not a socket
    CHECK(errno == ENOTSOCK);

    int p[2];
    REQUIRE(::pipe(p) == 0);
    posix_fd r(p[0]), w(p[1]);
    auto [c, s] = tcp_pair();
    REQUIRE(s >= 0);

    // poll over a socket and a pipe: only the pipe is readable, then both.
    pollfd fds[2] = {{r, POLLIN, 0}, {s, POLLIN, 0}};
    REQUIRE(::write(w, "p", 1) == 1);
    REQUIRE(::poll(fds, 2, 1000) == 1);
    CHECK(fds[0].revents == POLLIN);
    CHECK(fds[1].revents == 0);
    REQUIRE(::send(c, "s", 1, 0) == 1);
    REQUIRE(::poll(fds, 2, 1000) == 2);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(r, &rd);
    FD_SET(s, &rd);
    timeval tv{1, 0};
    REQUIRE(::select(std::max<int>(r, s) + 1, &rd, nullptr, nullptr, &tv) == 2);
    CHECK(FD_ISSET(r, &rd));
    CHECK(FD_ISSET(s, &rd));

    // stdin (whatever CTest gave us) answers fcntl through the names as the kernel's fd 0.
    posix_fd in(::fcntl(0, F_DUPFD_CLOEXEC, 3));
    if (in >= 0) {
        CHECK_FALSE(is_zsock_fd(in));
        CHECK(::fcntl(in, F_GETFD) == FD_CLOEXEC);
    }
}

TEST_CASE("a kernel socket made behind zsock's back still works through the names") {
    // Made by glibc directly, so zsock never saw it: the names pass it to the kernel.
    int sv[2];
    REQUIRE(libc().socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    posix_fd a(sv[0]), b(sv[1]);
    CHECK_FALSE(is_zsock_fd(a));
    REQUIRE(::send(a, "k", 1, 0) == 1);
    char c = 0;
    REQUIRE(::recv(b, &c, 1, 0) == 1);
    CHECK(c == 'k');
    int n = -1;
    REQUIRE(::send(a, "abc", 3, 0) == 3);
    REQUIRE(::ioctl(b, FIONREAD, &n) == 0);
    CHECK(n == 3);
}

TEST_CASE("the process resolves every standard name to libzsock-posix") {
    void *h = dlopen("libzsock-posix.so.0", RTLD_LAZY | RTLD_NOLOAD);
    REQUIRE(h != nullptr);
    void *libc_handle = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    REQUIRE(libc_handle != nullptr);
    for (const char *name :
         {"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "send",
          "sendto", "sendmsg", "recv", "recvfrom", "recvmsg", "getsockopt", "setsockopt",
          "shutdown", "getpeername", "getsockname", "gethostname", "inet_pton", "inet_ntop",
          "getaddrinfo", "freeaddrinfo", "gai_strerror", "getnameinfo", "close", "read", "write",
          "readv", "writev", "poll", "select", "fcntl", "fcntl64", "ioctl", "__read_chk",
          "__recv_chk", "__recvfrom_chk", "__poll_chk"}) {
        INFO(name);
        void *ours = dlsym(h, name);
        REQUIRE(ours != nullptr);
        CHECK(ours != dlsym(libc_handle, name));
        // A sanitizer runtime comes first and wraps some names (read, poll...) around ours.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
        CHECK(dlsym(RTLD_DEFAULT, name) == ours);
#endif
    }
    CHECK(dlsym(h, "fcntl64") == dlsym(h, "fcntl"));
    CHECK(dlsym(h, "zsock_posix_anchor_fd_names") == nullptr); // static-link anchors stay hidden
    dlclose(h);
    dlclose(libc_handle);
}
