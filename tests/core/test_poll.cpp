// zsock_poll semantics: POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL, negative fds, timeouts,
// pipes, and the limits of the pollfd array.
//
// Every case runs twice: on the kernel fast path (no hooked object exists) and on the hooked path
// (a user-space object with poll hooks is open, so zsock walks the array itself). Both must give
// the kernel's answer, which each case also checks by running libc's poll() on the same array.
#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// zsock_poll and libc poll on copies of the same array, with timeout 0: same count, same revents.
void same_as_kernel(const std::vector<zsock_pollfd> &fds) {
    std::vector<zsock_pollfd> z = fds;
    std::vector<pollfd> k(fds.size());
    for (size_t i = 0; i < fds.size(); ++i)
        k[i] = {fds[i].fd, fds[i].events, 0};
    int zr = zsock_poll(z.data(), static_cast<int>(z.size()), 0);
    int kr = ::poll(k.data(), k.size(), 0);
    CHECK(zr == kr);
    for (size_t i = 0; i < fds.size(); ++i) {
        INFO("entry " << i << " fd " << fds[i].fd);
        CHECK(z[i].revents == k[i].revents);
    }
}

struct pipe_pair {
    int r = -1, w = -1;
    pipe_pair() {
        int p[2];
        if (::pipe(p) == 0) r = p[0], w = p[1];
    }
    ~pipe_pair() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
};

} // namespace

TEST_CASE("poll: POLLIN and POLLOUT on a TCP pair") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);

    zsock_pollfd fds[2] = {{s, POLLIN, 0}, {c, POLLOUT, 0}};
    CHECK(zsock_poll(fds, 2, 0) == 1);
    CHECK(fds[0].revents == 0);
    CHECK(fds[1].revents == POLLOUT);

    REQUIRE(zsock_send(c, "x", 1, 0) == 1);
    fds[0].revents = fds[1].revents = 0x7f; // revents is output only
    CHECK(zsock_poll(fds, 2, 1000) == 2);
    CHECK(fds[0].revents == POLLIN);
    CHECK(fds[1].revents == POLLOUT);
    same_as_kernel({{s, POLLIN | POLLOUT, 0}, {c, POLLIN | POLLOUT, 0}});
}

TEST_CASE("poll: POLLHUP after both directions close, POLLIN alone at end of stream") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);

    // Peer closed: the stream ends (POLLIN, recv gives 0) but we may still send: no POLLHUP.
    c.reset();
    zsock_pollfd fd{s, POLLIN, 0};
    REQUIRE(zsock_poll(&fd, 1, 1000) == 1);
    CHECK(fd.revents == POLLIN);
    // Our side shut too: now both directions are closed, POLLHUP, even when not asked for.
    REQUIRE(zsock_shutdown(s, SHUT_WR) == 0);
    fd = {s, 0, 0};
    REQUIRE(zsock_poll(&fd, 1, 1000) == 1);
    CHECK((fd.revents & POLLHUP) != 0);
    same_as_kernel({{s, POLLIN | POLLOUT, 0}, {s, 0, 0}});
}

TEST_CASE("poll: POLLHUP on an AF_UNIX stream and a pipe whose peer closed") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    fd_guard a(sv[0]), b(sv[1]);
    pipe_pair p;
    REQUIRE(p.r >= 0);
    b.reset();
    ::close(p.w);
    p.w = -1;
    zsock_pollfd fds[2] = {{a, POLLIN, 0}, {p.r, POLLIN, 0}};
    REQUIRE(zsock_poll(fds, 2, 1000) == 2);
    CHECK((fds[0].revents & POLLHUP) != 0);
    CHECK(fds[1].revents == POLLHUP);
    same_as_kernel({{a, POLLIN | POLLOUT, 0}, {p.r, POLLIN, 0}});
}

TEST_CASE("poll: POLLERR on a refused nonblocking connect and on a pipe with no reader") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    // A port with nobody listening: bind a socket to get a free port, then close it.
    sockaddr_in dead = loopback4();
    {
        fd_guard t(zsock_socket(AF_INET, SOCK_STREAM, 0));
        socklen_t len = sizeof dead;
        REQUIRE(zsock_bind(t, sa(&dead), sizeof dead) == 0);
        REQUIRE(zsock_getsockname(t, sa(&dead), &len) == 0);
    }
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int r = zsock_connect(c, sa(&dead), sizeof dead);
    REQUIRE((r == 0 || errno == EINPROGRESS || errno == ECONNREFUSED));
    zsock_pollfd fd{c, POLLOUT, 0};
    REQUIRE(zsock_poll(&fd, 1, 2000) == 1);
    CHECK((fd.revents & POLLERR) != 0);
    same_as_kernel({{c, POLLIN | POLLOUT, 0}});

    pipe_pair p;
    ::close(p.r);
    p.r = -1;
    zsock_pollfd pw{p.w, POLLOUT, 0};
    REQUIRE(zsock_poll(&pw, 1, 0) == 1);
    CHECK((pw.revents & POLLERR) != 0);
    same_as_kernel({{p.w, POLLOUT, 0}});
}

TEST_CASE("poll: a closed fd is POLLNVAL and counted; negative fds are ignored") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    int closed = zsock_socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(closed >= 0);
    REQUIRE(zsock_close(closed) == 0);
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(u >= 0);
    REQUIRE(u == closed);                   // lowest free number: the same one comes back...
    REQUIRE(zsock_close(u.release()) == 0); // ...and goes again, so `closed` is really closed

    zsock_pollfd fds[3] = {{-1, POLLIN, 0x55}, {closed, POLLIN, 0}, {-77, POLLOUT, 0}};
    CHECK(zsock_poll(fds, 3, 1000) == 1);
    CHECK(fds[0].revents == 0);
    CHECK(fds[1].revents == POLLNVAL);
    CHECK(fds[2].revents == 0);
    same_as_kernel({{-1, POLLIN, 0}, {closed, POLLIN, 0}, {-77, POLLOUT, 0}});

    // Only negative fds: nothing to wait for but the timeout.
    zsock_pollfd neg{-1, POLLIN, 0};
    auto t0 = clock::now();
    CHECK(zsock_poll(&neg, 1, 50) == 0);
    CHECK(ms_since(t0) >= 45);
}

TEST_CASE("poll: timeouts 0, positive and infinite") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    zsock_pollfd fd{s, POLLIN, 0};

    CHECK(zsock_poll(&fd, 1, 0) == 0); // 0: returns at once

    auto t0 = clock::now();
    CHECK(zsock_poll(&fd, 1, 120) == 0); // positive: waits that long, no less
    CHECK(ms_since(t0) >= 115);

    // -1: waits until another thread makes the fd readable.
    std::atomic<bool> sent{false};
    std::thread writer([&, cfd = c.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        sent = zsock_send(cfd, "y", 1, 0) == 1;
    });
    int r = zsock_poll(&fd, 1, -1);
    writer.join();
    CHECK(sent);
    CHECK(r == 1);
    CHECK(fd.revents == POLLIN);

    // nfds 0 with no array is a sleep.
    t0 = clock::now();
    CHECK(zsock_poll(nullptr, 0, 60) == 0);
    CHECK(ms_since(t0) >= 55);
}

TEST_CASE("poll: pipes and sockets in one array, events 0 still reports hang-ups") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    pipe_pair p;
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(::write(p.w, "z", 1) == 1);
    zsock_pollfd fds[4] = {{p.r, POLLIN, 0}, {p.w, POLLOUT, 0}, {s, POLLIN, 0}, {c, 0, 0}};
    CHECK(zsock_poll(fds, 4, 0) == 2);
    CHECK(fds[0].revents == POLLIN);
    CHECK(fds[1].revents == POLLOUT);
    CHECK(fds[2].revents == 0);
    CHECK(fds[3].revents == 0);
    ::close(p.w);
    p.w = -1;
    same_as_kernel({{p.r, POLLIN, 0}, {p.r, 0, 0}, {s, POLLIN, 0}});
}

TEST_CASE("poll: arrays past their limits and bad pointers fail with the kernel's errno") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    rlimit rl{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    std::vector<zsock_pollfd> big(rl.rlim_cur + 1, zsock_pollfd{-1, 0, 0});

    // More entries than RLIMIT_NOFILE: EINVAL, as the kernel says, before touching the array.
    errno = 0;
    CHECK(zsock_poll(big.data(), static_cast<int>(rl.rlim_cur + 1), 0) == -1);
    CHECK(errno == EINVAL);
    // Exactly the limit is fine.
    CHECK(zsock_poll(big.data(), static_cast<int>(rl.rlim_cur), 0) == 0);
    // A negative count is a huge one.
    errno = 0;
    CHECK(zsock_poll(big.data(), -1, 0) == -1);
    CHECK(errno == EINVAL);

    // Pointers the process cannot read or write: EFAULT, never a crash.
    errno = 0;
    CHECK(zsock_poll(reinterpret_cast<zsock_pollfd *>(16), 1, 0) == -1);
    CHECK(errno == EFAULT);
    errno = 0;
    CHECK(zsock_poll(nullptr, 2, 0) == -1);
    CHECK(errno == EFAULT);

    // An array in read-only memory: the kernel cannot write revents back.
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void *mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    auto *pf = static_cast<zsock_pollfd *>(mem);
    pf[0] = {0, POLLIN, 0};
    REQUIRE(mprotect(mem, page, PROT_READ) == 0);
    errno = 0;
    CHECK(zsock_poll(pf, 1, 0) == -1);
    CHECK(errno == EFAULT);
    // An array that runs past the end of its mapping into an inaccessible page.
    REQUIRE(mprotect(mem, page, PROT_READ | PROT_WRITE) == 0);
    REQUIRE(mprotect(static_cast<char *>(mem) + page, page, PROT_NONE) == 0);
    auto *last = reinterpret_cast<zsock_pollfd *>(static_cast<char *>(mem) + page) - 1;
    *last = {-1, 0, 0};
    errno = 0;
    CHECK(zsock_poll(last, 2, 0) == -1);
    CHECK(errno == EFAULT);
    munmap(mem, 2 * page);
}
