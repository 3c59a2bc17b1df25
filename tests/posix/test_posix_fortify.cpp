// glibc's _FORTIFY_SOURCE entry points exported by libzsock-posix: they run the call through
// zsock, and they abort on an overflow exactly where glibc's do (length beyond the buffer the
// compiler saw), so a fortified program keeps its protection.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "support/posix_test.hpp"

using namespace zsock_test;

extern "C" {
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, sockaddr *addr,
                       socklen_t *addrlen);
int __poll_chk(pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
}

namespace {

/// Runs fn in a child process and returns the signal that ended it (0 if it exited).
template <class Fn>
int dies_with(Fn fn) {
    pid_t pid = fork();
    if (pid == 0) {
        // glibc prints "*** buffer overflow detected ***" to the terminal or stderr: silence it.
        int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0 && !getenv("ZSOCK_TEST_VERBOSE")) dup2(devnull, 2);
        std::signal(SIGABRT, SIG_DFL); // Catch2's handler is not for a forked child
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

} // namespace

TEST_CASE("the _chk entry points go through zsock") {
    auto [c, s] = tcp_pair();
    REQUIRE(s >= 0);
    REQUIRE(is_zsock_fd(s));
    char buf[8] = {};
    REQUIRE(::send(c, "abcdefgh", 8, 0) == 8);
    pollfd p{s, POLLIN, 0};
    CHECK(__poll_chk(&p, 1, 1000, sizeof p) == 1);
    CHECK(p.revents == POLLIN);
    CHECK(__read_chk(s, buf, 2, sizeof buf) == 2);
    CHECK(__recv_chk(s, buf, 2, sizeof buf, 0) == 2);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    CHECK(__recvfrom_chk(s, buf, 4, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &len) == 4);
    CHECK(std::string(buf, 4) == "efgh");
    // Errors are zsock's (the kernel's): a bad fd is EBADF.
    CHECK(__read_chk(-1, buf, 1, sizeof buf) == -1);
    CHECK(errno == EBADF);
    CHECK(__recv_chk(s, buf, 1, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("the _chk entry points abort on an overflow, as glibc's do") {
    auto [c, s] = tcp_pair();
    REQUIRE(s >= 0);
    char buf[8];
    pollfd p[2] = {{s, POLLIN, 0}, {c, POLLIN, 0}};
    CHECK(dies_with([&] { __read_chk(s, buf, 9, sizeof buf); }) == SIGABRT);
    CHECK(dies_with([&] { __recv_chk(s, buf, 9, sizeof buf, MSG_DONTWAIT); }) == SIGABRT);
    CHECK(dies_with([&] {
              __recvfrom_chk(s, buf, 9, sizeof buf, MSG_DONTWAIT, nullptr, nullptr);
          }) == SIGABRT);
    CHECK(dies_with([&] { __poll_chk(p, 2, 0, sizeof p[0]); }) == SIGABRT);
    // At the limit nothing aborts.
    CHECK(dies_with([&] { __read_chk(-1, buf, 8, sizeof buf); }) == 0);
    CHECK(dies_with([&] { __poll_chk(p, 2, 0, sizeof p); }) == 0);
}
