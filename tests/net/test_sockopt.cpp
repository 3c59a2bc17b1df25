// Socket options: SOL_SOCKET, IPPROTO_TCP (keepalive tuning included), IPPROTO_IP and
// IPPROTO_IPV6 with multicast membership, unknown options and bad lengths.
//
// One table runs every option through the kernel and through zsock (set, then get: results,
// errno, values, lengths must match); the behaviour tests then check what the options do:
// receive and send timeouts expire with EAGAIN, SO_REUSEADDR/SO_REUSEPORT change what bind
// allows, multicast membership delivers datagrams over lo. ZSOCK_PRINT_OPTION_TABLE=1 prints
// the table's outcome (the README's status rows).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <net/if.h>
#include <netinet/tcp.h>
#include <thread>
#include <vector>

#include "support/differential.hpp"

// After glibc's <netinet/in.h> (through the line above), so that <linux/in6.h> leaves glibc's
// structures alone and adds only its constants.
#include <linux/in6.h>
#include <linux/net_tstamp.h>

using namespace zsock_test;

// The spec's constants that glibc's socket headers do not carry: Linux's values where Linux has
// the name (the generated check in tests/api sees only what glibc's headers define).
static_assert(ZSOCK_SO_TXTIME == SO_TXTIME && ZSOCK_SCM_TXTIME == SCM_TXTIME);
static_assert(ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE == SOF_TIMESTAMPING_TX_HARDWARE);
static_assert(ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE == SOF_TIMESTAMPING_RX_HARDWARE);
static_assert(ZSOCK_IPV6_ADDR_PREFERENCES == IPV6_ADDR_PREFERENCES);
static_assert(ZSOCK_IPV6_PREFER_SRC_TMP == IPV6_PREFER_SRC_TMP);
static_assert(ZSOCK_IPV6_PREFER_SRC_PUBLIC == IPV6_PREFER_SRC_PUBLIC);
static_assert(ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT == IPV6_PREFER_SRC_PUBTMP_DEFAULT);
static_assert(ZSOCK_IPV6_PREFER_SRC_COA == IPV6_PREFER_SRC_COA);
static_assert(ZSOCK_IPV6_PREFER_SRC_HOME == IPV6_PREFER_SRC_HOME);
static_assert(ZSOCK_IPV6_PREFER_SRC_CGA == IPV6_PREFER_SRC_CGA);
static_assert(ZSOCK_IPV6_PREFER_SRC_NONCGA == IPV6_PREFER_SRC_NONCGA);
// Zephyr's SO_SOCKS5 (60) is Linux's SO_ZEROCOPY: zsock's number must not be any Linux option.
static_assert(ZSOCK_SO_SOCKS5 != SO_ZEROCOPY && ZSOCK_SO_SOCKS5 > 0xffff);

namespace {

struct opt_case {
    const char *name;
    int domain, type, level, optname;
    std::vector<unsigned char> value; // what setsockopt gets; empty: get only
};

template <class T>
std::vector<unsigned char> bytes(const T &v) {
    const auto *p = reinterpret_cast<const unsigned char *>(&v);
    return {p, p + sizeof v};
}

std::vector<unsigned char> int_v(int v) {
    return bytes(v);
}

ip_mreqn mreq4(const char *group) {
    ip_mreqn m{};
    zsock_inet_pton(AF_INET, group, &m.imr_multiaddr);
    m.imr_address.s_addr = htonl(INADDR_LOOPBACK);
    m.imr_ifindex = static_cast<int>(if_nametoindex("lo"));
    return m;
}

ipv6_mreq mreq6(const char *group) {
    ipv6_mreq m{};
    zsock_inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr);
    m.ipv6mr_interface = if_nametoindex("lo");
    return m;
}

std::vector<opt_case> option_table() {
    const int S = SOCK_STREAM, D = SOCK_DGRAM;
    return {
        {"SO_REUSEADDR", AF_INET, S, SOL_SOCKET, SO_REUSEADDR, int_v(1)},
        {"SO_REUSEPORT", AF_INET, S, SOL_SOCKET, SO_REUSEPORT, int_v(1)},
        {"SO_TYPE", AF_INET, D, SOL_SOCKET, SO_TYPE, {}},
        {"SO_TYPE (set: read-only)", AF_INET, D, SOL_SOCKET, SO_TYPE, int_v(1)},
        {"SO_ERROR", AF_INET, S, SOL_SOCKET, SO_ERROR, {}},
        {"SO_SNDBUF", AF_INET, S, SOL_SOCKET, SO_SNDBUF, int_v(65536)},
        {"SO_RCVBUF", AF_INET, D, SOL_SOCKET, SO_RCVBUF, int_v(65536)},
        {"SO_RCVBUF (tiny, clamped)", AF_INET, D, SOL_SOCKET, SO_RCVBUF, int_v(1)},
        {"SO_KEEPALIVE", AF_INET, S, SOL_SOCKET, SO_KEEPALIVE, int_v(1)},
        {"SO_LINGER", AF_INET, S, SOL_SOCKET, SO_LINGER, bytes(linger{1, 5})},
        {"SO_RCVTIMEO", AF_INET, S, SOL_SOCKET, SO_RCVTIMEO, bytes(timeval{1, 500000})},
        {"SO_SNDTIMEO", AF_INET, S, SOL_SOCKET, SO_SNDTIMEO, bytes(timeval{0, 250000})},
        {"SO_RCVTIMEO (tv_usec out of range)", AF_INET, S, SOL_SOCKET, SO_RCVTIMEO,
         bytes(timeval{0, 1000000})},
        {"SO_PROTOCOL", AF_INET6, D, SOL_SOCKET, SO_PROTOCOL, {}},
        {"SO_DOMAIN", AF_INET6, S, SOL_SOCKET, SO_DOMAIN, {}},
        {"SO_ACCEPTCONN", AF_INET, S, SOL_SOCKET, SO_ACCEPTCONN, {}},
        {"SO_BROADCAST", AF_INET, D, SOL_SOCKET, SO_BROADCAST, int_v(1)},
        {"SO_DONTROUTE", AF_INET, D, SOL_SOCKET, SO_DONTROUTE, int_v(1)},
        {"SO_OOBINLINE", AF_INET, S, SOL_SOCKET, SO_OOBINLINE, int_v(1)},
        {"SO_PRIORITY", AF_INET, S, SOL_SOCKET, SO_PRIORITY, int_v(3)},
        {"SO_RCVLOWAT", AF_INET, S, SOL_SOCKET, SO_RCVLOWAT, int_v(4)},
        {"SO_SNDLOWAT (Linux: not changeable)", AF_INET, S, SOL_SOCKET, SO_SNDLOWAT, int_v(4)},
        {"SO_BINDTODEVICE", AF_INET, D, SOL_SOCKET, SO_BINDTODEVICE, {'l', 'o', 0}},
        {"SO_BINDTODEVICE (no such device)",
         AF_INET,
         D,
         SOL_SOCKET,
         SO_BINDTODEVICE,
         {'z', 's', 'o', 'c', 'k', '9', 0}},
        {"SO_TIMESTAMPING", AF_INET, D, SOL_SOCKET, SO_TIMESTAMPING, int_v(0)},
        {"SO_TIMESTAMPING RX/TX_HARDWARE", AF_INET, D, SOL_SOCKET, SO_TIMESTAMPING,
         int_v(ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE | ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE)},
        {"SO_DEBUG", AF_INET, S, SOL_SOCKET, ZSOCK_SO_DEBUG, int_v(1)},
        {"SO_TXTIME (CLOCK_MONOTONIC)", AF_INET, D, SOL_SOCKET, ZSOCK_SO_TXTIME,
         bytes(sock_txtime{CLOCK_MONOTONIC, 0})},
        {"SO_TXTIME (CLOCK_TAI, deadline mode)", AF_INET, D, SOL_SOCKET, ZSOCK_SO_TXTIME,
         bytes(sock_txtime{CLOCK_TAI, SOF_TXTIME_DEADLINE_MODE})},
        {"SO_TXTIME (unknown flag)", AF_INET, D, SOL_SOCKET, ZSOCK_SO_TXTIME,
         bytes(sock_txtime{CLOCK_MONOTONIC, 0x80000000u})},
        {"SO_TXTIME (an int, as Zephyr takes it)", AF_INET, D, SOL_SOCKET, ZSOCK_SO_TXTIME,
         int_v(1)},
        {"SO_SOCKS5 (not provided)", AF_INET, S, SOL_SOCKET, ZSOCK_SO_SOCKS5, int_v(1)},
        {"SOL_SOCKET unknown option", AF_INET, S, SOL_SOCKET, 7777, int_v(1)},
        {"TCP_NODELAY", AF_INET, S, IPPROTO_TCP, TCP_NODELAY, int_v(1)},
        {"TCP_KEEPIDLE", AF_INET, S, IPPROTO_TCP, TCP_KEEPIDLE, int_v(30)},
        {"TCP_KEEPIDLE 0", AF_INET, S, IPPROTO_TCP, TCP_KEEPIDLE, int_v(0)},
        {"TCP_KEEPINTVL", AF_INET6, S, IPPROTO_TCP, TCP_KEEPINTVL, int_v(5)},
        {"TCP_KEEPINTVL 0", AF_INET6, S, IPPROTO_TCP, TCP_KEEPINTVL, int_v(0)},
        {"TCP_KEEPCNT", AF_INET, S, IPPROTO_TCP, TCP_KEEPCNT, int_v(3)},
        {"TCP_KEEPCNT 0", AF_INET, S, IPPROTO_TCP, TCP_KEEPCNT, int_v(0)},
        {"IPPROTO_TCP unknown option", AF_INET, S, IPPROTO_TCP, 7777, int_v(1)},
        {"IP_TOS", AF_INET, D, IPPROTO_IP, IP_TOS, int_v(0x10)},
        {"IP_TOS on TCP (ECN bits kept by the kernel)", AF_INET, S, IPPROTO_IP, IP_TOS,
         int_v(0x13)},
        {"IP_TTL", AF_INET, D, IPPROTO_IP, IP_TTL, int_v(7)},
        {"IP_TTL 0", AF_INET, D, IPPROTO_IP, IP_TTL, int_v(0)},
        {"IP_TTL 256", AF_INET, D, IPPROTO_IP, IP_TTL, int_v(256)},
        {"IP_TTL -1 (default)", AF_INET, D, IPPROTO_IP, IP_TTL, int_v(-1)},
        {"IP_PKTINFO", AF_INET, D, IPPROTO_IP, IP_PKTINFO, int_v(1)},
        {"IP_RECVTTL", AF_INET, D, IPPROTO_IP, IP_RECVTTL, int_v(1)},
        {"IP_MTU (unconnected)", AF_INET, D, IPPROTO_IP, IP_MTU, {}},
        {"IP_MULTICAST_IF", AF_INET, D, IPPROTO_IP, IP_MULTICAST_IF, bytes(mreq4("0.0.0.0"))},
        {"IP_MULTICAST_TTL", AF_INET, D, IPPROTO_IP, IP_MULTICAST_TTL, int_v(4)},
        {"IP_MULTICAST_TTL 300", AF_INET, D, IPPROTO_IP, IP_MULTICAST_TTL, int_v(300)},
        {"IP_MULTICAST_LOOP", AF_INET, D, IPPROTO_IP, IP_MULTICAST_LOOP, int_v(0)},
        {"IP_ADD_MEMBERSHIP 224.0.0.251 on lo", AF_INET, D, IPPROTO_IP, IP_ADD_MEMBERSHIP,
         bytes(mreq4("224.0.0.251"))},
        {"IP_ADD_MEMBERSHIP of a unicast address", AF_INET, D, IPPROTO_IP, IP_ADD_MEMBERSHIP,
         bytes(mreq4("10.0.0.1"))},
        {"IP_DROP_MEMBERSHIP not joined", AF_INET, D, IPPROTO_IP, IP_DROP_MEMBERSHIP,
         bytes(mreq4("224.0.0.252"))},
        {"IPPROTO_IP unknown option", AF_INET, D, IPPROTO_IP, 7777, int_v(1)},
        {"IPV6_V6ONLY", AF_INET6, S, IPPROTO_IPV6, IPV6_V6ONLY, int_v(1)},
        {"IPV6_UNICAST_HOPS", AF_INET6, D, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int_v(9)},
        {"IPV6_UNICAST_HOPS 256", AF_INET6, D, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int_v(256)},
        {"IPV6_MULTICAST_IF", AF_INET6, D, IPPROTO_IPV6, IPV6_MULTICAST_IF,
         int_v(static_cast<int>(if_nametoindex("lo")))},
        {"IPV6_MULTICAST_HOPS", AF_INET6, D, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int_v(5)},
        {"IPV6_MULTICAST_LOOP", AF_INET6, D, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int_v(0)},
        {"IPV6_MULTICAST_LOOP 2", AF_INET6, D, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int_v(2)},
        {"IPV6_ADD_MEMBERSHIP ff02::1:3 on lo", AF_INET6, D, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP,
         bytes(mreq6("ff02::1:3"))},
        {"IPV6_ADD_MEMBERSHIP of a unicast address", AF_INET6, D, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP,
         bytes(mreq6("::1"))},
        {"IPV6_DROP_MEMBERSHIP not joined", AF_INET6, D, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP,
         bytes(mreq6("ff02::1:4"))},
        {"IPV6_RECVPKTINFO", AF_INET6, D, IPPROTO_IPV6, IPV6_RECVPKTINFO, int_v(1)},
        {"IPV6_RECVHOPLIMIT", AF_INET6, D, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int_v(1)},
        {"IPV6_TCLASS", AF_INET6, D, IPPROTO_IPV6, IPV6_TCLASS, int_v(0x20)},
        {"IPV6_MTU (unconnected)", AF_INET6, D, IPPROTO_IPV6, IPV6_MTU, {}},
        {"IPV6_ADDR_PREFERENCES TMP", AF_INET6, D, IPPROTO_IPV6, ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_TMP)},
        {"IPV6_ADDR_PREFERENCES PUBLIC|CGA", AF_INET6, S, IPPROTO_IPV6, ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_PUBLIC | ZSOCK_IPV6_PREFER_SRC_CGA)},
        {"IPV6_ADDR_PREFERENCES HOME|NONCGA|PUBTMP_DEFAULT", AF_INET6, D, IPPROTO_IPV6,
         ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_HOME | ZSOCK_IPV6_PREFER_SRC_NONCGA |
               ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT)},
        {"IPV6_ADDR_PREFERENCES TMP|PUBLIC (conflict)", AF_INET6, D, IPPROTO_IPV6,
         ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_TMP | ZSOCK_IPV6_PREFER_SRC_PUBLIC)},
        {"IPV6_ADDR_PREFERENCES COA|HOME (conflict)", AF_INET6, D, IPPROTO_IPV6,
         ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_COA | ZSOCK_IPV6_PREFER_SRC_HOME)},
        {"IPV6_ADDR_PREFERENCES CGA|NONCGA (conflict)", AF_INET6, D, IPPROTO_IPV6,
         ZSOCK_IPV6_ADDR_PREFERENCES,
         int_v(ZSOCK_IPV6_PREFER_SRC_CGA | ZSOCK_IPV6_PREFER_SRC_NONCGA)},
        {"IPV6_ADDR_PREFERENCES on an IPv4 socket", AF_INET, D, IPPROTO_IPV6,
         ZSOCK_IPV6_ADDR_PREFERENCES, int_v(ZSOCK_IPV6_PREFER_SRC_TMP)},
        {"IPPROTO_IPV6 unknown option", AF_INET6, D, IPPROTO_IPV6, 7777, int_v(1)},
        {"IPV6_V6ONLY on an IPv4 socket", AF_INET, D, IPPROTO_IPV6, IPV6_V6ONLY, int_v(1)},
        {"TCP_NODELAY on UDP", AF_INET, D, IPPROTO_TCP, TCP_NODELAY, int_v(1)},
        {"SO_PASSCRED (AF_UNIX)", AF_UNIX, S, SOL_SOCKET, SO_PASSCRED, int_v(1)},
    };
}

/// set (if the case has a value), then get: records results, errnos, the value and its length.
void run_option(const api &a, recorder &r, const opt_case &c) {
    int s = static_cast<int>(r.fd("socket", a.socket(c.domain, c.type, 0)));
    if (s < 0) return;
    if (!c.value.empty()) {
        r("set", a.setsockopt(s, c.level, c.optname, c.value.data(),
                              static_cast<socklen_t>(c.value.size())));
        // A length one short of an int-sized option.
        if (c.value.size() == sizeof(int))
            r("set short", a.setsockopt(s, c.level, c.optname, c.value.data(), 3));
    }
    unsigned char out[64];
    std::memset(out, 0xcc, sizeof out);
    socklen_t len = sizeof out;
    r("get", a.getsockopt(s, c.level, c.optname, out, &len));
    r.value("len", len);
    long v = 0;
    std::memcpy(&v, out, sizeof v);
    r.value("value", v);
    len = 0;
    r("get into 0 bytes", a.getsockopt(s, c.level, c.optname, out, &len));
    a.close(s);
}

std::string outcome(const recorder &r, const char *step) {
    for (const auto &s : r.steps())
        if (s.what == step) return s.ret < 0 ? errno_name(s.err) : "ok";
    return "-";
}

} // namespace

TEST_CASE("socket options: every option through the kernel and through zsock") {
    const bool print = std::getenv("ZSOCK_PRINT_OPTION_TABLE") != nullptr;
    for (const opt_case &c : option_table()) {
        INFO(c.name);
        differential([&](const api &a, recorder &r) { run_option(a, r, c); });
        if (print) {
            recorder z;
            run_option(zsock_api, z, c);
            std::cout << "| " << c.name << " | set: " << (c.value.empty() ? "-" : outcome(z, "set"))
                      << " | get: " << outcome(z, "get") << " |\n";
        }
    }
}

TEST_CASE("SO_RCVTIMEO: recv and accept give up with EAGAIN after the timeout") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    zsock_timeval tv{0, 150000};
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    zsock_timeval got{};
    socklen_t len = sizeof got;
    REQUIRE(zsock_getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0);
    CHECK(got.tv_sec == 0);
    CHECK(got.tv_usec >= 150000); // rounded up to the kernel's tick
    CHECK(got.tv_usec < 170000);
    char b;
    auto t0 = clock::now();
    errno = 0;
    CHECK(zsock_recv(s, &b, 1, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(ms_since(t0) >= 140);
    // MSG_WAITALL returns the partial count when the timeout ends it.
    REQUIRE(zsock_send(c, "ab", 2, 0) == 2);
    char buf[8];
    CHECK(zsock_recv(s, buf, 8, MSG_WAITALL) == 2);

    listener l = listen_tcp4();
    REQUIRE(zsock_setsockopt(l.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    t0 = clock::now();
    errno = 0;
    CHECK(zsock_accept(l.fd, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
    CHECK(ms_since(t0) >= 140);
}

TEST_CASE("SO_SNDTIMEO: a send on a full buffer gives up with EAGAIN after the timeout") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int small = 4096;
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    std::vector<char> chunk(65536, 'x');
    for (int round = 0; round < 3; ++round) {
        while (zsock_send(c, chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    zsock_timeval tv{0, 150000};
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
    auto t0 = clock::now();
    errno = 0;
    CHECK(zsock_send(c, chunk.data(), chunk.size(), 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(ms_since(t0) >= 140);
}

TEST_CASE("SO_REUSEADDR lets a listener rebind its port while a connection is in TIME_WAIT") {
    // Linux wants SO_REUSEADDR on both sides: the old listener (whose accepted socket is the one
    // in TIME_WAIT, and inherits the flag) and the new one.
    int on = 1;
    fd_guard l(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
    sockaddr_in addr = loopback4();
    socklen_t len = sizeof addr;
    REQUIRE(zsock_bind(l, sa(&addr), sizeof addr) == 0);
    REQUIRE(zsock_listen(l, 1) == 0);
    REQUIRE(zsock_getsockname(l, sa(&addr), &len) == 0);
    {
        fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
        REQUIRE(zsock_connect(c, sa(&addr), sizeof addr) == 0);
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        s.reset(); // the server closes first: its end (on the listener's port) enters TIME_WAIT
        char b;
        REQUIRE(zsock_recv(c, &b, 1, 0) == 0);
    }
    l.reset();
    fd_guard plain(zsock_socket(AF_INET, SOCK_STREAM, 0));
    errno = 0;
    CHECK(zsock_bind(plain, sa(&addr), sizeof addr) == -1);
    CHECK(errno == EADDRINUSE);
    fd_guard reuse(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_setsockopt(reuse, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
    CHECK(zsock_bind(reuse, sa(&addr), sizeof addr) == 0);
    CHECK(zsock_listen(reuse, 1) == 0);
}

TEST_CASE("SO_REUSEPORT lets several sockets bind one port; others still get EADDRINUSE") {
    sockaddr_in addr = loopback4();
    int on = 1;
    fd_guard a(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0);
    REQUIRE(zsock_bind(a, sa(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(a, sa(&addr), &len) == 0);
    fd_guard b(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0);
    CHECK(zsock_bind(b, sa(&addr), sizeof addr) == 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    errno = 0;
    CHECK(zsock_bind(c, sa(&addr), sizeof addr) == -1);
    CHECK(errno == EADDRINUSE);
}

TEST_CASE("SO_ACCEPTCONN, SO_TYPE, SO_PROTOCOL, SO_DOMAIN describe the socket") {
    auto get = [](int fd, int name) {
        int v = -1;
        socklen_t len = sizeof v;
        return zsock_getsockopt(fd, SOL_SOCKET, name, &v, &len) == 0 ? v : -1;
    };
    fd_guard t(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    CHECK(get(t, SO_ACCEPTCONN) == 0);
    CHECK(get(t, SO_TYPE) == SOCK_STREAM);
    CHECK(get(t, SO_PROTOCOL) == IPPROTO_TCP);
    CHECK(get(t, SO_DOMAIN) == AF_INET6);
    REQUIRE(zsock_listen(t, 1) == 0);
    CHECK(get(t, SO_ACCEPTCONN) == 1);
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(get(u, SO_PROTOCOL) == IPPROTO_UDP);
    CHECK(get(u, SO_DOMAIN) == AF_INET);
    fd_guard x(zsock_socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK(get(x, SO_DOMAIN) == AF_UNIX);
}

TEST_CASE("TCP keepalive tuning reads back what was set") {
    fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int on = 1, idle = 17, intvl = 4, cnt = 6;
    REQUIRE(zsock_setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0);
    REQUIRE(zsock_setsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0);
    REQUIRE(zsock_setsockopt(t, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) == 0);
    REQUIRE(zsock_setsockopt(t, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) == 0);
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) == 0);
    CHECK(v == 17);
    REQUIRE(zsock_getsockopt(t, IPPROTO_TCP, TCP_KEEPINTVL, &v, &len) == 0);
    CHECK(v == 4);
    REQUIRE(zsock_getsockopt(t, IPPROTO_TCP, TCP_KEEPCNT, &v, &len) == 0);
    CHECK(v == 6);
    REQUIRE(zsock_getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0);
    CHECK(v == 1);
}

TEST_CASE("IP multicast: a member of 224.0.0.251 on lo receives; after a drop it does not") {
    sockaddr_in any{};
    any.sin_family = AF_INET;
    fd_guard rx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_bind(rx, sa(&any), sizeof any) == 0);
    socklen_t len = sizeof any;
    REQUIRE(zsock_getsockname(rx, sa(&any), &len) == 0);
    ip_mreqn m = mreq4("224.0.0.251");
    REQUIRE(zsock_setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0);
    errno = 0;
    CHECK(zsock_setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == -1);
    CHECK(errno == EADDRINUSE);

    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    in_addr lo{htonl(INADDR_LOOPBACK)};
    REQUIRE(zsock_setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo) == 0);
    unsigned char loop = 1, ttl = 1;
    REQUIRE(zsock_setsockopt(tx, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) == 0);
    REQUIRE(zsock_setsockopt(tx, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0);
    sockaddr_in group = loopback4(ntohs(any.sin_port));
    zsock_inet_pton(AF_INET, "224.0.0.251", &group.sin_addr);
    REQUIRE(zsock_sendto(tx, "mc", 2, 0, sa(&group), sizeof group) == 2);
    zsock_pollfd p{rx, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    char b[4];
    CHECK(zsock_recv(rx, b, sizeof b, 0) == 2);

    REQUIRE(zsock_setsockopt(rx, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m) == 0);
    errno = 0;
    CHECK(zsock_setsockopt(rx, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m) == -1);
    CHECK(errno == EADDRNOTAVAIL);
    REQUIRE(zsock_sendto(tx, "mc", 2, 0, sa(&group), sizeof group) == 2);
    CHECK(zsock_poll(&p, 1, 200) == 0);
}

TEST_CASE("IPv6 multicast membership on lo: join, join again, leave, leave again") {
    fd_guard s(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    ipv6_mreq m = mreq6("ff02::1:3");
    REQUIRE(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) == 0);
    errno = 0;
    CHECK(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) == -1);
    CHECK(errno == EADDRINUSE);
    CHECK(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &m, sizeof m) == 0);
    errno = 0;
    CHECK(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &m, sizeof m) == -1);
    CHECK(errno == EADDRNOTAVAIL);
    int hops = 3;
    REQUIRE(zsock_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) == 0);
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &v, &len) == 0);
    CHECK(v == 3);
    REQUIRE(zsock_getsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &len) == 0);
    CHECK(v == 64);
}

TEST_CASE("IP_PKTINFO and IP_RECVTTL deliver their control messages through recvmsg") {
    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    int on = 1;
    REQUIRE(zsock_setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0);
    REQUIRE(zsock_setsockopt(rx, IPPROTO_IP, IP_RECVTTL, &on, sizeof on) == 0);
    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    int ttl = 33;
    REQUIRE(zsock_setsockopt(tx, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0);
    REQUIRE(zsock_sendto(tx, "c", 1, 0, sa(&addr), sizeof addr) == 1);
    char b;
    iovec iov{&b, 1};
    alignas(cmsghdr) char ctl[256];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    zsock_pollfd p{rx, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    REQUIRE(zsock_recvmsg(rx, &m, 0) == 1);
    bool pktinfo = false;
    int got_ttl = -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo pi{};
            std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
            pktinfo = pi.ipi_addr.s_addr == htonl(INADDR_LOOPBACK);
        }
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            std::memcpy(&got_ttl, CMSG_DATA(c), sizeof got_ttl);
    }
    CHECK(pktinfo);
    CHECK(got_ttl == 33);
    // A control buffer that is too short: MSG_CTRUNC.
    REQUIRE(zsock_sendto(tx, "d", 1, 0, sa(&addr), sizeof addr) == 1);
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    m.msg_controllen = 4;
    m.msg_flags = 0;
    REQUIRE(zsock_recvmsg(rx, &m, 0) == 1);
    CHECK((m.msg_flags & MSG_CTRUNC) != 0);
}

TEST_CASE("SO_SOCKS5 and zsock_get_context_object: Zephyr-only, refused with a clear errno") {
    // zsock has no SOCKS5 client: every socket says ENOPROTOOPT, as the kernel does for an option
    // it does not know, and nothing is switched on (Zephyr's number, 60, is SO_ZEROCOPY here).
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
        fd_guard s(zsock_socket(AF_INET, type, 0));
        int on = 1;
        errno = 0;
        CHECK(zsock_setsockopt(s, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, sizeof on) == -1);
        CHECK(errno == ENOPROTOOPT);
        socklen_t len = sizeof on;
        errno = 0;
        CHECK(zsock_getsockopt(s, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, &len) == -1);
        CHECK(errno == ENOPROTOOPT);
        int zc = -1;
        len = sizeof zc;
        if (type == SOCK_STREAM && zsock_getsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &zc, &len) == 0)
            CHECK(zc == 0);
    }

    // There is no net_context to hand out; the errno says which case the caller is in.
    fd_guard s(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    errno = 0;
    CHECK(zsock_get_context_object(s) == nullptr);
    CHECK(errno == EOPNOTSUPP);
    int p[2];
    REQUIRE(::pipe(p) == 0);
    errno = 0;
    CHECK(zsock_get_context_object(p[0]) == nullptr);
    CHECK(errno == ENOTSOCK);
    ::close(p[0]);
    ::close(p[1]);
    errno = 0;
    CHECK(zsock_get_context_object(p[0]) == nullptr);
    CHECK(errno == EBADF);
    errno = 0;
    CHECK(zsock_get_context_object(-1) == nullptr);
    CHECK(errno == EBADF);
}

namespace {

/// A UDP socket made through `a` and connected to a loopback port (no listener needed).
int connected_udp(const api &a, recorder &r, int family) {
    int s = static_cast<int>(r.fd("socket", a.socket(family, SOCK_DGRAM, 0)));
    if (family == AF_INET) {
        sockaddr_in to = loopback4(9);
        r("connect", a.connect(s, sa(&to), sizeof to));
    } else {
        sockaddr_in6 to = loopback6(9);
        r("connect", a.connect(s, sa(&to), sizeof to));
    }
    return s;
}

/// getsockopt of an int option: result, value and length.
void get_int(const api &a, recorder &r, int s, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    r("get", a.getsockopt(s, level, name, &v, &len));
    r.value("value", v);
    r.value("len", len);
}

} // namespace

TEST_CASE("IP_MTU and IPV6_MTU on connected sockets: the path MTU, as the kernel gives it") {
    differential([](const api &a, recorder &r) {
        int u4 = connected_udp(a, r, AF_INET);
        get_int(a, r, u4, IPPROTO_IP, IP_MTU);
        get_int(a, r, u4, IPPROTO_IPV6, IPV6_MTU); // an IPv4 socket: the kernel's answer
        int mtu = 1280;
        r("set IP_MTU (read-only)", a.setsockopt(u4, IPPROTO_IP, IP_MTU, &mtu, sizeof mtu));
        a.close(u4);

        int u6 = connected_udp(a, r, AF_INET6);
        get_int(a, r, u6, IPPROTO_IPV6, IPV6_MTU);
        r("set IPV6_MTU", a.setsockopt(u6, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof mtu));
        get_int(a, r, u6, IPPROTO_IPV6, IPV6_MTU);
        a.close(u6);

        // A connected TCP socket has a path MTU too.
        int l = static_cast<int>(r.fd("listener", a.socket(AF_INET6, SOCK_STREAM, 0)));
        sockaddr_in6 addr = loopback6();
        socklen_t alen = sizeof addr;
        r("bind", a.bind(l, sa(&addr), sizeof addr));
        r("listen", a.listen(l, 1));
        r("getsockname", a.getsockname(l, sa(&addr), &alen));
        int c = static_cast<int>(r.fd("socket", a.socket(AF_INET6, SOCK_STREAM, 0)));
        get_int(a, r, c, IPPROTO_IPV6, IPV6_MTU); // not yet connected: ENOTCONN
        r("connect", a.connect(c, sa(&addr), sizeof addr));
        get_int(a, r, c, IPPROTO_IPV6, IPV6_MTU);
        a.close(c);
        a.close(l);
    });
    // And the value is loopback's MTU, not a stand-in (IPv4 caps a path MTU at 65535).
    fd_guard s(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in to = loopback4(9);
    REQUIRE(zsock_connect(s, sa(&to), sizeof to) == 0);
    int mtu = 0;
    socklen_t len = sizeof mtu;
    REQUIRE(zsock_getsockopt(s, IPPROTO_IP, IP_MTU, &mtu, &len) == 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    int q = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(::ioctl(q, SIOCGIFMTU, &ifr) == 0);
    ::close(q);
    CHECK(mtu == std::min(ifr.ifr_mtu, 0xffff));
}
