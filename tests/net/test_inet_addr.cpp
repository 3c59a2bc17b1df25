// zsock_inet_pton and zsock_inet_ntop against glibc's inet_pton and inet_ntop: a table of
// inputs (leading zeros, '::' forms, v4-mapped and v4-compatible addresses, embedded IPv4 tails,
// bad groups, buffer sizes down to ENOSPC, bad families) plus a seeded random sweep. Every
// return value, errno, output byte and output string must be glibc's.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <random>
#include <string>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

void same_pton(int family, const std::string &text) {
    INFO("inet_pton(" << family << ", \"" << text << "\")");
    unsigned char g[16], z[16];
    std::memset(g, 0xee, sizeof g);
    std::memset(z, 0xee, sizeof z);
    errno = 0;
    int gr = ::inet_pton(family, text.c_str(), g);
    int ge = errno;
    errno = 0;
    int zr = zsock_inet_pton(family, text.c_str(), z);
    int ze = errno;
    REQUIRE(zr == gr);
    if (gr < 0) CHECK(errno_name(ze) == errno_name(ge));
    CHECK(std::memcmp(g, z, sizeof g) == 0); // written on success, untouched on failure
}

void same_ntop(int family, const unsigned char *src, socklen_t size) {
    char g[64], z[64];
    std::memset(g, 'G', sizeof g);
    std::memset(z, 'G', sizeof z);
    errno = 0;
    const char *gr = ::inet_ntop(family, src, g, size);
    int ge = errno;
    errno = 0;
    const char *zr = zsock_inet_ntop(family, src, z, size);
    int ze = errno;
    INFO("inet_ntop(" << family << ", size " << size << ") glibc: " << (gr ? g : "NULL"));
    REQUIRE((zr == nullptr) == (gr == nullptr));
    if (gr) {
        CHECK(zr == z);
        CHECK(std::string(z) == std::string(g));
    } else {
        CHECK(errno_name(ze) == errno_name(ge));
    }
}

/// ntop of `addr` with every interesting buffer size: 0, exactly too short, exactly enough, big.
void same_ntop_all_sizes(int family, const unsigned char *addr) {
    char full[64];
    const char *s = ::inet_ntop(family, addr, full, sizeof full);
    REQUIRE(s != nullptr);
    const socklen_t need = static_cast<socklen_t>(std::strlen(full) + 1);
    for (socklen_t size : {socklen_t{0}, socklen_t{1}, need - 1, need, socklen_t{64}})
        same_ntop(family, addr, size);
}

} // namespace

TEST_CASE("inet_pton IPv4 against glibc") {
    const char *cases[] = {
        "1.2.3.4",
        "0.0.0.0",
        "255.255.255.255",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.02.3.4",
        "1.2.3.04",
        "00.0.0.0",
        "0.0.0.00",
        "0x1.2.3.4",
        "1..2.3",
        ".1.2.3",
        "1.2.3.",
        "",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3.-4",
        "127.1",
        "1.2.3.4\n",
        "999.1.1.1",
        "1.2.3.4/24",
        "1.2.3.255",
        "1.2.3.256",
        "1.2.3.1000",
        "4294967295",
        "0",
        "a.b.c.d",
        "1.2.3.4:80",
        "::1",
        "::ffff:1.2.3.4",
        "10.0.0.1",
        "192.168.001.1",
        "1.2.3.0",
        "1.2.3.00",
    };
    for (const char *c : cases)
        same_pton(AF_INET, c);
}

TEST_CASE("inet_pton IPv6 against glibc") {
    const char *cases[] = {
        "::",
        "::1",
        "1::",
        "1::2",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::8",
        "1:2:3:4::5:6:7:8",
        "1::2::3",
        ":1::2",
        "1:::2",
        ":::",
        ":",
        "1:",
        ":1",
        "1:2:3:4:5:6:7:8:",
        "::ffff:1.2.3.4",
        "::ffff:01.2.3.4",
        "::ffff:1.2.3",
        "::ffff:1.2.3.4.5",
        "::ffff:1.2.3.4:5",
        "::ffff:256.1.1.1",
        "::1.2.3.4",
        "::0.0.0.0",
        "::ffff:255.255.255.255",
        "1:2:3:4:5:6:1.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4",
        "1:2:3:4:5::1.2.3.4",
        "1.2.3.4::",
        "::1.2.3.4:1",
        "::a.2.3.4",
        "::12345.1.1.1",
        "12345::1",
        "0001:0002::",
        "00001::",
        "FFFF::",
        "fFfF::aBc",
        "g::1",
        "fe80::1%eth0",
        "[::1]",
        "::ffff",
        "ffff::ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8::ff00:42:8329",
        "2001:0db8:0000:0000:0000:ff00:0042:8329",
        "",
        " ::1",
        "::1 ",
        "1:2:3:4:5:6:7:8:1.2.3.4",
        "::1.2.3.4.",
    };
    for (const char *c : cases)
        same_pton(AF_INET6, c);
}

TEST_CASE("inet_pton: a seeded random sweep of both families against glibc") {
    std::mt19937 rng(20261121);
    const char alphabet[] = "0123456789abcdefABCDEF:.:.:0001";
    for (int i = 0; i < 20000; ++i) {
        std::string s;
        const int len = static_cast<int>(rng() % 46);
        for (int k = 0; k < len; ++k)
            s += alphabet[rng() % (sizeof alphabet - 1)];
        same_pton(AF_INET6, s);
        same_pton(AF_INET, s);
    }
}

TEST_CASE("inet_ntop IPv4 against glibc, every buffer size") {
    const unsigned char cases[][4] = {
        {0, 0, 0, 0}, {127, 0, 0, 1}, {255, 255, 255, 255}, {1, 22, 123, 4}, {10, 0, 100, 200},
    };
    for (const auto &c : cases)
        same_ntop_all_sizes(AF_INET, c);
}

TEST_CASE("inet_ntop IPv6 against glibc, every buffer size") {
    auto v6 = [](std::initializer_list<unsigned> words) {
        std::array<unsigned char, 16> a{};
        int i = 0;
        for (unsigned w : words) {
            a[2 * i] = static_cast<unsigned char>(w >> 8);
            a[2 * i + 1] = static_cast<unsigned char>(w);
            ++i;
        }
        return a;
    };
    const std::array<unsigned char, 16> cases[] = {
        v6({0, 0, 0, 0, 0, 0, 0, 0}),
        v6({0, 0, 0, 0, 0, 0, 0, 1}),
        v6({1, 0, 0, 0, 0, 0, 0, 0}),
        v6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304}), // v4-mapped
        v6({0, 0, 0, 0, 0, 0, 0x0102, 0x0304}),      // v4-compatible
        v6({0, 0, 0, 0, 0, 0xffff, 0, 0}),           // ::ffff:0.0.0.0
        v6({0, 0, 0, 0, 0, 0xfffe, 0x0102, 0x0304}), // not mapped
        v6({0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304}), // not mapped either
        v6({1, 0, 0, 2, 0, 0, 0, 3}),                // the longest run wins
        v6({1, 0, 0, 2, 0, 0, 3, 4}),                // a tie: the leftmost
        v6({1, 0, 2, 3, 4, 5, 6, 7}),                // one zero group: not compressed
        v6({0, 0, 1, 0, 0, 0, 0, 0}),
        v6({0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329}),
        v6({0xfe80, 0, 0, 0, 0x1234, 0x5678, 0x9abc, 0xdef0}),
        v6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff}),
        v6({0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff}),
        v6({0, 0, 0, 0, 0, 0, 0, 0xffff}), // ::0.0.255.255 (compatible form)
        v6({0, 0, 0, 0, 0, 0, 1, 0}),
    };
    for (const auto &c : cases)
        same_ntop_all_sizes(AF_INET6, c.data());

    // Random addresses with random zero groups.
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; ++i) {
        std::array<unsigned char, 16> a{};
        for (int w = 0; w < 8; ++w) {
            if (rng() % 2) continue; // a zero group
            unsigned v = rng() % 3 ? rng() & 0xffff : (rng() % 2 ? 0xffff : 1);
            a[2 * w] = static_cast<unsigned char>(v >> 8);
            a[2 * w + 1] = static_cast<unsigned char>(v);
        }
        same_ntop(AF_INET6, a.data(), 64);
        same_ntop(AF_INET6, a.data(), 10);
    }
}

TEST_CASE("inet_pton/inet_ntop: bad families are EAFNOSUPPORT, as in glibc") {
    unsigned char buf[16] = {};
    for (int family : {AF_UNSPEC, AF_UNIX, 4242, -1}) {
        same_pton(family, "1.2.3.4");
        same_ntop(family, buf, 64);
    }
}

TEST_CASE("inet_pton/inet_ntop round trip") {
    const char *texts[] = {"::ffff:10.1.2.3", "2001:db8::1", "::", "fe80::abcd:1",
                           "1:2:3:4:5:6:7:8"};
    for (const char *t : texts) {
        unsigned char a[16];
        REQUIRE(zsock_inet_pton(AF_INET6, t, a) == 1);
        char back[INET6_ADDRSTRLEN];
        REQUIRE(zsock_inet_ntop(AF_INET6, a, back, sizeof back) == back);
        CHECK(std::string(back) == t);
    }
}
