// zsock TLS 1.2 server against `openssl s_client`: server credentials in PEM and DER, clients
// that reject our certificate (wrong name, untrusted CA, expired), client certificates checked by
// us, PSK, ALPN, session resumption, 16 MiB each way, close_notify both ways (shutdown(SHUT_WR)
// included), and a nonblocking listener driven by zsock_poll.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <thread>

#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <zsock/posix.h>

#include "support/zsock_test.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using zsock_test::fd_guard;

namespace {

child s_client(uint16_t port, std::vector<std::string> extra, std::string stdin_file = "") {
    const pki &p = the_pki();
    std::vector<std::string> argv = {"openssl",
                                     "s_client",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(port),
                                     "-CAfile",
                                     p.path("ca.pem"),
                                     "-servername",
                                     "localhost",
                                     "-verify_return_error"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return child(argv, stdin_file);
}

int set_int(int fd, int name, int v) {
    return zsock_setsockopt(fd, SOL_TLS, name, &v, sizeof v);
}

uint32_t verify_result(int fd) {
    uint32_t flags = 0xffffffff;
    socklen_t len = sizeof flags;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len) == 0);
    return flags;
}

} // namespace

TEST_CASE("server: PEM credentials, data both ways, close_notify from the client") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {});
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    fd_guard s(zsock_accept(l, reinterpret_cast<sockaddr *>(&peer), &plen));
    REQUIRE(s >= 0);
    CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    REQUIRE(c.wait_output("Verify return code: 0 (ok)"));
    c.write_stdin("from client\n");
    CHECK(recv_n(s, 12) == "from client\n");
    REQUIRE(send_all(s, "from server\n"));
    REQUIRE(c.wait_output("from server"));
    int proto = 0;
    socklen_t len = sizeof proto;
    REQUIRE(zsock_getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == IPPROTO_TLS_1_2);
    // s_client at the end of its stdin sends close_notify: recv gives 0, poll POLLIN|POLLHUP.
    c.close_stdin();
    char buf[8];
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
    zsock_pollfd pfd{s, POLLIN, 0};
    CHECK(zsock_poll(&pfd, 1, 1000) == 1);
    CHECK(pfd.revents == (POLLIN | POLLHUP));
    CHECK(zsock_send(s, "x", 1, 0) == -1);
    CHECK(errno == ECONNABORTED);
}

TEST_CASE("server: DER credentials") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server_der}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {});
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    REQUIRE(s >= 0);
    REQUIRE(c.wait_output("Verify return code: 0 (ok)"));
    REQUIRE(send_all(s, "der server\n"));
    REQUIRE(c.wait_output("der server"));
}

TEST_CASE("server: clients that reject our certificate make accept fail with ECONNABORTED") {
    add_standard_credentials();
    uint16_t port = 0;
    sec_tag_t tag = tag_server;
    std::vector<std::string> args;
    std::string reason;
    SECTION("wrong hostname") {
        args = {"-verify_hostname", "not-localhost.example"};
        reason = "hostname mismatch";
    }
    SECTION("untrusted CA") {
        tag = tag_rogue;
        reason = "unable to get local issuer certificate";
    }
    SECTION("expired") {
        tag = tag_expired;
        reason = "certificate has expired";
    }
    fd_guard l(tls_listener({tag}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, args);
    CHECK(zsock_accept(l, nullptr, nullptr) == -1);
    CHECK(errno == ECONNABORTED);
    CHECK(c.wait_output(reason));
}

TEST_CASE("server: client certificates, verified by the server") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server, tag_ca}, &port));
    REQUIRE(l >= 0);
    REQUIRE(set_int(l, TLS_PEER_VERIFY, TLS_PEER_VERIFY_REQUIRED) == 0);
    const pki &p = the_pki();
    SECTION("a valid client certificate") {
        child c = s_client(port, {"-cert", p.path("client.pem"), "-key", p.path("client.key")});
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        CHECK(verify_result(s) == 0);
    }
    SECTION("no client certificate") {
        child c = s_client(port, {});
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == ECONNABORTED);
    }
    SECTION("a client certificate from an untrusted CA") {
        child c = s_client(port, {"-cert", p.path("rogue.pem"), "-key", p.path("rogue.key")});
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == ECONNABORTED);
    }
    SECTION("an expired client certificate") {
        child c = s_client(port, {"-cert", p.path("expired.pem"), "-key", p.path("expired.key")});
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == ECONNABORTED);
    }
}

TEST_CASE("server: PSK") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_psk}, &port));
    REQUIRE(l >= 0);
    SECTION("the right key") {
        child c = s_client(port, {"-psk", psk_hex, "-psk_identity", psk_identity});
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        int suite = 0;
        socklen_t len = sizeof suite;
        REQUIRE(zsock_getsockopt(s, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
        CHECK(std::string(mbedtls_ssl_get_ciphersuite_name(suite)).find("PSK") !=
              std::string::npos);
        c.write_stdin("psk data\n");
        CHECK(recv_n(s, 9) == "psk data\n");
    }
    SECTION("a wrong key") {
        child c = s_client(
            port, {"-psk", "ffffffffffffffffffffffffffffffff", "-psk_identity", psk_identity});
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == ECONNABORTED);
    }
    SECTION("an unknown identity") {
        child c = s_client(port, {"-psk", psk_hex, "-psk_identity", "somebody-else"});
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == ECONNABORTED);
    }
}

TEST_CASE("server: ALPN, with the agreed protocol visible on both sides") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    const char *alpn[] = {"http/1.1", "zsock/1"};
    REQUIRE(zsock_setsockopt(l, SOL_TLS, TLS_ALPN_LIST, alpn, sizeof alpn) == 0);
    child c = s_client(port, {"-alpn", "zsock/1,h2"});
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    REQUIRE(s >= 0);
    char used[32];
    socklen_t len = sizeof used;
    REQUIRE(zsock_getsockopt(s, SOL_TLS, ZSOCK_TLS_ALPN_USED, used, &len) == 0);
    CHECK(std::string(used) == "zsock/1");
    CHECK(c.wait_output("ALPN protocol: zsock/1"));
    // The accepted socket has its own copy of the listener's list.
    const char *got[4];
    len = sizeof got;
    REQUIRE(zsock_getsockopt(s, SOL_TLS, TLS_ALPN_LIST, got, &len) == 0);
    REQUIRE(len == 2 * sizeof(char *));
    CHECK(std::string(got[1]) == "zsock/1");
}

TEST_CASE("server: session resumption through the server cache, and its purge") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    REQUIRE(set_int(l, TLS_SESSION_CACHE, TLS_SESSION_CACHE_ENABLED) == 0);
    std::string sess = the_pki().path("server-resume.sess");
    auto one = [&](const std::vector<std::string> &args, int *reused) {
        child c = s_client(port, args);
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        socklen_t len = sizeof *reused;
        REQUIRE(zsock_getsockopt(s, SOL_TLS, ZSOCK_TLS_SESSION_REUSED, reused, &len) == 0);
        REQUIRE(c.wait_output("Verify return code"));
        c.close_stdin();
        c.wait_exit();
        return c.output();
    };
    int reused = -1;
    std::string first = one({"-sess_out", sess, "-no_ticket"}, &reused);
    CHECK(first.find("New, TLSv1.2") != std::string::npos);
    CHECK(reused == 0);
    std::string second = one({"-sess_in", sess, "-no_ticket"}, &reused);
    CHECK(second.find("Reused, TLSv1.2") != std::string::npos);
    CHECK(reused == 1);
    // TLS_SESSION_CACHE_PURGE (on any TLS socket) empties the server cache too: the same saved
    // session is offered again and refused, and a full handshake follows.
    fd_guard purger(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(purger >= 0);
    REQUIRE(zsock_setsockopt(purger, SOL_TLS, TLS_SESSION_CACHE_PURGE, nullptr, 0) == 0);
    std::string third = one({"-sess_in", sess, "-no_ticket"}, &reused);
    CHECK(third.find("New, TLSv1.2") != std::string::npos);
    CHECK(reused == 0);
}

TEST_CASE("server: 16 MiB from s_client, checksummed") {
    add_standard_credentials();
    const size_t n = 16u << 20;
    std::string data = random_bytes(n, 21);
    std::string file = the_pki().path("up16.bin");
    write_file(file, data);
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {}, file); // sends its stdin, then close_notify at the file's end
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    REQUIRE(s >= 0);
    std::string got = recv_all(s);
    CHECK(got.size() == n);
    CHECK(fnv1a(got) == fnv1a(data));
}

TEST_CASE("server: 16 MiB to s_client, checksummed; close sends close_notify") {
    add_standard_credentials();
    const size_t n = 16u << 20;
    std::string data = random_bytes(n, 22);
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {});
    {
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        REQUIRE(send_all(s, data));
    }
    REQUIRE(c.wait_exit() >= 0); // s_client leaves once the connection is closed
    std::string out = c.output();
    size_t at = out.find(data.substr(0, 64));
    REQUIRE(at != std::string::npos);
    REQUIRE(out.size() - at >= n);
    CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
    // With close_notify, s_client reports a clean close (OpenSSL 3 calls a bare EOF an error).
    CHECK(out.find("closed") != std::string::npos);
    CHECK(out.find("unexpected eof") == std::string::npos);
}

TEST_CASE("server: close_notify follows a record that was still half-written at close") {
    // A send buffer smaller than a record leaves the last record partly in mbedTLS when send()
    // returns. mbedtls_ssl_close_notify() would only flush it and report success without the
    // alert; close() must flush first, then send the alert.
    add_standard_credentials();
    const size_t n = 1u << 20;
    std::string data = random_bytes(n, 23);
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {});
    {
        fd_guard s(zsock_accept(l, nullptr, nullptr));
        REQUIRE(s >= 0);
        int small = 8192;
        REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
        REQUIRE(send_all(s, data));
    }
    REQUIRE(c.wait_exit() >= 0);
    std::string out = c.output();
    size_t at = out.find(data.substr(0, 64));
    REQUIRE(at != std::string::npos);
    REQUIRE(out.size() - at >= n);
    CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
    CHECK(out.find("closed") != std::string::npos);
    CHECK(out.find("unexpected eof") == std::string::npos);
}

TEST_CASE("server: a nonblocking listener, handshakes driven by zsock_poll") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port, SOCK_NONBLOCK));
    REQUIRE(l >= 0);
    CHECK(zsock_accept(l, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
    child c = s_client(port, {});
    zsock_pollfd pfd{l, POLLIN, 0};
    REQUIRE(zsock_poll(&pfd, 1, 5000) == 1);
    // accept hands the connection out at once; its handshake runs in later calls and polls.
    fd_guard s(zsock_accept4(l, nullptr, nullptr, SOCK_NONBLOCK));
    REQUIRE(s >= 0);
    char buf[32];
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == -1);
    CHECK(errno == EAGAIN);
    c.write_stdin("nonblock\n"); // s_client sends it once its handshake is done
    int polls = 0;
    std::string got;
    while (got.size() < 9) {
        zsock_pollfd p{s, POLLIN, 0};
        REQUIRE(zsock_poll(&p, 1, 5000) == 1);
        REQUIRE(++polls < 100);
        ssize_t r = zsock_recv(s, buf, sizeof buf, 0);
        if (r > 0)
            got.append(buf, static_cast<size_t>(r));
        else
            REQUIRE(errno == EAGAIN);
    }
    int suite = 0;
    socklen_t len = sizeof suite;
    CHECK(zsock_getsockopt(s, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
    CHECK(got == "nonblock\n");
}

TEST_CASE(
    "server: shutdown(SHUT_WR) sends close_notify that openssl s_client reads as a clean end") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    child c = s_client(port, {"-trace"});
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    REQUIRE(s >= 0);
    REQUIRE(c.wait_output("Verify return code: 0 (ok)"));
    REQUIRE(send_all(s, "before shutdown\n"));
    REQUIRE(c.wait_output("before shutdown"));
    REQUIRE(zsock_shutdown(s, SHUT_WR) == 0);
    // s_client prints "closed" and exits 0 on a close_notify; a bare FIN is "unexpected eof".
    CHECK(c.wait_exit() == 0);
    const std::string out = c.output();
    INFO(out);
    CHECK(out.find("closed") != std::string::npos);
    CHECK(trace_received_close_notify(out));
    CHECK(out.find("unexpected eof") == std::string::npos);
    // Our receiving side stays open: s_client's own close_notify, or its FIN, ends it.
    char buf[16];
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
}
