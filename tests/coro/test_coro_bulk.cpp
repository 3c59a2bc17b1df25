// Bulk transfers on both engines: connections that read with large buffers. On io_uring such a
// connection leaves the buffer ring, and while its socket is known to have bytes (or room) its
// reads and sends are direct nonblocking calls instead of SQEs. These tests check that every byte
// still arrives once and in order, against blocking kernel clients.
#include <catch2/catch.hpp>

#include <chrono>
#include <span>
#include <thread>

#include "core/io_engine.hpp"
#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using namespace coro_test;

namespace {

/// Echoes s with a 64 KiB buffer until end of stream, as echo_server does for bulk connections.
task<void> echo_bulk(zsock::tcp_stream &s) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
        auto n = co_await s.recv(buf.data(), buf.size()).with_timeout(20s);
        REQUIRE(n.has_value());
        if (*n == 0) co_return;
        auto w = co_await s.send_all({reinterpret_cast<const std::byte *>(buf.data()), *n});
        REQUIRE(w.ok());
    }
}

constexpr std::size_t chunk = 64 * 1024;

/// Reads exactly buf.size() bytes with plain recvs. A first read of 64 KiB makes the connection a
/// bulk one (on io_uring it leaves the buffer ring), and its last read comes back full.
task<void> read_full(zsock::tcp_stream &s, std::span<char> buf) {
    std::size_t have = 0;
    while (have < buf.size()) {
        auto n = co_await s.recv(buf.data() + have, buf.size() - have).with_timeout(10s);
        REQUIRE(n.has_value());
        REQUIRE(*n > 0);
        have += *n;
    }
}

} // namespace

TEST_CASE("pipelined bulk echo on several connections returns every byte in order") {
    zsock::event_loop loop;
    auto l = listen_local();
    constexpr int conns = 4;
    constexpr std::size_t per_conn = 6 * 1024 * 1024;
    std::vector<accepted_pair> pairs;
    for (int i = 0; i < conns; ++i) {
        pairs.push_back(accept_pair(loop, l));
        REQUIRE(pairs.back().server.is_open());
    }
    // Each client writes its stream in 64 KiB pieces while a second thread reads the echo back:
    // the server always finds more queued than one read takes.
    std::vector<std::vector<char>> got(conns);
    std::vector<std::thread> threads;
    for (int i = 0; i < conns; ++i) {
        int fd = pairs[i].client.get();
        threads.emplace_back([fd, i] {
            auto data = pattern_bytes(300 + i, per_conn);
            THREAD_REQUIRE(send_all_blocking(fd, data.data(), data.size()));
            zsock_shutdown(fd, ZSOCK_SHUT_WR);
        });
        threads.emplace_back([fd, i, &got] {
            auto &g = got[i];
            g.reserve(per_conn);
            char buf[32 * 1024];
            for (;;) {
                ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
                THREAD_REQUIRE(n >= 0);
                if (n == 0) return;
                g.insert(g.end(), buf, buf + n);
            }
        });
    }
    std::vector<task<void>> echoes;
    for (auto &p : pairs)
        echoes.push_back(echo_bulk(p.server));
    zsock::sync_wait(loop, zsock::when_all(std::move(echoes)));
    for (auto &p : pairs)
        p.server.close(); // the readers see end of stream
    for (auto &t : threads)
        t.join();
    REQUIRE(thread_failures() == 0);
    for (int i = 0; i < conns; ++i) {
        INFO("connection " << i);
        CHECK(got[i].size() == per_conn);
        CHECK(got[i] == pattern_bytes(300 + i, per_conn));
    }
    if (loop.backend() == zsock::backend::io_uring) {
        const auto &st = loop.engine()->stats();
        INFO("plain bulk reads " << st.ms_recv_left << " direct calls " << st.bulk_inline);
        CHECK(st.bulk_inline > 0); // the direct path really ran
    }
}

TEST_CASE("a bulk read never overtakes a read already in flight") {
    // A full 64 KiB read tells the io_uring engine more is queued. A MSG_WAITALL read then goes
    // out as an SQE; a plain read started right after it must wait behind it (a direct call would
    // take the bytes that belong to the first read). Both engines: the first read started gets
    // the first bytes.
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    auto data = pattern_bytes(41, 4 * chunk);
    REQUIRE(send_all_blocking(p.client.get(), data.data(), 2 * chunk));
    std::vector<char> first(chunk), a(chunk), b(chunk);
    zsock::sync_wait(loop, read_full(p.server, first));
    std::thread writer([&] {
        std::this_thread::sleep_for(50ms); // both reads are started by then
        THREAD_REQUIRE(send_all_blocking(p.client.get(), data.data() + 2 * chunk, 2 * chunk));
    });
    std::size_t got_a = 0, got_b = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto read_a = [&]() -> task<void> {
            auto n = co_await p.server.recv(a.data(), chunk, MSG_WAITALL).with_timeout(10s);
            REQUIRE(n.has_value());
            got_a = *n;
        };
        auto read_b = [&]() -> task<void> {
            auto n = co_await p.server.recv(b.data(), chunk).with_timeout(10s);
            REQUIRE(n.has_value());
            got_b = *n;
        };
        co_await zsock::when_all(read_a(), read_b());
    }());
    writer.join();
    REQUIRE(thread_failures() == 0);
    CHECK(std::equal(first.begin(), first.end(), data.begin()));
    REQUIRE(got_a == chunk); // MSG_WAITALL: all of it
    CHECK(std::equal(a.begin(), a.end(), data.begin() + chunk));
    REQUIRE(got_b > 0);
    CHECK(std::equal(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(got_b),
                     data.begin() + 2 * chunk));
}

TEST_CASE("MSG_DONTWAIT reads drain a bulk connection and then say EAGAIN at once") {
    // echo_server's bulk loop: wait for bytes, borrow a buffer, read with MSG_DONTWAIT until the
    // socket is drained, give the buffer back. Each read answers from the socket without a loop
    // turn (io_uring: a direct call, not an SQE), and every byte comes once and in order.
    zsock::event_loop loop;
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    constexpr std::size_t total = 8 * chunk + 100;
    auto data = pattern_bytes(57, total);
    REQUIRE(send_all_blocking(p.client.get(), data.data(), chunk));
    std::thread writer([&] {
        std::this_thread::sleep_for(20ms); // the first read has made the connection a bulk one
        THREAD_REQUIRE(send_all_blocking(p.client.get(), data.data() + chunk, total - chunk));
    });
    std::vector<char> got;
    std::error_code last;
    unsigned dontwait_reads = 0, drained = 0, waited = 0;
    const auto &st = loop.engine()->stats();
    std::vector<char> buf(chunk);
    zsock::sync_wait(loop, read_full(p.server, buf));
    got = buf;
    zsock::sync_wait(loop, [&]() -> task<void> {
        while (got.size() < total) {
            auto w = co_await p.server.wait(zsock::wait_type::readable).with_timeout(10s);
            REQUIRE(w.has_value());
            for (;;) {
                const uint64_t before = st.submits;
                auto n = co_await p.server.recv(buf.data(), buf.size(), MSG_DONTWAIT);
                if (st.submits != before) ++waited; // a loop turn ran before the answer
                if (!n) {
                    last = n.error();
                    ++drained;
                    break;
                }
                REQUIRE(*n > 0);
                ++dontwait_reads;
                got.insert(got.end(), buf.data(), buf.data() + *n);
            }
        }
    }());
    writer.join();
    REQUIRE(thread_failures() == 0);
    CHECK(last == std::errc::resource_unavailable_try_again);
    CHECK(drained >= 1);
    CHECK(dontwait_reads >= 1);
    CHECK(waited == 0);
    REQUIRE(got.size() == total);
    CHECK(std::equal(got.begin(), got.end(), data.begin()));
    if (loop.backend() == zsock::backend::io_uring) {
        INFO("direct MSG_DONTWAIT calls " << st.dontwait_direct);
        CHECK(st.dontwait_direct >= dontwait_reads + drained);
    }
}
