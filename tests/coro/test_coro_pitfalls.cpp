// The known pitfalls of async socket frameworks, each checked on both engines against real
// kernel sockets: cancellation racing completion, when_any losers with a recv in flight, short
// sends, recv re-arming after the buffer ring ran dry, accept under EMFILE, SIGPIPE, destroying
// a coroutine with a recv in flight.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <random>
#include <sys/resource.h>
#include <thread>

#include "core/io_engine.hpp"
#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using namespace coro_test;

namespace {

accepted_pair make_pair(zsock::event_loop &loop, zsock::tcp_listener &l) {
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    return p;
}

} // namespace

TEST_CASE("cancellation racing completion loses no byte") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    const std::size_t total = 200000;
    const auto data = pattern_bytes(7, total);
    std::thread writer([&, fd = c.get()] {
        std::mt19937 rng(1);
        std::size_t off = 0;
        while (off < total) {
            std::size_t n = std::min<std::size_t>(1 + rng() % 700, total - off);
            THREAD_REQUIRE(send_all_blocking(fd, data.data() + off, n));
            off += n;
            if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
        }
    });
    std::vector<char> got;
    int timeouts = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        std::mt19937 rng(2);
        char buf[512];
        while (got.size() < total) {
            // Deadlines of 0-100 us: many expire just as bytes arrive. Whatever the outcome, a
            // byte that was received must be reported exactly once.
            auto n = co_await s.recv(buf, sizeof buf)
                         .with_timeout(std::chrono::microseconds(rng() % 100));
            if (!n) {
                REQUIRE(n.error() == std::errc::timed_out);
                ++timeouts;
                continue;
            }
            REQUIRE(*n > 0);
            got.insert(got.end(), buf, buf + *n);
        }
    }());
    writer.join();
    CHECK(timeouts > 0); // the race really happened
    CHECK(got.size() == total);
    CHECK(got == data);
}

TEST_CASE("when_any loser with a recv in flight stops, and the next recv gets every byte") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    bool loser_saw_cancel = false;
    auto reader = [&]() -> task<std::size_t> {
        char buf[64];
        auto n = co_await s.recv(buf, sizeof buf);
        if (!n) loser_saw_cancel = n.error() == std::errc::operation_canceled;
        co_return n ? *n : 0;
    };
    auto timer = []() -> task<int> {
        co_await zsock::sleep_for(20ms);
        co_return 1;
    };
    for (int round = 0; round < 3; ++round) {
        loser_saw_cancel = false;
        auto r = zsock::sync_wait(loop, zsock::when_any(reader(), timer()));
        CHECK(r.index() == 1);
        CHECK(loser_saw_cancel); // it had stopped before when_any returned
    }
    // Nothing was consumed by the cancelled recvs: all of these bytes reach the next reader.
    REQUIRE(send_all_blocking(c, "0123456789", 10));
    std::string got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        char buf[64];
        std::string acc;
        while (acc.size() < 10) {
            auto n = co_await s.recv(buf, sizeof buf).with_timeout(5s);
            REQUIRE(n.has_value());
            acc.append(buf, *n);
        }
        co_return acc;
    }());
    CHECK(got == "0123456789");
}

TEST_CASE("destroying a coroutine with a recv in flight is safe, and no byte is lost") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    {
        // Start a recv into a buffer that lives in the coroutine frame, then destroy the frame
        // while the recv is pending: the kernel must not write into the freed buffer.
        auto t = [](zsock::tcp_stream &st) -> task<void> {
            char buf[4096];
            (void)co_await st.recv(buf, sizeof buf);
            FAIL("the recv must never complete");
        }(s);
        auto h = t.handle();
        h.resume(); // runs until the recv suspends
        loop.poll_once();
        CHECK_FALSE(h.done());
    } // ~task destroys the suspended frame
    REQUIRE(send_all_blocking(c, "after", 5));
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        char buf[16];
        auto n = co_await s.recv(buf, sizeof buf).with_timeout(5s);
        REQUIRE(n.has_value());
        co_return std::string(buf, *n);
    }());
    CHECK(got == "after");
}

TEST_CASE("send takes what fits (short send); send_all finishes once the peer reads") {
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    const std::size_t big = 32 << 20; // far more than the socket buffers hold
    std::vector<char> data = pattern_bytes(9, big);
    auto first = zsock::sync_wait(loop, [&]() -> task<zsock::result<std::size_t>> {
        co_return co_await s.send(data.data(), data.size());
    }());
    REQUIRE(first.has_value());
    CHECK(*first > 0);
    CHECK(*first < big); // short: the kernel took only what its buffers hold
    std::vector<char> got;
    std::thread reader([&, fd = c.get()] {
        char buf[65536];
        while (got.size() < big) {
            ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.insert(got.end(), buf, buf + n);
        }
    });
    auto rest = zsock::sync_wait(loop, s.send_all(data.data() + *first, data.size() - *first));
    reader.join();
    CHECK(rest.ok());
    CHECK(rest.bytes == big - *first);
    CHECK(got == data);
}

TEST_CASE("stream recv survives the provided-buffer ring running dry (ENOBUFS re-arm)") {
    zsock::event_loop::options o;
    o.recv_buffers = 4; // tiny ring: a few connections exhaust it at once
    o.recv_buffer_size = 1024;
    zsock::event_loop loop(o);
    auto l = listen_local();
    constexpr int conns = 6;
    constexpr std::size_t per_conn = 256 * 1024;
    std::vector<accepted_pair> pairs;
    for (int i = 0; i < conns; ++i)
        pairs.push_back(make_pair(loop, l));
    std::vector<std::thread> writers;
    for (int i = 0; i < conns; ++i) {
        writers.emplace_back([&, i, fd = pairs[i].client.get()] {
            auto d = pattern_bytes(100 + i, per_conn);
            THREAD_REQUIRE(send_all_blocking(fd, d.data(), d.size()));
        });
    }
    std::vector<std::vector<char>> got(conns);
    auto drain = [&](int i, std::chrono::milliseconds pause) -> task<void> {
        char buf[700];
        while (got[i].size() < per_conn) {
            auto n = co_await pairs[i].server.recv(buf, sizeof buf).with_timeout(10s);
            REQUIRE(n.has_value());
            REQUIRE(*n > 0);
            got[i].insert(got[i].end(), buf, buf + *n);
            // A slow reader keeps buffers queued, so the others find the ring empty.
            if (got[i].size() % 8192 < sizeof buf) co_await zsock::sleep_for(pause);
        }
    };
    std::vector<task<void>> readers;
    for (int i = 0; i < conns; ++i)
        readers.push_back(drain(i, std::chrono::milliseconds(i % 2)));
    zsock::sync_wait(loop, zsock::when_all(std::move(readers)));
    for (auto &w : writers)
        w.join();
    for (int i = 0; i < conns; ++i)
        CHECK(got[i] == pattern_bytes(100 + i, per_conn));
    const auto &st = loop.engine()->stats();
    if (loop.backend() == zsock::backend::io_uring) {
        INFO("arms " << st.ms_recv_arms << " enobufs " << st.ms_recv_enobufs << " fallbacks "
                     << st.ms_recv_fallbacks);
        CHECK(st.ms_recv_enobufs + st.ms_recv_fallbacks > 0);  // the ring really ran dry
        CHECK(st.ms_recv_arms > static_cast<uint64_t>(conns)); // and recv was re-armed after it
    }
}

TEST_CASE("a stream that switches to large reads keeps every byte in order (leaving the ring)") {
    // Small reads first (on io_uring the connection reads through the buffer ring, which keeps
    // receiving ahead of the reader), then reads of 64 KiB: the connection leaves the ring for
    // plain recvs, and the bytes the ring already holds must come first, none lost or repeated.
    zsock::event_loop::options o;
    o.recv_buffer_size = 4096;
    zsock::event_loop loop(o);
    auto l = listen_local();
    auto p = make_pair(loop, l);
    constexpr std::size_t total = 8 * 1024 * 1024;
    auto data = pattern_bytes(77, total);
    std::thread writer([&, fd = p.client.get()] {
        THREAD_REQUIRE(send_all_blocking(fd, data.data(), data.size()));
        zsock_shutdown(fd, SHUT_WR);
    });
    std::vector<char> got;
    got.reserve(total);
    zsock::sync_wait(loop, [&]() -> task<void> {
        char small[100];
        while (got.size() < 200000) { // the ring fills with bytes ahead of these reads
            auto n = co_await p.server.recv(small, sizeof small).with_timeout(10s);
            REQUIRE(n.has_value());
            REQUIRE(*n > 0);
            got.insert(got.end(), small, small + *n);
        }
        std::vector<char> big(64 * 1024);
        for (;;) {
            auto n = co_await p.server.recv(big.data(), big.size()).with_timeout(10s);
            REQUIRE(n.has_value());
            if (*n == 0) break; // end of stream, after every byte
            got.insert(got.end(), big.data(), big.data() + *n);
        }
    }());
    writer.join();
    CHECK(got.size() == total);
    CHECK(got == data);
    if (loop.backend() == zsock::backend::io_uring) {
        const auto &st = loop.engine()->stats();
        INFO("arms " << st.ms_recv_arms << " plain bulk reads " << st.ms_recv_left);
        CHECK(st.ms_recv_arms >= 1); // the small reads went through the ring
        CHECK(st.ms_recv_left > 0);  // and the large ones left it
    }
}

TEST_CASE("accept under EMFILE backs off instead of spinning, then recovers") {
    zsock::event_loop loop;
    auto l = listen_local();
    uint16_t port = port_of(l);
    // Three clients wait in the backlog.
    std::vector<zsock_test::fd_guard> clients;
    for (int i = 0; i < 3; ++i)
        clients.push_back(blocking_connect(port));

    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    // Use up every descriptor below a lowered limit.
    std::vector<zsock_test::fd_guard> hogs;
    for (;;) {
        int fd = zsock_socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) break;
        hogs.emplace_back(fd);
        if (hogs.size() > 64) break;
    }
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(hogs.back().get()) + 1; // no free number left below it
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);

    int attempts = 0, emfile = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto until = std::chrono::steady_clock::now() + 300ms;
        while (std::chrono::steady_clock::now() < until) {
            auto s = co_await l.accept().with_deadline(until);
            ++attempts;
            if (!s && (s.error() == std::errc::too_many_files_open ||
                       s.error() == std::errc::too_many_files_open_in_system))
                ++emfile;
        }
    }());
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(emfile > 0);
    // Backoff 1, 2, 4, ... ms: about ten attempts in 300 ms. A spinning loop makes thousands.
    CHECK(attempts < 40);

    hogs.clear();
    int accepted = zsock::sync_wait(loop, [&]() -> task<int> {
        int n = 0;
        for (int i = 0; i < 3; ++i) {
            auto s = co_await l.accept().with_timeout(5s);
            if (s) ++n;
        }
        co_return n;
    }());
    CHECK(accepted == 3);
}

TEST_CASE("a send to a reset peer reports an error and never raises SIGPIPE") {
    // SIGPIPE at its default disposition kills the process: surviving this test is the check.
    struct sigaction old {};
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, &old);
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    linger lg{1, 0};
    zsock_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c.reset(); // RST
    std::error_code ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
        std::vector<char> chunk(4096, 'x');
        for (int i = 0; i < 1000; ++i) {
            auto w = co_await s.send(chunk.data(), chunk.size());
            if (!w) co_return w.error();
            co_await zsock::sleep_for(1ms);
        }
        co_return std::error_code();
    }());
    sigaction(SIGPIPE, &old, nullptr);
    CHECK((ec == std::errc::broken_pipe || ec == std::errc::connection_reset));
}
