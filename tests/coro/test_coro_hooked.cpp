// Awaitables on zsock fds whose objects are not native kernel sockets (TLS, offloaded): both
// engines must drive them through their nonblocking calls and poll hooks. hooked_socket.hpp is
// such an object; it keeps bytes above the kernel, so it is often ready when its kernel socket
// is not, which a readiness engine that only asked the kernel would never see.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <poll.h>
#include <thread>

#include "coro/poll_awaiter.hpp"
#include "coro_test.hpp"
#include "hooked_socket.hpp"
#include "support/user_object.hpp"

using namespace std::chrono_literals;
using zsock::task;

namespace {

/// A listening socket of the hooked kind on 127.0.0.1, port chosen by the kernel.
int hooked_listener(uint16_t *port) {
    int k = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = zsock_test::loopback4(0);
    socklen_t len = sizeof a;
    if (::bind(k, reinterpret_cast<sockaddr *>(&a), sizeof a) || ::listen(k, 16) ||
        ::getsockname(k, reinterpret_cast<sockaddr *>(&a), &len)) {
        ::close(k);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return hooked::adopt(k);
}

} // namespace

TEST_CASE("hooked objects: accept, recv (data held above the kernel), send, EOF, deadline") {
    zsock::event_loop loop;
    uint16_t port = 0;
    int lfd = hooked_listener(&port);
    REQUIRE(lfd >= 0);
    auto l = zsock::tcp_listener::adopt(lfd).value();
    const auto data = coro_test::pattern_bytes(3, 100000);
    std::string echoed;
    const int failures = coro_test::thread_failures();
    std::thread client([&] {
        auto c = coro_test::blocking_connect(port);
        THREAD_REQUIRE(c >= 0);
        std::thread w([&, fd = c.get()] {
            std::size_t off = 0;
            while (off < data.size()) {
                std::size_t n = std::min<std::size_t>(999, data.size() - off);
                THREAD_REQUIRE(coro_test::send_all_blocking(fd, data.data() + off, n));
                off += n;
            }
            zsock_shutdown(fd, SHUT_WR);
        });
        char buf[4096];
        ssize_t n;
        while ((n = zsock_recv(c, buf, sizeof buf, 0)) > 0)
            echoed.append(buf, static_cast<std::size_t>(n));
        w.join();
    });
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto s = co_await l.accept().with_timeout(5s);
        REQUIRE(s.has_value());
        // The accepted fd is a hooked object too (its listener's accept made it).
        void *o = zsock_fd_get_obj(s->native_handle(), &hooked::vtable, ENOTSOCK);
        REQUIRE(o != nullptr);
        char buf[512];
        for (;;) {
            auto n = co_await s->recv(buf, sizeof buf).with_timeout(10s);
            REQUIRE(n.has_value());
            if (*n == 0) break;
            auto w = co_await s->send_all(buf, *n);
            REQUIRE(w.ok());
        }
        s->shutdown(SHUT_WR);
        // A hooked recv with nothing to read honours its deadline.
        auto t = co_await s->recv(buf, sizeof buf).with_timeout(20ms);
        CHECK((t.has_value() ? *t == 0 : t.error() == std::errc::timed_out));
    }());
    client.join();
    CHECK(coro_test::thread_failures() == failures);
    CHECK(echoed == std::string(data.begin(), data.end()));
}

TEST_CASE("hooked objects: connect through the object, then a coroutine client") {
    zsock::event_loop loop;
    auto l = coro_test::listen_local();
    uint16_t port = coro_test::port_of(l);
    int k = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int fd = hooked::adopt(k);
    REQUIRE(fd >= 0);
    sockaddr_in a = zsock_test::loopback4(port);
    // A blocking connect through the object, then the coroutine side takes the fd over.
    REQUIRE(zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    auto c = zsock::tcp_stream::adopt(fd).value();
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        auto s = co_await l.accept();
        REQUIRE(s.has_value());
        auto w = co_await c.send_all("through the hooks");
        REQUIRE(w.ok());
        char buf[64];
        auto r = co_await s->recv_exact(buf, 17);
        REQUIRE(r.ok());
        auto back = co_await s->send_all("reply");
        REQUIRE(back.ok());
        auto r2 = co_await c.recv_exact(buf + 17, 5);
        REQUIRE(r2.ok());
        co_return std::string(buf, 22);
    }());
    CHECK(got == "through the hooksreply");
}

TEST_CASE("hooked objects: close with a recv pending completes it with operation_canceled") {
    zsock::event_loop loop;
    uint16_t port = 0;
    int lfd = hooked_listener(&port);
    REQUIRE(lfd >= 0);
    auto l = zsock::tcp_listener::adopt(lfd).value();
    auto c = coro_test::blocking_connect(port);
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto s = co_await l.accept();
        REQUIRE(s.has_value());
        auto reader = [&]() -> task<std::error_code> {
            char buf[8];
            auto r = co_await s->recv(buf, sizeof buf);
            co_return r ? std::error_code() : r.error();
        };
        auto closer = [&]() -> task<void> {
            co_await zsock::sleep_for(10ms);
            s->close();
        };
        auto [ec, _] = co_await zsock::when_all(reader(), closer());
        CHECK(ec == std::errc::operation_canceled);
    }());
}

TEST_CASE("hooked objects: a timer of the object's own (its deadline hook) is honoured") {
    // Like a DTLS socket whose handshake flight was lost: nothing will arrive on its descriptor,
    // but its deadline hook says when it must run again (to resend), and prepare() then has
    // something to say. The engine must wait no longer than that deadline; an engine that only
    // watched the descriptor would wait for the operation's own timeout (3 s) instead.
    zsock::event_loop loop;
    zsock_test::user_object u;
    REQUIRE(u.open() >= 0);
    zsock::core::io_desc *desc = nullptr;
    REQUIRE(zsock::detail::attach_fd(loop.engine(), u.fd, 0, &desc) == 0);
    auto now_ns = [] {
        timespec t{};
        ::clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000000000LL + t.tv_nsec;
    };
    auto wait_readable = [&]() -> task<long> {
        co_return co_await zsock::detail::poll_awaiter(desc, POLLIN).with_timeout(3s);
    };
    auto t0 = std::chrono::steady_clock::now();
    u.due_ns = now_ns() + 80'000'000; // 80 ms from now
    long r = zsock::sync_wait(loop, wait_readable());
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r == POLLIN);
    CHECK(took >= 75ms);
    CHECK(took < 2s);
    CHECK(u.deadlines > 0);

    // A deadline that leads nowhere (prepare stays "not ready") makes the engine look again, at
    // most every millisecond, never spin, and the operation ends by its own timeout.
    u.due_ns = now_ns() - 1;
    u.timer_acts = false;
    int prepares_before = u.prepares;
    auto r2 = zsock::sync_wait(loop, [&]() -> task<long> {
        co_return co_await zsock::detail::poll_awaiter(desc, POLLIN).with_timeout(100ms);
    }());
    CHECK(r2 == -ETIMEDOUT);
    // About one look per millisecond (two prepares each: the attempt and the wait), not a spin.
    CHECK(u.prepares - prepares_before <= 500);
    zsock::detail::close_fd(u.fd, desc);
}
