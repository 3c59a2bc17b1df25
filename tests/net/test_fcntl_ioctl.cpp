// fcntl and ioctl: F_GETFL/F_SETFL with O_NONBLOCK, FIONBIO honouring its argument both ways
// (Zephyr 3.x's native sockets ignore it; Linux and zsock do not), FIONREAD on TCP (bytes
// queued) and UDP (size of the next datagram), F_GETFD/F_SETFD, and the same calls on pipes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <thread>
#include <unistd.h>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// True if a recv with nothing queued fails at once with EAGAIN (the socket is nonblocking).
bool recv_would_block(int fd) {
    char b;
    errno = 0;
    return zsock_recv(fd, &b, 1, 0) == -1 && errno == EAGAIN;
}

} // namespace

TEST_CASE("fcntl: F_GETFL/F_SETFL switch O_NONBLOCK on and off") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int fl = zsock_fcntl(s, F_GETFL);
    REQUIRE(fl >= 0);
    CHECK((fl & O_NONBLOCK) == 0);
    CHECK((fl & O_ACCMODE) == O_RDWR);
    CHECK(ZSOCK_O_NONBLOCK == O_NONBLOCK);
    REQUIRE(zsock_fcntl(s, F_SETFL, fl | ZSOCK_O_NONBLOCK) == 0);
    CHECK((zsock_fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    CHECK(recv_would_block(s));
    REQUIRE(zsock_fcntl(s, F_SETFL, fl) == 0);
    CHECK((zsock_fcntl(s, F_GETFL) & O_NONBLOCK) == 0);
    // Blocking again: a recv waits for the data a timer thread sends.
    std::thread t([cfd = c.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        zsock_send(cfd, "b", 1, 0);
    });
    char b;
    CHECK(zsock_recv(s, &b, 1, 0) == 1);
    t.join();
}

TEST_CASE("ioctl: FIONBIO honours its argument both ways") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int on = 1, off = 0;
    REQUIRE(zsock_ioctl(s, FIONBIO, &on) == 0);
    CHECK((zsock_fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    CHECK(recv_would_block(s));
    REQUIRE(zsock_ioctl(s, ZSOCK_FIONBIO, &off) == 0);
    CHECK((zsock_fcntl(s, F_GETFL) & O_NONBLOCK) == 0);
    int other = 42; // any nonzero value means on
    REQUIRE(zsock_ioctl(s, FIONBIO, &other) == 0);
    CHECK((zsock_fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
}

TEST_CASE("ioctl: FIONREAD counts queued bytes on TCP and the next datagram on UDP") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int n = -1;
    REQUIRE(zsock_ioctl(s, FIONREAD, &n) == 0);
    CHECK(n == 0);
    REQUIRE(zsock_send(c, "12345", 5, 0) == 5);
    REQUIRE(zsock_send(c, "678", 3, 0) == 3);
    for (int i = 0; i < 1000 && n < 8; ++i) {
        REQUIRE(zsock_ioctl(s, ZSOCK_FIONREAD, &n) == 0);
        if (n < 8) usleep(1000);
    }
    CHECK(n == 8); // a stream: everything queued

    sockaddr_in addr{};
    fd_guard rx = udp_bound4(&addr);
    fd_guard tx(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(zsock_sendto(tx, "abcdefg", 7, 0, sa(&addr), sizeof addr) == 7);
    REQUIRE(zsock_sendto(tx, "xyz", 3, 0, sa(&addr), sizeof addr) == 3);
    zsock_pollfd p{rx, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 1000) == 1);
    REQUIRE(zsock_ioctl(rx, FIONREAD, &n) == 0);
    CHECK(n == 7); // datagrams: the next one only
    char b[16];
    REQUIRE(zsock_recv(rx, b, sizeof b, 0) == 7);
    REQUIRE(zsock_ioctl(rx, FIONREAD, &n) == 0);
    CHECK(n == 3);
}

TEST_CASE("fcntl: F_GETFD/F_SETFD and SOCK_CLOEXEC") {
    fd_guard plain(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard cloexec(zsock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    CHECK(zsock_fcntl(plain, F_GETFD) == 0);
    CHECK(zsock_fcntl(cloexec, F_GETFD) == FD_CLOEXEC);
    REQUIRE(zsock_fcntl(plain, F_SETFD, FD_CLOEXEC) == 0);
    CHECK(zsock_fcntl(plain, F_GETFD) == FD_CLOEXEC);
    CHECK(::fcntl(plain, F_GETFD) == FD_CLOEXEC); // it is the kernel descriptor's flag
    REQUIRE(zsock_fcntl(cloexec, F_SETFD, 0) == 0);
    CHECK(zsock_fcntl(cloexec, F_GETFD) == 0);
}

TEST_CASE("fcntl: F_DUPFD gives a plain kernel descriptor that zsock passes through") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int d = zsock_fcntl(s, F_DUPFD, 100);
    REQUIRE(d >= 100);
    CHECK(zsock_send(d, "dup", 3, 0) == 3);
    char b[3];
    CHECK(zsock_recv(c, b, 3, MSG_WAITALL) == 3);
    CHECK(zsock_close(d) == 0);
    // Commands past the object protocol's range (>= 0x100, such as F_DUPFD_CLOEXEC) go to the
    // kernel descriptor, as glibc's fcntl would send them: the copy is close-on-exec.
    int dc = zsock_fcntl(s, F_DUPFD_CLOEXEC, 100);
    REQUIRE(dc >= 100);
    CHECK((zsock_fcntl(dc, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(zsock_send(dc, "dup", 3, 0) == 3);
    CHECK(zsock_recv(c, b, 3, MSG_WAITALL) == 3);
    CHECK(zsock_close(dc) == 0);
}

TEST_CASE("fcntl and ioctl on pipes go to the kernel") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    CHECK((zsock_fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    REQUIRE(zsock_fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    char b;
    errno = 0;
    CHECK(zsock_read(p[0], &b, 1) == -1);
    CHECK(errno == EAGAIN);
    REQUIRE(zsock_write(p[1], "pipe", 4) == 4);
    int n = 0;
    REQUIRE(zsock_ioctl(p[0], FIONREAD, &n) == 0);
    CHECK(n == 4);
    int d = zsock_fcntl(p[1], F_DUPFD_CLOEXEC, 50); // the kernel's own fcntl here
    CHECK(d >= 50);
    CHECK(zsock_close(d) == 0);
    ::close(p[0]);
    ::close(p[1]);
}
