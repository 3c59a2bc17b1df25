// Deadlines on whole tasks (zsock::with_timeout / with_deadline), on connect, and close() with
// a kernel operation in flight. Peers are real kernel sockets on loopback; both engines.
#include <catch2/catch.hpp>

#include <chrono>
#include <stop_token>

#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using namespace coro_test;

namespace {

using clock_type = std::chrono::steady_clock;

/// A listening kernel socket whose accept queue is full: with a backlog of 0 the kernel queues
/// one connection, and drops the SYN of every later one, so their connect() never completes.
struct full_backlog {
    zsock_test::fd_guard listener;
    zsock_test::fd_guard queued;
    uint16_t port = 0;
};

full_backlog make_full_backlog() {
    full_backlog f;
    f.listener = zsock_test::fd_guard(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a = zsock_test::loopback4(0);
    REQUIRE(zsock_bind(f.listener, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(zsock_listen(f.listener, 0) == 0);
    socklen_t len = sizeof a;
    REQUIRE(zsock_getsockname(f.listener, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    f.port = ntohs(a.sin_port);
    f.queued = blocking_connect(f.port);
    REQUIRE(f.queued >= 0);
    return f;
}

} // namespace

TEST_CASE("with_timeout on recv_exact: timed_out, with the bytes that did arrive") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    REQUIRE(zsock_send(c, "abc", 3, 0) == 3); // 3 of the 10 bytes asked for, then silence
    char buf[10] = {};
    auto t0 = clock_type::now();
    auto r = zsock::sync_wait(loop, zsock::with_timeout(s.recv_exact(buf, sizeof buf), 100ms));
    auto took = clock_type::now() - t0;
    CHECK(r.error == std::errc::timed_out);
    CHECK(r.bytes == 3);
    CHECK(std::string(buf, 3) == "abc");
    CHECK(took >= 90ms);
    CHECK(took < 5s);
    // Nothing was lost: the stream still works, and the next bytes follow the first three.
    REQUIRE(zsock_send(c, "defghij", 7, 0) == 7);
    auto r2 = zsock::sync_wait(loop, s.recv_exact(buf + 3, 7));
    CHECK(r2.ok());
    CHECK(std::string(buf, 10) == "abcdefghij");
}

TEST_CASE("with_timeout: a task that finishes in time returns its value, and the timer is gone") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    REQUIRE(zsock_send(c, "0123456789", 10, 0) == 10);
    char buf[10];
    auto r = zsock::sync_wait(loop, zsock::with_timeout(s.recv_exact(buf, sizeof buf), 50ms));
    CHECK(r.ok());
    CHECK(r.bytes == 10);
    // Past the deadline that no longer exists, a plain recv in the same loop is not disturbed.
    auto late = zsock::sync_wait(loop, [&]() -> task<zsock::result<std::size_t>> {
        co_await zsock::sleep_for(100ms);
        REQUIRE(zsock_send(c, "x", 1, 0) == 1);
        co_return co_await s.recv(buf, sizeof buf);
    }());
    REQUIRE(late.has_value());
    CHECK(*late == 1);
}

TEST_CASE("with_timeout returns a value computed after the deadline hit an inner operation") {
    zsock::event_loop loop;
    auto body = []() -> task<int> {
        auto slept = co_await zsock::sleep_for(10s);
        co_return slept ? 1 : (slept.error() == std::errc::timed_out ? 2 : 3);
    };
    auto t0 = clock_type::now();
    int v = zsock::sync_wait(loop, zsock::with_timeout(body(), 50ms));
    CHECK(v == 2);
    CHECK(clock_type::now() - t0 < 5s);
}

TEST_CASE("with_timeout reaches every child of a when_all inside it") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    auto body = [&]() -> task<std::pair<std::error_code, std::error_code>> {
        auto reader = [&]() -> task<std::error_code> {
            char b[4];
            auto r = co_await s.recv(b, sizeof b);
            co_return r ? std::error_code() : r.error();
        };
        auto sleeper = []() -> task<std::error_code> {
            auto r = co_await zsock::sleep_for(10s);
            co_return r ? std::error_code() : r.error();
        };
        auto [a, b] = co_await zsock::when_all(reader(), sleeper());
        co_return std::pair{a, b};
    };
    auto [a, b] = zsock::sync_wait(loop, zsock::with_timeout(body(), 50ms));
    CHECK(a == std::errc::timed_out);
    CHECK(b == std::errc::timed_out);
}

TEST_CASE("with_deadline already past: the task's operations fail with timed_out at once") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    REQUIRE(zsock_send(c, "data", 4, 0) == 4);
    char buf[4];
    auto body = [&]() -> task<zsock::result<std::size_t>> {
        co_return co_await s.recv(buf, sizeof buf);
    };
    auto r = zsock::sync_wait(loop, zsock::with_deadline(body(), clock_type::now() - 1s));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == std::errc::timed_out);
    // The bytes were not consumed by the refused operation.
    auto r2 = zsock::sync_wait(loop, s.recv_exact(buf, sizeof buf));
    CHECK(r2.ok());
    CHECK(std::string(buf, 4) == "data");
}

TEST_CASE("a cancellation that is not the deadline still reads operation_canceled") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    std::stop_source src;
    auto body = [&]() -> task<std::error_code> {
        char b[4];
        auto r = co_await s.recv(b, sizeof b);
        co_return r ? std::error_code() : r.error();
    };
    auto stopper = [&]() -> task<void> {
        co_await zsock::sleep_for(20ms);
        src.request_stop();
    };
    auto [ec, _] = zsock::sync_wait(
        loop, zsock::when_all(zsock::with_stop(zsock::with_timeout(body(), 10s), src.get_token()),
                              stopper()));
    CHECK(ec == std::errc::operation_canceled);
}

TEST_CASE("connect with a deadline: a peer that never answers the SYN gives timed_out") {
    zsock::event_loop loop;
    auto f = make_full_backlog();
    auto t0 = clock_type::now();
    auto r = zsock::sync_wait(loop, [&]() -> task<zsock::result<zsock::tcp_stream>> {
        co_return co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(f.port))
            .with_timeout(150ms);
    }());
    auto took = clock_type::now() - t0;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == std::errc::timed_out);
    CHECK(took >= 140ms);
    CHECK(took < 5s);
}

TEST_CASE("close() with a UDP recv in the kernel completes it with operation_canceled") {
    zsock::event_loop loop;
    auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
        auto reader = [&]() -> task<std::error_code> {
            char b[64];
            zsock::endpoint from;
            auto r = co_await u.recv_from(b, sizeof b, from);
            co_return r ? std::error_code() : r.error();
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(20ms);
            u.close();
        };
        auto [e, _] = co_await zsock::when_all(reader(), closer());
        co_return e;
    }());
    CHECK(ec == std::errc::operation_canceled);
    CHECK_FALSE(u.is_open());
}

TEST_CASE("close() with a send blocked on a full socket buffer completes it, and the peer sees "
          "the close") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = accept_pair(loop, l);
    REQUIRE(s.is_open());
    std::vector<char> chunk(32 << 20, 'z'); // more than both buffers hold (autotuned, a few MiB)
    auto [sent, ec] =
        zsock::sync_wait(loop, [&]() -> task<std::pair<std::size_t, std::error_code>> {
            auto sender = [&]() -> task<zsock::io_result> {
                co_return co_await s.send_all(chunk.data(), chunk.size());
            };
            auto closer = [&]() -> task<void> {
                co_await zsock::sleep_for(50ms);
                s.close();
            };
            auto [w, _] = co_await zsock::when_all(sender(), closer());
            co_return std::pair{w.bytes, w.error};
        }());
    CHECK(ec == std::errc::operation_canceled);
    CHECK(sent > 0);
    CHECK(sent < chunk.size());
    CHECK_FALSE(s.is_open());
    // The peer reads what was sent, then end of stream (or a reset: unsent bytes were dropped).
    std::size_t got = 0;
    char b[65536];
    for (;;) {
        ssize_t n = zsock_recv(c, b, sizeof b, 0);
        if (n <= 0) {
            CHECK((n == 0 || errno == ECONNRESET));
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    CHECK(got <= sent);
}
