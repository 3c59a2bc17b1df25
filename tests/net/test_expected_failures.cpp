// Expected failures, errno by errno: each call that must fail, and the errno Linux gives for it
// (the differential test checks the same against the kernel step by step; this file states the
// expected values, Zephyr style). Bad pointers get EFAULT wherever the kernel gives it, never a
// crash.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <functional>
#include <netinet/tcp.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

void *const bad = reinterpret_cast<void *>(8);

struct expect_case {
    const char *what;
    int err;
    std::function<long()> call;
};

void check_all(const std::vector<expect_case> &cases) {
    for (const auto &c : cases) {
        INFO(c.what << ": expected " << errno_name(c.err));
        errno = 0;
        long r = c.call();
        int e = errno;
        CHECK(r == -1);
        CHECK(errno_name(e) == errno_name(c.err));
    }
}

} // namespace

TEST_CASE("EBADF: closed, negative and never-opened fds") {
    int closed = zsock_socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(zsock_close(closed) == 0);
    char b;
    int v;
    socklen_t len = sizeof v;
    check_all({
        {"recv on a closed fd", EBADF, [&] { return zsock_recv(closed, &b, 1, 0); }},
        {"close twice", EBADF, [&] { return zsock_close(closed); }},
        {"send to -1", EBADF, [&] { return zsock_send(-1, &b, 1, 0); }},
        {"getsockopt on 100000", EBADF,
         [&] { return zsock_getsockopt(100000, SOL_SOCKET, SO_TYPE, &v, &len); }},
        {"fcntl on -7", EBADF, [&] { return zsock_fcntl(-7, F_GETFL); }},
        {"ioctl on INT_MAX", EBADF, [&] { return zsock_ioctl(0x7fffffff, FIONREAD, &v); }},
        {"read beyond the fd table", EBADF, [&] { return zsock_read(1 << 24, &b, 1); }},
    });
}

TEST_CASE("ENOTSOCK: socket calls on a pipe and a file") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    int file = ::open("/dev/null", O_RDONLY);
    char b;
    int v = 1;
    socklen_t len = sizeof v;
    sockaddr_in a = loopback4(1);
    check_all({
        {"recv on a pipe", ENOTSOCK, [&] { return zsock_recv(p[0], &b, 1, 0); }},
        {"send on a pipe", ENOTSOCK, [&] { return zsock_send(p[1], &b, 1, 0); }},
        {"connect on a file", ENOTSOCK, [&] { return zsock_connect(file, sa(&a), sizeof a); }},
        {"getsockopt on a file", ENOTSOCK,
         [&] { return zsock_getsockopt(file, SOL_SOCKET, SO_TYPE, &v, &len); }},
        {"accept on stdin's kind of fd", ENOTSOCK,
         [&] { return zsock_accept(file, nullptr, nullptr); }},
    });
    // The fd calls still work on them.
    CHECK(zsock_write(p[1], "k", 1) == 1);
    CHECK(zsock_read(p[0], &b, 1) == 1);
    ::close(p[0]);
    ::close(p[1]);
    ::close(file);
}

TEST_CASE("EINVAL, EADDRINUSE, EOPNOTSUPP, EISCONN, EDESTADDRREQ, EMSGSIZE") {
    listener l = listen_tcp4();
    REQUIRE(l.fd >= 0);
    fd_guard s(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in any = loopback4();
    REQUIRE(zsock_bind(s, sa(&any), sizeof any) == 0);
    int v = 1;
    char b[4];
    std::vector<char> huge(70000);
    auto [c, acc] = tcp_pair4();
    REQUIRE(acc >= 0);
    sockaddr_in to = loopback4(9);
    check_all({
        {"bind twice", EINVAL, [&] { return zsock_bind(s, sa(&any), sizeof any); }},
        {"bind with a short length", EINVAL, [&] { return zsock_bind(u, sa(&any), 4); }},
        {"accept on a socket that does not listen", EINVAL,
         [&] { return zsock_accept(s, nullptr, nullptr); }},
        {"shutdown how=7", EINVAL, [&] { return zsock_shutdown(c, 7); }},
        {"setsockopt with optlen 1", EINVAL,
         [&] { return zsock_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 1); }},
        {"fcntl with an unknown command", EINVAL, [&] { return zsock_fcntl(s, 12345); }},
        {"listen on a connected socket", EINVAL, [&] { return zsock_listen(c, 1); }},
        {"bind to a port in use", EADDRINUSE,
         [&] {
             fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, 0));
             return zsock_bind(t, sa(&l.addr), sizeof l.addr);
         }},
        {"listen on UDP", EOPNOTSUPP, [&] { return zsock_listen(u, 1); }},
        {"accept on UDP", EOPNOTSUPP, [&] { return zsock_accept(u, nullptr, nullptr); }},
        {"MSG_OOB on UDP", EOPNOTSUPP,
         [&] { return zsock_sendto(u, b, 1, MSG_OOB, sa(&to), sizeof to); }},
        {"connect a connected socket", EISCONN,
         [&] { return zsock_connect(c, sa(&l.addr), sizeof l.addr); }},
        {"send on unconnected UDP", EDESTADDRREQ, [&] { return zsock_send(u, b, 1, 0); }},
        {"datagram over 64 KiB", EMSGSIZE,
         [&] { return zsock_sendto(u, huge.data(), huge.size(), 0, sa(&to), sizeof to); }},
    });
}

TEST_CASE("ECONNREFUSED, ENOTCONN, ENOPROTOOPT") {
    sockaddr_in dead = dead_port4();
    fd_guard s(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    char b;
    int v = 1;
    socklen_t len = sizeof v;
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    check_all({
        {"connect to a closed port", ECONNREFUSED,
         [&] { return zsock_connect(s, sa(&dead), sizeof dead); }},
        {"recv on an unconnected stream", ENOTCONN, [&] { return zsock_recv(t, &b, 1, 0); }},
        {"getpeername unconnected", ENOTCONN,
         [&] { return zsock_getpeername(u, sa(&peer), &plen); }},
        {"shutdown unconnected", ENOTCONN, [&] { return zsock_shutdown(t, SHUT_RD); }},
        {"unknown SOL_SOCKET option", ENOPROTOOPT,
         [&] { return zsock_getsockopt(t, SOL_SOCKET, 7777, &v, &len); }},
        {"IPv6 option on an IPv4 socket", ENOPROTOOPT,
         [&] { return zsock_setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v); }},
        {"TCP option on UDP", ENOPROTOOPT,
         [&] { return zsock_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v); }},
        {"unknown level (Linux's IP layer says EOPNOTSUPP)", EOPNOTSUPP,
         [&] { return zsock_getsockopt(t, 4321, 1, &v, &len); }},
    });
}

TEST_CASE("EAFNOSUPPORT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EINVAL: families, protocols, types") {
    fd_guard s(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in6 a6 = loopback6(1);
    int sv[2];
    unsigned char dst[16];
    check_all({
        {"socket AF_UNSPEC", EAFNOSUPPORT, [] { return zsock_socket(AF_UNSPEC, SOCK_STREAM, 0); }},
        {"socket family 4242", EAFNOSUPPORT, [] { return zsock_socket(4242, SOCK_STREAM, 0); }},
        {"connect an IPv6 address on IPv4", EAFNOSUPPORT,
         [&] { return zsock_connect(s, sa(&a6), sizeof a6); }},
        {"inet_pton family 99", EAFNOSUPPORT, [&] { return zsock_inet_pton(99, "1.2.3.4", dst); }},
        {"stream with UDP", EPROTONOSUPPORT,
         [] { return zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP); }},
        {"protocol 200", EPROTONOSUPPORT, [] { return zsock_socket(AF_INET, SOCK_DGRAM, 200); }},
        {"AF_UNIX with a protocol", EPROTONOSUPPORT,
         [] { return zsock_socket(AF_UNIX, SOCK_STREAM, 6); }},
        {"type 42 (past SOCK_MAX)", EINVAL, [] { return zsock_socket(AF_INET, 42, 0); }},
        {"SOCK_SEQPACKET over IPv4", ESOCKTNOSUPPORT,
         [] { return zsock_socket(AF_INET, SOCK_SEQPACKET, 0); }},
        {"socketpair AF_INET", EOPNOTSUPP,
         [&] { return zsock_socketpair(AF_INET, SOCK_STREAM, 0, sv); }},
        {"socketpair family 4242", EAFNOSUPPORT,
         [&] { return zsock_socketpair(4242, SOCK_STREAM, 0, sv); }},
    });
    errno = 0;
    CHECK(zsock_inet_ntop(99, dst, reinterpret_cast<char *>(dst), 16) == nullptr);
    CHECK(errno == EAFNOSUPPORT);
}

TEST_CASE("EFAULT for bad pointers wherever the kernel gives it, never a crash") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_send(c, "data", 4, 0) == 4);
    char one;
    REQUIRE(zsock_recv(s, &one, 1, MSG_PEEK) == 1);
    int v = 0;
    socklen_t len = sizeof v;
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    iovec iov{bad, 4};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    zsock_fd_set set;
    ZSOCK_FD_ZERO(&set);
    ZSOCK_FD_SET(c, &set);
    check_all({
        {"bind", EFAULT,
         [&] { return zsock_bind(u, static_cast<sockaddr *>(bad), sizeof(sockaddr_in)); }},
        {"connect", EFAULT,
         [&] { return zsock_connect(u, static_cast<sockaddr *>(bad), sizeof(sockaddr_in)); }},
        {"send buffer", EFAULT, [&] { return zsock_send(c, bad, 4, 0); }},
        {"recv buffer", EFAULT, [&] { return zsock_recv(s, bad, 4, 0); }},
        {"recvfrom address length", EFAULT,
         [&] {
             char b[4];
             sockaddr_in from{};
             return zsock_recvfrom(s, b, 4, MSG_PEEK, sa(&from), static_cast<socklen_t *>(bad));
         }},
        {"sendmsg header", EFAULT, [&] { return zsock_sendmsg(c, static_cast<msghdr *>(bad), 0); }},
        {"sendmsg iovec base", EFAULT, [&] { return zsock_sendmsg(c, &m, 0); }},
        {"readv iovec array", EFAULT, [&] { return zsock_readv(s, static_cast<iovec *>(bad), 1); }},
        {"writev iovec array", EFAULT,
         [&] { return zsock_writev(c, static_cast<iovec *>(bad), 1); }},
        {"getsockopt optlen", EFAULT,
         [&] {
             return zsock_getsockopt(c, SOL_SOCKET, SO_TYPE, &v, static_cast<socklen_t *>(bad));
         }},
        {"getsockopt optval", EFAULT,
         [&] { return zsock_getsockopt(c, SOL_SOCKET, SO_TYPE, bad, &len); }},
        {"setsockopt optval", EFAULT,
         [&] { return zsock_setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, bad, sizeof v); }},
        {"getsockname", EFAULT,
         [&] { return zsock_getsockname(c, static_cast<sockaddr *>(bad), &len); }},
        {"getpeername length", EFAULT,
         [&] {
             sockaddr_in p{};
             return zsock_getpeername(c, sa(&p), static_cast<socklen_t *>(bad));
         }},
        {"ioctl FIONREAD", EFAULT, [&] { return zsock_ioctl(s, FIONREAD, bad); }},
        {"ioctl FIONBIO", EFAULT, [&] { return zsock_ioctl(s, FIONBIO, bad); }},
        {"poll array", EFAULT, [&] { return zsock_poll(static_cast<zsock_pollfd *>(bad), 1, 0); }},
        {"select set", EFAULT,
         [&] {
             return zsock_select(c + 1, static_cast<zsock_fd_set *>(bad), nullptr, nullptr,
                                 nullptr);
         }},
        {"select timeout", EFAULT,
         [&] {
             return zsock_select(c + 1, &set, nullptr, nullptr, static_cast<zsock_timeval *>(bad));
         }},
        {"socketpair sv", EFAULT,
         [&] { return zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, static_cast<int *>(bad)); }},
        {"accept address length", EFAULT,
         [&] {
             listener l = listen_tcp4();
             fd_guard cc(zsock_socket(AF_INET, SOCK_STREAM, 0));
             zsock_connect(cc, sa(&l.addr), sizeof l.addr);
             sockaddr_in p{};
             return zsock_accept(l.fd, sa(&p), static_cast<socklen_t *>(bad));
         }},
    });
    // Nothing was lost on the way: the stream still holds its 4 bytes.
    char b[4];
    CHECK(zsock_recv(s, b, 4, MSG_WAITALL) == 4);
}
