// Nonblocking sockets: EAGAIN from recv, accept and send; EINPROGRESS then POLLOUT and SO_ERROR
// for connect (success and ECONNREFUSED); EALREADY for a second connect; SOCK_NONBLOCK at
// socket() and accept4(); MSG_DONTWAIT on a blocking socket.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <vector>

#include <zsock/socket.h>

#include "support/skip.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

bool is_nonblocking(int fd) {
    int fl = zsock_fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

/// Sends with MSG_DONTWAIT until the socket buffer is full; returns the bytes queued.
size_t fill(int fd) {
    std::vector<char> chunk(64 * 1024, 'f');
    size_t total = 0;
    for (;;) {
        ssize_t n = zsock_send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (n < 0) break;
        total += static_cast<size_t>(n);
    }
    return total;
}

} // namespace

TEST_CASE("nonblocking: recv and recvfrom with nothing queued fail with EAGAIN") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    char b;
    errno = 0;
    CHECK(zsock_recv(s, &b, 1, MSG_DONTWAIT) == -1); // blocking socket, one nonblocking call
    CHECK(errno == EAGAIN);
    CHECK_FALSE(is_nonblocking(s));

    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    CHECK(is_nonblocking(u));
    sockaddr_in a = loopback4();
    REQUIRE(zsock_bind(u, sa(&a), sizeof a) == 0);
    errno = 0;
    CHECK(zsock_recvfrom(u, &b, 1, 0, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
    errno = 0;
    CHECK(zsock_read(u, &b, 1) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("nonblocking: accept with an empty queue fails with EAGAIN, promptly") {
    listener l = listen_tcp4(16, SOCK_NONBLOCK);
    REQUIRE(l.fd >= 0);
    auto t0 = clock::now();
    errno = 0;
    CHECK(zsock_accept(l.fd, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
    CHECK(ms_since(t0) < 1000);

    socklen_t alen = 0;
    sockaddr_un ua = unix_abstract("nb-accept", &alen);
    fd_guard ul(zsock_socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    REQUIRE(zsock_bind(ul, sa(&ua), alen) == 0);
    REQUIRE(zsock_listen(ul, 1) == 0);
    errno = 0;
    CHECK(zsock_accept4(ul, nullptr, nullptr, SOCK_NONBLOCK) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("nonblocking: SOCK_NONBLOCK at accept4; plain accept does not inherit it") {
    listener l = listen_tcp4(16, SOCK_NONBLOCK);
    REQUIRE(l.fd >= 0);
    CHECK(is_nonblocking(l.fd));
    fd_guard c1(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard c2(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c1, sa(&l.addr), sizeof l.addr) == 0);
    REQUIRE(zsock_connect(c2, sa(&l.addr), sizeof l.addr) == 0);
    zsock_pollfd p{l.fd, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    fd_guard a1(zsock_accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    REQUIRE(a1 >= 0);
    CHECK(is_nonblocking(a1));
    CHECK(zsock_fcntl(a1, F_GETFD) == FD_CLOEXEC);
    REQUIRE(zsock_poll(&p, 1, 2000) == 1);
    fd_guard a2(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(a2 >= 0);
    CHECK_FALSE(is_nonblocking(a2));
    CHECK(zsock_fcntl(a2, F_GETFD) == 0);
    errno = 0;
    CHECK(zsock_accept4(l.fd, nullptr, nullptr, 0x40000000) == -1); // unknown flag
    CHECK(errno == EINVAL);
}

TEST_CASE("nonblocking: connect gives EINPROGRESS, then POLLOUT and SO_ERROR 0") {
    listener l = listen_tcp4();
    REQUIRE(l.fd >= 0);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int r = zsock_connect(c, sa(&l.addr), sizeof l.addr);
    if (r != 0) REQUIRE(errno == EINPROGRESS); // loopback may also finish at once
    zsock_pollfd p{c, POLLOUT, 0};
    REQUIRE(zsock_poll(&p, 1, 5000) == 1);
    CHECK(p.revents == POLLOUT);
    int err = -1;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == 0);
    // Linux: the first connect after completion reports it (0), later ones say EISCONN.
    r = zsock_connect(c, sa(&l.addr), sizeof l.addr);
    CHECK((r == 0 || errno == EISCONN));
    errno = 0;
    CHECK(zsock_connect(c, sa(&l.addr), sizeof l.addr) == -1);
    CHECK(errno == EISCONN);
}

TEST_CASE("nonblocking: a refused connect ends in POLLERR and SO_ERROR ECONNREFUSED") {
    sockaddr_in dead = dead_port4();
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int on = 1;
    REQUIRE(zsock_ioctl(c, FIONBIO, &on) == 0);
    int r = zsock_connect(c, sa(&dead), sizeof dead);
    if (r == -1 && errno == ECONNREFUSED) {
        SUCCEED("refused at once");
        return;
    }
    REQUIRE(r == -1);
    REQUIRE(errno == EINPROGRESS);
    zsock_pollfd p{c, POLLOUT, 0};
    REQUIRE(zsock_poll(&p, 1, 5000) == 1);
    CHECK((p.revents & POLLERR) != 0);
    CHECK((p.revents & POLLHUP) != 0);
    int err = 0;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == ECONNREFUSED);
    // Reading SO_ERROR clears it.
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == 0);
}

TEST_CASE("nonblocking: a second connect while one is pending is EALREADY", "[full_accept_queue]") {
    full_listener f = make_full_listener();
    if (!f.ok) ZT_SKIP("this kernel completes connects to a full accept queue");
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    errno = 0;
    CHECK(zsock_connect(c, sa(&f.l.addr), sizeof f.l.addr) == -1);
    CHECK(errno == EINPROGRESS);
    errno = 0;
    CHECK(zsock_connect(c, sa(&f.l.addr), sizeof f.l.addr) == -1);
    CHECK(errno == EALREADY);
    zsock_pollfd p{c, POLLOUT, 0};
    CHECK(zsock_poll(&p, 1, 0) == 0);
}

TEST_CASE("nonblocking: send on a full buffer fails with EAGAIN; MSG_DONTWAIT likewise") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int small = 4096;
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    CHECK(fill(c) > 0);
    errno = 0;
    CHECK(zsock_send(c, "x", 1, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    REQUIRE(zsock_fcntl(c, F_SETFL, zsock_fcntl(c, F_GETFL) | O_NONBLOCK) == 0);
    errno = 0;
    CHECK(zsock_send(c, "x", 1, 0) == -1);
    CHECK(errno == EAGAIN);
    errno = 0;
    CHECK(zsock_write(c, "x", 1) == -1);
    CHECK(errno == EAGAIN);
    zsock_pollfd p{c, POLLOUT, 0};
    CHECK(zsock_poll(&p, 1, 0) == 0);
}
