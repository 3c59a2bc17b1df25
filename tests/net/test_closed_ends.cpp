// Closed ends: recv gives 0 after the peer's close, every time; sending into a closed stream is
// EPIPE, with SIGPIPE unless MSG_NOSIGNAL; poll reports POLLHUP once both directions are shut;
// an RST (peer closing with SO_LINGER 0) is ECONNRESET once, then end of stream.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <sys/un.h>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

std::atomic<int> g_sigpipes{0};

void on_sigpipe(int) {
    g_sigpipes.fetch_add(1);
}

/// Counts SIGPIPEs for its lifetime (instead of dying of them), then restores the old action.
struct sigpipe_counter {
    struct sigaction old {};
    sigpipe_counter() {
        struct sigaction sa_new {};
        sa_new.sa_handler = on_sigpipe;
        sigemptyset(&sa_new.sa_mask);
        sigaction(SIGPIPE, &sa_new, &old);
        g_sigpipes = 0;
    }
    ~sigpipe_counter() { sigaction(SIGPIPE, &old, nullptr); }
    int count() const { return g_sigpipes.load(); }
};

} // namespace

TEST_CASE("closed ends: recv returns 0 after the peer closes, repeatedly") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_send(c, "last", 4, 0) == 4);
    c.reset();
    char buf[8];
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_WAITALL) == 4); // queued data first
    for (int i = 0; i < 5; ++i)
        CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_DONTWAIT) == 0);
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_PEEK) == 0);
    // Still 0 once our side has shut down as well (connection fully torn down).
    REQUIRE(zsock_shutdown(s, SHUT_RDWR) == 0);
    CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
}

TEST_CASE("closed ends: shutdown(SHUT_RD) makes recv return 0; SHUT_WR gives the peer EOF") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_shutdown(s, SHUT_RD) == 0);
    char b;
    CHECK(zsock_recv(s, &b, 1, 0) == 0);
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0);
    CHECK(zsock_recv(s, &b, 1, 0) == 0);
    // Half-close: the other direction still works.
    REQUIRE(zsock_send(s, "h", 1, 0) == 1);
    CHECK(zsock_recv(c, &b, 1, 0) == 1);
    CHECK(b == 'h');
}

TEST_CASE("closed ends: EPIPE with MSG_NOSIGNAL, no signal") {
    sigpipe_counter sig;
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0);
    errno = 0;
    CHECK(zsock_send(c, "x", 1, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    msghdr m{};
    char x = 'x';
    iovec iov{&x, 1};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    errno = 0;
    CHECK(zsock_sendmsg(c, &m, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    errno = 0;
    CHECK(zsock_sendto(c, "x", 1, MSG_NOSIGNAL, nullptr, 0) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 0);

    // A peer that closed: the first send may still be taken, an error follows (RST).
    auto [c2, s2] = tcp_pair4();
    REQUIRE(s2 >= 0);
    s2.reset();
    int err = 0;
    for (int i = 0; i < 100 && !err; ++i) {
        if (zsock_send(c2, "y", 1, MSG_NOSIGNAL) < 0)
            err = errno;
        else
            usleep(1000);
    }
    CHECK((err == EPIPE || err == ECONNRESET));
    CHECK(sig.count() == 0);
}

TEST_CASE("closed ends: without MSG_NOSIGNAL, EPIPE comes with SIGPIPE, as on Linux") {
    sigpipe_counter sig;
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0);
    errno = 0;
    CHECK(zsock_send(c, "x", 1, 0) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 1);
    errno = 0;
    CHECK(zsock_write(c, "x", 1) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 2);
    char x = 'x';
    iovec iov{&x, 1};
    errno = 0;
    CHECK(zsock_writev(c, &iov, 1) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 3);
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    errno = 0;
    CHECK(zsock_sendmsg(c, &m, 0) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 4);

    // AF_UNIX stream whose peer is gone: the same.
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    fd_guard a(sv[0]);
    zsock_close(sv[1]);
    errno = 0;
    CHECK(zsock_send(a, "z", 1, 0) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 5);
    errno = 0;
    CHECK(zsock_send(a, "z", 1, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    CHECK(sig.count() == 5);
}

TEST_CASE("closed ends: POLLHUP once both directions are shut") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    zsock_pollfd p{s, POLLIN | POLLOUT, 0};
    REQUIRE(zsock_poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLOUT);
    c.reset();
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    CHECK((p.revents & POLLIN) != 0);
    CHECK((p.revents & POLLHUP) == 0);
    REQUIRE(zsock_shutdown(s, SHUT_WR) == 0);
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    CHECK((p.revents & POLLHUP) != 0);
}

TEST_CASE("closed ends: an RST is ECONNRESET once, then end of stream") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    linger lg{1, 0};
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    c.reset(); // abortive close: RST
    zsock_pollfd p{s, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    CHECK((p.revents & POLLERR) != 0);
    CHECK((p.revents & POLLHUP) != 0);
    char b;
    errno = 0;
    CHECK(zsock_recv(s, &b, 1, 0) == -1);
    CHECK(errno == ECONNRESET);
    CHECK(zsock_recv(s, &b, 1, 0) == 0);
    errno = 0;
    CHECK(zsock_send(s, "x", 1, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
}

TEST_CASE("closed ends: an RST reported through SO_ERROR, and recv on a never-connected socket") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    linger lg{1, 0};
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    s.reset();
    zsock_pollfd p{c, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    int err = 0;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == ECONNRESET);

    fd_guard never(zsock_socket(AF_INET, SOCK_STREAM, 0));
    char b;
    errno = 0;
    CHECK(zsock_recv(never, &b, 1, 0) == -1);
    CHECK(errno == ENOTCONN);
}
