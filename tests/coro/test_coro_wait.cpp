// Readiness waits (tcp_stream / udp_socket / tls_stream ::wait) on both engines, against blocking
// kernel peers: a wait completes when a recv or send would not wait, takes no byte, stays in line
// with the reads of the same stream, and ends with operation_canceled or timed_out like any
// operation. On io_uring a connection reading through the buffer ring has its bytes taken off the
// socket as they arrive, so its waits are served from the ring's queue: the tests that read a
// little first check exactly that.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "coro_test.hpp"
#include "tls_coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using zsock::wait_type;
using namespace coro_test;

namespace {

/// True when s.wait(what) is still pending after `quiet` (it times out).
task<bool> stays_pending(zsock::tcp_stream &s, wait_type what, std::chrono::milliseconds quiet) {
    auto r = co_await s.wait(what).with_timeout(quiet);
    co_return r.error() == std::errc::timed_out;
}

/// What a recv that may not wait gets (through the engine: on io_uring the bytes may sit in the
/// connection's ring queue rather than in the socket).
task<std::string> recv_now(zsock::tcp_stream &s, std::size_t max) {
    std::string buf(max, '\0');
    auto n = co_await s.recv(buf.data(), buf.size(), MSG_DONTWAIT);
    co_return n ? buf.substr(0, *n) : std::string("error: ") + n.error().message();
}

} // namespace

TEST_CASE("wait(readable) waits for bytes and takes none of them") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    CHECK(zsock::sync_wait(loop, stays_pending(p.server, wait_type::readable, 100ms)));

    REQUIRE(zsock_send(p.client, "hello", 5, 0) == 5);
    auto w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::readable).with_timeout(5s);
    }());
    INFO(w.error().message());
    REQUIRE(w.has_value());
    // Still there, all of it, and a recv that must not wait gets it.
    CHECK(zsock::sync_wait(loop, recv_now(p.server, 64)) == "hello");
}

TEST_CASE("wait(readable) sees bytes already taken off the socket for this connection") {
    // On io_uring the first recv arms the connection's multishot recv, which then moves every
    // byte that arrives into the buffer ring: the socket itself is empty. A wait that polled the
    // socket would hang here; it must be served from what the connection already holds.
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    REQUIRE(zsock_send(p.client, "abcdef", 6, 0) == 6);
    std::string first = zsock::sync_wait(loop, [&]() -> task<std::string> {
        char c = 0;
        auto n = co_await p.server.recv(&c, 1).with_timeout(5s);
        if (!n || *n != 1) co_return std::string("error");
        co_return std::string(1, c);
    }());
    REQUIRE(first == "a");
    for (int round = 0; round < 3; ++round) {
        auto w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
            co_return co_await p.server.wait(wait_type::readable).with_timeout(2s);
        }());
        INFO("round " << round << ": " << w.error().message());
        REQUIRE(w.has_value());
    }
    CHECK(zsock::sync_wait(loop, recv_now(p.server, 64)) == "bcdef");
    // Drained: the next wait waits again, until the peer sends.
    CHECK(zsock::sync_wait(loop, stays_pending(p.server, wait_type::readable, 100ms)));
    std::thread later([fd = p.client.get()] {
        std::this_thread::sleep_for(50ms);
        zsock_send(fd, "g", 1, 0);
    });
    auto w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::readable).with_timeout(5s);
    }());
    later.join();
    REQUIRE(w.has_value());
    CHECK(zsock::sync_wait(loop, recv_now(p.server, 64)) == "g");
}

TEST_CASE("wait(readable) completes at end of stream, and recv then returns 0") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    REQUIRE(zsock_send(p.client, "xy", 2, 0) == 2);
    REQUIRE(zsock_shutdown(p.client, ZSOCK_SHUT_WR) == 0);
    zsock::sync_wait(loop, [&]() -> task<void> {
        REQUIRE((co_await p.server.wait(wait_type::readable).with_timeout(5s)).has_value());
        char buf[8];
        auto n = co_await p.server.recv(buf, sizeof buf).with_timeout(5s);
        REQUIRE(n.has_value());
        CHECK(std::string(buf, *n) == "xy");
        // Only the end of stream is left: readable, and the recv says 0 without waiting.
        REQUIRE((co_await p.server.wait(wait_type::readable).with_timeout(5s)).has_value());
        n = co_await p.server.recv(buf, sizeof buf, MSG_DONTWAIT);
        REQUIRE(n.has_value());
        CHECK(*n == 0);
    }());
}

TEST_CASE("a wait stays in line behind a recv that started first") {
    // The recv takes what arrives; the wait then sees nothing left and goes on waiting until
    // more comes. Both engines serve a stream's readers in the order they started.
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    std::string first, second;
    bool wait_done = false;
    bool wait_early = false;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto reader = [&]() -> task<void> {
            char buf[64];
            auto n = co_await p.server.recv(buf, sizeof buf).with_timeout(5s);
            REQUIRE(n.has_value());
            first.assign(buf, *n);
        };
        auto waiter = [&]() -> task<void> {
            auto w = co_await p.server.wait(wait_type::readable).with_timeout(5s);
            REQUIRE(w.has_value());
            wait_done = true;
            second = co_await recv_now(p.server, 64);
        };
        auto peer = [&]() -> task<void> {
            co_await zsock::sleep_for(50ms); // both are waiting by now
            REQUIRE(zsock_send(p.client, "one", 3, 0) == 3);
            co_await zsock::sleep_for(150ms);
            wait_early = wait_done;
            REQUIRE(zsock_send(p.client, "two", 3, 0) == 3);
        };
        co_await zsock::when_all(reader(), waiter(), peer());
    }());
    CHECK(first == "one");
    CHECK_FALSE(wait_early);
    CHECK(second == "two");
}

TEST_CASE("wait(writable): at once with room, and only after the peer drains a full buffer") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    int small = 4096;
    REQUIRE(zsock_setsockopt(p.server.native_handle(), SOL_SOCKET, SO_SNDBUF, &small,
                             sizeof small) == 0);
    REQUIRE(zsock_setsockopt(p.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    auto w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::writable).with_timeout(5s);
    }());
    REQUIRE(w.has_value());
    // Fill both buffers: sends that may not wait, until the kernel takes nothing more.
    std::size_t sent = zsock::sync_wait(loop, [&]() -> task<std::size_t> {
        std::vector<char> chunk(16384, 'z');
        std::size_t total = 0;
        for (;;) {
            auto n = co_await p.server.send(chunk.data(), chunk.size(), MSG_DONTWAIT);
            if (!n) {
                CHECK(n.error() == std::errc::resource_unavailable_try_again);
                co_return total;
            }
            total += *n;
        }
    }());
    REQUIRE(sent > 0);
    CHECK(zsock::sync_wait(loop, stays_pending(p.server, wait_type::writable, 100ms)));
    std::thread drain([fd = p.client.get(), sent] {
        std::this_thread::sleep_for(50ms);
        std::vector<char> buf(65536);
        std::size_t got = 0;
        while (got < sent) {
            ssize_t n = zsock_recv(fd, buf.data(), buf.size(), 0);
            THREAD_REQUIRE(n > 0);
            got += static_cast<std::size_t>(n);
        }
    });
    w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::writable).with_timeout(5s);
    }());
    drain.join();
    REQUIRE(thread_failures() == 0);
    INFO(w.error().message());
    CHECK(w.has_value());
}

TEST_CASE("wait(writable) completes when the peer drained a full buffer before anyone waited") {
    // Sends that may not wait fill the socket, so the engine knows it is full, and nothing waits
    // for room while the peer drains it (no operation to hand the edge to). The wait that comes
    // afterwards must still see the room, and not wait for an edge that already went by.
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    std::size_t sent = zsock::sync_wait(loop, [&]() -> task<std::size_t> {
        std::vector<char> chunk(65536, 'y');
        std::size_t total = 0;
        for (;;) {
            auto n = co_await p.server.send(chunk.data(), chunk.size(), MSG_DONTWAIT);
            if (!n) co_return total;
            total += *n;
        }
    }());
    REQUIRE(sent > 0);
    std::vector<char> buf(65536);
    for (std::size_t got = 0; got < sent;) {
        ssize_t n = zsock_recv(p.client, buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        got += static_cast<std::size_t>(n);
    }
    auto w = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::writable).with_timeout(2s);
    }());
    INFO(w.error().message());
    CHECK(w.has_value());
    // And a send goes through at once.
    auto n = zsock::sync_wait(loop, [&]() -> task<zsock::result<std::size_t>> {
        co_return co_await p.server.send("x", 1).with_timeout(2s);
    }());
    CHECK(n.has_value());
}

TEST_CASE("a wait ends with timed_out, with operation_canceled on close, and on a closed stream") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    auto t = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::readable).with_timeout(50ms);
    }());
    CHECK(t.error() == std::errc::timed_out);

    zsock::result<void> closed;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto waiter = [&]() -> task<void> {
            closed = co_await p.server.wait(wait_type::readable).with_timeout(5s);
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(20ms);
            p.server.close();
        };
        co_await zsock::when_all(waiter(), closer());
    }());
    CHECK(closed.error() == std::errc::operation_canceled);

    auto after = zsock::sync_wait(loop, [&]() -> task<zsock::result<void>> {
        co_return co_await p.server.wait(wait_type::writable);
    }());
    CHECK(after.error() == std::errc::bad_file_descriptor);
    // No byte was taken by any of it: the peer's data is still for whoever reads the socket.
}

TEST_CASE("udp_socket: wait(readable) completes when a datagram arrives and takes none") {
    zsock::event_loop loop;
    auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto port = u.local_endpoint().value().port();
    zsock_test::fd_guard peer(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in to = zsock_test::loopback4(port);
    std::string got;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto sender = [&]() -> task<void> {
            co_await zsock::sleep_for(50ms);
            REQUIRE(zsock_sendto(peer, "dgram", 5, 0, reinterpret_cast<sockaddr *>(&to),
                                 sizeof to) == 5);
        };
        auto waiter = [&]() -> task<void> {
            REQUIRE((co_await u.wait(wait_type::readable).with_timeout(5s)).has_value());
            char buf[16];
            zsock::endpoint from;
            auto n = co_await u.recv_from(buf, sizeof buf, from, MSG_DONTWAIT);
            REQUIRE(n.has_value());
            got.assign(buf, *n);
        };
        co_await zsock::when_all(sender(), waiter());
    }());
    CHECK(got == "dgram");
}

TEST_CASE("tls_stream: wait(readable) completes for application data, and recv has it at once") {
    using namespace tls_coro_test;
    zsock::event_loop loop;
    auto l = tls_listen();
    const auto msg = pattern_bytes(71, 5000);
    std::vector<char> got;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            REQUIRE((co_await s->handshake().with_timeout(10s)).has_value());
            while (got.size() < msg.size()) {
                auto w = co_await s->wait(wait_type::readable).with_timeout(5s);
                INFO(w.error().message());
                REQUIRE(w.has_value());
                char buf[1000]; // less than a record: later waits find bytes inside mbedTLS
                auto n = co_await s->recv(buf, sizeof buf, MSG_DONTWAIT);
                INFO(n.error().message());
                REQUIRE(n.has_value());
                REQUIRE(*n > 0);
                got.insert(got.end(), buf, buf + *n);
            }
            REQUIRE((co_await s->send_all("ok")).ok());
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)),
                                                         client_options())
                         .with_timeout(10s);
            REQUIRE(c.has_value());
            co_await zsock::sleep_for(50ms); // the server waits first
            REQUIRE((co_await c->send_all(msg.data(), msg.size())).ok());
            char ok[2];
            REQUIRE((co_await c->recv_exact(ok, 2)).ok());
        };
        co_await zsock::when_all(server(), client());
    }());
    CHECK(got == msg);
}
