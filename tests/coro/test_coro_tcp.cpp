// tcp_listener / tcp_stream on loopback: accept, connect, recv, send, recv_exact, send_all,
// end of stream, deadlines, close with operations pending. Peers are real kernel sockets.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using namespace coro_test;

namespace {

task<void> echo_once(zsock::tcp_listener &l) {
    auto s = co_await l.accept();
    REQUIRE(s.has_value());
    char buf[1024];
    for (;;) {
        auto n = co_await s->recv(buf, sizeof buf);
        REQUIRE(n.has_value());
        if (*n == 0) break;
        auto w = co_await s->send_all(std::string_view(buf, *n));
        REQUIRE(w.ok());
    }
}

} // namespace

TEST_CASE("coroutine server echoes a blocking kernel client byte for byte") {
    zsock::event_loop loop;
    auto l = listen_local();
    uint16_t port = port_of(l);
    const auto data = pattern_bytes(1, 300000);
    std::vector<char> got;
    const int failures = thread_failures();
    std::thread client([&] {
        auto c = blocking_connect(port);
        THREAD_REQUIRE(c >= 0);
        std::thread writer([&] {
            std::size_t off = 0;
            while (off < data.size()) {
                std::size_t n = std::min<std::size_t>(7000, data.size() - off);
                THREAD_REQUIRE(send_all_blocking(c, data.data() + off, n));
                off += n;
            }
            zsock_shutdown(c, SHUT_WR);
        });
        char buf[4096];
        for (;;) {
            ssize_t n = zsock_recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.insert(got.end(), buf, buf + n);
        }
        writer.join();
    });
    zsock::sync_wait(loop, echo_once(l));
    client.join();
    CHECK(thread_failures() == failures);
    CHECK(got == data);
}

TEST_CASE("coroutine client and server on one loop: connect, send_all, recv_exact, EOF") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto ep = zsock::endpoint::loopback_v4(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto client = [&]() -> task<std::vector<char>> {
            auto c = co_await zsock::tcp_stream::connect(ep).with_timeout(5s);
            REQUIRE(c.has_value());
            CHECK(c->remote_endpoint().value() == ep);
            auto msg = pattern_bytes(2, 100000);
            auto w = co_await c->send_all(msg.data(), msg.size());
            CHECK(w.ok());
            CHECK(w.bytes == msg.size());
            CHECK(c->shutdown(SHUT_WR).has_value());
            std::vector<char> back(msg.size());
            auto r = co_await c->recv_exact(std::span<char>(back));
            CHECK(r.ok());
            CHECK(r.bytes == back.size());
            // Then end of stream: recv gives 0, recv_exact reports eof and how far it got.
            char extra[4];
            auto e = co_await c->recv_exact(std::span<char>(extra));
            CHECK(e.error == zsock::errc::eof);
            CHECK(e.bytes == 0);
            co_return back;
        };
        auto [_, back] = co_await zsock::when_all(echo_once(l), client());
        CHECK(back == pattern_bytes(2, 100000));
    }());
}

TEST_CASE("connect to a closed port fails with connection_refused") {
    zsock::event_loop loop;
    uint16_t port;
    {
        auto l = listen_local();
        port = port_of(l);
    }
    auto r = zsock::sync_wait(loop, [&]() -> task<zsock::result<zsock::tcp_stream>> {
        co_return co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(port));
    }());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == std::errc::connection_refused);
}

TEST_CASE("recv with a deadline times out, and the stream still works afterwards") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto c = blocking_connect(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto s = co_await l.accept();
        REQUIRE(s.has_value());
        char buf[16];
        auto t0 = std::chrono::steady_clock::now();
        auto r = co_await s->recv(buf, sizeof buf).with_timeout(30ms);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == std::errc::timed_out);
        CHECK(std::chrono::steady_clock::now() - t0 >= 30ms);
        REQUIRE(zsock_send(c, "late", 4, 0) == 4);
        auto r2 = co_await s->recv(buf, sizeof buf).with_timeout(5s);
        REQUIRE(r2.has_value());
        CHECK(std::string(buf, *r2) == "late");
    }());
}

TEST_CASE("close() with a recv pending completes it with operation_canceled") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto c = blocking_connect(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto s = co_await l.accept();
        REQUIRE(s.has_value());
        auto reader = [&]() -> task<std::error_code> {
            char buf[16];
            auto r = co_await s->recv(buf, sizeof buf);
            co_return r ? std::error_code() : r.error();
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(10ms);
            s->close();
        };
        auto [ec, _] = co_await zsock::when_all(reader(), closer());
        CHECK(ec == std::errc::operation_canceled);
        CHECK_FALSE(s->is_open());
    }());
    // The kernel really closed it: the peer sees end of stream.
    char b;
    CHECK(zsock_recv(c, &b, 1, 0) == 0);
}

TEST_CASE("operations on a closed stream fail with bad_file_descriptor") {
    zsock::event_loop loop;
    zsock::tcp_stream s;
    auto r = zsock::sync_wait(loop, [&]() -> task<zsock::result<std::size_t>> {
        char b[4];
        co_return co_await s.recv(b, sizeof b);
    }());
    CHECK(r.error() == std::errc::bad_file_descriptor);
}

TEST_CASE("send to a peer that closed fails with broken_pipe or reset, never SIGPIPE") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto c = blocking_connect(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto s = co_await l.accept();
        REQUIRE(s.has_value());
        c.reset(); // peer closes; our sends get RST, then EPIPE
        std::vector<char> chunk(65536, 'x');
        std::error_code ec;
        for (int i = 0; i < 100 && !ec; ++i) {
            auto w = co_await s->send_all(chunk.data(), chunk.size());
            ec = w.error;
            if (!ec) co_await zsock::sleep_for(1ms);
        }
        CHECK((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
    }());
}
