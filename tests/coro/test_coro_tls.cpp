// tls_stream on both engines: TLS sockets are zsock fds with poll hooks, driven through their
// nonblocking calls (handshake progressed by recv/send/poll, records without application data
// not waking a recv). Peers: our own coroutine client/server, and openssl s_server.
// Built only when the TLS layer is part of the build.
#include <catch2/catch.hpp>

#include <chrono>

#include "coro_test.hpp"
#include "tls/tls_support.hpp"

using namespace std::chrono_literals;
using zsock::task;

namespace {

zsock::tls_options server_opts() {
    zsock::tls_options o;
    o.sec_tags = {tls_test::tag_server};
    return o;
}
zsock::tls_options client_opts() {
    zsock::tls_options o;
    o.sec_tags = {tls_test::tag_ca};
    o.hostname = "localhost";
    return o;
}

task<void> tls_echo(zsock::tcp_listener &l, int conns) {
    for (int i = 0; i < conns; ++i) {
        auto s = co_await l.accept().with_timeout(10s);
        REQUIRE(s.has_value());
        char buf[1500];
        for (;;) {
            auto n = co_await s->recv(buf, sizeof buf).with_timeout(10s);
            REQUIRE(n.has_value());
            if (*n == 0) break;
            // (Never co_await inside a Catch macro: GCC 12 mis-compiles co_await inside the
            // macro's expression templates.)
            auto w = co_await s->send_all(buf, *n);
            REQUIRE(w.ok());
        }
    }
}

} // namespace

TEST_CASE("tls_stream: coroutine client and server, handshake and 200 KB echoed") {
    tls_test::add_standard_credentials();
    zsock::event_loop loop;
    auto l = zsock::tls_stream::listen(zsock::endpoint::loopback_v4(0), server_opts()).value();
    auto ep = l.local_endpoint().value();
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(ep, client_opts()).with_timeout(10s);
            REQUIRE(c.has_value());
            auto data = coro_test::pattern_bytes(5, 200000);
            std::vector<char> back(data.size());
            auto [w, r] = co_await zsock::when_all(c->send_all(data.data(), data.size()),
                                                   c->recv_exact(back.data(), back.size()));
            CHECK(w.ok());
            CHECK(r.ok());
            CHECK(back == data);
            c->shutdown(SHUT_WR); // close_notify: the server's recv sees end of stream
        };
        co_await zsock::when_all(tls_echo(l, 1), client());
    }());
}

TEST_CASE("tls_stream: a client that does not trust the server fails its connect") {
    tls_test::add_standard_credentials();
    zsock::event_loop loop;
    auto l = zsock::tls_stream::listen(zsock::endpoint::loopback_v4(0), server_opts()).value();
    auto ep = l.local_endpoint().value();
    auto r = zsock::sync_wait(loop, [&]() -> task<zsock::result<zsock::tcp_stream>> {
        zsock::tls_options o;
        o.sec_tags = {tls_test::tag_rogue}; // trusts nothing that signed the server
        o.hostname = "localhost";
        o.peer_verify = ZSOCK_TLS_PEER_VERIFY_REQUIRED;
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(10s);
            if (s) {
                char b[8];
                (void)co_await s->recv(b, sizeof b).with_timeout(10s);
            }
        };
        auto [c, _] = co_await zsock::when_all(
            [&]() -> task<zsock::result<zsock::tcp_stream>> {
                co_return co_await zsock::tls_stream::connect(ep, o).with_timeout(10s);
            }(),
            server());
        co_return std::move(c);
    }());
    CHECK_FALSE(r.has_value());
}

TEST_CASE("tls_stream: coroutine client against openssl s_server") {
    tls_test::add_standard_credentials();
    const auto &pki = tls_test::the_pki();
    tls_test::s_server srv(
        {"-cert", pki.path("server.pem"), "-key", pki.path("server.key"), "-rev"});
    zsock::event_loop loop;
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(srv.port),
                                                     client_opts())
                     .with_timeout(10s);
        REQUIRE(c.has_value());
        auto sent = co_await c->send_all("coroutines\n");
        REQUIRE(sent.ok());
        std::string acc;
        char buf[256];
        while (acc.find('\n') == std::string::npos) {
            auto n = co_await c->recv(buf, sizeof buf).with_timeout(10s);
            REQUIRE(n.has_value());
            REQUIRE(*n > 0);
            acc.append(buf, *n);
        }
        co_return acc;
    }());
    CHECK(got.find("senituoroc") != std::string::npos); // s_server -rev answers each line reversed
}
