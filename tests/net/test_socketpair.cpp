// socketpair: stream and datagram (and seqpacket) pairs are connected zsock sockets in both
// directions; the wrong family or type fails with the kernel's errno; a bad sv pointer is
// EFAULT, without a crash and without leaking the descriptors the kernel made.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

TEST_CASE("socketpair: a stream pair talks both ways and ends with end of stream") {
    int sv[2] = {-1, -1};
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    fd_guard a(sv[0]), b(sv[1]);
    CHECK(a != b);
    REQUIRE(zsock_send(a, "ping", 4, 0) == 4);
    char buf[8];
    REQUIRE(zsock_recv(b, buf, 4, MSG_WAITALL) == 4);
    CHECK(std::string(buf, 4) == "ping");
    REQUIRE(zsock_write(b, "pong", 4) == 4);
    REQUIRE(zsock_read(a, buf, 4) == 4);
    CHECK(std::string(buf, 4) == "pong");
    int type = 0;
    socklen_t len = sizeof type;
    REQUIRE(zsock_getsockopt(a, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_STREAM);
    a.reset();
    CHECK(zsock_recv(b, buf, sizeof buf, 0) == 0);
    zsock_pollfd p{b, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 0) == 1);
    CHECK((p.revents & POLLHUP) != 0);
}

TEST_CASE("socketpair: datagram and seqpacket pairs keep message boundaries") {
    for (int type : {SOCK_DGRAM, SOCK_SEQPACKET}) {
        INFO("type " << type);
        int sv[2];
        REQUIRE(zsock_socketpair(AF_LOCAL, type, 0, sv) == 0);
        fd_guard a(sv[0]), b(sv[1]);
        REQUIRE(zsock_send(a, "one", 3, 0) == 3);
        REQUIRE(zsock_send(a, "three", 5, 0) == 5);
        char buf[16];
        CHECK(zsock_recv(b, buf, sizeof buf, 0) == 3);
        CHECK(zsock_recv(b, buf, 2, 0) == 2); // the rest of the record is dropped
        errno = 0;
        CHECK(zsock_recv(b, buf, sizeof buf, MSG_DONTWAIT) == -1);
        CHECK(errno == EAGAIN);
    }
}

TEST_CASE("socketpair: SOCK_NONBLOCK and SOCK_CLOEXEC apply to both ends") {
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    fd_guard a(sv[0]), b(sv[1]);
    for (int fd : sv) {
        CHECK((zsock_fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
        CHECK(zsock_fcntl(fd, F_GETFD) == FD_CLOEXEC);
    }
}

TEST_CASE("socketpair: wrong families and types fail with the kernel's errno") {
    int sv[2] = {-1, -1};
    errno = 0;
    CHECK(zsock_socketpair(AF_INET, SOCK_STREAM, 0, sv) == -1);
    CHECK(errno == EOPNOTSUPP);
    errno = 0;
    CHECK(zsock_socketpair(AF_INET6, SOCK_DGRAM, 0, sv) == -1);
    CHECK(errno == EOPNOTSUPP);
    errno = 0;
    CHECK(zsock_socketpair(4242, SOCK_STREAM, 0, sv) == -1);
    CHECK(errno == EAFNOSUPPORT);
    errno = 0;
    CHECK(zsock_socketpair(AF_UNSPEC, SOCK_STREAM, 0, sv) == -1);
    CHECK(errno == EAFNOSUPPORT);
    errno = 0;
    CHECK(zsock_socketpair(AF_UNIX, SOCK_STREAM, IPPROTO_TCP, sv) == -1);
    CHECK(errno == EPROTONOSUPPORT);
    errno = 0;
    CHECK(zsock_socketpair(AF_UNIX, SOCK_RDM, 0, sv) == -1);
    CHECK(errno == ESOCKTNOSUPPORT);
    // (Linux writes the numbers it reserved into sv before it creates the sockets, so sv is not
    // left untouched on failure; nothing is open behind them.)
}

TEST_CASE("socketpair: a bad sv pointer is EFAULT, with no crash and no leak") {
    const long before = open_fd_count();
    for (int *bad :
         {static_cast<int *>(nullptr), reinterpret_cast<int *>(8), reinterpret_cast<int *>(-16L)}) {
        errno = 0;
        CHECK(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, bad) == -1);
        CHECK(errno == EFAULT);
    }
    CHECK(open_fd_count() == before);
    // The numbers the kernel tried are free: the next pair gets the lowest ones.
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(zsock_close(sv[0]) == 0);
    CHECK(zsock_close(sv[1]) == 0);
    CHECK(open_fd_count() == before);
}
