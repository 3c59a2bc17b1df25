// recv flags and recvmsg on a coroutine stream, on both engines: MSG_PEEK, MSG_WAITALL,
// MSG_DONTWAIT and MSG_TRUNC, recvmsg scatter, and SCM_RIGHTS over an AF_UNIX stream. Each read
// follows a plain recv, so on io_uring the connection already reads through the multishot
// buffer ring, and each scenario is checked against the same calls on a kernel socket.
#include <catch2/catch.hpp>

#include <chrono>
#include <netinet/tcp.h>
#include <string>
#include <thread>

#include "coro_test.hpp"

using namespace std::chrono_literals;
using zsock::task;
using namespace coro_test;

namespace {

accepted_pair connect_pair(zsock::event_loop &loop) {
    auto l = listen_local();
    auto p = accept_pair(loop, l);
    REQUIRE(p.server.is_open());
    return p;
}

/// Two connected kernel TCP sockets (the oracle), the first one blocking.
std::pair<zsock_test::fd_guard, zsock_test::fd_guard> kernel_pair() {
    auto [c, s] = zsock_test::tcp_pair4();
    REQUIRE(s >= 0);
    return {std::move(s), std::move(c)};
}

void send_str(int fd, std::string_view s) {
    REQUIRE(send_all_blocking(fd, s.data(), s.size()));
}

/// One coroutine recv, as (bytes received, or -errno).
long co_recv(zsock::event_loop &loop, zsock::tcp_stream &s, char *buf, std::size_t len, int flags) {
    return zsock::sync_wait(loop, [&]() -> task<long> {
        auto n = co_await s.recv(buf, len, flags);
        if (!n) co_return -n.error().value();
        co_return static_cast<long>(*n);
    }());
}

/// Sends "ab" to both connections and reads it through both, so that on io_uring the stream
/// already reads through the multishot buffer ring when the scenario starts.
void first_read(zsock::event_loop &loop, zsock::tcp_stream &s, int c, int ks, int kc) {
    char a[16], b[16];
    for (int fd : {c, kc})
        send_str(fd, "ab");
    long n = co_recv(loop, s, a, sizeof a, 0);
    REQUIRE(n == 2);
    REQUIRE(zsock_recv(ks, b, sizeof b, 0) == n);
}

std::string got(const char *buf, long n) {
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

} // namespace

TEST_CASE("MSG_PEEK after a plain recv shows the next bytes and leaves them") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    auto [ks, kc] = kernel_pair();
    for (int fd : {c.get(), kc.get()})
        send_str(fd, "abcdef");
    char a[16], b[16];

    long n = co_recv(loop, s, a, 2, 0);
    REQUIRE(zsock_recv(ks, b, 2, 0) == n);
    CHECK(got(a, n) == "ab");

    n = co_recv(loop, s, a, 3, MSG_PEEK);
    REQUIRE(zsock_recv(ks, b, 3, MSG_PEEK) == n);
    CHECK(got(a, n) == "cde");
    n = co_recv(loop, s, a, sizeof a, MSG_PEEK);
    REQUIRE(zsock_recv(ks, b, sizeof b, MSG_PEEK) == n);
    CHECK(got(a, n) == "cdef");

    n = co_recv(loop, s, a, sizeof a, 0);
    REQUIRE(zsock_recv(ks, b, sizeof b, 0) == n);
    CHECK(got(a, n) == "cdef");
}

TEST_CASE("MSG_PEEK waits for bytes, then a plain recv takes them") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "x");
    char a[16];
    REQUIRE(co_recv(loop, s, a, 1, 0) == 1);
    std::thread late([fd = c.get()] {
        std::this_thread::sleep_for(50ms);
        send_all_blocking(fd, "later", 5);
    });
    long n = co_recv(loop, s, a, sizeof a, MSG_PEEK);
    late.join();
    CHECK(got(a, n) == "later");
    n = co_recv(loop, s, a, sizeof a, 0);
    CHECK(got(a, n) == "later");
}

TEST_CASE("MSG_WAITALL waits for the whole length across several arrivals") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "0");
    char one;
    REQUIRE(co_recv(loop, s, &one, 1, 0) == 1);
    const auto data = pattern_bytes(3, 30000);
    std::thread writer([&, fd = c.get()] {
        for (std::size_t off = 0; off < data.size(); off += 10000) {
            std::this_thread::sleep_for(20ms);
            THREAD_REQUIRE(send_all_blocking(fd, data.data() + off, 10000));
        }
    });
    std::vector<char> buf(data.size());
    long n = co_recv(loop, s, buf.data(), buf.size(), MSG_WAITALL);
    writer.join();
    CHECK(n == static_cast<long>(data.size()));
    CHECK(buf == data);
}

TEST_CASE("MSG_WAITALL returns short at end of stream, as the kernel does") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    auto [ks, kc] = kernel_pair();
    for (int fd : {c.get(), kc.get()}) {
        send_str(fd, "0123456789");
        REQUIRE(zsock_shutdown(fd, SHUT_WR) == 0);
    }
    char a[64], b[64];
    long n = co_recv(loop, s, a, 4, 0);
    REQUIRE(zsock_recv(ks, b, 4, 0) == n);
    n = co_recv(loop, s, a, sizeof a, MSG_WAITALL);
    REQUIRE(zsock_recv(ks, b, sizeof b, MSG_WAITALL) == n);
    CHECK(got(a, n) == "456789");
    n = co_recv(loop, s, a, sizeof a, MSG_WAITALL);
    REQUIRE(zsock_recv(ks, b, sizeof b, MSG_WAITALL) == n);
    CHECK(n == 0);
}

TEST_CASE("a MSG_WAITALL recv that times out keeps the bytes it took") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "0");
    char a[64];
    REQUIRE(co_recv(loop, s, a, 1, 0) == 1);
    send_str(c, "partial");
    long n = zsock::sync_wait(loop, [&]() -> task<long> {
        auto r = co_await s.recv(a, sizeof a, MSG_WAITALL).with_timeout(100ms);
        if (!r) co_return -r.error().value();
        co_return static_cast<long>(*r);
    }());
    CHECK(got(a, n) == "partial"); // not ETIMEDOUT: those bytes left the socket
    send_str(c, "next");
    n = co_recv(loop, s, a, sizeof a, 0);
    CHECK(got(a, n) == "next");
}

TEST_CASE("MSG_DONTWAIT with nothing queued is EAGAIN, and takes what is there") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    auto [ks, kc] = kernel_pair();
    char a[16], b[16];
    first_read(loop, s, c.get(), ks.get(), kc.get());
    long n = co_recv(loop, s, a, sizeof a, MSG_DONTWAIT);
    errno = 0;
    CHECK(zsock_recv(ks, b, sizeof b, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    CHECK(n == -EAGAIN);
    for (int fd : {c.get(), kc.get()})
        send_str(fd, "cd");
    // On io_uring MSG_DONTWAIT sees what the loop has received: let it run a turn or two.
    std::this_thread::sleep_for(20ms);
    zsock::sync_wait(loop, []() -> task<void> { co_await zsock::sleep_for(10ms); }());
    n = co_recv(loop, s, a, sizeof a, MSG_DONTWAIT);
    CHECK(got(a, n) == "cd");
}

TEST_CASE("a zero-length recv waits for bytes and leaves them, as TCP's does") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    auto [ks, kc] = kernel_pair();
    char a[16], b[16];
    first_read(loop, s, c.get(), ks.get(), kc.get());

    // Nothing queued: MSG_DONTWAIT says EAGAIN, as the kernel does.
    errno = 0;
    CHECK(zsock_recv(ks, b, 0, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    CHECK(co_recv(loop, s, a, 0, MSG_DONTWAIT) == -EAGAIN);

    // A blocking one waits until bytes arrive (tcp_recvmsg's target is at least one byte), then
    // returns 0 and leaves them queued.
    std::thread late([fc = c.get(), fk = kc.get()] {
        std::this_thread::sleep_for(100ms);
        send_all_blocking(fc, "cd", 2);
        send_all_blocking(fk, "cd", 2);
    });
    auto t0 = std::chrono::steady_clock::now();
    long n = co_recv(loop, s, a, 0, 0);
    auto waited = std::chrono::steady_clock::now() - t0;
    long kn = zsock_recv(ks, b, 0, 0);
    late.join();
    CHECK(n == kn);
    CHECK(n == 0);
    CHECK(waited >= 80ms);
    n = co_recv(loop, s, a, sizeof a, 0);
    REQUIRE(zsock_recv(ks, b, sizeof b, 0) == n);
    CHECK(got(a, n) == "cd");

    // At end of stream it returns 0 at once.
    zsock_shutdown(c.get(), ZSOCK_SHUT_WR);
    zsock_shutdown(kc.get(), ZSOCK_SHUT_WR);
    CHECK(co_recv(loop, s, a, sizeof a, 0) == 0);
    CHECK(zsock_recv(ks, b, sizeof b, 0) == 0);
    CHECK(co_recv(loop, s, a, 0, 0) == 0);
    CHECK(zsock_recv(ks, b, 0, 0) == 0);
}

TEST_CASE("MSG_TRUNC on a stream discards the bytes, as TCP does") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    auto [ks, kc] = kernel_pair();
    for (int fd : {c.get(), kc.get()})
        send_str(fd, "0123456789");
    char a[16], b[16];
    long n = co_recv(loop, s, a, 1, 0);
    REQUIRE(zsock_recv(ks, b, 1, 0) == n);
    std::memset(a, '*', sizeof a);
    n = co_recv(loop, s, a, 4, MSG_TRUNC);
    REQUIRE(zsock_recv(ks, b, 4, MSG_TRUNC) == n);
    CHECK(n == 4);
    CHECK(a[0] == '*'); // nothing copied
    n = co_recv(loop, s, a, sizeof a, 0);
    REQUIRE(zsock_recv(ks, b, sizeof b, 0) == n);
    CHECK(got(a, n) == "56789");
}

TEST_CASE("recvmsg after a plain recv scatters the next bytes in order") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "abcdefgh");
    char one;
    REQUIRE(co_recv(loop, s, &one, 1, 0) == 1);
    char x[3], y[10];
    iovec iov[2] = {{x, sizeof x}, {y, sizeof y}};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    m.msg_flags = -1;
    long n = zsock::sync_wait(loop, [&]() -> task<long> {
        auto r = co_await s.recvmsg(m);
        if (!r) co_return -r.error().value();
        co_return static_cast<long>(*r);
    }());
    REQUIRE(n == 7);
    CHECK(std::string(x, 3) == "bcd");
    CHECK(std::string(y, 4) == "efgh");
    CHECK(m.msg_flags == 0);
    send_str(c, "ij");
    n = co_recv(loop, s, x, sizeof x, 0);
    CHECK(got(x, n) == "ij");
}

TEST_CASE("recvmsg with a control buffer never loses ancillary data silently") {
    // TCP_INQ turned on after the first read: the kernel attaches TCP_CM_INQ (the bytes left to
    // read) to every later recvmsg that brings a control buffer. On epoll the recvmsg is the
    // kernel's and carries it; on io_uring the bytes already came through the buffer ring without
    // it, and MSG_CTRUNC must say so. Either way the caller is never told "no ancillary data"
    // when there was some. (TCP_INQ rather than SO_TIMESTAMP: the kernel turns receive
    // timestamps on asynchronously, so the first segments after the option may carry none.)
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "ab");
    char one;
    REQUIRE(co_recv(loop, s, &one, 1, 0) == 1);
    auto co_recvmsg = [&](msghdr &m) {
        return zsock::sync_wait(loop, [&]() -> task<long> {
            auto r = co_await s.recvmsg(m);
            if (!r) co_return -r.error().value();
            co_return static_cast<long>(*r);
        }());
    };
    char data[8];
    alignas(cmsghdr) char control[256];
    iovec iov{data, sizeof data};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    // No option on: no ancillary data and no truncation, on both engines (as on the kernel).
    REQUIRE(co_recvmsg(m) == 1);
    CHECK(data[0] == 'b');
    CHECK(m.msg_controllen == 0);
    CHECK((m.msg_flags & MSG_CTRUNC) == 0);

    int on = 1;
    REQUIRE(zsock_setsockopt(s.native_handle(), IPPROTO_TCP, TCP_INQ, &on, sizeof on) == 0);
    send_str(c, "cd");
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    m.msg_flags = 0;
    REQUIRE(co_recvmsg(m) == 2);
    CHECK(std::string(data, 2) == "cd");
    bool inq = false;
    for (cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
        inq |= h->cmsg_level == SOL_TCP && h->cmsg_type == TCP_CM_INQ;
    INFO("backend " << zsock::to_string(loop.backend()));
    CHECK((inq || (m.msg_flags & MSG_CTRUNC)));
    if (loop.backend() == zsock::backend::epoll) CHECK(inq);
}

TEST_CASE("recvmsg with MSG_WAITALL fills every iovec") {
    zsock::event_loop loop;
    auto [s, c] = connect_pair(loop);
    send_str(c, "0");
    char one;
    REQUIRE(co_recv(loop, s, &one, 1, 0) == 1);
    std::thread writer([fd = c.get()] {
        for (const char *part : {"abc", "defg", "hij"}) {
            std::this_thread::sleep_for(20ms);
            send_all_blocking(fd, part, std::strlen(part));
        }
    });
    char x[4], y[6];
    iovec iov[2] = {{x, sizeof x}, {y, sizeof y}};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    long n = zsock::sync_wait(loop, [&]() -> task<long> {
        auto r = co_await s.recvmsg(m, MSG_WAITALL);
        if (!r) co_return -r.error().value();
        co_return static_cast<long>(*r);
    }());
    writer.join();
    REQUIRE(n == 10);
    CHECK(std::string(x, 4) == "abcd");
    CHECK(std::string(y, 6) == "efghij");
}

TEST_CASE("SCM_RIGHTS over an AF_UNIX stream reaches recvmsg after plain recvs") {
    zsock::event_loop loop;
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    zsock_test::fd_guard peer(sv[1]);
    auto st = zsock::tcp_stream::adopt(sv[0]);
    REQUIRE(st.has_value());
    send_str(peer, "hi");
    char a[8];
    REQUIRE(co_recv(loop, *st, a, sizeof a, 0) == 2);

    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    char byte = 'F';
    iovec siov{&byte, 1};
    alignas(cmsghdr) char sctl[CMSG_SPACE(sizeof(int))]{};
    msghdr sm{};
    sm.msg_iov = &siov;
    sm.msg_iovlen = 1;
    sm.msg_control = sctl;
    sm.msg_controllen = sizeof sctl;
    cmsghdr *sc = CMSG_FIRSTHDR(&sm);
    sc->cmsg_level = SOL_SOCKET;
    sc->cmsg_type = SCM_RIGHTS;
    sc->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(sc), &pipefd[1], sizeof(int));
    REQUIRE(zsock_sendmsg(peer, &sm, 0) == 1);
    ::close(pipefd[1]);

    char rbyte = 0;
    iovec riov{&rbyte, 1};
    alignas(cmsghdr) char rctl[CMSG_SPACE(sizeof(int))]{};
    msghdr rm{};
    rm.msg_iov = &riov;
    rm.msg_iovlen = 1;
    rm.msg_control = rctl;
    rm.msg_controllen = sizeof rctl;
    long n = zsock::sync_wait(loop, [&]() -> task<long> {
        auto r = co_await st->recvmsg(rm);
        if (!r) co_return -r.error().value();
        co_return static_cast<long>(*r);
    }());
    REQUIRE(n == 1);
    CHECK(rbyte == 'F');
    cmsghdr *rc = CMSG_FIRSTHDR(&rm);
    REQUIRE(rc != nullptr);
    CHECK(rc->cmsg_type == SCM_RIGHTS);
    int passed = -1;
    std::memcpy(&passed, CMSG_DATA(rc), sizeof passed);
    REQUIRE(passed >= 0);
    CHECK(::write(passed, "p", 1) == 1); // the write end of our pipe
    char p = 0;
    CHECK(::read(pipefd[0], &p, 1) == 1);
    CHECK(p == 'p');
    ::close(passed);
    ::close(pipefd[0]);
}

TEST_CASE("MSG_DONTWAIT on an empty datagram socket is EAGAIN, then it gets the datagram") {
    zsock::event_loop loop;
    auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0));
    REQUIRE(u.has_value());
    const uint16_t port = u->local_endpoint().value().port();
    char buf[64];
    auto try_recv = [&]() -> long {
        return zsock::sync_wait(loop, [&]() -> task<long> {
            auto r = co_await u->recv(buf, sizeof buf, MSG_DONTWAIT);
            if (!r) co_return -r.error().value();
            co_return static_cast<long>(*r);
        }());
    };
    CHECK(try_recv() == -EAGAIN);
    zsock_test::fd_guard peer(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in to = zsock_test::loopback4(port);
    REQUIRE(zsock_sendto(peer, "dgram", 5, 0, reinterpret_cast<sockaddr *>(&to), sizeof to) == 5);
    long n = -1;
    for (int i = 0; i < 50 && (n = try_recv()) == -EAGAIN; ++i)
        std::this_thread::sleep_for(2ms);
    CHECK(got(buf, n) == "dgram");
}
