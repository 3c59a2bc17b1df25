// Hostile and broken peers: garbage instead of a ClientHello (or a ServerHello), records cut
// short, a record with a bad MAC, peers that stop in the middle of the handshake, and records
// that carry no application data (which must not wake poll). Every failure is the mapped errno;
// the asan preset checks that nothing leaks on these paths.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <zsock/posix.h>

#include "support/zsock_test.hpp"
#include "tls/tls_socket.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using zsock_test::fd_guard;

namespace {

// A plain kernel TCP listener on loopback (the hostile peer's side, no zsock involved).
struct raw_listener {
    int fd = -1;
    uint16_t port = 0;
    raw_listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = zsock_test::loopback4();
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 8) == 0);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~raw_listener() { ::close(fd); }
};

// Also used on the proxy's thread: no Catch assertion inside.
int raw_connect(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = zsock_test::loopback4(port);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads what arrives within ms milliseconds.
std::string raw_read(int fd, int ms) {
    std::string out;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, ms) == 1) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
        ms = 50;
    }
    return out;
}

int set_hs_timeout(int fd, uint32_t ms) {
    return zsock_setsockopt(fd, SOL_TLS, ZSOCK_TLS_HANDSHAKE_TIMEOUT, &ms, sizeof ms);
}

// A TLS client socket (not yet connected) that trusts the test CA.
int client_socket() {
    int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
    REQUIRE(fd >= 0);
    sec_tag_t tag = tag_ca;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    return fd;
}

int connect_errno(int fd, uint16_t port) {
    sockaddr_in a = zsock_test::loopback4(port);
    return zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 ? 0 : errno;
}

// A TCP proxy between our client and s_server that may mangle the server's application records.
class proxy {
public:
    // mangle(record) returns the bytes to forward and whether to hang up after them.
    using mangler = std::function<std::pair<std::string, bool>(const std::string &record)>;

    proxy(uint16_t upstream, mangler m) : up_(upstream), m_(std::move(m)) {
        th_ = std::thread([this] { run(); });
    }
    ~proxy() {
        stop_ = true;
        th_.join();
    }
    uint16_t port() const { return l_.port; }

private:
    void run() {
        pollfd lp{l_.fd, POLLIN, 0};
        if (::poll(&lp, 1, 10000) != 1) return;
        int c = ::accept4(l_.fd, nullptr, nullptr, SOCK_CLOEXEC);
        int s = raw_connect(up_);
        std::string from_server;
        bool hang_up = false;
        while (!stop_ && !hang_up) {
            pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
            if (::poll(p, 2, 50) <= 0) continue;
            char buf[65536];
            if (p[0].revents) {
                ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                ::send(s, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
            }
            if (p[1].revents) {
                ssize_t n = ::recv(s, buf, sizeof buf, 0);
                if (n <= 0) break;
                from_server.append(buf, static_cast<size_t>(n));
                // Forward whole records; application records go through the mangler.
                while (from_server.size() >= 5) {
                    size_t len = (static_cast<unsigned char>(from_server[3]) << 8) |
                                 static_cast<unsigned char>(from_server[4]);
                    if (from_server.size() < 5 + len) break;
                    std::string rec = from_server.substr(0, 5 + len);
                    from_server.erase(0, 5 + len);
                    std::string out = rec;
                    if (rec[0] == 0x17) std::tie(out, hang_up) = m_(rec);
                    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
                    if (hang_up) break;
                }
            }
        }
        ::close(c);
        ::close(s);
    }

    raw_listener l_;
    uint16_t up_;
    mangler m_;
    std::atomic<bool> stop_{false};
    std::thread th_;
};

std::vector<std::string> server_cert_args() {
    const pki &p = the_pki();
    return {"-cert", p.path("server.pem"), "-key", p.path("server.key")};
}

} // namespace

TEST_CASE("hostile: garbage instead of a ClientHello fails accept with ECONNABORTED") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    int raw = raw_connect(port);
    REQUIRE(raw >= 0);
    const char req[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    REQUIRE(::send(raw, req, sizeof req - 1, MSG_NOSIGNAL) > 0);
    CHECK(zsock_accept(l, nullptr, nullptr) == -1);
    CHECK(errno == ECONNABORTED);
    // The connection was closed by the server (after its alert, if any).
    std::string back = raw_read(raw, 2000);
    char c;
    CHECK(::recv(raw, &c, 1, MSG_DONTWAIT) == 0);
    ::close(raw);
    // The listener still works afterwards.
    int cfd = -1;
    std::thread t([&] { cfd = tls_client(port, {tag_ca}); });
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    t.join();
    fd_guard cg(cfd);
    CHECK(s >= 0);
    CHECK(cfd >= 0);
}

TEST_CASE("hostile: a nonblocking listener's socket fails its first recv with ECONNABORTED") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port, SOCK_NONBLOCK));
    REQUIRE(l >= 0);
    int raw = raw_connect(port);
    REQUIRE(raw >= 0);
    REQUIRE(::send(raw, "\x16\x03\x01\x00\x04junk", 9, MSG_NOSIGNAL) == 9);
    zsock_pollfd lp{l, POLLIN, 0};
    REQUIRE(zsock_poll(&lp, 1, 2000) == 1);
    fd_guard s(zsock_accept4(l, nullptr, nullptr, SOCK_NONBLOCK));
    REQUIRE(s >= 0);
    zsock_pollfd p{s, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    CHECK((p.revents & POLLERR) != 0);
    char buf[8];
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == -1);
    CHECK(errno == ECONNABORTED);
    ::close(raw);
}

TEST_CASE("hostile: garbage or a truncated record instead of a ServerHello fails connect") {
    add_standard_credentials();
    raw_listener srv;
    std::string reply;
    SECTION("an HTTP answer") {
        reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    }
    SECTION("a handshake record cut short, then the end of the stream") {
        reply =
            std::string("\x16\x03\x03\x00\x40\x02\x00\x00\x3c\x03\x03", 11) + std::string(10, 'x');
    }
    SECTION("an alert") {
        reply = std::string("\x15\x03\x03\x00\x02\x02\x28", 7);
    }
    std::thread peer([&] {
        int c = ::accept4(srv.fd, nullptr, nullptr, SOCK_CLOEXEC);
        raw_read(c, 500); // the ClientHello
        ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        ::shutdown(c, SHUT_WR);
        raw_read(c, 500);
        ::close(c);
    });
    fd_guard fd(client_socket());
    CHECK(connect_errno(fd, srv.port) == ECONNABORTED);
    peer.join();
}

TEST_CASE("hostile: a server that stops mid-handshake: ETIMEDOUT, or EAGAIN/poll timeouts when "
          "nonblocking") {
    add_standard_credentials();
    raw_listener srv;
    std::atomic<bool> done{false};
    std::thread peer([&] {
        int c = ::accept4(srv.fd, nullptr, nullptr, SOCK_CLOEXEC);
        while (!done)
            raw_read(c, 50); // swallows the ClientHello, answers nothing
        ::close(c);
    });
    SECTION("blocking") {
        fd_guard fd(client_socket());
        REQUIRE(set_hs_timeout(fd, 300) == 0);
        auto t0 = std::chrono::steady_clock::now();
        CHECK(connect_errno(fd, srv.port) == ETIMEDOUT);
        CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(250));
        char buf[4];
        CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
        CHECK(errno == ETIMEDOUT); // latched
    }
    SECTION("nonblocking") {
        fd_guard fd(client_socket());
        int fl = zsock_fcntl(fd, F_GETFL);
        REQUIRE(zsock_fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
        CHECK(connect_errno(fd, srv.port) == EINPROGRESS);
        zsock_pollfd p{fd, POLLOUT, 0};
        CHECK(zsock_poll(&p, 1, 300) == 0);
        char buf[4];
        CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
        CHECK(errno == EAGAIN);
    }
    done = true;
    peer.join();
}

TEST_CASE("hostile: a client that stops mid-handshake makes accept fail with ETIMEDOUT") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    REQUIRE(set_hs_timeout(l, 300) == 0);
    int raw = raw_connect(port);
    REQUIRE(raw >= 0);
    // Half a ClientHello record, then silence.
    REQUIRE(::send(raw, "\x16\x03\x01\x01\x00\x01\x00\x00\xfc\x03\x03", 11, MSG_NOSIGNAL) == 11);
    CHECK(zsock_accept(l, nullptr, nullptr) == -1);
    CHECK(errno == ETIMEDOUT);
    char c;
    CHECK(::recv(raw, &c, 1, 0) <= 0); // the server closed its end
    ::close(raw);
}

TEST_CASE("hostile: application records cut short or altered in flight") {
    add_standard_credentials();
    s_server srv(server_cert_args());
    std::string expect_text;
    int expect_errno = 0;
    proxy::mangler m;
    SECTION("a record cut in the middle, then the end of the stream") {
        m = [](const std::string &rec) { return std::pair(rec.substr(0, rec.size() / 2), true); };
        expect_errno = ECONNABORTED;
    }
    SECTION("a record with one bit flipped (bad MAC)") {
        m = [](const std::string &rec) {
            std::string r = rec;
            r[r.size() - 3] ^= 0x01;
            return std::pair(r, false);
        };
        expect_errno = ECONNABORTED;
    }
    SECTION("a record whose header lies about its length") {
        m = [](const std::string &rec) {
            std::string r = rec;
            r[3] = '\x7f'; // 32 KiB: more than any record may hold
            r[4] = '\x00';
            return std::pair(r, false);
        };
        expect_errno = ECONNABORTED;
    }
    proxy px(srv.port, m);
    fd_guard fd(tls_client(px.port(), {tag_ca}));
    REQUIRE(fd >= 0);
    srv.proc.write_stdin("this record will not arrive intact\n");
    char buf[64];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
    CHECK(errno == expect_errno);
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1); // latched
    CHECK(errno == expect_errno);
}

TEST_CASE("poll: records without application data do not wake it") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    int cfd = -1;
    std::thread t([&] { cfd = tls_client(port, {tag_ca}); });
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    t.join();
    fd_guard c(cfd);
    REQUIRE(s >= 0);
    REQUIRE(c >= 0);
    // Reach into the server's mbedTLS session (test-only) to send records a normal send() never
    // produces: an empty application record and a warning alert.
    auto *srv = static_cast<zsock::tls::tls_socket *>(
        zsock_fd_get_obj(s, &zsock::tls::tls_vtable, ENOTSOCK));
    REQUIRE(srv);
    {
        std::lock_guard lock(srv->mu);
        const unsigned char none = 0;
        REQUIRE(mbedtls_ssl_write(&srv->sess->ssl, &none, 0) == 0);
        REQUIRE(mbedtls_ssl_send_alert_message(&srv->sess->ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                               MBEDTLS_SSL_ALERT_MSG_NO_RENEGOTIATION) == 0);
    }
    zsock_pollfd p{c, POLLIN, 0};
    CHECK(zsock_poll(&p, 1, 300) == 0); // the records arrived, and nothing is readable
    char probe;
    CHECK(::recv(c, &probe, 1, MSG_DONTWAIT | MSG_PEEK) ==
          -1); // poll consumed them from the kernel
    REQUIRE(send_all(s, "real data"));
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    CHECK(p.revents == POLLIN);
    CHECK(recv_n(c, 9) == "real data");
}
