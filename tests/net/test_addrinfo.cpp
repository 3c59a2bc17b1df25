// getaddrinfo, getnameinfo, gai_strerror and gethostname against glibc, on tables of inputs that
// stay on this machine (numeric hosts, "localhost" and other /etc/hosts names, services from
// /etc/services): every return code, every result field, every output byte must be glibc's.
#include <catch2/catch.hpp>

#include <cstring>
#include <netdb.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

struct gai_case {
    const char *host;
    const char *service;
    bool with_hints;
    int flags, family, socktype, protocol;
};

/// The result list as text: one line per entry with every field and the address bytes.
template <class AI>
std::string describe(const AI *ai) {
    std::ostringstream o;
    for (; ai; ai = ai->ai_next) {
        o << ai->ai_flags << ' ' << ai->ai_family << ' ' << ai->ai_socktype << ' '
          << ai->ai_protocol << ' ' << ai->ai_addrlen << " [";
        const auto *b = reinterpret_cast<const unsigned char *>(ai->ai_addr);
        for (socklen_t i = 0; b && i < ai->ai_addrlen; ++i)
            o << int(b[i]) << ',';
        o << "] " << (ai->ai_canonname ? ai->ai_canonname : "-") << '\n';
    }
    return o.str();
}

void same_getaddrinfo(const gai_case &c) {
    INFO("getaddrinfo(" << (c.host ? c.host : "NULL") << ", " << (c.service ? c.service : "NULL")
                        << ", flags " << c.flags << " family " << c.family << " socktype "
                        << c.socktype << " proto " << c.protocol << ")");
    addrinfo gh{};
    gh.ai_flags = c.flags;
    gh.ai_family = c.family;
    gh.ai_socktype = c.socktype;
    gh.ai_protocol = c.protocol;
    zsock_addrinfo zh{};
    zh.ai_flags = c.flags;
    zh.ai_family = c.family;
    zh.ai_socktype = c.socktype;
    zh.ai_protocol = c.protocol;
    addrinfo *gres = nullptr;
    zsock_addrinfo *zres = nullptr;
    int gr = ::getaddrinfo(c.host, c.service, c.with_hints ? &gh : nullptr, &gres);
    int zr = zsock_getaddrinfo(c.host, c.service, c.with_hints ? &zh : nullptr, &zres);
    CHECK(zr == gr);
    CHECK(std::string(zsock_gai_strerror(zr)) == ::gai_strerror(gr));
    CHECK(describe(zres) == describe(gres));
    if (gres) ::freeaddrinfo(gres);
    zsock_freeaddrinfo(zres);
}

void same_getnameinfo(const sockaddr *addr, socklen_t len, socklen_t hostlen, socklen_t servlen,
                      int flags) {
    char gh[NI_MAXHOST], gs[NI_MAXSERV], zh[NI_MAXHOST], zs[NI_MAXSERV];
    std::memset(gh, 'x', sizeof gh);
    std::memset(gs, 'x', sizeof gs);
    std::memset(zh, 'x', sizeof zh);
    std::memset(zs, 'x', sizeof zs);
    int gr = ::getnameinfo(addr, len, hostlen ? gh : nullptr, hostlen, servlen ? gs : nullptr,
                           servlen, flags);
    int zr = zsock_getnameinfo(addr, len, hostlen ? zh : nullptr, hostlen, servlen ? zs : nullptr,
                               servlen, flags);
    INFO("getnameinfo family " << addr->sa_family << " len " << len << " hostlen " << hostlen
                               << " servlen " << servlen << " flags " << flags << ": glibc " << gr
                               << " " << (gr == 0 && hostlen ? gh : ""));
    CHECK(zr == gr);
    CHECK(std::memcmp(gh, zh, sizeof gh) == 0);
    CHECK(std::memcmp(gs, zs, sizeof gs) == 0);
}

} // namespace

TEST_CASE("getaddrinfo against glibc") {
    const gai_case cases[] = {
        {"localhost", "80", true, 0, AF_UNSPEC, SOCK_STREAM, 0},
        {"localhost", "80", true, 0, AF_INET, 0, 0},
        {"localhost", nullptr, true, AI_CANONNAME, AF_INET, SOCK_DGRAM, 0},
        {"127.0.0.1", "http", true, 0, AF_UNSPEC, 0, 0},
        {"127.0.0.1", "domain", true, 0, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
        {"127.0.0.1", "80", false, 0, 0, 0, 0},
        {nullptr, "8080", true, AI_PASSIVE, AF_UNSPEC, SOCK_STREAM, 0},
        {nullptr, "8080", true, AI_PASSIVE, AF_INET6, SOCK_DGRAM, 0},
        {nullptr, "8080", true, 0, AF_INET, SOCK_STREAM, 0},
        {nullptr, nullptr, true, 0, AF_UNSPEC, 0, 0},
        {"::1", "0", true, AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0},
        {"::ffff:127.0.0.1", "22", true, AI_NUMERICHOST, AF_INET6, 0, 0},
        {"not a host", "80", true, AI_NUMERICHOST, AF_UNSPEC, 0, 0},
        {"1.2.3.4.5", "80", true, AI_NUMERICHOST, AF_INET, 0, 0},
        {"127.0.0.1", "no-such-service-zsock", true, 0, AF_INET, SOCK_STREAM, 0},
        {"127.0.0.1", "http", true, AI_NUMERICSERV, AF_INET, SOCK_STREAM, 0},
        {"127.0.0.1", "99999", true, 0, AF_INET, SOCK_STREAM, 0},
        {"127.0.0.1", "-1", true, 0, AF_INET, SOCK_STREAM, 0},
        {"127.0.0.1", "80", true, 0, 4242, 0, 0},
        {"127.0.0.1", "80", true, 0, AF_INET, 99, 0},
        {"127.0.0.1", "80", true, 0, AF_INET, SOCK_STREAM, IPPROTO_UDP},
        {"127.0.0.1", "80", true, 0x10000, AF_INET, 0, 0},
        {nullptr, "80", true, AI_CANONNAME, AF_INET, 0, 0},
        {"1.2.3.4", "80", true, AI_V4MAPPED, AF_INET6, SOCK_STREAM, 0},
        {"1.2.3.4", "80", true, AI_NUMERICHOST, AF_INET6, SOCK_STREAM, 0},
        {"127.0.0.1", "80", true, AI_ADDRCONFIG | AI_NUMERICHOST, AF_UNSPEC, SOCK_STREAM, 0},
        {"127.1", "80", true, 0, AF_INET, SOCK_STREAM, 0},
        {"0x7f.1", "80", true, 0, AF_INET, SOCK_STREAM, 0},
        {"", "80", true, AI_NUMERICHOST, AF_UNSPEC, 0, 0},
    };
    for (const auto &c : cases)
        same_getaddrinfo(c);
}

TEST_CASE("getnameinfo against glibc") {
    sockaddr_in v4 = loopback4(80);
    sockaddr_in6 v6 = loopback6(443);
    sockaddr_in6 mapped = loopback6(53);
    REQUIRE(zsock_inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr) == 1);
    sockaddr_in other = loopback4(12345);
    other.sin_addr.s_addr = htonl(0x0a010203); // 10.1.2.3: numeric only, no DNS from a test
    const int numeric = NI_NUMERICHOST | NI_NUMERICSERV;
    // Name lookups only for 127.0.0.1, which /etc/hosts answers: no DNS query leaves a test.
    struct {
        const sockaddr *a;
        socklen_t len;
        bool names;
    } addrs[] = {{sa(&v4), sizeof v4, true},
                 {sa(&v6), sizeof v6, false},
                 {sa(&mapped), sizeof mapped, true}};
    for (const auto &a : addrs) {
        for (int flags :
             {0, numeric, NI_NUMERICHOST, NI_NUMERICSERV | NI_DGRAM, NI_NOFQDN, NI_NAMEREQD}) {
            if (!a.names && !(flags & NI_NUMERICHOST)) continue;
            same_getnameinfo(a.a, a.len, NI_MAXHOST, NI_MAXSERV, flags);
        }
        same_getnameinfo(a.a, a.len, 3, NI_MAXSERV, numeric);              // EAI_OVERFLOW
        same_getnameinfo(a.a, a.len, NI_MAXHOST, 2, numeric);              // EAI_OVERFLOW
        same_getnameinfo(a.a, a.len, 0, NI_MAXSERV, numeric);              // no host wanted
        same_getnameinfo(a.a, a.len, NI_MAXHOST, 0, numeric);              // no service wanted
        same_getnameinfo(a.a, a.len - 1, NI_MAXHOST, NI_MAXSERV, numeric); // EAI_FAMILY
    }
    same_getnameinfo(sa(&other), sizeof other, NI_MAXHOST, NI_MAXSERV, numeric);
    sockaddr bad{};
    bad.sa_family = 4242;
    same_getnameinfo(&bad, sizeof bad, NI_MAXHOST, NI_MAXSERV, numeric);
    same_getnameinfo(sa(&v4), sizeof v4, NI_MAXHOST, NI_MAXSERV, 0x40000); // unknown flag
}

TEST_CASE("gai_strerror against glibc, known and unknown codes") {
    for (int code = -120; code <= 5; ++code) {
        INFO("code " << code);
        CHECK(std::string(zsock_gai_strerror(code)) == ::gai_strerror(code));
    }
    CHECK(std::string(zsock_gai_strerror(12345)) == ::gai_strerror(12345));
    CHECK(DNS_EAI_NONAME == EAI_NONAME);
    CHECK(DNS_EAI_SYSTEM == EAI_SYSTEM);
}

TEST_CASE("freeaddrinfo(NULL) is harmless") {
    zsock_freeaddrinfo(nullptr);
    SUCCEED();
}

TEST_CASE("gethostname against glibc, buffer sizes from ample to none") {
    char name[256];
    REQUIRE(::gethostname(name, sizeof name) == 0);
    const size_t n = std::strlen(name);
    for (size_t len : {sizeof name, n + 2, n + 1, n, n - 1 + (n == 0), size_t{1}, size_t{0}}) {
        INFO("len " << len);
        char g[256], z[256];
        std::memset(g, 'x', sizeof g);
        std::memset(z, 'x', sizeof z);
        errno = 0;
        int gr = ::gethostname(g, len);
        int ge = errno;
        errno = 0;
        int zr = zsock_gethostname(z, len);
        int ze = errno;
        CHECK(zr == gr);
        if (gr < 0) CHECK(errno_name(ze) == errno_name(ge));
        CHECK(std::memcmp(g, z, sizeof g) == 0);
    }
}

TEST_CASE("AI_EXTFLAGS and EAI_NODATA: the spec's extra names, with glibc's answers") {
    // glibc knows no RFC 5014 extended flags: AI_EXTFLAGS is EAI_BADFLAGS there, and so here.
    same_getaddrinfo({"127.0.0.1", "80", true, ZSOCK_AI_EXTFLAGS, AF_INET, SOCK_STREAM, 0});
    same_getaddrinfo({"::1", "80", true, ZSOCK_AI_EXTFLAGS | AI_NUMERICHOST, AF_INET6, 0, 0});
    zsock_addrinfo h{};
    h.ai_flags = ZSOCK_AI_EXTFLAGS;
    zsock_addrinfo *res = nullptr;
    CHECK(zsock_getaddrinfo("127.0.0.1", "80", &h, &res) == DNS_EAI_BADFLAGS);
    CHECK(res == nullptr);
    // EAI_NODATA is glibc's code and message.
    CHECK(DNS_EAI_NODATA == EAI_NODATA);
    CHECK(std::string(zsock_gai_strerror(DNS_EAI_NODATA)) == ::gai_strerror(EAI_NODATA));
}
