// TLS sockets without a peer, or with zsock on both ends: creation rules, SOL_TLS option
// directions and errors, one fd per TLS socket, half-close, threads blocked in TLS calls, poll's
// TLS rules.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <thread>

#include <zsock/offload.h>
#include <zsock/posix.h>

#include "support/zsock_test.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using zsock_test::fd_guard;

namespace {

int errno_of(int r) {
    return r < 0 ? errno : 0;
}

// A connected zsock TLS pair over loopback: {client, server}, both blocking.
std::pair<fd_guard, fd_guard> tls_pair() {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard l(tls_listener({tag_server}, &port));
    REQUIRE(l >= 0);
    int cfd = -1;
    std::thread t([&] { cfd = tls_client(port, {tag_ca}); });
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    t.join();
    REQUIRE(cfd >= 0);
    REQUIRE(s >= 0);
    return {fd_guard(cfd), std::move(s)};
}

} // namespace

TEST_CASE("socket: protocol, type and family rules") {
    fd_guard a(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    CHECK(a >= 0);
    fd_guard b(zsock_socket(AF_INET6, SOCK_STREAM, IPPROTO_TLS_1_2));
    CHECK(b >= 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2));
    CHECK(c >= 0);
    // TLS 1.0 and 1.1 are accepted: they set the lowest version the library allows.
    fd_guard d(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_0));
    CHECK(d >= 0);
    fd_guard e(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_1));
    CHECK(e >= 0);
    // mbedTLS 2.28 has no usable TLS 1.3.
    CHECK(errno_of(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_3)) == EPROTONOSUPPORT);
    CHECK(errno_of(zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_TLS_1_2)) == EPROTOTYPE);
    CHECK(errno_of(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_DTLS_1_2)) == EPROTOTYPE);
    CHECK(errno_of(zsock_socket(AF_UNIX, SOCK_STREAM, IPPROTO_TLS_1_2)) == EAFNOSUPPORT);
    CHECK(errno_of(zsock_socket(AF_PACKET, SOCK_DGRAM, IPPROTO_DTLS_1_2)) == EAFNOSUPPORT);
    // Type flags pass through to the transport.
    fd_guard f(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TLS_1_2));
    REQUIRE(f >= 0);
    CHECK((zsock_fcntl(f, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((zsock_fcntl(f, F_GETFD) & FD_CLOEXEC) != 0);
    int proto = 0;
    socklen_t len = sizeof proto;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == IPPROTO_DTLS_1_2);
}

TEST_CASE("socket: one fd per TLS socket, the transport's own kernel descriptor") {
    fd_guard a(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(a >= 0);
    // The number is a kernel socket: the kernel answers SO_TYPE on it directly.
    int type = 0;
    socklen_t len = sizeof type;
    REQUIRE(::getsockopt(a, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_STREAM);
    // No hidden second descriptor: the next socket gets the very next number.
    fd_guard b(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK(b == a + 1);
}

TEST_CASE("socket: SOL_TLS option directions and errors") {
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    int v = 0;
    socklen_t len = sizeof v;
    char buf[64];
    auto set_err = [&](int name, const void *val, socklen_t l) {
        return errno_of(zsock_setsockopt(fd, SOL_TLS, name, val, l));
    };
    auto get_err = [&](int name, void *val, socklen_t *l) {
        return errno_of(zsock_getsockopt(fd, SOL_TLS, name, val, l));
    };
    // Write-only options cannot be read.
    for (int name :
         {TLS_HOSTNAME, TLS_PEER_VERIFY, TLS_DTLS_ROLE, TLS_CERT_NOCOPY, TLS_NATIVE,
          TLS_SESSION_CACHE_PURGE, TLS_DTLS_HANDSHAKE_ON_CONNECT, TLS_CERT_VERIFY_CALLBACK}) {
        len = sizeof buf;
        CHECK(get_err(name, buf, &len) == ENOPROTOOPT);
    }
    // Read-only options cannot be set.
    v = 1;
    for (int name : {TLS_CIPHERSUITE_USED, TLS_CERT_VERIFY_RESULT, TLS_DTLS_CID_STATUS,
                     TLS_DTLS_PEER_CID_VALUE, ZSOCK_TLS_ALPN_USED, ZSOCK_TLS_SESSION_REUSED})
        CHECK(set_err(name, &v, sizeof v) == ENOPROTOOPT);
    // Unknown options.
    CHECK(set_err(21, &v, sizeof v) == ENOPROTOOPT);
    len = sizeof v;
    CHECK(get_err(0, &v, &len) == ENOPROTOOPT);
    // DTLS connection IDs: Debian's mbedTLS 2.28 is built without them.
    CHECK(set_err(TLS_DTLS_CID, &v, sizeof v) == ENOPROTOOPT);
    len = sizeof buf;
    CHECK(get_err(TLS_DTLS_CID_VALUE, buf, &len) == ENOPROTOOPT);
    // getsockopt with NULL pointers.
    CHECK(get_err(TLS_SEC_TAG_LIST, nullptr, &len) == EINVAL);
    CHECK(get_err(TLS_SEC_TAG_LIST, buf, nullptr) == EINVAL);

    // Integer options: size and range.
    CHECK(set_err(TLS_PEER_VERIFY, &v, 2) == EINVAL);
    v = 3;
    CHECK(set_err(TLS_PEER_VERIFY, &v, sizeof v) == EINVAL);
    v = 2;
    CHECK(set_err(TLS_DTLS_ROLE, &v, sizeof v) == EINVAL);
    CHECK(set_err(TLS_CERT_NOCOPY, &v, sizeof v) == EINVAL);
    CHECK(set_err(TLS_SESSION_CACHE, &v, sizeof v) == EINVAL);
    CHECK(set_err(TLS_PEER_VERIFY, nullptr, sizeof v) == EINVAL);
    v = 1;
    CHECK(set_err(TLS_NATIVE, &v, sizeof v) == 0);
    CHECK(set_err(TLS_DTLS_HANDSHAKE_ON_CONNECT, &v, sizeof v) == 0);
    CHECK(set_err(TLS_SESSION_CACHE, &v, sizeof v) == 0);
    len = sizeof v;
    v = 0;
    REQUIRE(get_err(TLS_SESSION_CACHE, &v, &len) == 0);
    CHECK(v == 1);

    // DTLS handshake timeouts: uint32_t milliseconds, 1000 and 60000 by default.
    uint32_t ms = 0;
    len = sizeof ms;
    REQUIRE(get_err(TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &ms, &len) == 0);
    CHECK(ms == 1000);
    REQUIRE(get_err(TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &ms, &len) == 0);
    CHECK(ms == 60000);
    ms = 250;
    REQUIRE(set_err(TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &ms, sizeof ms) == 0);
    REQUIRE(get_err(TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &ms, &len) == 0);
    CHECK(ms == 250);
    CHECK(set_err(TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &ms, 2) == EINVAL);

    // Cipher suites: known ids only, at most ZSOCK_TLS_MAX_CIPHERSUITES; the get without a set
    // lists everything mbedTLS offers.
    int suites[2] = {0xC02B /* ECDHE-ECDSA-AES128-GCM-SHA256 */, 0xC02F};
    REQUIRE(set_err(TLS_CIPHERSUITE_LIST, suites, sizeof suites) == 0);
    int back[8] = {};
    len = sizeof back;
    REQUIRE(get_err(TLS_CIPHERSUITE_LIST, back, &len) == 0);
    CHECK(len == sizeof suites);
    CHECK(back[0] == 0xC02B);
    int bogus = 0x7777;
    CHECK(set_err(TLS_CIPHERSUITE_LIST, &bogus, sizeof bogus) == EINVAL);
    CHECK(set_err(TLS_CIPHERSUITE_LIST, suites, 5) == EINVAL);
    fd_guard fresh(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    int all[256];
    len = sizeof all;
    REQUIRE(zsock_getsockopt(fresh, SOL_TLS, TLS_CIPHERSUITE_LIST, all, &len) == 0);
    CHECK(len > 10 * sizeof(int));
    len = 3;
    CHECK(zsock_getsockopt(fresh, SOL_TLS, TLS_CIPHERSUITE_LIST, all, &len) == -1);

    // Results before any handshake.
    len = sizeof v;
    CHECK(get_err(TLS_CIPHERSUITE_USED, &v, &len) == ENOTCONN);
    len = 2;
    CHECK(get_err(TLS_CIPHERSUITE_USED, &v, &len) == EINVAL);
    uint32_t flags;
    len = sizeof flags;
    CHECK(get_err(TLS_CERT_VERIFY_RESULT, &flags, &len) == ENOTCONN);

    // Hostname: too long, empty; ALPN: too many, empty names.
    std::string longname(300, 'a');
    CHECK(set_err(TLS_HOSTNAME, longname.c_str(), longname.size() + 1) == EINVAL);
    CHECK(set_err(TLS_HOSTNAME, "", 1) == EINVAL);
    const char *alpn9[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    CHECK(set_err(TLS_ALPN_LIST, alpn9, sizeof alpn9) == EINVAL);
    const char *empty[1] = {""};
    CHECK(set_err(TLS_ALPN_LIST, empty, sizeof empty) == EINVAL);
    CHECK(set_err(TLS_ALPN_LIST, alpn9, 3) == EINVAL);
    tls_cert_verify_cb nocb{nullptr, nullptr};
    CHECK(set_err(TLS_CERT_VERIFY_CALLBACK, &nocb, sizeof nocb) == EINVAL);

    // Other levels reach the transport: the kernel's own options and errors.
    int one = 1;
    CHECK(zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0);
    CHECK(v == 1);
    timeval bad{0, 2000000};
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad) == -1);
    CHECK(errno == EDOM); // the kernel's answer for tv_usec out of range
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bad, 3) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("socket: SO_SOCKS5 is refused with ENOPROTOOPT, as on every zsock socket") {
    // SOL_SOCKET options go to the transport, which has no SOCKS5 client either.
    fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(t >= 0);
    int on = 1;
    errno = 0;
    CHECK(zsock_setsockopt(t, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, sizeof on) == -1);
    CHECK(errno == ENOPROTOOPT);
    socklen_t len = sizeof on;
    errno = 0;
    CHECK(zsock_getsockopt(t, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, &len) == -1);
    CHECK(errno == ENOPROTOOPT);
}

TEST_CASE("socket: calls before connect, and on a listener") {
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    char buf[4];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_send(fd, "x", 1, 0) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_accept(fd, nullptr, nullptr) == -1);
    CHECK(errno == EINVAL);
    int n = 0;
    CHECK(zsock_ioctl(fd, FIONREAD, &n) == -1); // it would count ciphertext
    CHECK(errno == EOPNOTSUPP);
    CHECK(zsock_connect(fd, nullptr, 16) == -1);
    CHECK(errno == EFAULT);
}

TEST_CASE("socket: zsock to zsock, IPv6, and shutdown(SHUT_WR) sending close_notify") {
    add_standard_credentials();
    fd_guard l(zsock_socket(AF_INET6, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(l >= 0);
    sec_tag_t tag = tag_server;
    REQUIRE(zsock_setsockopt(l, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    sockaddr_in6 a = zsock_test::loopback6();
    socklen_t alen = sizeof a;
    REQUIRE(zsock_bind(l, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(zsock_listen(l, 4) == 0);
    REQUIRE(zsock_getsockname(l, reinterpret_cast<sockaddr *>(&a), &alen) == 0);
    fd_guard c(zsock_socket(AF_INET6, SOCK_STREAM, IPPROTO_TLS_1_2));
    tag = tag_ca;
    REQUIRE(zsock_setsockopt(c, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    REQUIRE(zsock_setsockopt(c, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    int cr = -1;
    std::thread t([&] { cr = zsock_connect(c, reinterpret_cast<sockaddr *>(&a), sizeof a); });
    fd_guard s(zsock_accept(l, nullptr, nullptr));
    t.join();
    REQUIRE(cr == 0);
    REQUIRE(s >= 0);

    REQUIRE(send_all(c, "request"));
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0); // close_notify, then the TCP FIN
    CHECK(recv_all(s) == "request");
    // As on a Linux TCP socket: EPIPE after our own SHUT_WR (and SIGPIPE without MSG_NOSIGNAL).
    CHECK(zsock_send(c, "more", 4, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    // TLS 1.2 has no half-close: once close_notify arrived, sending fails (Zephyr's rule).
    CHECK(zsock_send(s, "reply", 5, 0) == -1);
    CHECK(errno == ECONNABORTED);
    s.reset(); // close: its own close_notify
    char buf[4];
    CHECK(zsock_recv(c, buf, sizeof buf, 0) == 0);
}

TEST_CASE("socket: close from another thread wakes blocked recv, accept and connect with EINTR") {
    add_standard_credentials();
    SECTION("recv") {
        auto [c, s] = tls_pair();
        int fd = c.release();
        int r = 0, e = 0;
        std::thread t([&] {
            char buf[8];
            r = static_cast<int>(zsock_recv(fd, buf, sizeof buf, 0));
            e = errno;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        REQUIRE(zsock_close(fd) == 0);
        t.join();
        CHECK(r == -1);
        CHECK(e == EINTR);
    }
    SECTION("accept") {
        uint16_t port = 0;
        int l = tls_listener({tag_server}, &port);
        REQUIRE(l >= 0);
        int r = 0, e = 0;
        std::thread t([&] {
            r = zsock_accept(l, nullptr, nullptr);
            e = errno;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        REQUIRE(zsock_close(l) == 0);
        t.join();
        CHECK(r == -1);
        CHECK(e == EINTR);
    }
    SECTION("accept while its handshake waits for a silent client") {
        uint16_t port = 0;
        int l = tls_listener({tag_server}, &port);
        REQUIRE(l >= 0);
        fd_guard raw(zsock_socket(AF_INET, SOCK_STREAM, 0)); // connects, never says hello
        sockaddr_in a = zsock_test::loopback4(port);
        REQUIRE(zsock_connect(raw, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        int r = 0, e = 0;
        std::thread t([&] {
            r = zsock_accept(l, nullptr, nullptr);
            e = errno;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        REQUIRE(zsock_close(l) == 0);
        t.join();
        CHECK(r == -1);
        CHECK(e == EINTR);
    }
    SECTION("connect during its handshake") {
        fd_guard silent(zsock_socket(AF_INET, SOCK_STREAM, 0));
        sockaddr_in a = zsock_test::loopback4();
        socklen_t alen = sizeof a;
        REQUIRE(zsock_bind(silent, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        REQUIRE(zsock_listen(silent, 4) == 0);
        REQUIRE(zsock_getsockname(silent, reinterpret_cast<sockaddr *>(&a), &alen) == 0);
        int fd = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2);
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, nullptr, 0) == 0);
        int r = 0, e = 0;
        std::thread t([&] {
            r = zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
            e = errno;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        REQUIRE(zsock_close(fd) == 0);
        t.join();
        CHECK(r == -1);
        CHECK(e == EINTR);
    }
}

TEST_CASE("socket: send on one thread while another is blocked in recv") {
    auto [c, s] = tls_pair();
    std::string got;
    std::thread reader([&, fd = c.get()] { got = recv_n(fd, 5); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(send_all(c, "ping!")); // the reader holds no lock while it waits
    CHECK(recv_n(s, 5) == "ping!");
    REQUIRE(send_all(s, "pong!"));
    reader.join();
    CHECK(got == "pong!");
}

TEST_CASE("poll: decrypted bytes held by mbedTLS make the socket readable") {
    auto [c, s] = tls_pair();
    REQUIRE(send_all(s, "0123456789"));
    zsock_pollfd pfd{c, POLLIN, 0};
    REQUIRE(zsock_poll(&pfd, 1, 2000) == 1);
    char buf[4];
    REQUIRE(zsock_recv(c, buf, 4, 0) == 4);
    // The kernel socket is empty now; the rest of the record is inside mbedTLS.
    char probe;
    CHECK(::recv(c, &probe, 1, MSG_DONTWAIT | MSG_PEEK) == -1);
    pfd.revents = 0;
    CHECK(zsock_poll(&pfd, 1, 0) == 1);
    CHECK(pfd.revents == POLLIN);
    zsock_fd_set rs;
    ZSOCK_FD_ZERO(&rs);
    ZSOCK_FD_SET(c, &rs);
    zsock_timeval tv{0, 0};
    CHECK(zsock_select(c + 1, &rs, nullptr, nullptr, &tv) == 1);
    CHECK(recv_n(c, 6) == "456789");
    pfd.revents = 0;
    CHECK(zsock_poll(&pfd, 1, 0) == 0);
}

TEST_CASE("poll: POLLOUT on an established socket, POLLERR after a fatal error") {
    auto [c, s] = tls_pair();
    zsock_pollfd pfd{c, POLLOUT, 0};
    REQUIRE(zsock_poll(&pfd, 1, 1000) == 1);
    CHECK(pfd.revents == POLLOUT);
    // Garbage on the server's transport (behind TLS's back): the client sees a bad record.
    int raw = s.get();
    REQUIRE(::send(raw, "\x17\x03\x03\x00\x05garbage", 12, MSG_NOSIGNAL) == 12);
    pfd = {c, POLLIN, 0};
    REQUIRE(zsock_poll(&pfd, 1, 2000) == 1);
    CHECK((pfd.revents & POLLERR) != 0);
    int err = 0;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == ECONNABORTED);
    char buf[8];
    CHECK(zsock_recv(c, buf, sizeof buf, 0) == -1);
    CHECK(errno == ECONNABORTED);
    CHECK(zsock_send(c, "x", 1, 0) == -1);
    CHECK(errno == ECONNABORTED);
}

TEST_CASE("socket: SO_SNDTIMEO bounds a blocking send to a peer that does not read") {
    auto [c, s] = tls_pair();
    timeval tv{0, 200000};
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
    std::string chunk(16384, 'z');
    size_t sent = 0;
    ssize_t r;
    auto t0 = std::chrono::steady_clock::now();
    while ((r = zsock_send(c, chunk.data(), chunk.size(), 0)) > 0) {
        sent += static_cast<size_t>(r);
        REQUIRE(sent < (256u << 20)); // the kernel buffers are far smaller
    }
    CHECK(r == -1);
    CHECK(errno == EAGAIN);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
    // Every byte send() accepted arrives: a record left half-written is flushed later.
    size_t got = 0; // Catch's assertions are for the main thread only
    std::thread drain([&, fd = s.get()] { got = recv_n(fd, sent).size(); });
    zsock_pollfd p{c, POLLOUT, 0};
    REQUIRE(zsock_poll(&p, 1, 5000) == 1); // poll flushes the pending record once writable
    drain.join();
    CHECK(got == sent);
}

TEST_CASE("socket: a nonblocking shutdown(SHUT_WR) never waits; poll sends close_notify later") {
    auto [c, s] = tls_pair();
    REQUIRE(zsock_fcntl(c, F_SETFL, zsock_fcntl(c, F_GETFL) | O_NONBLOCK) == 0);
    // Fill the transport: the last record is left half-written inside mbedTLS.
    std::string chunk(16384, 'q');
    size_t sent = 0;
    ssize_t r;
    while ((r = zsock_send(c, chunk.data(), chunk.size(), 0)) > 0) {
        sent += static_cast<size_t>(r);
        REQUIRE(sent < (256u << 20));
    }
    REQUIRE(errno == EAGAIN);
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100));
    CHECK(zsock_send(c, "x", 1, MSG_NOSIGNAL) == -1); // shut for writing from now on
    CHECK(errno == EPIPE);
    // The peer reads everything, then close_notify: a clean end (0), not ECONNABORTED.
    std::atomic<bool> done{false};
    size_t got = 0;
    ssize_t after = -2;
    std::thread drain([&, fd = s.get()] {
        got = recv_all(fd).size();
        char b;
        after = zsock_recv(fd, &b, 1, 0);
        done = true;
    });
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < limit) {
        zsock_pollfd p{c, POLLIN, 0}; // the queued alert makes poll watch for POLLOUT as well
        zsock_poll(&p, 1, 50);
    }
    drain.join();
    CHECK(got == sent);
    CHECK(after == 0);
}

namespace {
std::atomic<int> g_transport_creations{0};
int counting_create(int family, int type, int proto) {
    // Below TLS and above nothing else but native: build the socket with the next entry down.
    zsock_socket_impl next{};
    int r = zsock_find_socket_impl(family, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto, 49, false,
                                   &next);
    if (r < 0) return r;
    ++g_transport_creations;
    return next.create(family, type, proto);
}
bool tcp_only(int, int type, int proto) {
    return (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
           (proto == IPPROTO_TCP || proto == 0);
}
} // namespace

TEST_CASE("socket: the transport comes from the registry, below TLS's priority") {
    zsock_socket_impl impl{"tls-test-transport", 48, AF_INET, tcp_only, counting_create,
                           ZSOCK_IMPL_OFFLOADED};
    REQUIRE(zsock_register_socket_impl(&impl) == 0);
    int before = g_transport_creations;
    {
        auto [c, s] = tls_pair(); // listener, accepted socket's listener and client: 2 creations
        CHECK(g_transport_creations - before == 2);
        REQUIRE(send_all(c, "through the registered transport"));
        CHECK(recv_n(s, 32) == "through the registered transport");
    }
    REQUIRE(zsock_unregister_socket_impl("tls-test-transport") == 0);
}
