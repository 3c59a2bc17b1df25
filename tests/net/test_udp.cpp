// UDP: datagram boundaries (empty and largest datagrams included), MSG_PEEK, MSG_TRUNC (the
// return value and recvmsg's msg_flags), source addresses, connected sockets filtering other
// peers, and connect(AF_UNSPEC) dissolving the association.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// Waits until fd has a datagram (loopback delivery is quick, but not synchronous).
bool wait_readable(int fd) {
    zsock_pollfd p{fd, POLLIN, 0};
    return zsock_poll(&p, 1, 2000) == 1;
}

} // namespace

TEST_CASE("UDP: every datagram arrives whole and alone, from empty to 65507 bytes") {
    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(rx >= 0);
    int big = 1 << 20;
    REQUIRE(zsock_setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big) == 0);
    const size_t sizes[] = {0, 1, 100, 1472, 1473, 9000, 65507};
    for (size_t n : sizes) {
        std::vector<char> d(n, static_cast<char>('a' + n % 26));
        REQUIRE(zsock_sendto(tx, d.data(), n, 0, sa(&addr), sizeof addr) ==
                static_cast<ssize_t>(n));
    }
    std::vector<char> buf(70000);
    for (size_t n : sizes) {
        INFO("datagram of " << n);
        REQUIRE(wait_readable(rx));
        ssize_t got = zsock_recv(rx, buf.data(), buf.size(), 0);
        CHECK(got == static_cast<ssize_t>(n));
        if (n) CHECK(buf[n - 1] == static_cast<char>('a' + n % 26));
    }
    errno = 0;
    CHECK(zsock_recv(rx, buf.data(), buf.size(), MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("UDP: MSG_PEEK leaves the datagram queued") {
    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_sendto(tx, "peeked", 6, 0, sa(&addr), sizeof addr) == 6);
    REQUIRE(zsock_sendto(tx, "next", 4, 0, sa(&addr), sizeof addr) == 4);
    REQUIRE(wait_readable(rx));
    char b[16] = {};
    CHECK(zsock_recv(rx, b, sizeof b, MSG_PEEK) == 6);
    CHECK(zsock_recv(rx, b, 3, MSG_PEEK) == 3);
    CHECK(zsock_recv(rx, b, sizeof b, 0) == 6);
    CHECK(std::string(b, 6) == "peeked");
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recv(rx, b, sizeof b, 0) == 4);
}

TEST_CASE("UDP: MSG_TRUNC gives the real length; recvmsg sets MSG_TRUNC in msg_flags") {
    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    for (int i = 0; i < 4; ++i)
        REQUIRE(zsock_sendto(tx, "0123456789", 10, 0, sa(&addr), sizeof addr) == 10);
    char b[4] = {};

    // Without MSG_TRUNC: the bytes that fit, the rest discarded.
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recv(rx, b, 4, 0) == 4);
    CHECK(std::string(b, 4) == "0123");

    // With MSG_TRUNC: the datagram's real length.
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recv(rx, b, 4, MSG_TRUNC) == 10);

    // recvmsg reports the truncation in msg_flags, with or without MSG_TRUNC in flags.
    iovec iov{b, 4};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recvmsg(rx, &m, MSG_PEEK | MSG_TRUNC) == 10); // peeked: still queued
    CHECK((m.msg_flags & MSG_TRUNC) != 0);
    m.msg_flags = 0;
    CHECK(zsock_recvmsg(rx, &m, 0) == 4);
    CHECK((m.msg_flags & MSG_TRUNC) != 0);
    m.msg_flags = 0;
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recvmsg(rx, &m, MSG_TRUNC) == 10);
    CHECK((m.msg_flags & MSG_TRUNC) != 0);
    errno = 0;
    CHECK(zsock_recv(rx, b, 4, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);

    // A datagram that fits: no MSG_TRUNC.
    REQUIRE(zsock_sendto(tx, "ok", 2, 0, sa(&addr), sizeof addr) == 2);
    REQUIRE(wait_readable(rx));
    m.msg_flags = 0;
    CHECK(zsock_recvmsg(rx, &m, 0) == 2);
    CHECK(m.msg_flags == 0);
}

TEST_CASE("UDP: the source address, and an address buffer that is too short") {
    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    sockaddr_in tx_addr{};
    fd_guard tx = udp_bound4(&tx_addr);
    REQUIRE(zsock_sendto(tx, "a", 1, 0, sa(&addr), sizeof addr) == 1);
    REQUIRE(zsock_sendto(tx, "b", 1, 0, sa(&addr), sizeof addr) == 1);
    REQUIRE(wait_readable(rx));
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    char b;
    REQUIRE(zsock_recvfrom(rx, &b, 1, 0, sa(&from), &flen) == 1);
    CHECK(flen == sizeof from);
    CHECK(from.sin_port == tx_addr.sin_port);
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    // Too short: truncated, and the length says how long it really is.
    REQUIRE(wait_readable(rx));
    sockaddr_in part{};
    flen = 4;
    REQUIRE(zsock_recvfrom(rx, &b, 1, 0, sa(&part), &flen) == 1);
    CHECK(flen == sizeof(sockaddr_in));
    CHECK(part.sin_port == tx_addr.sin_port); // the first 4 bytes: family and port
    CHECK(part.sin_addr.s_addr == 0);
}

TEST_CASE("UDP: a connected socket filters other peers; connect(AF_UNSPEC) dissolves it") {
    sockaddr_in a_addr{}, b_addr{}, c_addr{};
    // `a` is bound to an explicit port: Linux releases a kernel-chosen one when a UDP socket is
    // disconnected (connect(AF_UNSPEC)), and the test wants to keep receiving on it.
    { fd_guard probe = udp_bound4(&a_addr); }
    fd_guard a(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_bind(a, sa(&a_addr), sizeof a_addr) == 0);
    fd_guard b = udp_bound4(&b_addr);
    fd_guard c = udp_bound4(&c_addr);
    REQUIRE(zsock_connect(a, sa(&b_addr), sizeof b_addr) == 0);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    REQUIRE(zsock_getpeername(a, sa(&peer), &plen) == 0);
    CHECK(peer.sin_port == b_addr.sin_port);

    REQUIRE(zsock_sendto(c, "from-c", 6, 0, sa(&a_addr), sizeof a_addr) == 6); // filtered
    REQUIRE(zsock_sendto(b, "from-b", 6, 0, sa(&a_addr), sizeof a_addr) == 6);
    char buf[16];
    REQUIRE(wait_readable(a));
    CHECK(zsock_recv(a, buf, sizeof buf, 0) == 6);
    CHECK(std::string(buf, 6) == "from-b");
    errno = 0;
    CHECK(zsock_recv(a, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    // send() needs no address now.
    REQUIRE(zsock_send(a, "to-b", 4, 0) == 4);
    REQUIRE(wait_readable(b));
    CHECK(zsock_recv(b, buf, sizeof buf, 0) == 4);

    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    REQUIRE(zsock_connect(a, &unspec, sizeof unspec) == 0);
    sockaddr_in still{};
    socklen_t slen = sizeof still;
    REQUIRE(zsock_getsockname(a, sa(&still), &slen) == 0);
    CHECK(still.sin_port == a_addr.sin_port);
    errno = 0;
    CHECK(zsock_getpeername(a, sa(&peer), &plen) == -1);
    CHECK(errno == ENOTCONN);
    errno = 0;
    CHECK(zsock_send(a, "x", 1, 0) == -1);
    CHECK(errno == EDESTADDRREQ);
    REQUIRE(zsock_sendto(c, "from-c", 6, 0, sa(&a_addr), sizeof a_addr) == 6); // accepted now
    REQUIRE(wait_readable(a));
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    CHECK(zsock_recvfrom(a, buf, sizeof buf, 0, sa(&from), &flen) == 6);
    CHECK(from.sin_port == c_addr.sin_port);
}

TEST_CASE("UDP over IPv6: boundaries and MSG_TRUNC") {
    fd_guard rx(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    fd_guard tx(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    sockaddr_in6 addr = loopback6();
    socklen_t len = sizeof addr;
    REQUIRE(zsock_bind(rx, sa(&addr), sizeof addr) == 0);
    REQUIRE(zsock_getsockname(rx, sa(&addr), &len) == 0);
    REQUIRE(zsock_sendto(tx, "sixsix", 6, 0, sa(&addr), sizeof addr) == 6);
    REQUIRE(zsock_sendto(tx, "6", 1, 0, sa(&addr), sizeof addr) == 1);
    char b[2];
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recv(rx, b, 2, MSG_TRUNC) == 6);
    REQUIRE(wait_readable(rx));
    CHECK(zsock_recv(rx, b, 2, 0) == 1);
}
