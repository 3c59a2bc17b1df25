// udp_socket: datagrams keep their boundaries, addresses come back, recvmsg/sendmsg work,
// deadlines apply, and a frame destroyed with a recv_from in flight is safe.
#include <catch2/catch.hpp>

#include <chrono>

#include "core/io_engine.hpp"
#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;

TEST_CASE("udp: send_to / recv_from keep boundaries and report the source") {
    zsock::event_loop loop;
    auto a = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto a_ep = a.local_endpoint().value();
    auto b_ep = b.local_endpoint().value();
    zsock::sync_wait(loop, [&]() -> task<void> {
        for (int i = 1; i <= 5; ++i) {
            std::string msg(static_cast<std::size_t>(i * 100), static_cast<char>('a' + i));
            auto w = co_await a.send_to(msg.data(), msg.size(), b_ep);
            REQUIRE(w.has_value());
            CHECK(*w == msg.size());
        }
        for (int i = 1; i <= 5; ++i) {
            char buf[2048];
            zsock::endpoint from;
            auto n = co_await b.recv_from(buf, sizeof buf, from).with_timeout(5s);
            REQUIRE(n.has_value());
            CHECK(*n == static_cast<std::size_t>(i * 100));
            CHECK(buf[0] == static_cast<char>('a' + i));
            CHECK(from == a_ep);
        }
        // A datagram bigger than the buffer is truncated, as the kernel does.
        std::string big(1000, 'z');
        (void)co_await a.send_to(big.data(), big.size(), b_ep);
        char small[10];
        iovec iov{small, sizeof small};
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        auto n = co_await b.recvmsg(m).with_timeout(5s);
        REQUIRE(n.has_value());
        CHECK(*n == sizeof small);
        CHECK((m.msg_flags & MSG_TRUNC) != 0);
    }());
}

TEST_CASE("udp: connected sockets, sendmsg, recv deadline") {
    zsock::event_loop loop;
    auto a = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    REQUIRE(a.connect(b.local_endpoint().value()).has_value());
    REQUIRE(b.connect(a.local_endpoint().value()).has_value());
    zsock::sync_wait(loop, [&]() -> task<void> {
        char buf[64];
        auto r = co_await b.recv(buf, sizeof buf).with_timeout(20ms);
        CHECK(r.error() == std::errc::timed_out);
        char part1[] = "hello ", part2[] = "world";
        iovec iov[2] = {{part1, 6}, {part2, 5}};
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = 2;
        auto w = co_await a.sendmsg(m);
        REQUIRE(w.has_value());
        CHECK(*w == 11);
        auto n = co_await b.recv(buf, sizeof buf).with_timeout(5s);
        REQUIRE(n.has_value());
        CHECK(std::string(buf, *n) == "hello world");
    }());
}

TEST_CASE("udp: destroying a frame with recv_from in flight, then the socket still works") {
    zsock::event_loop loop;
    auto a = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto b_ep = b.local_endpoint().value();
    {
        auto t = [](zsock::udp_socket &s) -> task<void> {
            char buf[1500]; // in the frame: the kernel must be done with it before it is freed
            zsock::endpoint from;
            (void)co_await s.recv_from(buf, sizeof buf, from);
            FAIL("must not complete");
        }(b);
        t.handle().resume();
        loop.poll_once();
    }
    if (loop.backend() == zsock::backend::io_uring) CHECK(loop.engine()->stats().sync_cancels > 0);
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        (void)co_await a.send_to("ping", 4, b_ep);
        char buf[16];
        zsock::endpoint from;
        auto n = co_await b.recv_from(buf, sizeof buf, from).with_timeout(5s);
        REQUIRE(n.has_value());
        co_return std::string(buf, *n);
    }());
    CHECK(got == "ping");
}

TEST_CASE("udp: IPv6 loopback") {
    zsock::event_loop loop;
    auto a = zsock::udp_socket::bind(zsock::endpoint::loopback_v6(0));
    if (!a) {
        WARN("no IPv6 loopback here: " << a.error().message());
        return;
    }
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v6(0)).value();
    auto b_ep = b.local_endpoint().value();
    CHECK(b_ep.to_string().rfind("[::1]:", 0) == 0);
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        (void)co_await a->send_to("six", 3, b_ep);
        char buf[16];
        zsock::endpoint from;
        auto n = co_await b.recv_from(buf, sizeof buf, from).with_timeout(5s);
        REQUIRE(n.has_value());
        CHECK(from.family() == AF_INET6);
        co_return std::string(buf, *n);
    }());
    CHECK(got == "six");
}
