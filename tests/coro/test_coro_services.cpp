// Signals, name resolution, notifier, endpoints, loop_group (thread-per-core with SO_REUSEPORT).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;

TEST_CASE("signal_set: a signal raised from another thread is delivered to the awaiting task") {
    zsock::event_loop loop;
    zsock::signal_set sigs{SIGUSR1, SIGUSR2};
    // Aimed at the loop's thread: a process-directed kill() may land on the sending thread,
    // and under ThreadSanitizer a signal that lands on a thread about to exit can be lost.
    pthread_t loop_thread = pthread_self();
    std::thread t([loop_thread] {
        std::this_thread::sleep_for(20ms);
        pthread_kill(loop_thread, SIGUSR2);
    });
    auto sig = zsock::sync_wait(loop, [&]() -> task<zsock::result<int>> { co_return co_await sigs.wait(); }());
    t.join();
    REQUIRE(sig.has_value());
    CHECK(*sig == SIGUSR2);

    // A signal that arrives before wait() is not lost.
    kill(getpid(), SIGUSR1);
    auto sig2 = zsock::sync_wait(loop, [&]() -> task<zsock::result<int>> { co_return co_await sigs.wait(); }());
    REQUIRE(sig2.has_value());
    CHECK(*sig2 == SIGUSR1);

    zsock::signal_set bad{SIGKILL};
    auto r = zsock::sync_wait(loop, bad.wait());
    CHECK(r.error() == std::errc::invalid_argument);
}

TEST_CASE("resolve: names and numbers, without blocking the loop") {
    zsock::event_loop loop;
    auto r = zsock::sync_wait(loop, zsock::resolve("localhost", "8080"));
    REQUIRE(r.has_value());
    REQUIRE_FALSE(r->empty());
    bool loopback = false;
    for (auto &ep : *r) {
        CHECK(ep.port() == 8080);
        loopback |= ep.to_string() == "127.0.0.1:8080" || ep.to_string() == "[::1]:8080";
    }
    CHECK(loopback);

    auto n = zsock::sync_wait(loop, zsock::resolve("127.0.0.1", "80", AF_INET));
    REQUIRE(n.has_value());
    REQUIRE(n->size() == 1);
    CHECK((*n)[0].to_string() == "127.0.0.1:80");

    auto bad = zsock::sync_wait(loop, zsock::resolve("127.0.0.1", "no-such-service-zsock"));
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error() == zsock::errc::service_not_found);

    // The loop keeps running timers while a lookup is in flight.
    auto both = zsock::sync_wait(loop, zsock::when_all(zsock::resolve("localhost", "1"), []() -> task<int> {
                                     co_await zsock::sleep_for(1ms);
                                     co_return 1;
                                 }()));
    CHECK(std::get<0>(both).has_value());
}

TEST_CASE("notifier wakes one waiter; a notify before wait is remembered") {
    zsock::event_loop loop;
    zsock::notifier n;
    std::vector<int> queue;
    auto consumer = [&]() -> task<int> {
        int sum = 0;
        while (sum < 6) {
            while (queue.empty()) REQUIRE(co_await n.wait());
            sum += queue.back();
            queue.pop_back();
        }
        co_return sum;
    };
    auto producer = [&]() -> task<int> {
        for (int i = 1; i <= 3; ++i) {
            co_await zsock::sleep_for(1ms);
            queue.push_back(i);
            n.notify();
        }
        co_return 0;
    };
    auto [sum, _] = zsock::sync_wait(loop, zsock::when_all(consumer(), producer()));
    CHECK(sum == 6);
    n.notify();
    CHECK(zsock::sync_wait(loop, [&]() -> task<bool> { co_return (co_await n.wait()).has_value(); }()));
}

TEST_CASE("endpoint parsing and formatting") {
    CHECK(zsock::endpoint::parse("127.0.0.1:80").value().to_string() == "127.0.0.1:80");
    CHECK(zsock::endpoint::parse("[::1]:443").value().to_string() == "[::1]:443");
    CHECK(zsock::endpoint::parse("localhost:80").error() == std::errc::invalid_argument);
    CHECK(zsock::endpoint::parse("1.2.3.4").error() == std::errc::invalid_argument);
    CHECK(zsock::endpoint::parse("1.2.3.4:99999").error() == std::errc::invalid_argument);
    CHECK(zsock::endpoint::parse("::1:80").error() == std::errc::invalid_argument);
    CHECK(zsock::endpoint::loopback_v4(7).port() == 7);
}

TEST_CASE("loop_group: N loops, each with its own SO_REUSEPORT listener on one port") {
    constexpr unsigned n = 3;
    std::atomic<int> served{0};
    auto first = [] {
        zsock::event_loop tmp;
        zsock::tcp_listener::options o;
        o.reuse_port = true;
        auto l = zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(0), o).value();
        return l.local_endpoint().value().port();
    }();
    zsock::loop_group group(n);
    group.start([&](zsock::event_loop &loop, unsigned) -> task<void> {
        zsock::tcp_listener::options o;
        o.reuse_port = true;
        // On the group's threads: no Catch assertion here (not thread-safe); bind() throws on error.
        auto l = zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(first), o, &loop);
        l.value();
        return [](zsock::tcp_listener lis, std::atomic<int> *count) -> task<void> {
            for (;;) {
                auto s = co_await lis.accept();
                if (!s) co_return;
                char c = 0;
                auto r = co_await s->recv(&c, 1);
                ++*count; // before the reply, which lets the client go on and stop the group
                if (r && *r == 1) (void)co_await s->send(&c, 1);
            }
        }(std::move(*l), &served);
    });
    for (int i = 0; i < 30; ++i) {
        auto c = coro_test::blocking_connect(first);
        REQUIRE(c >= 0);
        REQUIRE(zsock_send(c, "x", 1, 0) == 1);
        char b = 0;
        REQUIRE(zsock_recv(c, &b, 1, 0) == 1);
        CHECK(b == 'x');
    }
    group.stop();
    group.join();
    CHECK(served == 30);
}
