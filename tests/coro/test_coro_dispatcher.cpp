// The dispatcher under both coroutine engines: sockets whose implementation is chosen late
// (SO_BINDTODEVICE "sim0", TLS_NATIVE, or the default by priority) driven by the coroutine types,
// native, sim0 and TLS-over-sim0 sockets in one loop. The dispatcher is enabled for the whole
// program (it cannot be taken back for sockets already made), so these tests have their own
// executable.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <vector>

#include <zsock/offload.h>
#include <zsock/simnet.h>
#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>

#include "coro_test.hpp"
#include "tls_coro_test.hpp"

using namespace std::chrono_literals;
using namespace coro_test;
using namespace tls_coro_test;
using zsock::task;

namespace {

void enable_dispatcher() {
    int r = zsock_dispatcher_enable();
    REQUIRE((r == 0 || r == -EALREADY));
}

int bind_dev(int fd, const char *name) {
    return zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                            static_cast<socklen_t>(std::strlen(name)));
}

/// A socket of the dispatcher bound to sim0 (the choice is made by SO_BINDTODEVICE).
int sim0_socket(int proto = 0) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM, proto);
    REQUIRE(fd >= 0);
    REQUIRE(bind_dev(fd, ZSOCK_SIMNET_IFNAME) == 0);
    return fd;
}

/// One way: b starts to receive first, a sends a moment later, so that b's recv really waits for
/// readiness of the descriptor the engine watches. True when every byte arrived.
template <class A, class B>
task<bool> one_way(A &a, B &b, const std::string &what) {
    std::string got(what.size(), '\0');
    bool sent = false;
    auto reader = [&]() -> task<bool> {
        auto r = co_await b.recv_exact(got.data(), got.size());
        co_return r.ok();
    };
    auto writer = [&]() -> task<void> {
        co_await zsock::sleep_for(2ms);
        auto w = co_await a.send_all(what);
        sent = w.ok();
    };
    auto [ok, _] = co_await zsock::when_all(reader(), writer());
    co_return ok &&sent &&got == what;
}

/// what from c to s and back.
template <class A, class B>
task<bool> ping(A &c, B &s, std::string what) {
    // (co_await inside an if condition miscompiles with GCC 12: awaited on its own line.)
    bool there = co_await one_way(c, s, what);
    if (!there) co_return false;
    co_return co_await one_way(s, c, what);
}

} // namespace

TEST_CASE("dispatcher: SO_BINDTODEVICE sim0 sockets adopted by the coroutine types") {
    enable_dispatcher();
    zsock::event_loop loop;
    int lfd = sim0_socket();
    sockaddr_in a = zsock_test::loopback4(0);
    REQUIRE(zsock_bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(zsock_listen(lfd, 8) == 0);
    REQUIRE(zsock_simnet_owns(lfd));
    auto l = zsock::tcp_listener::adopt(lfd).value();
    // The client: chosen by SO_BINDTODEVICE, connected (sim0 completes at once), then adopted.
    int cfd = sim0_socket();
    a = zsock_test::loopback4(port_of(l));
    REQUIRE(zsock_connect(cfd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    auto c = zsock::tcp_stream::adopt(cfd).value();
    const auto data = pattern_bytes(101, 200000);
    bool ok = zsock::sync_wait(loop, [&]() -> task<bool> {
        auto s = co_await l.accept().with_timeout(5s);
        REQUIRE(s.has_value());
        CHECK(zsock_simnet_owns(s->native_handle()));
        co_return co_await ping(c, *s, std::string(data.begin(), data.end()));
    }());
    CHECK(ok);
}

TEST_CASE("dispatcher: tcp_stream::connect takes the default choice (native) and works") {
    enable_dispatcher();
    zsock::event_loop loop;
    // A kernel listener made with libc: the default choice of a dispatcher socket is native.
    int kfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in ka = zsock_test::loopback4(0);
    socklen_t klen = sizeof ka;
    REQUIRE(::bind(kfd, reinterpret_cast<sockaddr *>(&ka), sizeof ka) == 0);
    REQUIRE(::listen(kfd, 8) == 0);
    REQUIRE(::getsockname(kfd, reinterpret_cast<sockaddr *>(&ka), &klen) == 0);
    auto kl = zsock::tcp_listener::adopt(kfd).value();
    bool ok = zsock::sync_wait(loop, [&]() -> task<bool> {
        auto accept = [&]() -> task<zsock::tcp_stream> {
            auto s = co_await kl.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            co_return std::move(*s);
        };
        auto connect = [&]() -> task<zsock::tcp_stream> {
            auto c = co_await zsock::tcp_stream::connect(
                         zsock::endpoint::loopback_v4(ntohs(ka.sin_port)))
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            co_return std::move(*c);
        };
        auto [s, c] = co_await zsock::when_all(accept(), connect());
        co_return co_await ping(c, s, "through a dispatcher socket");
    }());
    CHECK(ok);
}

TEST_CASE("dispatcher: with sim0 registered at 40, tcp_stream::connect lands on sim0") {
    enable_dispatcher();
    REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
    struct unreg {
        ~unreg() { zsock_simnet_unregister(); }
    } u;
    zsock::event_loop loop;
    auto l = listen_local(); // by priority: sim0
    REQUIRE(zsock_simnet_owns(l.native_handle()));
    bool ok = zsock::sync_wait(loop, [&]() -> task<bool> {
        auto accept = [&]() -> task<zsock::tcp_stream> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            co_return std::move(*s);
        };
        auto connect = [&]() -> task<zsock::tcp_stream> {
            auto c = co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(port_of(l)))
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            CHECK(zsock_simnet_owns(c->native_handle()));
            co_return std::move(*c);
        };
        auto [s, c] = co_await zsock::when_all(accept(), connect());
        // Several round trips: each waits for readiness on the descriptor the engine watches.
        for (int i = 0; i < 5; ++i) {
            bool round_ok = co_await ping(c, s, "round " + std::to_string(i));
            if (!round_ok) co_return false;
        }
        co_return true;
    }());
    CHECK(ok);
}

TEST_CASE("dispatcher: with sim0 registered at 40, udp_socket::open settles on sim0 first") {
    enable_dispatcher();
    REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
    struct unreg {
        ~unreg() { zsock_simnet_unregister(); }
    } u;
    zsock::event_loop loop;
    // open() makes no operation that would choose: adopt() settles it before the engine watches
    // the descriptor, so the later wait is on sim0's own descriptor.
    auto a = zsock::udp_socket::open(AF_INET).value();
    CHECK(zsock_simnet_owns(a.native_handle()));
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    REQUIRE(zsock_simnet_owns(b.native_handle()));
    auto b_ep = b.local_endpoint().value();
    auto got = zsock::sync_wait(loop, [&]() -> task<std::string> {
        auto reply = [&]() -> task<std::string> {
            char buf[64];
            zsock::endpoint from;
            auto r = co_await a.recv_from(buf, sizeof buf, from).with_timeout(5s); // waits first
            REQUIRE(r.has_value());
            co_return std::string(buf, *r);
        };
        auto echo = [&]() -> task<void> {
            auto w = co_await a.send_to("ping", 4, b_ep);
            REQUIRE(w.has_value());
            char buf[64];
            zsock::endpoint from;
            auto r = co_await b.recv_from(buf, sizeof buf, from).with_timeout(5s);
            REQUIRE(r.has_value());
            co_await zsock::sleep_for(2ms);
            auto w2 = co_await b.send_to(buf, *r, from);
            REQUIRE(w2.has_value());
        };
        auto [text, _] = co_await zsock::when_all(reply(), echo());
        co_return text;
    }());
    CHECK(got == "ping");
}

TEST_CASE("dispatcher: TLS over sim0 (SO_BINDTODEVICE), native and sim0 sockets in one loop") {
    enable_dispatcher();
    add_standard_credentials();
    zsock::event_loop loop;
    // The TLS listener: a TLS socket whose transport the dispatcher puts on sim0.
    int lfd = sim0_socket(ZSOCK_IPPROTO_TLS_1_2);
    sec_tag_t stags[] = {tag_server};
    REQUIRE(zsock_setsockopt(lfd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, stags, sizeof stags) == 0);
    sockaddr_in a = zsock_test::loopback4(0);
    REQUIRE(zsock_bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(zsock_listen(lfd, 8) == 0);
    auto l = zsock::tls_listener::adopt(lfd).value();
    // The TLS client on sim0: nonblocking connect (EINPROGRESS), then the coroutine side runs
    // the handshake.
    int cfd = sim0_socket(ZSOCK_IPPROTO_TLS_1_2);
    sec_tag_t ctags[] = {tag_ca};
    REQUIRE(zsock_setsockopt(cfd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, ctags, sizeof ctags) == 0);
    REQUIRE(zsock_setsockopt(cfd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, "localhost",
                             sizeof "localhost") == 0);
    REQUIRE(zsock_fcntl(cfd, F_SETFL, O_NONBLOCK) == 0);
    a = zsock_test::loopback4(port_of(l));
    int cr = zsock_connect(cfd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    CHECK((cr == 0 || errno == EINPROGRESS));
    auto c = zsock::tls_stream::adopt(cfd).value();
    // A plain native pair in the same loop (a kernel listener, a dispatcher client by default).
    auto kl = listen_local();
    REQUIRE(!zsock_simnet_owns(kl.native_handle()));
    const auto data = pattern_bytes(102, 100000);
    bool ok = zsock::sync_wait(loop, [&]() -> task<bool> {
        auto tls_server = [&]() -> task<zsock::tls_stream> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            auto h = co_await s->handshake().with_timeout(5s);
            INFO(h.error().message());
            REQUIRE(h.has_value());
            co_return std::move(*s);
        };
        auto tls_client = [&]() -> task<bool> {
            auto h = co_await c.handshake().with_timeout(5s);
            INFO(h.error().message());
            REQUIRE(h.has_value());
            co_return true;
        };
        auto [s, hs] = co_await zsock::when_all(tls_server(), tls_client());
        auto native_pair = [&]() -> task<bool> {
            auto accept = [&]() -> task<zsock::tcp_stream> {
                auto ks = co_await kl.accept().with_timeout(5s);
                REQUIRE(ks.has_value());
                co_return std::move(*ks);
            };
            auto connect = [&]() -> task<zsock::tcp_stream> {
                auto kc =
                    co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(port_of(kl)))
                        .with_timeout(5s);
                REQUIRE(kc.has_value());
                co_return std::move(*kc);
            };
            auto [ks, kc] = co_await zsock::when_all(accept(), connect());
            co_return co_await ping(kc, ks, std::string(data.begin(), data.end()));
        };
        auto tls_ping = [&]() -> task<bool> {
            co_return co_await ping(c, s, std::string(data.begin(), data.end()));
        };
        auto [a1, a2] = co_await zsock::when_all(tls_ping(), native_pair());
        co_return hs &&a1 &&a2;
    }());
    CHECK(ok);
}
