// tls_stream and tls_listener on both engines: coroutine client against coroutine server,
// against openssl s_server and s_client, through a proxy that delivers records in pieces, and the
// failures a TLS client meets (untrusted certificate, wrong name, refused, a server that never
// answers). Every byte is verified. Catch assertions stay on the main thread (the loop's).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>

#include "coro/poll_awaiter.hpp"
#include "coro_test.hpp"
#include "tls/lossy_relay.hpp"
#include "tls/tls_support.hpp"
#include "tls_coro_test.hpp"

using namespace std::chrono_literals;
using namespace coro_test;
using namespace tls_coro_test;
using zsock::task;

namespace {

/// Readiness waits on an attached descriptor: the engines' poll operation.
struct core_desc_waits {
    zsock::core::io_desc *desc;
    /// The revents, or -ETIMEDOUT / another -errno.
    task<long> wait(short events, std::chrono::milliseconds limit) {
        auto r = co_await zsock::detail::poll_awaiter(desc, events).with_timeout(limit);
        co_return r;
    }
};

} // namespace

TEST_CASE("tls_stream: coroutine client and server, 1.5 MiB each way, close_notify both ways") {
    zsock::event_loop loop;
    auto l = tls_listen();
    const auto ep = zsock::endpoint::loopback_v4(port_of(l));
    const auto up = pattern_bytes(11, 1536 * 1024);
    std::vector<char> back;
    std::size_t server_got = 0;
    bool server_saw_eof = false;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            auto h = co_await s->handshake().with_timeout(5s);
            INFO(h.error().message());
            REQUIRE(h.has_value());
            auto again = co_await s->handshake(); // done already: completes at once
            CHECK(again.has_value());
            // Smaller than a record: the rest of each record waits inside mbedTLS, with nothing
            // left in the kernel; the next recv must find it without waiting for the kernel.
            char buf[1000];
            for (;;) {
                auto n = co_await s->recv(buf, sizeof buf).with_timeout(10s);
                INFO(n.error().message());
                REQUIRE(n.has_value());
                if (*n == 0) break;
                server_got += *n;
                auto w = co_await s->send_all(buf, *n);
                REQUIRE(w.ok());
            }
            server_saw_eof = true;
            auto sh = co_await s->shutdown();
            CHECK(sh.has_value());
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(ep, client_options()).with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            CHECK(c->verify_result().value() == 0);
            auto writer = [&]() -> task<void> {
                std::size_t off = 0, step = 1;
                while (off < up.size()) {
                    std::size_t n = std::min<std::size_t>(step, up.size() - off);
                    auto w = co_await c->send_all(up.data() + off, n);
                    REQUIRE(w.ok());
                    off += n;
                    step = step * 7 % 40009 + 1; // 1 byte to 40 KiB: within, across records
                }
                auto sh = co_await c->shutdown();
                INFO(sh.error().message());
                REQUIRE(sh.has_value());
                // After shutdown: no more sending.
                auto late = co_await c->send("late");
                CHECK(late.error() == std::errc::broken_pipe);
            };
            auto reader = [&]() -> task<void> {
                std::vector<char> buf(65536);
                for (;;) {
                    auto n = co_await c->recv(std::span<char>(buf)).with_timeout(10s);
                    INFO(n.error().message());
                    REQUIRE(n.has_value());
                    if (*n == 0) break;
                    back.insert(back.end(), buf.begin(),
                                buf.begin() + static_cast<std::ptrdiff_t>(*n));
                }
            };
            co_await zsock::when_all(writer(), reader());
        };
        co_await zsock::when_all(server(), client());
    }());
    CHECK(server_saw_eof);
    CHECK(server_got == up.size());
    CHECK(first_difference(back, up) == "equal");
}

TEST_CASE("tls_stream: client against openssl s_server, 1 MiB down and 1 MiB up") {
    add_standard_credentials();
    const std::size_t n = 1u << 20;
    zsock::event_loop loop;
    SECTION("down: s_server sends its stdin, then closes") {
        std::string data = random_bytes(n, 31);
        // stdin is a pipe that stays open until the client holds every byte and s_server has
        // read the client's "go": s_server closes the connection at its stdin's end, and a
        // close with the client's bytes still unread would make its kernel answer with a reset
        // that discards what it has not sent yet (seen under load with a file as stdin).
        s_server srv(server_args({"-naccept", "1"}));
        stdin_feeder feeder(srv.proc, data);
        std::string got;
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(srv.port),
                                                         client_options())
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            // s_server reads the client before it writes: give it something to read.
            {
                auto done = co_await c->send_all("go\n");
                REQUIRE(done.ok());
            }
            char buf[16384];
            while (got.size() < n) {
                auto r = co_await c->recv(buf, sizeof buf).with_timeout(10s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                REQUIRE(*r > 0);
                got.append(buf, *r);
            }
            feeder.join();
            REQUIRE(srv.proc.wait_output("go"));
            srv.proc.close_stdin();
            auto end = co_await c->recv(buf, sizeof buf).with_timeout(10s);
            INFO(end.error().message());
            REQUIRE(end.has_value());
            CHECK(*end == 0);
        }());
        CHECK(got.size() == n);
        CHECK(fnv1a(got) == fnv1a(data));
    }
    SECTION("up: the client sends, then shutdown() ends the session with close_notify") {
        std::string data = random_bytes(n, 32);
        s_server srv(server_args({"-naccept", "1"}));
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(srv.port),
                                                         client_options())
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            {
                auto done = co_await c->send_all(data);
                REQUIRE(done.ok());
            }
            auto sh = co_await c->shutdown();
            INFO(sh.error().message());
            REQUIRE(sh.has_value());
            // s_server answers close_notify with its own and closes: recv sees the end.
            char buf[64];
            auto r = co_await c->recv(buf, sizeof buf).with_timeout(10s);
            CHECK((r.has_value() && *r == 0));
        }());
        CHECK(srv.proc.wait_exit() == 0); // -naccept 1: it leaves after a clean session end
        std::string out = srv.proc.output();
        std::size_t at = out.find(data.substr(0, 64));
        REQUIRE(at != std::string::npos);
        REQUIRE(out.size() - at >= n);
        CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
    }
}

TEST_CASE("tls_listener: openssl s_client sends 1 MiB, then gets 1 MiB and a clean close_notify") {
    add_standard_credentials();
    const std::size_t n = 1u << 20;
    zsock::event_loop loop;
    auto l = tls_listen();
    SECTION("s_client to us: its stdin file, then close_notify at the file's end") {
        std::string data = random_bytes(n, 41);
        std::string file = the_pki().path("coro-up.bin");
        write_file(file, data);
        child c = s_client(port_of(l), file);
        std::string got;
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            {
                auto done = co_await s->handshake().with_timeout(5s);
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
            std::vector<char> buf(4096);
            for (;;) {
                auto r = co_await s->recv(std::span<char>(buf)).with_timeout(10s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                if (*r == 0) break;
                got.append(buf.data(), *r);
            }
        }());
        CHECK(got.size() == n);
        CHECK(fnv1a(got) == fnv1a(data));
    }
    SECTION("us to s_client: 1 MiB, then shutdown(): s_client reports a clean close") {
        std::string data = random_bytes(n, 42);
        child c = s_client(port_of(l));
        zsock::sync_wait(loop, [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            // A send buffer smaller than a record: the last record is most likely still
            // half-written when shutdown() starts.
            int small = 8192;
            REQUIRE(zsock_setsockopt(s->native_handle(), SOL_SOCKET, SO_SNDBUF, &small,
                                     sizeof small) == 0);
            // No explicit handshake: the first send runs it.
            {
                auto done = co_await s->send_all(data);
                REQUIRE(done.ok());
            }
            // The last record may still be half-written here: shutdown sends it first, then
            // close_notify (mbedTLS alone would only flush and drop the alert).
            {
                auto done = co_await s->shutdown();
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
        }());
        REQUIRE(c.wait_exit() >= 0);
        std::string out = c.output();
        std::size_t at = out.find(data.substr(0, 64));
        REQUIRE(at != std::string::npos);
        REQUIRE(out.size() - at >= n);
        CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
        // OpenSSL 3 calls a transport EOF without close_notify an error.
        CHECK(out.find("closed") != std::string::npos);
        CHECK(out.find("unexpected eof") == std::string::npos);
    }
}

TEST_CASE("tls_stream: a record that arrives in pieces makes recv wait again, not return") {
    // A proxy between client and server forwards 1 to 7 bytes per write (TCP_NODELAY): the
    // readers' transports turn readable many times with no complete record, and the records of
    // the handshake also come in pieces.
    zsock::event_loop loop;
    auto l = tls_listen();
    trickle_proxy px(port_of(l));
    const auto data = pattern_bytes(51, 48 * 1024);
    std::vector<char> back;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            {
                auto done = co_await s->handshake().with_timeout(20s);
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
            char buf[3000];
            for (;;) {
                auto r = co_await s->recv(buf, sizeof buf).with_timeout(20s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                if (*r == 0) break;
                {
                    auto done = co_await s->send_all(buf, *r);
                    REQUIRE(done.ok());
                }
            }
            co_await s->shutdown();
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(px.port()),
                                                         client_options())
                         .with_timeout(20s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            auto writer = [&]() -> task<void> {
                {
                    auto done = co_await c->send_all(data.data(), data.size());
                    REQUIRE(done.ok());
                }
                {
                    auto done = co_await c->shutdown();
                    INFO(done.error().message());
                    REQUIRE(done.has_value());
                }
            };
            auto reader = [&]() -> task<void> {
                char buf[5000];
                for (;;) {
                    auto r = co_await c->recv(buf, sizeof buf).with_timeout(20s);
                    INFO(r.error().message());
                    REQUIRE(r.has_value());
                    if (*r == 0) break;
                    back.insert(back.end(), buf, buf + *r);
                }
            };
            co_await zsock::when_all(writer(), reader());
        };
        co_await zsock::when_all(server(), client());
    }());
    px.stop();
    CHECK(px.chunks() > data.size() / 8); // it really did cut the stream up
    CHECK(first_difference(back, data) == "equal");
    CHECK(thread_failures() == 0);
}

TEST_CASE("tls_stream: bytes held inside mbedTLS are read with nothing left in the kernel") {
    // One 16 KiB record, read 100 bytes at a time; the writer then waits for an answer, so the
    // kernel stays empty while mbedTLS still holds most of the record. A reader that waited for
    // the kernel here would hang (and time out).
    zsock::event_loop loop;
    auto l = tls_listen();
    const auto rec = pattern_bytes(61, 16384);
    std::vector<char> got;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            char buf[100];
            while (got.size() < rec.size()) {
                auto r = co_await s->recv(buf, sizeof buf).with_timeout(2s);
                INFO(r.error().message());
                REQUIRE(r.has_value());
                REQUIRE(*r > 0);
                got.insert(got.end(), buf, buf + *r);
            }
            {
                auto done = co_await s->send_all("ok");
                REQUIRE(done.ok());
            }
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)),
                                                         client_options())
                         .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            auto w = co_await c->send(rec.data(), rec.size());
            INFO(w.error().message());
            REQUIRE(w.has_value());
            CHECK(*w == rec.size()); // one record takes it all
            char ok[2];
            {
                auto done = co_await c->recv_exact(ok, 2);
                REQUIRE(done.ok());
            }
        };
        co_await zsock::when_all(server(), client());
    }());
    CHECK(first_difference(got, rec) == "equal");
}

TEST_CASE("readiness waits on a TLS fd follow its poll hooks, not the kernel") {
    // The engines' readiness wait (the poll operation: shutdown() uses it) on a TLS socket:
    //  - records cut into pieces by the proxy make the kernel descriptor readable many times
    //    before a whole record is there; update() answers -EAGAIN then and the wait goes on, so
    //    when it reports POLLIN a nonblocking recv has bytes;
    //  - bytes mbedTLS already decrypted make prepare() answer ready-now: the wait completes at
    //    once although the kernel descriptor has nothing.
    zsock::event_loop loop;
    auto l = tls_listen();
    trickle_proxy px(port_of(l));
    int fd = -1;
    zsock::tls_stream c;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            auto h = co_await s->handshake().with_timeout(20s);
            REQUIRE(h.has_value());
            fd = s->release();
        };
        auto client = [&]() -> task<void> {
            auto cs = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(px.port()),
                                                          client_options())
                          .with_timeout(20s);
            REQUIRE(cs.has_value());
            c = std::move(*cs);
        };
        co_await zsock::when_all(server(), client());
    }());
    REQUIRE(fd >= 0);
    // The server side as a plain stream on the same fd, to reach its descriptor.
    auto s = zsock::tcp_stream::adopt(fd).value();
    core_desc_waits waits{zsock::detail::stream_access::desc(s)};
    const auto msg = pattern_bytes(63, 3000);
    std::size_t early = 0;
    zsock::sync_wait(loop, [&]() -> task<void> {
        for (int round = 0; round < 5; ++round) {
            auto w = co_await c.send_all(msg.data(), msg.size()); // one record, trickled
            REQUIRE(w.ok());
            std::vector<char> got;
            while (got.size() < msg.size()) {
                long ev = co_await waits.wait(POLLIN, 10s);
                REQUIRE(ev > 0);
                CHECK((ev & POLLIN));
                char buf[4000];
                ssize_t n = zsock_recv(s.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                    ++early; // woken for a piece of a record: must not happen
                    continue;
                }
                REQUIRE(n > 0);
                got.insert(got.end(), buf, buf + n);
            }
            CHECK(first_difference(got, msg) == "equal");
        }
        // A whole 16 KiB record, read 100 bytes at a time: after the first read the kernel is
        // empty and mbedTLS holds the rest; every wait must complete at once.
        const auto big = pattern_bytes(64, 16384);
        auto w = co_await c.send(big.data(), big.size());
        REQUIRE(w.has_value());
        REQUIRE(*w == big.size());
        std::vector<char> got;
        while (got.size() < big.size()) {
            long ev = co_await waits.wait(POLLIN, 10s);
            REQUIRE(ev > 0);
            char buf[100];
            ssize_t n = zsock_recv(s.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0) {
                ++early;
                continue;
            }
            got.insert(got.end(), buf, buf + n);
        }
        CHECK(first_difference(got, big) == "equal");
    }());
    CHECK(early == 0);
    px.stop();
}

TEST_CASE("tls_stream: sendmsg gathers, recvmsg scatters, MSG_PEEK leaves the bytes") {
    zsock::event_loop loop;
    auto l = tls_listen();
    const auto ep = zsock::endpoint::loopback_v4(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            std::string all;
            while (all.size() < 12) {
                char peek[4];
                auto p = co_await s->recv(peek, sizeof peek, MSG_PEEK).with_timeout(5s);
                REQUIRE(p.has_value());
                REQUIRE(*p > 0);
                char a[5], b[64];
                iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
                msghdr m{};
                m.msg_iov = iov;
                m.msg_iovlen = 2;
                m.msg_flags = -1;
                auto n = co_await s->recvmsg(m).with_timeout(5s);
                INFO(n.error().message());
                REQUIRE(n.has_value());
                REQUIRE(*n >= *p);
                CHECK(std::memcmp(a, peek, std::min<std::size_t>(*p, sizeof a)) == 0);
                CHECK(m.msg_flags == 0);
                std::string got(a, std::min<std::size_t>(*n, sizeof a));
                if (*n > sizeof a) got.append(b, *n - sizeof a);
                all += got;
            }
            CHECK(all == "hello, world");
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(ep, client_options()).with_timeout(5s);
            REQUIRE(c.has_value());
            char h[] = "hello", w[] = ", world";
            iovec iov[2] = {{h, 5}, {w, 7}};
            msghdr m{};
            m.msg_iov = iov;
            m.msg_iovlen = 2;
            auto n = co_await c->sendmsg(m).with_timeout(5s);
            INFO(n.error().message());
            REQUIRE(n.has_value());
            CHECK(*n == 12);
            auto sh = co_await c->shutdown();
            CHECK(sh.has_value());
        };
        co_await zsock::when_all(server(), client());
    }());
}

TEST_CASE("tls_stream: MSG_WAITALL waits across records (recv, recvmsg), keeps bytes on timeout") {
    zsock::event_loop loop;
    auto l = tls_listen();
    const auto ep = zsock::endpoint::loopback_v4(port_of(l));
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            REQUIRE(s.has_value());
            char buf[32];
            auto n = co_await s->recv(buf, 12, MSG_WAITALL).with_timeout(5s);
            INFO(n.error().message());
            REQUIRE(n.has_value());
            CHECK(std::string(buf, *n) == "hello, world");
            char x[2], y[3];
            iovec iov[2] = {{x, sizeof x}, {y, sizeof y}};
            msghdr m{};
            m.msg_iov = iov;
            m.msg_iovlen = 2;
            auto g = co_await s->recvmsg(m, MSG_WAITALL).with_timeout(5s);
            INFO(g.error().message());
            REQUIRE(g.has_value());
            CHECK(*g == 5);
            CHECK(std::string(x, 2) + std::string(y, 3) == "abcde");
            // Two bytes come, then nothing: the timeout returns the two, not timed_out.
            auto part = co_await s->recv(buf, sizeof buf, MSG_WAITALL).with_timeout(300ms);
            INFO(part.error().message());
            REQUIRE(part.has_value());
            CHECK(std::string(buf, *part) == "fg");
        };
        auto client = [&]() -> task<void> {
            auto c = co_await zsock::tls_stream::connect(ep, client_options()).with_timeout(5s);
            REQUIRE(c.has_value());
            for (std::string_view piece : {"hello", ", wor", "ld", "abc", "de", "fg"}) {
                auto w = co_await c->send_all(piece); // one record each
                REQUIRE(w.ok());
                co_await zsock::sleep_for(30ms);
            }
            co_await zsock::sleep_for(600ms); // stay connected past the server's timeout
        };
        co_await zsock::when_all(server(), client());
    }());
}

TEST_CASE("udp_socket over DTLS: a coroutine client against openssl s_server -dtls1_2") {
    zsock::event_loop loop;
    add_standard_credentials();
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key")}, "", true);
    int fd = zsock_socket(AF_INET, SOCK_DGRAM, ZSOCK_IPPROTO_DTLS_1_2);
    REQUIRE(fd >= 0);
    const sec_tag_t tags[] = {tag_ca};
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, "localhost", 10) == 0);
    auto u = zsock::udp_socket::adopt(fd);
    REQUIRE(u.has_value());
    REQUIRE(u->connect(zsock::endpoint::loopback_v4(srv.port)).has_value());
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto w = co_await u->send("ping over dtls\n", 15).with_timeout(10s); // runs the handshake
        INFO(w.error().message());
        REQUIRE(w.has_value());
        CHECK(*w == 15);
    }());
    REQUIRE(srv.proc.wait_output("ping over dtls"));
    srv.proc.write_stdin("pong\n");
    zsock::sync_wait(loop, [&]() -> task<void> {
        char buf[64];
        auto n = co_await u->recv(buf, sizeof buf).with_timeout(10s);
        INFO(n.error().message());
        REQUIRE(n.has_value());
        CHECK(std::string(buf, *n) == "pong\n");
    }());
}

TEST_CASE("udp_socket over DTLS: a lost handshake flight is resent by the engine's timer") {
    // openssl answers the first ClientHello with a HelloVerifyRequest and keeps no state; the
    // relay loses it, so only the client's retransmission timer moves the handshake on. The
    // coroutine waits on the socket's descriptor, where nothing arrives: the engine must honour
    // the socket's deadline hook to resend (after 100 ms here), or the send would wait for its
    // own 5 s timeout.
    zsock::event_loop loop;
    add_standard_credentials();
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key")}, "", true);
    lossy_relay relay(srv.port, 1);
    int fd = zsock_socket(AF_INET, SOCK_DGRAM, ZSOCK_IPPROTO_DTLS_1_2);
    REQUIRE(fd >= 0);
    const sec_tag_t tags[] = {tag_ca};
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, "localhost", 10) == 0);
    uint32_t lo = 100, hi = 3200;
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &lo,
                             sizeof lo) == 0);
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &hi,
                             sizeof hi) == 0);
    auto u = zsock::udp_socket::adopt(fd);
    REQUIRE(u.has_value());
    REQUIRE(u->connect(zsock::endpoint::loopback_v4(relay.port)).has_value());
    auto t0 = std::chrono::steady_clock::now();
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto w = co_await u->send("after a loss\n", 13).with_timeout(5s); // runs the handshake
        INFO(w.error().message());
        REQUIRE(w.has_value());
        CHECK(*w == 13);
    }());
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(relay.dropped == 1);
    CHECK(relay.from_client >= 3); // the ClientHello, its resend, the one with the cookie, ...
    CHECK(srv.proc.wait_output("after a loss"));
}

TEST_CASE("tls_stream: ALPN is agreed and reported on both sides") {
    zsock::event_loop loop;
    auto so = server_options();
    so.alpn = {"http/1.1"};
    auto l = zsock::tls_listener::bind(zsock::endpoint::loopback_v4(0), so).value();
    auto co = client_options();
    co.alpn = {"h2", "http/1.1"};
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto server = [&]() -> task<void> {
            auto s = co_await l.accept().with_timeout(5s);
            INFO(s.error().message());
            REQUIRE(s.has_value());
            CHECK(s->alpn_protocol().error() == std::errc::not_connected); // no handshake yet
            {
                auto done = co_await s->handshake().with_timeout(5s);
                INFO(done.error().message());
                REQUIRE(done.has_value());
            }
            CHECK(s->alpn_protocol().value() == "http/1.1");
        };
        auto client = [&]() -> task<void> {
            auto c =
                co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(port_of(l)), co)
                    .with_timeout(5s);
            INFO(c.error().message());
            REQUIRE(c.has_value());
            CHECK(c->alpn_protocol().value() == "http/1.1");
        };
        co_await zsock::when_all(server(), client());
    }());
}

TEST_CASE("tls_stream: failed connects report why") {
    add_standard_credentials();
    zsock::event_loop loop;
    auto connect = [&](uint16_t port, zsock::tls_client_options o, std::chrono::milliseconds t) {
        return zsock::sync_wait(loop,
                                [](uint16_t p, zsock::tls_client_options opt,
                                   std::chrono::milliseconds to) -> task<std::error_code> {
                                    auto c = co_await zsock::tls_stream::connect(
                                                 zsock::endpoint::loopback_v4(p), opt)
                                                 .with_timeout(to);
                                    co_return c ? std::error_code() : c.error();
                                }(port, std::move(o), t));
    };
    SECTION("an untrusted certificate: connection_aborted") {
        s_server srv({"-cert", the_pki().path("rogue.pem"), "-key", the_pki().path("rogue.key")});
        CHECK(connect(srv.port, client_options(), 5s) == std::errc::connection_aborted);
    }
    SECTION("a name the certificate does not carry: connection_aborted") {
        s_server srv(server_args({}));
        auto o = client_options();
        o.hostname = "not-localhost.example";
        CHECK(connect(srv.port, o, 5s) == std::errc::connection_aborted);
    }
    SECTION("verify_hostname = false accepts the chain under any name") {
        s_server srv(server_args({}));
        auto o = client_options();
        o.verify_hostname = false;
        CHECK(connect(srv.port, o, 5s) == std::error_code());
    }
    SECTION("nothing listening: connection_refused") {
        uint16_t port = free_port();
        CHECK(connect(port, client_options(), 5s) == std::errc::connection_refused);
    }
    SECTION("a server that accepts and never answers: the deadline covers the handshake") {
        auto silent = listen_local(); // a kernel listener; nobody ever accepts
        auto t0 = std::chrono::steady_clock::now();
        CHECK(connect(port_of(silent), client_options(), 150ms) == std::errc::timed_out);
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    }
    SECTION("TLS 1.3: protocol_not_supported (Debian's mbedTLS 2.28 has none)") {
        auto o = client_options();
        o.protocol = ZSOCK_IPPROTO_TLS_1_3;
        CHECK(connect(free_port(), o, 5s) == std::errc::protocol_not_supported);
    }
}

TEST_CASE("tls_stream: the server's handshake fails on a client that does not speak TLS") {
    zsock::event_loop loop;
    auto l = tls_listen();
    auto c = blocking_connect(port_of(l));
    REQUIRE(c >= 0);
    REQUIRE(send_all_blocking(c, "GET / HTTP/1.0\r\n\r\n", 18));
    auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
        auto s = co_await l.accept().with_timeout(5s);
        INFO(s.error().message());
        REQUIRE(s.has_value());
        auto h = co_await s->handshake().with_timeout(5s);
        co_return h ? std::error_code() : h.error();
    }());
    CHECK(ec == std::errc::connection_aborted);
}

TEST_CASE("tls_stream::adopt and tls_listener::adopt take TLS stream sockets only") {
    zsock::event_loop loop;
    int tcp = zsock_socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(tcp >= 0);
    CHECK(zsock::tls_stream::adopt(tcp).error() == std::errc::wrong_protocol_type);
    CHECK(zsock_close(tcp) == -1); // adopt closed it
    int p[2];
    REQUIRE(pipe(p) == 0);
    CHECK(zsock::tls_stream::adopt(p[0]).error() == std::errc::not_a_socket);
    ::close(p[1]);
    int tls = zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2);
    REQUIRE(tls >= 0);
    auto s = zsock::tls_stream::adopt(tls);
    INFO(s.error().message());
    REQUIRE(s.has_value());
    CHECK(s->native_handle() == tls);
    // Not connected: the handshake and shutdown say so.
    auto [h, sh] =
        zsock::sync_wait(loop, [&]() -> task<std::pair<std::error_code, std::error_code>> {
            auto a = co_await s->handshake();
            auto b = co_await s->shutdown();
            co_return std::pair{a.error(), b.error()};
        }());
    CHECK(h == std::errc::not_connected);
    CHECK(sh == std::errc::not_connected);
}

TEST_CASE("tls_listener::bind checks the sec tags it is given") {
    add_standard_credentials();
    zsock::event_loop loop;
    zsock::tls_server_options o;
    o.sec_tags = {4242}; // nothing stored under it
    auto l = zsock::tls_listener::bind(zsock::endpoint::loopback_v4(0), o);
    REQUIRE(!l.has_value());
    CHECK(l.error() == std::errc::no_such_file_or_directory);
    // A tag with a CA only: the listener is made; a client's handshake then fails (the server
    // has no certificate to present).
    o.sec_tags = {tag_ca};
    auto l2 = zsock::tls_listener::bind(zsock::endpoint::loopback_v4(0), o);
    REQUIRE(l2.has_value());
    auto ec = zsock::sync_wait(loop, [&]() -> task<std::error_code> {
        auto server = [&]() -> task<void> {
            auto s = co_await l2->accept().with_timeout(5s);
            if (s) (void)co_await s->handshake().with_timeout(5s);
        };
        auto client = [&]() -> task<std::error_code> {
            auto c = co_await zsock::tls_stream::connect(
                         zsock::endpoint::loopback_v4(l2->local_endpoint().value().port()),
                         client_options())
                         .with_timeout(5s);
            co_return c ? std::error_code() : c.error();
        };
        auto [_, e] = co_await zsock::when_all(server(), client());
        co_return e;
    }());
    CHECK(ec == std::errc::connection_aborted);
}
