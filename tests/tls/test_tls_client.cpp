// zsock TLS 1.2 client against `openssl s_server`: credentials in PEM and DER, verification
// failures with their errno and TLS_CERT_VERIFY_RESULT, PSK, ALPN, session resumption, a 16 MiB
// transfer each way, close_notify, SNI, and the options a connected client reports.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <zsock/posix.h>

#include "support/zsock_test.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using zsock_test::fd_guard;

namespace {

std::vector<std::string> server_cert_args(const char *cert = "server.pem",
                                          const char *key = "server.key") {
    const pki &p = the_pki();
    return {"-cert", p.path(cert), "-key", p.path(key)};
}

template <class... T>
std::vector<std::string> cat(std::vector<std::string> a, T &&...more) {
    (a.insert(a.end(), more.begin(), more.end()), ...);
    return a;
}

uint32_t verify_result(int fd) {
    uint32_t flags = 0xffffffff;
    socklen_t len = sizeof flags;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len) == 0);
    return flags;
}

// A client whose connect fails: returns errno, and the verify flags through *flags.
int failing_connect(uint16_t port, std::vector<sec_tag_t> tags, const char *host, uint32_t *flags) {
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                             tags.size() * sizeof(sec_tag_t)) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, host, strlen(host) + 1) == 0);
    sockaddr_in a = zsock_test::loopback4(port);
    if (zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) return 0;
    int e = errno;
    *flags = verify_result(fd);
    return e;
}

} // namespace

TEST_CASE("client: PEM credentials, data both ways, and what the session reports") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-rev"}));
    fd_guard fd(tls_client(srv.port, {tag_ca}));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "hello\n"));
    CHECK(recv_n(fd, 6) == "olleh\n");

    CHECK(verify_result(fd) == 0);
    int suite = 0;
    socklen_t len = sizeof suite;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
    CHECK(suite != 0);
    int proto = 0;
    len = sizeof proto;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == IPPROTO_TLS_1_2);
    int type = 0;
    len = sizeof type;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_STREAM);
    sockaddr_in peer{};
    len = sizeof peer;
    REQUIRE(zsock_getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &len) == 0);
    CHECK(ntohs(peer.sin_port) == srv.port);
    // A connected socket answers connect() with EISCONN.
    sockaddr_in a = zsock_test::loopback4(srv.port);
    CHECK(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    CHECK(errno == EISCONN);
}

TEST_CASE("client: DER credentials") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-rev"}));
    fd_guard fd(tls_client(srv.port, {tag_ca_der}));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "der\n"));
    CHECK(recv_n(fd, 4) == "red\n");
}

TEST_CASE("client: a wrong hostname, an untrusted CA and an expired certificate are rejected") {
    add_standard_credentials();
    uint32_t flags = 0;
    SECTION("wrong hostname") {
        s_server srv(server_cert_args());
        CHECK(failing_connect(srv.port, {tag_ca}, "not-localhost.example", &flags) == ECONNABORTED);
        CHECK((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0);
    }
    SECTION("untrusted CA") {
        s_server srv(server_cert_args("rogue.pem", "rogue.key"));
        CHECK(failing_connect(srv.port, {tag_ca}, "localhost", &flags) == ECONNABORTED);
        CHECK((flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0);
    }
    SECTION("expired") {
        s_server srv(server_cert_args("expired.pem", "expired.key"));
        CHECK(failing_connect(srv.port, {tag_ca}, "localhost", &flags) == ECONNABORTED);
        CHECK((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0);
    }
}

TEST_CASE("client: TLS_PEER_VERIFY and TLS_HOSTNAME rules") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-rev"}));
    sockaddr_in a = zsock_test::loopback4(srv.port);
    auto make = [&](std::vector<sec_tag_t> tags) {
        int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
        REQUIRE(fd >= 0);
        if (!tags.empty())
            REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                                     tags.size() * sizeof(sec_tag_t)) == 0);
        return fd;
    };
    auto connect_ok = [&](int fd) {
        return zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    };

    SECTION("OPTIONAL: a name mismatch is reported, not fatal") {
        fd_guard fd(make({tag_ca}));
        int v = TLS_PEER_VERIFY_OPTIONAL;
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &v, sizeof v) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "other.example", 14) == 0);
        REQUIRE(connect_ok(fd));
        CHECK((verify_result(fd) & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0);
    }
    SECTION("OPTIONAL with the right name: no flags") {
        fd_guard fd(make({tag_ca}));
        int v = TLS_PEER_VERIFY_OPTIONAL;
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &v, sizeof v) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        REQUIRE(connect_ok(fd));
        CHECK(verify_result(fd) == 0);
    }
    SECTION("NONE: no CA needed") {
        fd_guard fd(make({}));
        int v = TLS_PEER_VERIFY_NONE;
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &v, sizeof v) == 0);
        REQUIRE(connect_ok(fd));
        REQUIRE(send_all(fd, "x\n"));
        CHECK(recv_n(fd, 2) == "x\n");
    }
    SECTION("a client that never sets a hostname fails the name check (Zephyr)") {
        fd_guard fd(make({tag_ca}));
        CHECK_FALSE(connect_ok(fd));
        CHECK(errno == ECONNABORTED);
        CHECK((verify_result(fd) & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0);
    }
    SECTION("TLS_HOSTNAME NULL turns the name check off") {
        fd_guard fd(make({tag_ca}));
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, nullptr, 0) == 0);
        REQUIRE(connect_ok(fd));
        CHECK(verify_result(fd) == 0);
    }
    SECTION("the verify callback sees the chain and can reject it") {
        struct seen {
            int calls = 0;
            int reject = 0;
        } st;
        tls_cert_verify_cb cb{[](void *ctx, mbedtls_x509_crt *, int depth, uint32_t *) {
                                  auto *s = static_cast<seen *>(ctx);
                                  ++s->calls;
                                  return (s->reject && depth == 0) ? -1 : 0;
                              },
                              &st};
        fd_guard fd(make({tag_ca}));
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_CALLBACK, &cb, sizeof cb) == 0);
        REQUIRE(connect_ok(fd));
        CHECK(st.calls >= 2); // the CA and the server certificate
        fd.reset();           // s_server serves one connection at a time
        fd_guard fd2(make({tag_ca}));
        st.reject = 1;
        REQUIRE(zsock_setsockopt(fd2, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        REQUIRE(zsock_setsockopt(fd2, SOL_TLS, TLS_CERT_VERIFY_CALLBACK, &cb, sizeof cb) == 0);
        CHECK_FALSE(connect_ok(fd2));
        CHECK(errno == ECONNABORTED);
    }
}

TEST_CASE("client: PSK") {
    add_standard_credentials();
    s_server srv({"-nocert", "-psk", psk_hex, "-psk_identity", psk_identity, "-rev"});
    fd_guard fd(tls_client(srv.port, {tag_psk}, nullptr));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "psk\n"));
    CHECK(recv_n(fd, 4) == "ksp\n");
    int suite = 0;
    socklen_t len = sizeof suite;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
    const char *name = mbedtls_ssl_get_ciphersuite_name(suite);
    REQUIRE(name);
    CHECK(std::string(name).find("PSK") != std::string::npos);
}

TEST_CASE("client: a PSK the server does not know fails with ECONNABORTED") {
    add_standard_credentials();
    s_server srv(
        {"-nocert", "-psk", "ffffffffffffffffffffffffffffffff", "-psk_identity", psk_identity});
    CHECK(tls_client(srv.port, {tag_psk}, nullptr) == -ECONNABORTED);
}

TEST_CASE("client: ALPN, with the agreed protocol visible") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-alpn", "http/1.1", "-rev"}));
    int fd0 = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    REQUIRE(fd0 >= 0);
    fd_guard fd(fd0);
    std::string h2 = "h2", h11 = "http/1.1";
    const char *alpn[] = {h2.c_str(), h11.c_str()};
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_ALPN_LIST, alpn, sizeof alpn) == 0);
    h2.assign("XX"); // the strings were copied: changing ours changes nothing
    const char *got[4];
    socklen_t len = sizeof got;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_ALPN_LIST, got, &len) == 0);
    REQUIRE(len == 2 * sizeof(char *));
    CHECK(std::string(got[0]) == "h2");
    CHECK(std::string(got[1]) == "http/1.1");

    sec_tag_t tag = tag_ca;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    char used[32];
    len = sizeof used;
    CHECK(zsock_getsockopt(fd, SOL_TLS, ZSOCK_TLS_ALPN_USED, used, &len) == -1);
    CHECK(errno == ENOTCONN);
    sockaddr_in a = zsock_test::loopback4(srv.port);
    REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    len = sizeof used;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, ZSOCK_TLS_ALPN_USED, used, &len) == 0);
    CHECK(std::string(used) == "http/1.1");
    CHECK(len == 9);
}

TEST_CASE("client: session resumption, shown as reused on the second connect") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-www"}));
    int one = TLS_SESSION_CACHE_ENABLED;
    auto get_page = [&](int *reused) {
        int fd0 = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
        REQUIRE(fd0 >= 0);
        fd_guard fd(fd0);
        sec_tag_t tag = tag_ca;
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &one, sizeof one) == 0);
        sockaddr_in a = zsock_test::loopback4(srv.port);
        REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        socklen_t len = sizeof *reused;
        REQUIRE(zsock_getsockopt(fd, SOL_TLS, ZSOCK_TLS_SESSION_REUSED, reused, &len) == 0);
        REQUIRE(send_all(fd, "GET / HTTP/1.0\r\n\r\n"));
        return recv_all(fd);
    };
    fd_guard purger(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(zsock_setsockopt(purger, SOL_TLS, TLS_SESSION_CACHE_PURGE, &one, sizeof one) == 0);
    int reused = -1;
    std::string first = get_page(&reused);
    CHECK(first.find("New, TLSv1.2") != std::string::npos);
    CHECK(reused == 0);
    std::string second = get_page(&reused);
    CHECK(second.find("Reused, TLSv1.2") != std::string::npos);
    CHECK(reused == 1);
}

TEST_CASE("client: 16 MiB from s_server, checksummed") {
    add_standard_credentials();
    const size_t n = 16u << 20;
    std::string data = random_bytes(n, 7);
    // s_server sends its stdin to the client, then closes the connection at its end. stdin is a
    // pipe closed only once the client holds every byte and s_server has read the client's
    // "go": a close with that still unread would make its kernel reset the connection and drop
    // what it had not sent yet.
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-naccept", "1"}));
    stdin_feeder feeder(srv.proc, data);
    fd_guard fd(tls_client(srv.port, {tag_ca}));
    REQUIRE(fd >= 0);
    // s_server blocks reading the client after its first write: give it something to read.
    REQUIRE(send_all(fd, "go\n"));
    std::string got;
    char buf[16384];
    while (got.size() < n) {
        ssize_t r = zsock_recv(fd, buf, sizeof buf, 0);
        INFO("errno " << errno);
        REQUIRE(r > 0);
        got.append(buf, static_cast<size_t>(r));
    }
    feeder.join();
    REQUIRE(srv.proc.wait_output("go"));
    srv.proc.close_stdin();
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    CHECK(got.size() == n);
    CHECK(fnv1a(got) == fnv1a(data));
}

TEST_CASE("client: 16 MiB to s_server, checksummed") {
    add_standard_credentials();
    const size_t n = 16u << 20;
    std::string data = random_bytes(n, 8);
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-naccept", "1"}));
    {
        fd_guard fd(tls_client(srv.port, {tag_ca}));
        REQUIRE(fd >= 0);
        // Writes are capped at one record (16 KiB): send() returns short counts.
        ssize_t first = zsock_send(fd, data.data(), data.size(), 0);
        CHECK(first > 0);
        CHECK(first <= 16384);
        REQUIRE(send_all(fd, std::string_view(data).substr(static_cast<size_t>(first))));
    } // close sends close_notify; s_server then exits
    CHECK(srv.proc.wait_exit() == 0);
    std::string out = srv.proc.output();
    size_t at = out.find(data.substr(0, 64));
    REQUIRE(at != std::string::npos);
    REQUIRE(out.size() - at >= n);
    CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
}

TEST_CASE("client: close_notify gives 0 from recv, then send fails with ECONNABORTED") {
    add_standard_credentials();
    s_server srv(server_cert_args()); // stdin is a pipe: what we write there goes to the client
    fd_guard fd(tls_client(srv.port, {tag_ca}));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "ping\n"));
    REQUIRE(srv.proc.wait_output("ping"));
    srv.proc.write_stdin("pong\n");
    CHECK(recv_n(fd, 5) == "pong\n");
    srv.proc.write_stdin("Q\n"); // s_server: send close_notify and quit
    char buf[16];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    zsock_pollfd pfd{fd, POLLIN, 0};
    CHECK(zsock_poll(&pfd, 1, 1000) == 1);
    CHECK((pfd.revents & POLLHUP) != 0);
    CHECK((pfd.revents & POLLIN) != 0);
    CHECK(zsock_send(fd, "x", 1, 0) == -1);
    CHECK(errno == ECONNABORTED);
}

TEST_CASE("client: MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT and SO_RCVTIMEO") {
    add_standard_credentials();
    s_server srv(server_cert_args());
    fd_guard fd(tls_client(srv.port, {tag_ca}));
    REQUIRE(fd >= 0);
    char buf[64] = {};
    // Nothing there yet.
    CHECK(zsock_recv(fd, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    timeval tv{0, 200000};
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    timeval back{};
    socklen_t len = sizeof back;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0);
    CHECK(back.tv_usec == 200000);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));

    srv.proc.write_stdin("abcdef\n");
    // MSG_PEEK leaves the bytes in place, and poll still says readable afterwards.
    REQUIRE(zsock_poll(std::array<zsock_pollfd, 1>{{{fd, POLLIN, 0}}}.data(), 1, 2000) == 1);
    ssize_t n = zsock_recv(fd, buf, 3, MSG_PEEK);
    REQUIRE(n == 3);
    CHECK(std::string(buf, 3) == "abc");
    zsock_pollfd pfd{fd, POLLIN, 0};
    CHECK(zsock_poll(&pfd, 1, 0) == 1);
    CHECK(pfd.revents == POLLIN);
    CHECK(zsock_recv(fd, buf, 2, 0) == 2);
    CHECK(std::string(buf, 2) == "ab");
    // MSG_WAITALL gathers the rest across records: the second half arrives later.
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        srv.proc.write_stdin("ghij\n");
    });
    tv = {5, 0};
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    n = zsock_recv(fd, buf, 10, MSG_WAITALL);
    later.join();
    REQUIRE(n == 10);
    CHECK(std::string(buf, 10) == "cdef\nghij\n");
    // MSG_WAITALL stops at the timeout with what it has.
    tv = {0, 200000};
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    srv.proc.write_stdin("xy\n");
    n = zsock_recv(fd, buf, 10, MSG_WAITALL);
    CHECK(n == 3);
    // Unsupported flags.
    CHECK(zsock_recv(fd, buf, 1, MSG_OOB) == -1);
    CHECK(errno == EOPNOTSUPP);
}

TEST_CASE("client: a nonblocking handshake driven by zsock_poll") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-rev"}));
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    sec_tag_t tag = tag_ca;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    sockaddr_in a = zsock_test::loopback4(srv.port);
    REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    REQUIRE(errno == EINPROGRESS);
    CHECK(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    CHECK(errno == EALREADY);
    char buf[16];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
    CHECK(errno == EAGAIN); // the handshake is still running
    int suite = 0;
    socklen_t len = sizeof suite;
    CHECK(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == -1);
    CHECK(errno == ENOTCONN);

    int wakeups = 0;
    for (;;) {
        zsock_pollfd pfd{fd, POLLOUT, 0};
        REQUIRE(zsock_poll(&pfd, 1, 5000) == 1);
        ++wakeups;
        if (pfd.revents & POLLOUT) break;
        REQUIRE(wakeups < 100);
    }
    // POLLOUT means the handshake is done.
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
    int err = -1;
    len = sizeof err;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == 0);
    CHECK(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0); // as Linux, once
    CHECK(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    CHECK(errno == EISCONN);

    REQUIRE(zsock_send(fd, "nonblock\n", 9, 0) == 9);
    zsock_pollfd pfd{fd, POLLIN, 0};
    REQUIRE(zsock_poll(&pfd, 1, 5000) == 1);
    CHECK(pfd.revents == POLLIN);
    std::string got;
    while (got.size() < 9) {
        ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
        if (n > 0)
            got.append(buf, static_cast<size_t>(n));
        else {
            REQUIRE(errno == EAGAIN);
            REQUIRE(zsock_poll(&pfd, 1, 5000) == 1);
        }
    }
    CHECK(got == "kcolbnon\n");
}

TEST_CASE("client: a nonblocking connect to a closed port reports POLLERR and SO_ERROR") {
    uint16_t port = free_port();
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, nullptr, 0) == 0);
    sockaddr_in a = zsock_test::loopback4(port);
    int r = zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    if (r == -1 && errno == ECONNREFUSED) return; // the kernel may refuse at once on loopback
    REQUIRE(r == -1);
    REQUIRE(errno == EINPROGRESS);
    zsock_pollfd pfd{fd, POLLOUT, 0};
    REQUIRE(zsock_poll(&pfd, 1, 5000) == 1);
    CHECK((pfd.revents & POLLERR) != 0);
    int err = 0;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == ECONNREFUSED);
}

TEST_CASE("client: a blocking connect to a closed port fails with ECONNREFUSED") {
    uint16_t port = free_port();
    CHECK(tls_client(port, {}, nullptr) == -ECONNREFUSED);
}

TEST_CASE("client: the transport's end without close_notify gives 0 from recv") {
    add_standard_credentials();
    auto srv = std::make_unique<s_server>(server_cert_args());
    fd_guard fd(tls_client(srv->port, {tag_ca}));
    REQUIRE(fd >= 0);
    srv.reset(); // kills openssl: the kernel closes its socket, no TLS alert is sent
    char buf[8];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    CHECK(zsock_send(fd, "x", 1, 0) == -1);
    CHECK(errno == ECONNABORTED);
}

TEST_CASE("client: TLS_CERT_NOCOPY with a DER CA that is deleted while the socket lives") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-rev"}));
    std::string der = the_pki().der("ca.der");
    REQUIRE(zsock_tls_credential_add(60, TLS_CREDENTIAL_CA_CERTIFICATE, der.data(), der.size()) ==
            0);
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    int nocopy = TLS_CERT_NOCOPY_OPTIONAL;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_CERT_NOCOPY, &nocopy, sizeof nocopy) == 0);
    sec_tag_t tag = 60;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    sockaddr_in a = zsock_test::loopback4(srv.port);
    REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    // mbedTLS points into the stored DER: the socket keeps it alive past the delete.
    REQUIRE(zsock_tls_credential_delete(60, TLS_CREDENTIAL_CA_CERTIFICATE) == 0);
    REQUIRE(send_all(fd, "nocopy\n"));
    CHECK(recv_n(fd, 7) == "ypocon\n");
    CHECK(verify_result(fd) == 0);
}

TEST_CASE("client: TLS_SESSION_CACHE_PURGE forgets saved sessions") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-www"}));
    int one = TLS_SESSION_CACHE_ENABLED;
    auto connect_reused = [&] {
        fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
        sec_tag_t tag = tag_ca;
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &one, sizeof one) == 0);
        sockaddr_in a = zsock_test::loopback4(srv.port);
        REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        int reused = -1;
        socklen_t len = sizeof reused;
        REQUIRE(zsock_getsockopt(fd, SOL_TLS, ZSOCK_TLS_SESSION_REUSED, &reused, &len) == 0);
        REQUIRE(send_all(fd, "GET / HTTP/1.0\r\n\r\n"));
        recv_all(fd);
        return reused;
    };
    connect_reused();
    CHECK(connect_reused() == 1);
    fd_guard purger(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(zsock_setsockopt(purger, SOL_TLS, TLS_SESSION_CACHE_PURGE, nullptr, 0) == 0);
    CHECK(connect_reused() == 0);
}

TEST_CASE("client: TLS_HOSTNAME is sent as SNI; without it the server picks another certificate") {
    add_standard_credentials();
    const pki &p = the_pki();
    // The default certificate comes from a CA nobody trusts; only a ClientHello naming
    // "localhost" gets the good one.
    s_server srv(
        cat(server_cert_args("rogue.pem", "rogue.key"),
            std::vector<std::string>{"-servername", "localhost", "-cert2", p.path("server.pem"),
                                     "-key2", p.path("server.key"), "-rev"}));
    {
        fd_guard fd(tls_client(srv.port, {tag_ca}, "localhost"));
        REQUIRE(fd >= 0);
        CHECK(verify_result(fd) == 0); // the trusted certificate: the server saw the name
        REQUIRE(send_all(fd, "sni\n"));
        CHECK(recv_n(fd, 4) == "ins\n");
    } // s_server serves one connection at a time
    // TLS_HOSTNAME NULL sends no SNI (and turns the name check off): the rogue certificate.
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    sec_tag_t tags[] = {tag_ca};
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, nullptr, 0) == 0);
    sockaddr_in a = zsock_test::loopback4(srv.port);
    CHECK(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    CHECK(errno == ECONNABORTED);
    CHECK((verify_result(fd) & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0);
}

TEST_CASE(
    "client: shutdown(SHUT_WR) sends close_notify that openssl s_server reads as a clean end") {
    add_standard_credentials();
    s_server srv(cat(server_cert_args(), std::vector<std::string>{"-trace"}));
    fd_guard fd(tls_client(srv.port, {tag_ca}));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "before shutdown\n"));
    REQUIRE(srv.proc.wait_output("before shutdown"));
    REQUIRE(zsock_shutdown(fd, SHUT_WR) == 0);
    // s_server prints DONE for a close_notify and ERROR with "unexpected eof" for a bare FIN;
    // it then closes its side with its own close_notify, which reads as 0 here.
    REQUIRE(srv.proc.wait_output("DONE"));
    char buf[16];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 0);
    const std::string out = srv.proc.output();
    INFO(out);
    CHECK(trace_received_close_notify(out));
    CHECK(out.find("unexpected eof") == std::string::npos);
    CHECK(out.find("ERROR") == std::string::npos);
}

TEST_CASE("client: IPPROTO_TLS_1_1 and _1_0 set the minimum version; TLS_1_2 refuses TLS 1.1") {
    add_standard_credentials();
    // A server that speaks TLS 1.1 only (SECLEVEL 0: OpenSSL 3 refuses TLS 1.1 otherwise).
    s_server srv(
        cat(server_cert_args(),
            std::vector<std::string>{"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-trace"}));
    auto attempt = [&](int proto, const std::string &line) {
        fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, proto));
        REQUIRE(fd >= 0);
        sec_tag_t tags[] = {tag_ca};
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
        sockaddr_in a = zsock_test::loopback4(srv.port);
        if (zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) return errno;
        if (!send_all(fd, line + "\n")) return EIO;
        return srv.proc.wait_output(line) ? 0 : ETIMEDOUT;
    };
    CHECK(attempt(IPPROTO_TLS_1_2, "over 1.2") == ECONNABORTED);
    CHECK(attempt(IPPROTO_TLS_1_1, "over 1.1") == 0);
    CHECK(attempt(IPPROTO_TLS_1_0, "over 1.0") == 0);
    // The session really is TLS 1.1: s_server's ServerHello says so.
    INFO(srv.proc.output());
    CHECK(srv.proc.output().find("server_version=0x302 (TLS 1.1)") != std::string::npos);
}
