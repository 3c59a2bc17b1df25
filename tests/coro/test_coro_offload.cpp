// Offloaded sockets under both coroutine engines: sim0 (the in-process user-space network)
// registered as the priority-40 offload, so that every TCP/UDP socket this program makes through
// the registry, and every TLS socket's transport, is a sim0 socket whose readiness is its level
// descriptor. The coroutine types drive them through their nonblocking calls and poll hooks, as
// they drive TLS. Kernel sockets made with libc's socket() stay kernel sockets, and run in the
// same loop. Every byte is verified.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <sys/socket.h>
#include <vector>

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

/// sim0 is the offload (priority 40) for one test.
struct sim_offload {
    long before;
    sim_offload() {
        REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
        before = zsock_simnet_socket_count();
    }
    ~sim_offload() { zsock_simnet_unregister(); }
    /// sim0 sockets made since the test started (and still alive).
    long made() const { return zsock_simnet_socket_count() - before; }
};

/// A connected pair on the current loop: accepted and connected streams (any kind).
struct stream_pair {
    zsock::tcp_stream server;
    zsock::tcp_stream client;
};

stream_pair make_pair(zsock::event_loop &loop, zsock::tcp_listener &l) {
    return zsock::sync_wait(loop, [&]() -> task<stream_pair> {
        auto accept = [&]() -> task<zsock::tcp_stream> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            co_return std::move(*s);
        };
        auto connect = [&]() -> task<zsock::tcp_stream> {
            auto c = co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(port_of(l)))
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            co_return std::move(*c);
        };
        auto [s, c] = co_await zsock::when_all(accept(), connect());
        co_return stream_pair{std::move(s), std::move(c)};
    }());
}

/// Echoes until end of stream, then shuts its write side.
template <class Stream>
task<std::size_t> echo(Stream &s, std::size_t buf_size) {
    std::vector<char> buf(buf_size);
    std::size_t total = 0;
    for (;;) {
        auto r = co_await s.recv(std::span<char>(buf)).with_timeout(20s);
        INFO(r.error().message());
        REQUIRE(r.has_value());
        if (*r == 0) break;
        total += *r;
        auto w = co_await s.send_all(buf.data(), *r);
        REQUIRE(w.ok());
    }
    co_return total;
}

/// Sends data in uneven pieces (then shuts down its write side) while it reads the echo back.
template <class Stream, class Shut>
task<std::vector<char>> round_trip(Stream &c, const std::vector<char> &data, Shut shut) {
    std::vector<char> back;
    auto writer = [&]() -> task<void> {
        std::size_t off = 0, step = 1;
        while (off < data.size()) {
            std::size_t n = std::min<std::size_t>(step, data.size() - off);
            auto w = co_await c.send_all(data.data() + off, n);
            REQUIRE(w.ok());
            off += n;
            step = step * 5 % 30011 + 1;
        }
        co_await shut();
    };
    auto reader = [&]() -> task<void> {
        std::vector<char> buf(20000);
        for (;;) {
            auto r = co_await c.recv(std::span<char>(buf)).with_timeout(20s);
            INFO(r.error().message());
            REQUIRE(r.has_value());
            if (*r == 0) break;
            back.insert(back.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
    };
    co_await zsock::when_all(writer(), reader());
    co_return back;
}

/// "r<n>;" (built with +=: GCC 12 warns falsely about "r" + std::string).
std::string mark(int round) {
    std::string m = "r";
    m += std::to_string(round);
    m += ';';
    return m;
}

} // namespace

TEST_CASE("sim0 under coroutines: accept, connect, 1 MiB echoed, end of stream") {
    sim_offload sim;
    zsock::event_loop loop;
    auto l = listen_local();
    REQUIRE(zsock_simnet_owns(l.native_handle()));
    auto [s, c] = make_pair(loop, l);
    CHECK(zsock_simnet_owns(s.native_handle()));
    CHECK(zsock_simnet_owns(c.native_handle()));
    CHECK(sim.made() == 3);
    // The kernel has nobody on that port: the bytes below never touch it.
    auto k = zsock_test::fd_guard(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a = zsock_test::loopback4(port_of(l));
    CHECK(::connect(k, reinterpret_cast<sockaddr *>(&a), sizeof a) == -1);
    const auto data = pattern_bytes(91, 1u << 20);
    std::size_t echoed = 0;
    std::vector<char> back;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            echoed = co_await echo(s, 3000);
            auto sh = s.shutdown(SHUT_WR);
            CHECK(sh.has_value());
        };
        auto client = [&]() -> task<void> {
            back = co_await round_trip(c, data, [&]() -> task<void> {
                auto sh = c.shutdown(SHUT_WR);
                CHECK(sh.has_value());
                co_return;
            });
        };
        co_await zsock::when_all(server(), client());
    }());
    CHECK(echoed == data.size());
    CHECK(first_difference(back, data) == "equal");
}

TEST_CASE("sim0 under coroutines: a when_any loser with a recv in flight loses no byte") {
    sim_offload sim;
    zsock::event_loop loop;
    auto l = listen_local();
    auto [s, c] = make_pair(loop, l);
    std::string got;
    int recv_won = 0, recv_lost = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        for (int round = 0; round < 20; ++round) {
            auto reader = [&]() -> task<std::size_t> {
                char buf[256];
                auto r = co_await s.recv(buf, sizeof buf);
                if (!r) {
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
        std::string want;
        for (int round = 0; round < 20; ++round)
            want += "round " + std::to_string(round) + ";";
        while (got.size() < want.size()) {
            char buf[256];
            auto r = co_await s.recv(buf, sizeof buf).with_timeout(5s);
            REQUIRE(r.has_value());
            REQUIRE(*r > 0);
            got.append(buf, *r);
        }
        CHECK(got == want);
    }());
    CHECK(recv_won > 0);
    CHECK(recv_lost > 0);
}

TEST_CASE("sim0 under coroutines: close with a recv pending, deadlines, refused connects") {
    sim_offload sim;
    zsock::event_loop loop;
    auto l = listen_local();
    SECTION("close() with a recv pending completes it with operation_canceled") {
        auto [s, c] = make_pair(loop, l);
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto reader = [&]() -> task<std::error_code> {
                char buf[8];
                auto r = co_await s.recv(buf, sizeof buf);
                co_return r ? std::error_code() : r.error();
            };
            auto closer = [&]() -> task<void> {
                co_await zsock::sleep_for(10ms);
                s.close();
            };
            auto [ec, _] = co_await zsock::when_all(reader(), closer());
            CHECK(ec == std::errc::operation_canceled);
            // The peer sees the end of the stream.
            char buf[8];
            auto r = co_await c.recv(buf, sizeof buf).with_timeout(5s);
            CHECK((r.has_value() && *r == 0));
        }());
    }
    SECTION("a recv with nothing to read honours its deadline") {
        auto [s, c] = make_pair(loop, l);
        auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
            char buf[8];
            auto r = co_await s.recv(buf, sizeof buf).with_timeout(20ms);
            co_return r ? std::error_code() : r.error();
        }());
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("an accept with nobody connecting honours its deadline") {
        auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
            auto r = co_await l.accept().with_timeout(20ms);
            co_return r ? std::error_code() : r.error();
        }());
        CHECK(ec == std::errc::timed_out);
    }
    SECTION("a connect to a sim0 port nobody listens on: connection_refused") {
        uint16_t port = port_of(l);
        l.close();
        auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
            auto r = co_await zsock::tcp_stream::connect(zsock::endpoint::loopback_v4(port))
                         .with_timeout(5s);
            co_return r ? std::error_code() : r.error();
        }());
        CHECK(ec == std::errc::connection_refused);
    }
}

TEST_CASE("sim0 under coroutines: datagrams with udp_socket") {
    sim_offload sim;
    zsock::event_loop loop;
    auto a = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    auto b = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0)).value();
    REQUIRE(zsock_simnet_owns(a.native_handle()));
    auto b_ep = b.local_endpoint().value();
    auto a_ep = a.local_endpoint().value();
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto receiver = [&]() -> task<void> {
            for (int i = 0; i < 50; ++i) {
                char buf[2000];
                zsock::endpoint from;
                auto r = co_await b.recv_from(buf, sizeof buf, from).with_timeout(5s);
                REQUIRE(r.has_value());
                CHECK(from == a_ep);
                auto want =
                    pattern_bytes(static_cast<uint64_t>(i), 1 + static_cast<std::size_t>(i) * 37);
                CHECK(std::vector<char>(buf, buf + *r) == want); // one datagram, whole
            }
        };
        auto sender = [&]() -> task<void> {
            for (int i = 0; i < 50; ++i) {
                auto d =
                    pattern_bytes(static_cast<uint64_t>(i), 1 + static_cast<std::size_t>(i) * 37);
                auto w = co_await a.send_to(d.data(), d.size(), b_ep);
                REQUIRE(w.has_value());
                CHECK(*w == d.size());
                if (i % 10 == 9) co_await zsock::sleep_for(1ms); // let the receiver drain
            }
        };
        co_await zsock::when_all(receiver(), sender());
    }());
}

TEST_CASE("sim0 and kernel sockets in one loop, both carrying data at once") {
    sim_offload sim;
    zsock::event_loop loop;
    auto sl = listen_local(); // sim0 (through the registry)
    REQUIRE(zsock_simnet_owns(sl.native_handle()));
    // A kernel listener made with libc: zsock does not own it, so it runs as a native socket.
    int kfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in ka = zsock_test::loopback4(0);
    socklen_t klen = sizeof ka;
    REQUIRE(::bind(kfd, reinterpret_cast<sockaddr *>(&ka), sizeof ka) == 0);
    REQUIRE(::listen(kfd, 8) == 0);
    REQUIRE(::getsockname(kfd, reinterpret_cast<sockaddr *>(&ka), &klen) == 0);
    auto kl = zsock::tcp_listener::adopt(kfd).value();
    auto [ss, sc] = make_pair(loop, sl);
    // The kernel client: libc socket + connect, adopted.
    int kc = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(::connect(kc, reinterpret_cast<sockaddr *>(&ka), sizeof ka) == 0);
    auto kcs = zsock::tcp_stream::adopt(kc).value();
    auto ks = zsock::sync_wait(loop, [&]() -> task<zsock::tcp_stream> {
        auto s = co_await kl.accept().with_timeout(5s);
        REQUIRE(s.has_value());
        co_return std::move(*s);
    }());
    CHECK(!zsock_simnet_owns(ks.native_handle()));
    const auto d1 = pattern_bytes(92, 300000), d2 = pattern_bytes(93, 300000);
    std::vector<char> b1, b2;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto shut_sc = [&]() -> task<void> {
            sc.shutdown(SHUT_WR);
            co_return;
        };
        auto shut_kc = [&]() -> task<void> {
            kcs.shutdown(SHUT_WR);
            co_return;
        };
        auto e1 = [&]() -> task<void> {
            co_await echo(ss, 1500);
            ss.shutdown(SHUT_WR);
        };
        auto e2 = [&]() -> task<void> {
            co_await echo(ks, 1500);
            ks.shutdown(SHUT_WR);
        };
        auto r1 = [&]() -> task<void> { b1 = co_await round_trip(sc, d1, shut_sc); };
        auto r2 = [&]() -> task<void> { b2 = co_await round_trip(kcs, d2, shut_kc); };
        co_await zsock::when_all(e1(), e2(), r1(), r2());
    }());
    CHECK(first_difference(b1, d1) == "equal");
    CHECK(first_difference(b2, d2) == "equal");
}

TEST_CASE("TLS over sim0 under coroutines: handshake, 512 KiB each way, close_notify") {
    sim_offload sim;
    zsock::event_loop loop;
    auto l = tls_listen(); // its transport is a sim0 socket
    CHECK(sim.made() == 1);
    const auto data = pattern_bytes(94, 512 * 1024);
    std::vector<char> back;
    std::size_t echoed = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            auto h = co_await s->handshake().with_timeout(5s);
            INFO(h.error().message());
            REQUIRE(h.has_value());
            echoed = co_await echo(*s, 1000); // less than a record: the rest waits in mbedTLS
            auto sh = co_await s->shutdown();
            CHECK(sh.has_value());
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)),
                                                         client_options())
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            CHECK(sim.made() == 3); // listener, accepted, client: all on sim0
            CHECK(c->verify_result().value() == 0);
            back = co_await round_trip(*c, data, [&]() -> task<void> {
                auto sh = co_await c->shutdown();
                CHECK(sh.has_value());
            });
        };
        co_await zsock::when_all(server(), client());
    }());
    CHECK(echoed == data.size());
    CHECK(first_difference(back, data) == "equal");
}

TEST_CASE(
    "TLS over sim0 under coroutines: close with a recv pending, a when_any loser, a bad name") {
    sim_offload sim;
    zsock::event_loop loop;
    auto l = tls_listen();
    auto connect_pair = [&]() {
        return zsock::sync_wait(
            loop, [&]() -> task<std::pair<zsock::tls_stream, zsock::tls_stream>> {
                auto accept = [&]() -> task<zsock::tls_stream> {
                    auto s = co_await l.accept().with_timeout(5s);
                    REQUIRE(s.has_value());
                    auto h = co_await s->handshake().with_timeout(5s);
                    REQUIRE(h.has_value());
                    co_return std::move(*s);
                };
                auto connect = [&]() -> task<zsock::tls_stream> {
                    auto c = co_await zsock::tls_stream::connect(
                                 zsock::endpoint::loopback_v4(port_of(l)), client_options())
                                 .with_timeout(5s);
                    REQUIRE(c.has_value());
                    co_return std::move(*c);
                };
                auto [s, c] = co_await zsock::when_all(accept(), connect());
                co_return std::pair{std::move(s), std::move(c)};
            }());
    };
    SECTION("close() with a TLS recv pending: operation_canceled") {
        auto [s, c] = connect_pair();
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto reader = [&]() -> task<std::error_code> {
                char buf[8];
                auto r = co_await s.recv(buf, sizeof buf);
                co_return r ? std::error_code() : r.error();
            };
            auto closer = [&]() -> task<void> {
                co_await zsock::sleep_for(10ms);
                s.close();
            };
            auto [ec, _] = co_await zsock::when_all(reader(), closer());
            CHECK(ec == std::errc::operation_canceled);
            char buf[8];
            auto r = co_await c.recv(buf, sizeof buf).with_timeout(5s);
            CHECK((r.has_value() && *r == 0));
        }());
    }
    SECTION("a when_any loser with a TLS recv in flight loses no byte") {
        auto [s, c] = connect_pair();
        std::string got;
        zsock::sync_wait(loop, [&]() -> task<void> {
            for (int round = 0; round < 10; ++round) {
                auto reader = [&]() -> task<void> {
                    char buf[64];
                    auto r = co_await s.recv(buf, sizeof buf);
                    if (r) got.append(buf, *r);
                };
                auto timer = [&]() -> task<void> { co_await zsock::sleep_for(2ms); };
                // The timer wins: nothing was sent yet.
                (void)co_await zsock::when_any(reader(), timer());
                auto w = co_await c.send_all(mark(round));
                REQUIRE(w.ok());
            }
            std::string want;
            for (int round = 0; round < 10; ++round)
                want += mark(round);
            while (got.size() < want.size()) {
                char buf[64];
                auto r = co_await s.recv(buf, sizeof buf).with_timeout(5s);
                REQUIRE(r.has_value());
                REQUIRE(*r > 0);
                got.append(buf, *r);
            }
            CHECK(got == want);
        }());
    }
    SECTION("a name the certificate does not carry: connection_aborted") {
        auto o = client_options();
        o.hostname = "other.example";
        auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
            auto server = [&]() -> task<void> {
                auto s = co_await l.accept().with_timeout(5s);
                if (s) (void)co_await s->handshake().with_timeout(5s); // fails: the client left
            };
            auto client = [&]() -> task<std::error_code> {
                auto c =
                    co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)), o)
                        .with_timeout(5s);
                co_return c ? std::error_code() : c.error();
            };
            auto [_, e] = co_await zsock::when_all(server(), client());
            co_return e;
        }());
        CHECK(ec == std::errc::connection_aborted);
    }
}
