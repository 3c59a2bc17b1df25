// IPv6 and IPv4-mapped addresses: a dual-stack listener (IPV6_V6ONLY 0) accepts an IPv4 client
// and names it ::ffff:127.0.0.1; with IPV6_V6ONLY 1 the IPv4 side of the port stays unclaimed and
// an IPv4 client is refused; an IPv6 socket reaches an IPv4 listener through a mapped address;
// V6ONLY cannot change once bound.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// An IPv6 TCP listener on [::]:port-chosen-by-kernel with the given V6ONLY setting.
listener6 listen_any6(int v6only) {
    listener6 l;
    l.fd = fd_guard(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    if (zsock_setsockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) return {};
    l.addr = sockaddr_in6{};
    l.addr.sin6_family = AF_INET6;
    l.addr.sin6_addr = in6addr_any;
    socklen_t len = sizeof l.addr;
    if (zsock_bind(l.fd, sa(&l.addr), sizeof l.addr) != 0 || zsock_listen(l.fd, 4) != 0 ||
        zsock_getsockname(l.fd, sa(&l.addr), &len) != 0)
        return {};
    return l;
}

std::string text6(const in6_addr &a) {
    char buf[INET6_ADDRSTRLEN] = {};
    zsock_inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return buf;
}

} // namespace

TEST_CASE("IPv6: a dual-stack listener accepts an IPv4 client as ::ffff:127.0.0.1") {
    listener6 l = listen_any6(0);
    REQUIRE(l.fd >= 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in to = loopback4(ntohs(l.addr.sin6_port));
    REQUIRE(zsock_connect(c, sa(&to), sizeof to) == 0);
    sockaddr_in6 peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept(l.fd, sa(&peer), &plen));
    REQUIRE(s >= 0);
    CHECK(plen == sizeof(sockaddr_in6));
    CHECK(peer.sin6_family == AF_INET6);
    CHECK(text6(peer.sin6_addr) == "::ffff:127.0.0.1");
    sockaddr_in6 local{};
    socklen_t llen = sizeof local;
    REQUIRE(zsock_getsockname(s, sa(&local), &llen) == 0);
    CHECK(text6(local.sin6_addr) == "::ffff:127.0.0.1");
    REQUIRE(zsock_send(c, "v4", 2, 0) == 2);
    char b[2];
    CHECK(zsock_recv(s, b, 2, MSG_WAITALL) == 2);
    // And an IPv6 client is welcome too.
    fd_guard c6(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    sockaddr_in6 to6 = loopback6(ntohs(l.addr.sin6_port));
    REQUIRE(zsock_connect(c6, sa(&to6), sizeof to6) == 0);
    fd_guard s6(zsock_accept(l.fd, sa(&peer), &plen));
    REQUIRE(s6 >= 0);
    CHECK(text6(peer.sin6_addr) == "::1");
}

TEST_CASE("IPv6: with IPV6_V6ONLY 1 an IPv4 client is refused") {
    // The port is reserved on the IPv4 side first, by a bound socket that never listens. A V6ONLY
    // listener on the IPv6 side of the port must then bind (it does not claim IPv4), a dual-stack
    // one must not, and an IPv4 client must find nobody listening. Reserving the port ourselves
    // keeps parallel tests from taking the IPv4 side of it between the steps.
    fd_guard held4(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in to = loopback4(0);
    REQUIRE(zsock_bind(held4, sa(&to), sizeof to) == 0);
    socklen_t tlen = sizeof to;
    REQUIRE(zsock_getsockname(held4, sa(&to), &tlen) == 0);

    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = to.sin_port;
    int off = 0, on = 1;
    fd_guard dual(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    REQUIRE(zsock_setsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0);
    errno = 0;
    CHECK(zsock_bind(dual, sa(&any6), sizeof any6) == -1);
    CHECK(errno == EADDRINUSE);

    fd_guard l6(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    REQUIRE(zsock_setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0);
    REQUIRE(zsock_bind(l6, sa(&any6), sizeof any6) == 0);
    REQUIRE(zsock_listen(l6, 4) == 0);
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0);
    CHECK(v == 1);

    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    errno = 0;
    CHECK(zsock_connect(c, sa(&to), sizeof to) == -1);
    CHECK(errno == ECONNREFUSED);

    // The IPv6 side of the same port is served.
    fd_guard c6(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    sockaddr_in6 to6 = loopback6(ntohs(to.sin_port));
    REQUIRE(zsock_connect(c6, sa(&to6), sizeof to6) == 0);
    fd_guard s6(zsock_accept(l6, nullptr, nullptr));
    CHECK(s6 >= 0);
}

TEST_CASE("IPv6: a V6ONLY 0 socket reaches an IPv4 listener through a mapped address") {
    listener l4 = listen_tcp4();
    REQUIRE(l4.fd >= 0);
    fd_guard c(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    int off = 0;
    REQUIRE(zsock_setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0);
    sockaddr_in6 to = loopback6(ntohs(l4.addr.sin_port));
    REQUIRE(zsock_inet_pton(AF_INET6, "::ffff:127.0.0.1", &to.sin6_addr) == 1);
    REQUIRE(zsock_connect(c, sa(&to), sizeof to) == 0);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept(l4.fd, sa(&peer), &plen));
    REQUIRE(s >= 0);
    CHECK(plen == sizeof(sockaddr_in)); // the IPv4 side sees a plain IPv4 peer
    CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    // With V6ONLY 1 the mapped address is unreachable.
    fd_guard c2(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    int on = 1;
    REQUIRE(zsock_setsockopt(c2, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0);
    errno = 0;
    CHECK(zsock_connect(c2, sa(&to), sizeof to) == -1);
    CHECK(errno == ENETUNREACH);
}

TEST_CASE("IPv6: UDP between a mapped IPv6 socket and an IPv4 socket") {
    sockaddr_in addr4{};
    fd_guard rx4 = udp_bound4(&addr4);
    fd_guard tx6(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    sockaddr_in6 to = loopback6(ntohs(addr4.sin_port));
    REQUIRE(zsock_inet_pton(AF_INET6, "::ffff:127.0.0.1", &to.sin6_addr) == 1);
    REQUIRE(zsock_sendto(tx6, "m", 1, 0, sa(&to), sizeof to) == 1);
    zsock_pollfd p{rx4, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    char b;
    REQUIRE(zsock_recvfrom(rx4, &b, 1, 0, sa(&from), &flen) == 1);
    // Reply to where it came from; the IPv6 socket sees the sender as mapped.
    REQUIRE(zsock_sendto(rx4, "r", 1, 0, sa(&from), flen) == 1);
    zsock_pollfd p6{tx6, POLLIN, 0};
    REQUIRE(zsock_poll(&p6, 1, 2000) == 1);
    sockaddr_in6 from6{};
    flen = sizeof from6;
    REQUIRE(zsock_recvfrom(tx6, &b, 1, 0, sa(&from6), &flen) == 1);
    CHECK(text6(from6.sin6_addr) == "::ffff:127.0.0.1");
}

TEST_CASE("IPv6: V6ONLY cannot change once the socket is bound") {
    fd_guard s(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    sockaddr_in6 a = loopback6();
    REQUIRE(zsock_bind(s, sa(&a), sizeof a) == 0);
    int on = 1;
    errno = 0;
    CHECK(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == -1);
    CHECK(errno == EINVAL);
}
