// zsock_select semantics and the ZSOCK_FD_* macros.
//
// Each case runs on the kernel fast path and on the hooked path (a user-space object with poll
// hooks is open, so select is built on zsock's own poll). Both must answer as Linux's select does:
// POLLIN/POLLHUP/POLLERR make an fd readable, POLLOUT/POLLERR writable, POLLPRI exceptional; a
// closed fd is EBADF; the time left is written back; nfds is honoured and only the first nfds
// bits (rounded up to a 64-bit word, as the kernel copies them) of each set are read and written.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <thread>
#include <unistd.h>

#include <zsock/socket.h>

#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

static_assert(sizeof(zsock_fd_set) == sizeof(fd_set));

namespace {

struct sets {
    zsock_fd_set r{}, w{}, e{};
};

/// zsock_select and libc select on copies of the same sets (timeout 0): same result, same sets.
void same_as_kernel(int nfds, const sets &in) {
    sets z = in;
    fd_set kr, kw, ke;
    std::memcpy(&kr, &in.r, sizeof kr);
    std::memcpy(&kw, &in.w, sizeof kw);
    std::memcpy(&ke, &in.e, sizeof ke);
    zsock_timeval zt{0, 0};
    timeval kt{0, 0};
    errno = 0;
    int zr = zsock_select(nfds, &z.r, &z.w, &z.e, &zt);
    int zerr = errno;
    errno = 0;
    int kres = ::select(nfds, &kr, &kw, &ke, &kt);
    int kerr = errno;
    CHECK(zr == kres);
    if (zr < 0) CHECK(errno_name(zerr) == errno_name(kerr));
    CHECK(std::memcmp(&z.r, &kr, sizeof kr) == 0);
    CHECK(std::memcmp(&z.w, &kw, sizeof kw) == 0);
    CHECK(std::memcmp(&z.e, &ke, sizeof ke) == 0);
}

} // namespace

TEST_CASE("ZSOCK_FD_* macros: Zephyr's bit layout, glibc's bytes, out-of-range fds ignored") {
    zsock_fd_set s;
    std::memset(&s, 0xa5, sizeof s);
    ZSOCK_FD_ZERO(&s);
    for (uint32_t w : s.bitset)
        CHECK(w == 0);

    ZSOCK_FD_SET(0, &s);
    ZSOCK_FD_SET(31, &s);
    CHECK(s.bitset[0] == 0x80000001u);
    ZSOCK_FD_SET(33, &s);
    CHECK(s.bitset[1] == 0x2u);
    CHECK(ZSOCK_FD_ISSET(0, &s));
    CHECK(ZSOCK_FD_ISSET(31, &s));
    CHECK(ZSOCK_FD_ISSET(33, &s));
    CHECK_FALSE(ZSOCK_FD_ISSET(32, &s));
    ZSOCK_FD_SET(1023, &s);
    CHECK(s.bitset[31] == 0x80000000u);

    // Same bytes as glibc's FD_SET for the same fds.
    fd_set g;
    FD_ZERO(&g);
    for (int fd : {0, 31, 33, 1023})
        FD_SET(fd, &g);
    CHECK(std::memcmp(&g, &s, sizeof s) == 0);

    // Out of range: no write anywhere, never set.
    zsock_fd_set before = s;
    for (int fd : {-1, -32, 1024, 1025, 4096, 1 << 30}) {
        ZSOCK_FD_SET(fd, &s);
        ZSOCK_FD_CLR(fd, &s);
        CHECK_FALSE(ZSOCK_FD_ISSET(fd, &s));
    }
    CHECK(std::memcmp(&before, &s, sizeof s) == 0);

    ZSOCK_FD_CLR(31, &s);
    CHECK(s.bitset[0] == 0x1u);
}

TEST_CASE("select: read, write and except sets map as Linux maps them") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    const int nfds = std::max(c.get(), s.get()) + 1;

    sets in;
    ZSOCK_FD_SET(s, &in.r);
    ZSOCK_FD_SET(c, &in.w);
    ZSOCK_FD_SET(s, &in.e);
    sets out = in;
    zsock_timeval tv{0, 0};
    CHECK(zsock_select(nfds, &out.r, &out.w, &out.e, &tv) == 1);
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.r));
    CHECK(ZSOCK_FD_ISSET(c, &out.w));
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.e));

    // Urgent data: exceptional (POLLPRI). A lone urgent byte is not ordinary data: not readable.
    REQUIRE(zsock_send(c, "!", 1, MSG_OOB) == 1);
    out = in;
    tv = {2, 0};
    CHECK(zsock_select(nfds, &out.r, &out.w, &out.e, &tv) == 2);
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.r));
    CHECK(ZSOCK_FD_ISSET(c, &out.w));
    CHECK(ZSOCK_FD_ISSET(s, &out.e));
    same_as_kernel(nfds, in);

    // End of stream: readable, not exceptional.
    char b;
    REQUIRE(zsock_recv(s, &b, 1, MSG_OOB) == 1);
    c.reset();
    out = in;
    tv = {2, 0};
    CHECK(zsock_select(nfds, &out.r, nullptr, &out.e, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(s, &out.r));
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.e));
}

TEST_CASE("select: a refused connect is readable and writable (POLLERR), as on Linux") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
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
    sets in;
    ZSOCK_FD_SET(c, &in.r);
    ZSOCK_FD_SET(c, &in.w);
    ZSOCK_FD_SET(c, &in.e);
    sets out = in;
    zsock_timeval tv{2, 0};
    CHECK(zsock_select(c + 1, &out.r, &out.w, &out.e, &tv) == 2);
    CHECK(ZSOCK_FD_ISSET(c, &out.r));
    CHECK(ZSOCK_FD_ISSET(c, &out.w));
    CHECK_FALSE(ZSOCK_FD_ISSET(c, &out.e));
    same_as_kernel(c + 1, in);
    int err = 0;
    socklen_t len = sizeof err;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
    CHECK(err == ECONNREFUSED);
}

TEST_CASE("select: the time left is written back; a timeout leaves zero") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);

    sets in;
    ZSOCK_FD_SET(s, &in.r);
    sets out = in;
    zsock_timeval tv{0, 80000};
    auto t0 = clock::now();
    CHECK(zsock_select(s + 1, &out.r, nullptr, nullptr, &tv) == 0);
    CHECK(ms_since(t0) >= 75);
    CHECK(tv.tv_sec == 0);
    CHECK(tv.tv_usec == 0);
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.r));

    std::thread writer([cfd = c.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        zsock_send(cfd, "x", 1, 0);
    });
    out = in;
    tv = {30, 0};
    int r = zsock_select(s + 1, &out.r, nullptr, nullptr, &tv);
    writer.join();
    CHECK(r == 1);
    CHECK(ZSOCK_FD_ISSET(s, &out.r));
    // Woken after ~100 ms of 30 s: most of the time is left, and some was used.
    const long left_us = static_cast<long>(tv.tv_sec) * 1000000 + tv.tv_usec;
    CHECK(left_us < 30L * 1000000);
    CHECK(left_us > 20L * 1000000);
    CHECK(tv.tv_usec < 1000000);

    // Timeout 0 is a poll; NULL waits forever (bounded here by a writer thread).
    char b;
    REQUIRE(zsock_recv(s, &b, 1, 0) == 1);
    out = in;
    tv = {0, 0};
    CHECK(zsock_select(s + 1, &out.r, nullptr, nullptr, &tv) == 0);
    std::thread writer2([cfd = c.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        zsock_send(cfd, "y", 1, 0);
    });
    out = in;
    r = zsock_select(s + 1, &out.r, nullptr, nullptr, nullptr);
    writer2.join();
    CHECK(r == 1);

    // No sets at all: a sleep. A timeval with tv_usec >= 1000000 is normalized, as Linux does.
    tv = {0, 1050000};
    t0 = clock::now();
    CHECK(zsock_select(0, nullptr, nullptr, nullptr, &tv) == 0);
    CHECK(ms_since(t0) >= 1000);
}

TEST_CASE("select: EBADF for a closed fd in a set, EINVAL for bad nfds and negative time") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    int closed = zsock_socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(closed > u);
    REQUIRE(zsock_close(closed) == 0);

    sets in;
    ZSOCK_FD_SET(u, &in.w);
    ZSOCK_FD_SET(closed, &in.r);
    sets out = in;
    zsock_timeval tv{1, 0};
    errno = 0;
    CHECK(zsock_select(closed + 1, &out.r, &out.w, nullptr, &tv) == -1);
    CHECK(errno == EBADF);
    same_as_kernel(closed + 1, in);
    // The closed fd at or beyond nfds is not looked at.
    out = in;
    tv = {0, 0};
    CHECK(zsock_select(closed, &out.r, &out.w, nullptr, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(u, &out.w));

    out = in;
    errno = 0;
    CHECK(zsock_select(ZSOCK_FD_SETSIZE + 1, &out.r, &out.w, nullptr, &tv) == -1);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(zsock_select(-1, &out.r, &out.w, nullptr, &tv) == -1);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(zsock_select(INT32_MIN, nullptr, nullptr, nullptr, &tv) == -1);
    CHECK(errno == EINVAL);

    zsock_timeval neg{-1, 0};
    out = in;
    ZSOCK_FD_CLR(closed, &out.r);
    errno = 0;
    CHECK(zsock_select(u + 1, &out.r, &out.w, nullptr, &neg) == -1);
    CHECK(errno == EINVAL);
    neg = {0, -1};
    errno = 0;
    CHECK(zsock_select(u + 1, &out.r, &out.w, nullptr, &neg) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("select: nfds is honoured; bits past it are neither read nor rewritten") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(u < 60);
    sets in;
    ZSOCK_FD_SET(u, &in.w);
    ZSOCK_FD_SET(1000, &in.w); // far past nfds: not an open fd, must be ignored and left alone
    ZSOCK_FD_SET(700, &in.r);
    sets out = in;
    zsock_timeval tv{0, 0};
    CHECK(zsock_select(u + 1, &out.r, &out.w, nullptr, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(u, &out.w));
    CHECK(ZSOCK_FD_ISSET(1000, &out.w));
    CHECK(ZSOCK_FD_ISSET(700, &out.r));
    same_as_kernel(u + 1, in);
}

TEST_CASE("select: pipes and sockets together") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    int p[2];
    REQUIRE(::pipe(p) == 0);
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(::write(p[1], "q", 1) == 1);
    REQUIRE(zsock_send(c, "q", 1, 0) == 1);
    const int nfds = std::max({p[0], p[1], s.get(), c.get()}) + 1;
    sets in;
    ZSOCK_FD_SET(p[0], &in.r);
    ZSOCK_FD_SET(s, &in.r);
    ZSOCK_FD_SET(p[1], &in.w);
    sets out = in;
    zsock_timeval tv{1, 0};
    CHECK(zsock_select(nfds, &out.r, &out.w, &out.e, &tv) == 3);
    CHECK(ZSOCK_FD_ISSET(p[0], &out.r));
    CHECK(ZSOCK_FD_ISSET(s, &out.r));
    CHECK(ZSOCK_FD_ISSET(p[1], &out.w));
    ::close(p[1]);
    in = {};
    ZSOCK_FD_SET(p[0], &in.r);
    same_as_kernel(nfds, in);
    ::close(p[0]);
}

TEST_CASE("select: bad pointers are EFAULT, never a crash") {
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    sets in;
    ZSOCK_FD_SET(u, &in.w);
    zsock_timeval tv{0, 0};
    auto *bad = reinterpret_cast<zsock_fd_set *>(16);
    errno = 0;
    CHECK(zsock_select(u + 1, bad, &in.w, nullptr, &tv) == -1);
    CHECK(errno == EFAULT);
    errno = 0;
    CHECK(zsock_select(u + 1, nullptr, &in.w, nullptr, reinterpret_cast<zsock_timeval *>(8)) == -1);
    CHECK(errno == EFAULT);

    // A set that ends where its mapping ends is fine as long as nfds stays inside it.
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void *mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    REQUIRE(mprotect(static_cast<char *>(mem) + page, page, PROT_NONE) == 0);
    auto *tail = reinterpret_cast<zsock_fd_set *>(static_cast<char *>(mem) + page - 8);
    std::memset(tail, 0, 8);
    ZSOCK_FD_SET(u, tail); // u < 64: inside the first 8 bytes
    REQUIRE(u < 64);
    tv = {0, 0};
    CHECK(zsock_select(u + 1, nullptr, tail, nullptr, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(u, tail));
    // Past the mapping, EFAULT. Linux first clamps nfds to the size of the process's fd table
    // (64 slots until an fd >= 64 has been opened), so a process with only low fds would read
    // just 8 bytes and succeed: hold fd 200 open so the table has room for nfds = 65 on any kernel.
    fd_guard high(::fcntl(u, F_DUPFD, 200));
    REQUIRE(high >= 200);
    errno = 0;
    CHECK(zsock_select(65, nullptr, tail, nullptr, &tv) == -1);
    CHECK(errno == EFAULT);
    munmap(mem, 2 * page);
}

TEST_CASE("select: a hang-up on an fd watched only for exceptions does not end the wait") {
    // Linux's select asks each fd only about the conditions of its sets: a hung-up socket in
    // exceptfds alone is not ready, and select waits for its timeout. poll() would report the
    // hang-up at once, so a select built on poll must not return early (or spin, with no timeout).
    const bool hooked = GENERATE(false, true);
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    c.reset();
    REQUIRE(zsock_shutdown(s, SHUT_WR) == 0);
    zsock_pollfd p{s, 0, 0};
    REQUIRE(zsock_poll(&p, 1, 1000) == 1);
    REQUIRE((p.revents & POLLHUP) != 0);

    sets in;
    ZSOCK_FD_SET(s, &in.e);
    sets out = in;
    zsock_timeval tv{0, 200000};
    auto t0 = clock::now();
    CHECK(zsock_select(s + 1, &out.r, &out.w, &out.e, &tv) == 0);
    CHECK(ms_since(t0) >= 190);
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.e));
    CHECK(tv.tv_sec == 0);
    CHECK(tv.tv_usec == 0);

    // With no timeout it keeps waiting until something it was asked about happens: here a
    // readable pipe added to the read set by a second select, from another thread's write.
    int pp[2];
    REQUIRE(::pipe(pp) == 0);
    std::thread writer([w = pp[1]] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        [[maybe_unused]] auto n = ::write(w, "x", 1);
    });
    out = in;
    ZSOCK_FD_SET(pp[0], &out.r);
    t0 = clock::now();
    int r = zsock_select(std::max(s.get(), pp[0]) + 1, &out.r, nullptr, &out.e, nullptr);
    writer.join();
    CHECK(r == 1);
    CHECK(ms_since(t0) >= 140);
    CHECK(ZSOCK_FD_ISSET(pp[0], &out.r));
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &out.e));
    ::close(pp[0]);
    ::close(pp[1]);
}
