// Scale and endurance:
//  - 10,000 concurrent connections on one loop (clients in a child process, so that each side
//    fits in its own descriptor limit), all open at once, each echoing a message;
//  - the soak (label `soak`): many clients for ZSOCK_SOAK_SECONDS (default 3, the issue asks for
//    60 in the long run), random sizes, every echoed byte verified, connections reopened, and
//    afterwards no descriptor leaked (ASan/LSan check the memory in the sanitizer builds).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <random>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;

namespace {

bool raise_nofile(rlim_t want) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
    if (rl.rlim_cur >= want) return true;
    rl.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
    if (rl.rlim_max < want) {
        rlimit more = rl;
        more.rlim_max = more.rlim_cur = want; // works as root (CAP_SYS_RESOURCE)
        if (setrlimit(RLIMIT_NOFILE, &more) == 0) return true;
    }
    setrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur >= want;
}

int open_fds() {
    int n = 0;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (readdir(d))
            ++n;
        closedir(d);
    }
    return n;
}

task<void> echo_conn(zsock::tcp_stream s, int *open_now, int *max_open, int *served) {
    ++*open_now;
    if (*open_now > *max_open) *max_open = *open_now;
    char buf[256];
    for (;;) {
        auto n = co_await s.recv(buf, sizeof buf);
        if (!n || *n == 0) break;
        if (!(co_await s.send_all(buf, *n))) break;
        ++*served;
    }
    --*open_now;
}

/// Clients of the 10k test (in the child): connect all, then each sends and checks one message
/// while all are open, then all close.
task<int> many_clients(uint16_t port, int n) {
    auto ep = zsock::endpoint::loopback_v4(port);
    std::vector<zsock::tcp_stream> conns;
    conns.reserve(static_cast<std::size_t>(n));
    // Connect in waves so that the listen backlog never overflows (a dropped SYN costs 1 s).
    constexpr int wave = 256;
    for (int i = 0; i < n; i += wave) {
        std::vector<task<zsock::result<zsock::tcp_stream>>> w;
        for (int j = i; j < std::min(n, i + wave); ++j) {
            w.push_back([](zsock::endpoint e) -> task<zsock::result<zsock::tcp_stream>> {
                co_return co_await zsock::tcp_stream::connect(e).with_timeout(20s);
            }(ep));
        }
        auto got = co_await zsock::when_all(std::move(w));
        for (auto &r : got) {
            if (!r) co_return 10;
            conns.push_back(std::move(*r));
        }
    }
    std::vector<task<bool>> pings;
    for (int i = 0; i < n; ++i) {
        pings.push_back([](zsock::tcp_stream &s, int id) -> task<bool> {
            char msg[16], back[16];
            std::snprintf(msg, sizeof msg, "%015d", id);
            if (!(co_await s.send_all(msg, sizeof msg))) co_return false;
            auto r = co_await s.recv_exact(back, sizeof back);
            co_return r.ok() && std::memcmp(msg, back, sizeof msg) == 0;
        }(conns[static_cast<std::size_t>(i)], i));
    }
    auto ok = co_await zsock::when_all(std::move(pings));
    for (bool b : ok) {
        if (!b) co_return 11;
    }
    conns.clear(); // all close together
    co_return 0;
}

} // namespace

TEST_CASE("10,000 concurrent connections on one loop", "[10k]") {
    constexpr int n = 10000;
    if (!raise_nofile(n + 200)) {
        // CTest runs this case alone ("[10k]") with SKIP_RETURN_CODE 77: report a skip, never a
        // pass, when this machine cannot open that many descriptors.
        std::fprintf(stderr, "RLIMIT_NOFILE cannot reach %d: skipped\n", n + 200);
        std::fflush(nullptr);
        std::_Exit(77);
    }
    zsock::event_loop loop;
    zsock::tcp_listener::options o;
    o.backlog = 4096;
    auto l = coro_test::listen_local(o);
    uint16_t port = coro_test::port_of(l);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The child builds its own loop (never touches the parent's).
        int rc = 1;
        try {
            zsock::event_loop cl;
            rc = zsock::sync_wait(cl, many_clients(port, n));
        } catch (...) {
            rc = 12;
        }
        _exit(rc);
    }
    int open_now = 0, max_open = 0, served = 0, accepted = 0;
    auto t0 = std::chrono::steady_clock::now();
    long rss_before = 0, rss_peak = 0;
    {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        rss_before = ru.ru_maxrss;
    }
    zsock::sync_wait(loop, [&]() -> task<void> {
        zsock::scope conns;
        while (accepted < n) {
            auto s = co_await l.accept().with_timeout(60s);
            REQUIRE(s.has_value());
            ++accepted;
            conns.spawn(echo_conn(std::move(*s), &open_now, &max_open, &served));
        }
        co_await conns.join();
    }());
    {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        rss_peak = ru.ru_maxrss;
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    CHECK(accepted == n);
    CHECK(served == n);
    CHECK(max_open == n); // all ten thousand were open at the same time
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("10k connections (" << zsock::to_string(loop.backend()) << "): " << secs
                             << " s, peak RSS growth " << (rss_peak - rss_before) * 1024 / n
                             << " bytes per connection");
}

TEST_CASE("soak: random traffic with payload verification and no descriptor leak", "[soak]") {
    const char *env = std::getenv("ZSOCK_SOAK_SECONDS");
    const int seconds = env ? std::max(1, std::atoi(env)) : 3;
    const int fds_before = open_fds();
    uint64_t verified = 0, reconnects = 0;
    {
        zsock::event_loop loop;
        auto l = coro_test::listen_local();
        auto ep = zsock::endpoint::loopback_v4(coro_test::port_of(l));
        int open_now = 0, max_open = 0, served = 0;
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        zsock::sync_wait(loop, [&]() -> task<void> {
            zsock::scope servers;
            auto acceptor = [&]() -> task<void> {
                for (;;) {
                    auto s = co_await l.accept();
                    if (!s) co_return;
                    servers.spawn(echo_conn(std::move(*s), &open_now, &max_open, &served));
                }
            };
            auto client = [&](unsigned id) -> task<void> {
                std::mt19937_64 rng(id);
                uint64_t stream = id * 1000;
                while (std::chrono::steady_clock::now() < end) {
                    auto c = co_await zsock::tcp_stream::connect(ep).with_timeout(10s);
                    REQUIRE(c.has_value());
                    int msgs = 1 + static_cast<int>(rng() % 200);
                    for (int m = 0; m < msgs && std::chrono::steady_clock::now() < end; ++m) {
                        std::size_t size = 1 + rng() % (rng() % 8 == 0 ? 100000 : 2000);
                        auto out = coro_test::pattern_bytes(++stream, size);
                        std::vector<char> back(size);
                        // Send and receive concurrently: large messages would otherwise fill
                        // both directions' buffers and deadlock, as with any echo protocol.
                        auto [w, r] = co_await zsock::when_all(c->send_all(out.data(), size),
                                                               c->recv_exact(back.data(), size));
                        REQUIRE(w.ok());
                        REQUIRE(r.ok());
                        REQUIRE(back == out);
                        ++verified;
                    }
                    ++reconnects;
                }
            };
            std::vector<task<void>> clients;
            for (unsigned i = 0; i < 32; ++i)
                clients.push_back(client(i));
            auto all = zsock::when_all(std::move(clients));
            auto r = co_await zsock::when_any(std::move(all), acceptor());
            CHECK(r.index() == 0);
            servers.cancel();
            co_await servers.join();
        }());
    }
    CHECK(verified > 0);
    CHECK(open_fds() == fds_before); // every socket, ring, eventfd and epoll fd was closed
    WARN("soak " << seconds << " s: " << verified << " messages verified, " << reconnects
                 << " reconnects");
}
