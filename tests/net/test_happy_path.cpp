// Happy path: the plain blocking life cycle of TCP and UDP sockets over loopback.
#include <catch2/catch.hpp>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

TEST_CASE("TCP: socket, bind, listen, connect, accept, send, recv, close") {
    listener l = listen_tcp4();
    REQUIRE(l.fd >= 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(c >= 0);
    REQUIRE(zsock_connect(c, reinterpret_cast<sockaddr *>(&l.addr), sizeof l.addr) == 0);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept(l.fd, reinterpret_cast<sockaddr *>(&peer), &plen));
    REQUIRE(s >= 0);
    CHECK(plen == sizeof(sockaddr_in));
    CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

    REQUIRE(zsock_send(c, "hello", 5, 0) == 5);
    char buf[16] = {};
    REQUIRE(zsock_recv(s, buf, 5, MSG_WAITALL) == 5);
    CHECK(std::string(buf, 5) == "hello");

    // The peer's close is an orderly end of stream: recv returns 0, and keeps returning 0.
    c.reset();
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
}

TEST_CASE("UDP: sendto and recvfrom keep datagram boundaries") {
    fd_guard a(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    fd_guard b(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in addr = loopback4();
    REQUIRE(zsock_bind(b, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(b, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
    REQUIRE(zsock_sendto(a, "one", 3, 0, reinterpret_cast<sockaddr *>(&addr), len) == 3);
    REQUIRE(zsock_sendto(a, "three", 5, 0, reinterpret_cast<sockaddr *>(&addr), len) == 5);
    char buf[16];
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr) == 3);
    CHECK(zsock_recvfrom(b, buf, sizeof buf, 0, nullptr, nullptr) == 5);
}
