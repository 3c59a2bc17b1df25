// errno and SIGPIPE through the standard names: errno is untouched by a call that succeeds, and
// SIGPIPE is raised exactly when Linux raises it (a stream send without MSG_NOSIGNAL on a
// connection that can no longer send), as glibc over the kernel does.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>

#include "support/libc_ref.hpp"
#include "support/posix_test.hpp"

// Bad pointers and counts are passed on purpose: the kernel must reject them.
#pragma GCC diagnostic ignored "-Wnonnull"
#pragma GCC diagnostic ignored "-Wstringop-overflow"

using namespace zsock_test;

namespace {

constexpr int sentinel = 4242; // not an errno value any call would set

std::atomic<int> g_sigpipes{0};
void on_sigpipe(int) {
    g_sigpipes.fetch_add(1);
}

struct count_sigpipe {
    count_sigpipe() {
        struct sigaction sa {};
        sa.sa_handler = on_sigpipe;
        sigaction(SIGPIPE, &sa, &old);
        g_sigpipes = 0;
    }
    ~count_sigpipe() { sigaction(SIGPIPE, &old, nullptr); }
    struct sigaction old {};
};

} // namespace

TEST_CASE("a successful call leaves errno as it was") {
    auto [c, s] = tcp_pair();
    REQUIRE(s >= 0);
    char buf[16];
    int v = 1;
    socklen_t vl = sizeof v;
    sockaddr_in a{};
    socklen_t al = sizeof a;
    pollfd pfd{s, POLLIN, 0};
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    timeval tv{1, 0};
    iovec iov{buf, 4};

    auto expect_kept = [](const char *what, long r) {
        INFO(what);
        CHECK(r >= 0);
        CHECK(errno == sentinel);
        errno = sentinel;
    };
    errno = sentinel;
    expect_kept("send", ::send(c, "abcd", 4, 0));
    expect_kept("poll", ::poll(&pfd, 1, 1000));
    expect_kept("select", ::select(s + 1, &rd, nullptr, nullptr, &tv));
    expect_kept("recv", ::recv(s, buf, 4, 0));
    expect_kept("write", ::write(c, "abcd", 4));
    expect_kept("read", ::read(s, buf, 4));
    expect_kept("writev", ::writev(c, &iov, 1));
    expect_kept("readv", ::readv(s, &iov, 1));
    expect_kept("setsockopt", ::setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
    expect_kept("getsockopt", ::getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &vl));
    expect_kept("getpeername", ::getpeername(s, reinterpret_cast<sockaddr *>(&a), &al));
    expect_kept("getsockname", ::getsockname(s, reinterpret_cast<sockaddr *>(&a), &al));
    expect_kept("fcntl", ::fcntl(s, F_GETFL));
    int on = 0;
    expect_kept("ioctl", ::ioctl(s, FIONBIO, &on));
    expect_kept("gethostname", ::gethostname(buf, sizeof buf) == 0 ? 0 : -1);
    unsigned char addr[4];
    expect_kept("inet_pton", ::inet_pton(AF_INET, "1.2.3.4", addr) == 1 ? 0 : -1);
    expect_kept("inet_ntop", ::inet_ntop(AF_INET, addr, buf, sizeof buf) ? 0 : -1);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    expect_kept("socket", fd);
    expect_kept("close", ::close(fd));
    expect_kept("shutdown", ::shutdown(c, SHUT_RDWR));
}

TEST_CASE("a failing call sets errno") {
    errno = sentinel;
    char c;
    CHECK(::recv(-1, &c, 1, 0) == -1);
    CHECK(errno == EBADF);
    errno = sentinel;
    CHECK(::poll(nullptr, static_cast<nfds_t>(1) << 40, 0) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("send without MSG_NOSIGNAL raises SIGPIPE once per failed send, as over glibc") {
    count_sigpipe counter;
    for (bool through_libc : {false, true}) {
        INFO((through_libc ? "glibc" : "zsock"));
        const auto &f = libc();
        int sv[2];
        REQUIRE((through_libc ? f.socketpair : ::socketpair)(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        posix_fd a(sv[0]), b(sv[1]);
        auto send = through_libc ? f.send : ::send;
        auto write = through_libc ? f.write : ::write;
        // After our own SHUT_WR a stream send fails with EPIPE at once, deterministically.
        REQUIRE((through_libc ? f.shutdown : ::shutdown)(a, SHUT_WR) == 0);
        g_sigpipes = 0;
        errno = 0;
        CHECK(send(a, "x", 1, 0) == -1);
        CHECK(errno == EPIPE);
        CHECK(g_sigpipes == 1);
        CHECK(send(a, "x", 1, MSG_NOSIGNAL) == -1);
        CHECK(errno == EPIPE);
        CHECK(g_sigpipes == 1);
        CHECK(write(a, "x", 1) == -1);
        CHECK(errno == EPIPE);
        CHECK(g_sigpipes == 2);
    }
}

TEST_CASE("TCP: send to a peer that has gone raises SIGPIPE unless MSG_NOSIGNAL") {
    count_sigpipe counter;
    auto [c, s] = tcp_pair();
    REQUIRE(s >= 0);
    s.reset(); // the peer closes; our first send draws a RST, later ones fail
    int failures = 0, pipes = 0;
    for (int i = 0; i < 100 && failures < 3; ++i) {
        ssize_t r = ::send(c, "x", 1, 0);
        if (r < 0) {
            ++failures;
            pipes += errno == EPIPE;
            CHECK((errno == EPIPE || errno == ECONNRESET));
        } else {
            pollfd p{c, POLLIN, 0};
            ::poll(&p, 1, 100); // let the RST arrive
        }
    }
    CHECK(failures == 3);
    CHECK(g_sigpipes == pipes);
    CHECK(pipes >= 1);
    int before = g_sigpipes;
    CHECK(::send(c, "x", 1, MSG_NOSIGNAL) == -1);
    CHECK(g_sigpipes == before);
}
