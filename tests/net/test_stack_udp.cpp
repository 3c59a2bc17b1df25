// Datagram behaviour that the kernel's UDP and sim0 share: one body per rule, run on each stack.
#include "net/stack_fixture.hpp"

#include <future>

using namespace stack_test;

namespace {

/// A datagram socket bound to 127.0.0.1 with a chosen port.
fd_guard bound_udp(const stack &s, sockaddr_in *addr) {
    fd_guard fd(s.make(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(fd >= 0);
    *addr = lo4();
    REQUIRE(zsock_bind(fd, sa(addr), sizeof *addr) == 0);
    socklen_t len = sizeof *addr;
    REQUIRE(zsock_getsockname(fd, sa(addr), &len) == 0);
    return fd;
}

} // namespace

TEST_CASE("dgram: boundaries, source address, FIONREAD of the next datagram") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in baddr;
    fd_guard b = bound_udp(s, &baddr);
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_sendto(a, "one", 3, 0, sa(&baddr), sizeof baddr) == 3);
    REQUIRE(zsock_sendto(a, "three", 5, 0, sa(&baddr), sizeof baddr) == 5);
    REQUIRE(zsock_sendto(a, "", 0, 0, sa(&baddr), sizeof baddr) == 0);
    REQUIRE(poll1(b, POLLIN, 2000) == POLLIN);
    int n = -1;
    REQUIRE(zsock_ioctl(b, FIONREAD, &n) == 0);
    CHECK(n == 3);
    sockaddr_in from{}, aname{};
    socklen_t flen = sizeof from, alen = sizeof aname;
    char buf[16];
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, sa(&from), &flen) == 3);
    REQUIRE(zsock_getsockname(a, sa(&aname), &alen) == 0); // bound by its first sendto
    CHECK(flen == sizeof(sockaddr_in));
    CHECK(from.sin_port == aname.sin_port);
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr) == 5);
    CHECK(std::string(buf, 5) == "three");
    CHECK(zsock_recv(b, buf, sizeof buf, 0) == 0); // the empty datagram
    CHECK(zsock_recv(b, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("dgram: truncation drops the rest; MSG_TRUNC reports the real length") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in baddr;
    fd_guard b = bound_udp(s, &baddr);
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    for (int i = 0; i < 2; ++i)
        REQUIRE(zsock_sendto(a, "0123456789", 10, 0, sa(&baddr), sizeof baddr) == 10);
    REQUIRE(poll1(b, POLLIN, 2000) & POLLIN);
    char buf[4];
    iovec iov{buf, sizeof buf};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    CHECK(zsock_recvmsg(b, &m, 0) == 4);
    CHECK((m.msg_flags & MSG_TRUNC) != 0);
    CHECK(std::string(buf, 4) == "0123");
    REQUIRE(poll1(b, POLLIN, 2000) & POLLIN);
    CHECK(zsock_recv(b, buf, sizeof buf, MSG_TRUNC) == 10);
    CHECK(zsock_recv(b, buf, sizeof buf, MSG_DONTWAIT) == -1);
}

TEST_CASE("dgram: a connected socket sends to its peer and hears only from it") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in baddr, caddr;
    fd_guard b = bound_udp(s, &baddr);
    fd_guard c = bound_udp(s, &caddr);
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_connect(a, sa(&baddr), sizeof baddr) == 0);
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    REQUIRE(zsock_getpeername(a, sa(&peer), &len) == 0);
    CHECK(peer.sin_port == baddr.sin_port);
    REQUIRE(zsock_send(a, "hi", 2, 0) == 2);
    char buf[8];
    CHECK(zsock_recv(b, buf, sizeof buf, 0) == 2);

    sockaddr_in aaddr{};
    len = sizeof aaddr;
    REQUIRE(zsock_getsockname(a, sa(&aaddr), &len) == 0);
    REQUIRE(zsock_sendto(c, "stranger", 8, 0, sa(&aaddr), sizeof aaddr) == 8);
    REQUIRE(zsock_sendto(b, "friend", 6, 0, sa(&aaddr), sizeof aaddr) == 6);
    REQUIRE(poll1(a, POLLIN, 2000) & POLLIN);
    CHECK(zsock_recv(a, buf, sizeof buf, 0) == 6); // the stranger's datagram was filtered
    CHECK(zsock_recv(a, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);

    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    REQUIRE(zsock_connect(a, &unspec, sizeof unspec) == 0);
    len = sizeof peer;
    CHECK(zsock_getpeername(a, sa(&peer), &len) == -1);
    CHECK(errno == ENOTCONN);
}

TEST_CASE("dgram: errors: no destination, oversize, port 0, listen/accept") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    CHECK(zsock_send(a, "x", 1, 0) == -1);
    CHECK(errno == EDESTADDRREQ);
    sockaddr_in to = lo4(9);
    std::vector<char> big(65508);
    CHECK(zsock_sendto(a, big.data(), big.size(), 0, sa(&to), sizeof to) == -1);
    CHECK(errno == EMSGSIZE);
    sockaddr_in zero = lo4(0);
    CHECK(zsock_sendto(a, "x", 1, 0, sa(&zero), sizeof zero) == -1);
    CHECK(errno == EINVAL);
    CHECK(zsock_sendto(a, "x", 1, 0, sa(&to), sizeof to - 1) == -1);
    CHECK(errno == EINVAL);
    CHECK(zsock_listen(a, 1) == -1);
    CHECK(errno == EOPNOTSUPP);
    CHECK(zsock_accept(a, nullptr, nullptr) == -1);
    CHECK(errno == EOPNOTSUPP);
    sockaddr_in aaddr;
    fd_guard b = bound_udp(s, &aaddr);
    fd_guard c(s.make(AF_INET, SOCK_DGRAM, 0));
    CHECK(zsock_bind(c, sa(&aaddr), sizeof aaddr) == -1);
    CHECK(errno == EADDRINUSE);
}

TEST_CASE("dgram: a connected socket learns that nobody listens (ECONNREFUSED)") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in gone;
    { fd_guard tmp = bound_udp(s, &gone); } // a port that was just free
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_connect(a, sa(&gone), sizeof gone) == 0);
    REQUIRE(zsock_send(a, "x", 1, 0) == 1);
    char b;
    int err = 0;
    for (int i = 0; i < 100 && !err; ++i) {
        if (zsock_recv(a, &b, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN)
            err = errno;
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(err == ECONNREFUSED);
}

TEST_CASE("dgram: shutdown(SHUT_RD) wakes a blocked recv, even unconnected") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in addr;
    fd_guard b = bound_udp(s, &addr);
    int fd = b;
    auto blocked = std::async(std::launch::async, [fd] {
        char c;
        return zsock_recv(fd, &c, 1, 0);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(zsock_shutdown(b, SHUT_RD) == -1); // Linux: ENOTCONN, yet the socket is shut
    CHECK(errno == ENOTCONN);
    REQUIRE(blocked.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(blocked.get() == 0);
}

TEST_CASE("dgram: IPv6 on ::1") {
    const stack s = STACKS;
    CAPTURE(s.name);
    if (!s.sim && !kernel_has_ipv6()) {
        WARN("the kernel has no ::1 here");
        return;
    }
    fd_guard b(s.make(AF_INET6, SOCK_DGRAM, 0));
    sockaddr_in6 addr = lo6();
    REQUIRE(zsock_bind(b, sa(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(b, sa(&addr), &len) == 0);
    fd_guard a(s.make(AF_INET6, SOCK_DGRAM, 0));
    REQUIRE(zsock_sendto(a, "v6", 2, 0, sa(&addr), sizeof addr) == 2);
    sockaddr_in6 from{};
    len = sizeof from;
    char buf[4];
    REQUIRE(poll1(b, POLLIN, 2000) & POLLIN);
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, sa(&from), &len) == 2);
    CHECK(from.sin6_family == AF_INET6);
    CHECK(std::memcmp(&from.sin6_addr, &in6addr_loopback, 16) == 0);
}

TEST_CASE("dgram: MSG_PEEK leaves the datagram; sendmsg/recvmsg carry addresses") {
    const stack s = STACKS;
    CAPTURE(s.name);
    sockaddr_in baddr;
    fd_guard b = bound_udp(s, &baddr);
    fd_guard a(s.make(AF_INET, SOCK_DGRAM, 0));
    char p1[] = "pe", p2[] = "ek";
    iovec out[2] = {{p1, 2}, {p2, 2}};
    msghdr m{};
    m.msg_name = &baddr;
    m.msg_namelen = sizeof baddr;
    m.msg_iov = out;
    m.msg_iovlen = 2;
    REQUIRE(zsock_sendmsg(a, &m, 0) == 4);
    REQUIRE(poll1(b, POLLIN, 2000) & POLLIN);
    char buf[8];
    CHECK(zsock_recv(b, buf, sizeof buf, MSG_PEEK) == 4);
    sockaddr_in from{};
    iovec in{buf, sizeof buf};
    msghdr r{};
    r.msg_name = &from;
    r.msg_namelen = sizeof from;
    r.msg_iov = &in;
    r.msg_iovlen = 1;
    CHECK(zsock_recvmsg(b, &r, 0) == 4);
    CHECK(std::string(buf, 4) == "peek");
    CHECK(r.msg_namelen == sizeof(sockaddr_in));
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(r.msg_flags == 0);
    CHECK(zsock_recv(b, buf, sizeof buf, MSG_DONTWAIT) == -1);
}
