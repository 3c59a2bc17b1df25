// The TLS pitfalls of coroutine frameworks, on both engines:
//  - mbedTLS's WANT_WRITE contract (the same buffer must come back) against a reader that is
//    slow, and against sends that are cancelled half-way: zsock counts a record the transport took
//    only in part as sent, so the caller moves on and nothing is repeated or lost;
//  - close() with a TLS recv or send pending completes it with operation_canceled;
//  - a when_any loser with a TLS recv in flight loses no byte.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>

#include "coro_test.hpp"
#include "tls_coro_test.hpp"

using namespace std::chrono_literals;
using namespace coro_test;
using namespace tls_coro_test;
using zsock::task;

namespace {

/// A connected pair on the current loop: the accepted server stream (handshake done) and the
/// client stream.
struct tls_pair {
    zsock::tls_stream server;
    zsock::tls_stream client;
};

tls_pair make_pair(zsock::event_loop &loop, zsock::tls_listener &l) {
    return zsock::sync_wait(loop, [&]() -> task<tls_pair> {
        auto accept = [&]() -> task<zsock::tls_stream> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            {
                auto done = co_await s->handshake().with_timeout(5s);
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
            co_return std::move(*s);
        };
        auto connect = [&]() -> task<zsock::tls_stream> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)),
                                                         client_options())
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            co_return std::move(*c);
        };
        auto [s, c] = co_await zsock::when_all(accept(), connect());
        co_return tls_pair{std::move(s), std::move(c)};
    }());
}

void set_int(int fd, int level, int name, int v) {
    REQUIRE(zsock_setsockopt(fd, level, name, &v, sizeof v) == 0);
}

} // namespace

TEST_CASE(
    "tls pitfall: a large send to a slow reader; sends stay short and every byte arrives once") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto [s, c] = make_pair(loop, l);
    // A send buffer smaller than a record: almost every 16 KiB record is taken only in part
    // (mbedTLS's WANT_WRITE with output pending), which zsock reports as the record taken.
    set_int(s.native_handle(), SOL_SOCKET, SO_SNDBUF, 8192);
    set_int(c.native_handle(), SOL_SOCKET, SO_RCVBUF, 65536);
    const auto data = pattern_bytes(71, 2u << 20);
    std::vector<char> got;
    std::size_t sends = 0, max_send = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto writer = [&]() -> task<void> {
            std::size_t off = 0;
            while (off < data.size()) {
                // The same position is offered again only when nothing was taken.
                auto w = co_await s.send(data.data() + off, data.size() - off).with_timeout(20s);
                INFO(w.error().message());
                REQUIRE(w.has_value());
                REQUIRE(*w > 0);
                max_send = std::max(max_send, *w);
                off += *w;
                ++sends;
            }
            {
                auto done = co_await s.shutdown();
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
        };
        auto reader = [&]() -> task<void> {
            char buf[4096];
            for (;;) {
                auto r = co_await c.recv(buf, sizeof buf).with_timeout(20s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                if (*r == 0) break;
                got.insert(got.end(), buf, buf + *r);
                if (got.size() % (64 * 1024) < sizeof buf) co_await zsock::sleep_for(1ms); // slow
            }
        };
        co_await zsock::when_all(writer(), reader());
    }());
    CHECK(max_send <= 16384); // one record per send
    CHECK(sends >= data.size() / 16384);
    CHECK(first_difference(got, data) == "equal");
}

TEST_CASE("tls pitfall: a send that times out against a stalled reader took nothing") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto [s, c] = make_pair(loop, l);
    set_int(s.native_handle(), SOL_SOCKET, SO_SNDBUF, 8192);
    set_int(c.native_handle(), SOL_SOCKET, SO_RCVBUF, 65536);
    const auto data = pattern_bytes(72, 2u << 20);
    std::size_t off = 0;
    int timeouts = 0;
    std::vector<char> got;
    zsock::sync_wait(loop, [&]() -> task<void> {
        // Phase 1: nobody reads. Sends fill the transport until one cannot progress and times
        // out; that one reports timed_out and must have taken nothing.
        while (off < data.size() && timeouts == 0) {
            auto w = co_await s.send(data.data() + off, data.size() - off).with_timeout(30ms);
            if (!w) {
                REQUIRE(w.error() == std::errc::timed_out);
                ++timeouts;
                break;
            }
            off += *w;
        }
        REQUIRE(timeouts == 1);
        REQUIRE(off < data.size());
        // Phase 2: the reader drains while the writer goes on from exactly where it was told it
        // stood, each send again bounded, some timing out (and retried from the same offset).
        auto writer = [&]() -> task<void> {
            while (off < data.size()) {
                auto w = co_await s.send(data.data() + off, data.size() - off).with_timeout(2ms);
                if (!w) {
                    REQUIRE(w.error() == std::errc::timed_out);
                    ++timeouts;
                    continue;
                }
                off += *w;
            }
            {
                auto done = co_await s.shutdown();
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
        };
        auto reader = [&]() -> task<void> {
            std::vector<char> buf(32768);
            for (;;) {
                auto r = co_await c.recv(std::span<char>(buf)).with_timeout(20s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                if (*r == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
        };
        co_await zsock::when_all(writer(), reader());
    }());
    INFO("timeouts: " << timeouts);
    CHECK(first_difference(got, data) == "equal");
}

TEST_CASE("tls pitfall: close() with a TLS recv pending completes it with operation_canceled") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto [s, c] = make_pair(loop, l);
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto reader = [&]() -> task<std::error_code> {
            char buf[64];
            auto r = co_await s.recv(buf, sizeof buf);
            co_return r ? std::error_code() : r.error();
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(10ms);
            s.close();
        };
        auto [ec, _] = co_await zsock::when_all(reader(), closer());
        CHECK(ec == std::errc::operation_canceled);
        CHECK(!s.is_open());
        // The peer sees the end: close_notify if the transport took it, else the transport's
        // end at a record boundary; recv gives 0 either way.
        char buf[8];
        auto r = co_await c.recv(buf, sizeof buf).with_timeout(5s);
        CHECK((r.has_value() && *r == 0));
    }());
}

TEST_CASE("tls pitfall: close() with a TLS send pending completes it with operation_canceled") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto [s, c] = make_pair(loop, l);
    set_int(s.native_handle(), SOL_SOCKET, SO_SNDBUF, 8192);
    set_int(c.native_handle(), SOL_SOCKET, SO_RCVBUF, 65536);
    const auto data = pattern_bytes(73, 8u << 20);
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto writer = [&]() -> task<std::error_code> {
            auto w = co_await s.send_all(data.data(), data.size()); // the reader never reads
            co_return w.error;
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(50ms);
            s.close();
        };
        auto [ec, _] = co_await zsock::when_all(writer(), closer());
        CHECK(ec == std::errc::operation_canceled);
    }());
}

TEST_CASE("tls pitfall: a when_any loser with a TLS recv in flight loses no byte") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto [s, c] = make_pair(loop, l);
    std::string got;
    int recv_won = 0, recv_lost = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        for (int round = 0; round < 20; ++round) {
            auto reader = [&]() -> task<std::size_t> {
                char buf[256];
                auto r = co_await s.recv(buf, sizeof buf);
                if (!r) {
                    // Lost the race: cancelled with nothing taken.
                    CHECK(r.error() == std::errc::operation_canceled);
                    co_return 0;
                }
                got.append(buf, *r);
                co_return *r;
            };
            // Even rounds: the bytes are sent at once and the recv wins unless the loop stalls for
            // 200 ms. Odd rounds: they come 10 ms later, long after the 2 ms timer won.
            auto timer = [&]() -> task<void> {
                co_await zsock::sleep_for(round % 2 ? 2ms : 200ms);
            };
            auto sender = [&]() -> task<void> {
                // Even rounds: the bytes come while the recv waits (it wins). Odd rounds: after
                // the timer won and the recv in flight was cancelled.
                if (round % 2) co_await zsock::sleep_for(10ms);
                auto w = co_await c.send_all("round " + std::to_string(round) + ";");
                REQUIRE(w.ok());
            };
            auto race = [&]() -> task<void> {
                auto r = co_await zsock::when_any(reader(), timer());
                if (r.index() == 0)
                    ++recv_won;
                else
                    ++recv_lost;
            };
            co_await zsock::when_all(race(), sender());
        }
        // Whatever the losers left is still there, in order.
        std::string want;
        for (int round = 0; round < 20; ++round)
            want += "round " + std::to_string(round) + ";";
        while (got.size() < want.size()) {
            char buf[256];
            auto r = co_await s.recv(buf, sizeof buf).with_timeout(5s);
            INFO(r.error().message());
            REQUIRE(r.has_value());
            REQUIRE(*r > 0);
            got.append(buf, *r);
        }
        CHECK(first_difference(got, want) == "equal");
    }());
    CHECK(recv_won > 0);
    CHECK(recv_lost > 0);
}
