// Happy path: the plain blocking life cycle of stream and datagram sockets over IPv4, IPv6 and
// AF_UNIX, with every data call of the API (send/recv, sendto/recvfrom, sendmsg/recvmsg with
// scatter/gather and SCM_RIGHTS, read/write, readv/writev) and the name calls.
#include <catch2/catch.hpp>

#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/un.h>
#include <unistd.h>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// Sends "hello" one way and "world!" the other, then checks end of stream after a close.
void exchange_and_close(fd_guard &c, fd_guard &s) {
    REQUIRE(zsock_send(c, "hello", 5, 0) == 5);
    char buf[16] = {};
    REQUIRE(zsock_recv(s, buf, 5, MSG_WAITALL) == 5);
    CHECK(std::string(buf, 5) == "hello");
    REQUIRE(zsock_write(s, "world!", 6) == 6);
    REQUIRE(zsock_read(c, buf, 6) == 6);
    CHECK(std::string(buf, 6) == "world!");

    // The peer's close is an orderly end of stream: recv returns 0, and keeps returning 0.
    c.reset();
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
    CHECK(zsock_read(s, buf, sizeof buf) == 0);
}

} // namespace

TEST_CASE("TCP over IPv4: socket, bind, listen, connect, accept, send, recv, close") {
    listener l = listen_tcp4();
    REQUIRE(l.fd >= 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(c >= 0);
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept(l.fd, sa(&peer), &plen));
    REQUIRE(s >= 0);
    CHECK(plen == sizeof(sockaddr_in));
    CHECK(peer.sin_family == AF_INET);
    CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

    // Names: each end's local address is the other's peer address.
    sockaddr_in local{}, remote{};
    socklen_t ll = sizeof local, rl = sizeof remote;
    REQUIRE(zsock_getsockname(c, sa(&local), &ll) == 0);
    REQUIRE(zsock_getpeername(s, sa(&remote), &rl) == 0);
    CHECK(local.sin_port == remote.sin_port);
    CHECK(local.sin_port == peer.sin_port);
    REQUIRE(zsock_getpeername(c, sa(&remote), &rl) == 0);
    CHECK(remote.sin_port == l.addr.sin_port);

    exchange_and_close(c, s);
}

TEST_CASE("TCP over IPv6") {
    listener6 l = listen_tcp6();
    REQUIRE(l.fd >= 0);
    fd_guard c(zsock_socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP));
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    sockaddr_in6 peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept4(l.fd, sa(&peer), &plen, SOCK_CLOEXEC));
    REQUIRE(s >= 0);
    CHECK(plen == sizeof(sockaddr_in6));
    CHECK(peer.sin6_family == AF_INET6);
    CHECK(std::memcmp(&peer.sin6_addr, &in6addr_loopback, sizeof peer.sin6_addr) == 0);
    CHECK(zsock_fcntl(s, F_GETFD) == FD_CLOEXEC);
    exchange_and_close(c, s);
}

TEST_CASE("AF_UNIX stream: abstract and filesystem addresses") {
    SECTION("abstract") {
        socklen_t alen = 0;
        sockaddr_un addr = unix_abstract("stream", &alen);
        fd_guard l(zsock_socket(AF_UNIX, SOCK_STREAM, 0));
        REQUIRE(zsock_bind(l, sa(&addr), alen) == 0);
        REQUIRE(zsock_listen(l, 4) == 0);
        fd_guard c(zsock_socket(AF_LOCAL, SOCK_STREAM, 0));
        REQUIRE(zsock_connect(c, sa(&addr), alen) == 0);
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        sockaddr_un got{};
        socklen_t glen = sizeof got;
        REQUIRE(zsock_getsockname(l, sa(&got), &glen) == 0);
        CHECK(glen == alen);
        CHECK(std::memcmp(&got, &addr, alen) == 0);
        exchange_and_close(c, s);
    }
    SECTION("filesystem path") {
        char dir[] = "/tmp/zsock-test-XXXXXX";
        REQUIRE(mkdtemp(dir) != nullptr);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", dir);
        fd_guard l(zsock_socket(AF_UNIX, SOCK_STREAM, 0));
        REQUIRE(zsock_bind(l, sa(&addr), sizeof addr) == 0);
        REQUIRE(zsock_listen(l, 4) == 0);
        fd_guard c(zsock_socket(AF_UNIX, SOCK_STREAM, 0));
        REQUIRE(zsock_connect(c, sa(&addr), sizeof addr) == 0);
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        exchange_and_close(c, s);
        unlink(addr.sun_path);
        rmdir(dir);
    }
}

TEST_CASE("AF_UNIX datagram: boundaries and the sender's address") {
    socklen_t alen_a = 0, alen_b = 0;
    sockaddr_un a_addr = unix_abstract("dgram-a", &alen_a);
    sockaddr_un b_addr = unix_abstract("dgram-b", &alen_b);
    fd_guard a(zsock_socket(AF_UNIX, SOCK_DGRAM, 0));
    fd_guard b(zsock_socket(AF_UNIX, SOCK_DGRAM, 0));
    REQUIRE(zsock_bind(a, sa(&a_addr), alen_a) == 0);
    REQUIRE(zsock_bind(b, sa(&b_addr), alen_b) == 0);
    REQUIRE(zsock_sendto(a, "one", 3, 0, sa(&b_addr), alen_b) == 3);
    REQUIRE(zsock_sendto(a, "three", 5, 0, sa(&b_addr), alen_b) == 5);
    char buf[16];
    sockaddr_un from{};
    socklen_t flen = sizeof from;
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, sa(&from), &flen) == 3);
    CHECK(flen == alen_a);
    CHECK(std::memcmp(&from, &a_addr, alen_a) == 0);
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr) == 5);
    CHECK(std::string(buf, 5) == "three");
}

TEST_CASE("UDP over IPv4 and IPv6: sendto and recvfrom keep datagram boundaries") {
    SECTION("IPv4") {
        fd_guard a(zsock_socket(AF_INET, SOCK_DGRAM, 0));
        sockaddr_in addr{};
        fd_guard b = udp_bound4(&addr);
        REQUIRE(b >= 0);
        REQUIRE(zsock_sendto(a, "one", 3, 0, sa(&addr), sizeof addr) == 3);
        REQUIRE(zsock_sendto(a, "three", 5, 0, sa(&addr), sizeof addr) == 5);
        char buf[16];
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, sa(&from), &flen) == 3);
        CHECK(flen == sizeof from);
        sockaddr_in a_name{};
        socklen_t alen = sizeof a_name;
        REQUIRE(zsock_getsockname(a, sa(&a_name), &alen) == 0); // auto-bound by sendto
        CHECK(from.sin_port == a_name.sin_port);
        CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr) == 5);
    }
    SECTION("IPv6") {
        fd_guard a(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
        fd_guard b(zsock_socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
        sockaddr_in6 addr = loopback6();
        socklen_t len = sizeof addr;
        REQUIRE(zsock_bind(b, sa(&addr), sizeof addr) == 0);
        REQUIRE(zsock_getsockname(b, sa(&addr), &len) == 0);
        REQUIRE(zsock_sendto(a, "six", 3, 0, sa(&addr), sizeof addr) == 3);
        char buf[8];
        sockaddr_in6 from{};
        socklen_t flen = sizeof from;
        CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, sa(&from), &flen) == 3);
        CHECK(from.sin6_family == AF_INET6);
        CHECK(std::memcmp(&from.sin6_addr, &in6addr_loopback, 16) == 0);
    }
}

TEST_CASE("sendmsg/recvmsg and writev/readv: scatter/gather") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    char p1[] = "scat", p2[] = "ter/", p3[] = "gather";
    iovec out[3] = {{p1, 4}, {p2, 4}, {p3, 6}};
    msghdr m{};
    m.msg_iov = out;
    m.msg_iovlen = 3;
    REQUIRE(zsock_sendmsg(c, &m, 0) == 14);
    REQUIRE(zsock_writev(c, out, 3) == 14);

    char a[5] = {}, b[9] = {};
    iovec in[2] = {{a, 5}, {b, 9}};
    msghdr r{};
    r.msg_iov = in;
    r.msg_iovlen = 2;
    REQUIRE(zsock_recvmsg(s, &r, MSG_WAITALL) == 14);
    CHECK(std::string(a, 5) == "scatt");
    CHECK(std::string(b, 9) == "er/gather");
    CHECK(r.msg_flags == 0);
    std::memset(a, 0, 5);
    std::memset(b, 0, 9);
    // Wait until the writev's bytes are all queued, then one readv takes them.
    int queued = 0;
    for (int i = 0; i < 1000 && queued < 14; ++i) {
        REQUIRE(zsock_ioctl(s, FIONREAD, &queued) == 0);
        if (queued < 14) usleep(1000);
    }
    REQUIRE(queued == 14);
    CHECK(zsock_readv(s, in, 2) == 14);
    CHECK(std::string(a, 5) == "scatt");
    CHECK(std::string(b, 9) == "er/gather");
}

TEST_CASE("sendmsg/recvmsg with SCM_RIGHTS pass a descriptor") {
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    fd_guard a(sv[0]), b(sv[1]);
    int p[2];
    REQUIRE(::pipe(p) == 0);

    char byte = 'F';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    REQUIRE(zsock_sendmsg(a, &m, 0) == 1);
    ::close(p[1]);

    char rb = 0;
    iovec riov{&rb, 1};
    alignas(cmsghdr) char rctl[CMSG_SPACE(sizeof(int))] = {};
    msghdr r{};
    r.msg_iov = &riov;
    r.msg_iovlen = 1;
    r.msg_control = rctl;
    r.msg_controllen = sizeof rctl;
    REQUIRE(zsock_recvmsg(b, &r, MSG_CMSG_CLOEXEC) == 1);
    CHECK(rb == 'F');
    cmsghdr *rc = CMSG_FIRSTHDR(&r);
    REQUIRE(rc != nullptr);
    CHECK(rc->cmsg_type == SCM_RIGHTS);
    int passed = -1;
    std::memcpy(&passed, CMSG_DATA(rc), sizeof passed);
    REQUIRE(passed >= 0);
    // The received descriptor is the pipe's write end; zsock passes it to the kernel as it is.
    CHECK(zsock_write(passed, "via", 3) == 3);
    char got[3];
    CHECK(::read(p[0], got, 3) == 3);
    CHECK(zsock_fcntl(passed, F_GETFD) == FD_CLOEXEC);
    CHECK(zsock_close(passed) == 0);
    ::close(p[0]);
}

TEST_CASE("MSG_WAITALL waits for the whole length across several sends") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_send(c, "ab", 2, 0) == 2);
    REQUIRE(zsock_send(c, "cd", 2, 0) == 2);
    REQUIRE(zsock_send(c, "ef", 2, 0) == 2);
    char buf[6];
    CHECK(zsock_recv(s, buf, 6, MSG_WAITALL) == 6);
    CHECK(std::string(buf, 6) == "abcdef");
    // A peer close ends a MSG_WAITALL short.
    REQUIRE(zsock_send(c, "g", 1, 0) == 1);
    c.reset();
    CHECK(zsock_recv(s, buf, 6, MSG_WAITALL) == 1);
}
