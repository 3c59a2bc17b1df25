// More than 1000 descriptors in one poll (RLIMIT_NOFILE raised for the test), on the kernel fast
// path and on the hooked path, and select at the top of its 1024-bit set.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

#include "support/skip.hpp"
#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

struct pairs {
    std::vector<fd_guard> a, b;
    explicit pairs(int n) {
        for (int i = 0; i < n; ++i) {
            int sv[2];
            if (zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return;
            a.emplace_back(sv[0]);
            b.emplace_back(sv[1]);
        }
    }
};

} // namespace

TEST_CASE("poll: 1000+ descriptors in one call") {
    const bool hooked = GENERATE(false, true);
    if (raise_nofile(4096) < 1200) ZT_SKIP("RLIMIT_NOFILE cannot be raised to 1200");
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    pairs p(520);
    REQUIRE(p.a.size() == 520);
    int pp[2];
    REQUIRE(::pipe(pp) == 0);

    std::vector<zsock_pollfd> fds;
    for (size_t i = 0; i < p.a.size(); ++i) {
        fds.push_back({p.a[i], POLLOUT, 0});
        fds.push_back({p.b[i], POLLIN, 0});
    }
    fds.push_back({pp[0], POLLIN, 0});
    REQUIRE(fds.size() > 1000);

    // Every writer is writable, no reader is readable.
    CHECK(zsock_poll(fds.data(), static_cast<int>(fds.size()), 0) == 520);
    for (size_t i = 0; i < p.a.size(); ++i) {
        CHECK(fds[2 * i].revents == POLLOUT);
        CHECK(fds[2 * i + 1].revents == 0);
    }
    // Every third pair gets a byte, and so does the pipe.
    int sent = 0;
    for (size_t i = 0; i < p.a.size(); i += 3) {
        REQUIRE(zsock_send(p.a[i], "x", 1, 0) == 1);
        ++sent;
    }
    REQUIRE(::write(pp[1], "p", 1) == 1);
    CHECK(zsock_poll(fds.data(), static_cast<int>(fds.size()), 1000) == 520 + sent + 1);
    for (size_t i = 0; i < p.a.size(); ++i) {
        INFO("pair " << i);
        CHECK(fds[2 * i + 1].revents == (i % 3 == 0 ? POLLIN : 0));
    }
    CHECK(fds.back().revents == POLLIN);
    ::close(pp[0]);
    ::close(pp[1]);
}

TEST_CASE("select: descriptors near the top of the set, and past it") {
    const bool hooked = GENERATE(false, true);
    if (raise_nofile(4096) < 1100) ZT_SKIP("RLIMIT_NOFILE cannot be raised to 1100");
    hooked_path path(hooked);
    REQUIRE(path.ok(hooked));
    pairs p(520);
    REQUIRE(p.a.size() == 520);
    // Find a pair whose ends are both below 1024, as high as possible.
    int a = -1, b = -1;
    for (size_t i = 0; i < p.a.size(); ++i)
        if (p.a[i] < 1024 && p.b[i] < 1024 && p.a[i] > a) a = p.a[i], b = p.b[i];
    REQUIRE(a > 1000);
    REQUIRE(zsock_send(a, "s", 1, 0) == 1);
    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(b, &r);
    zsock_timeval tv{1, 0};
    CHECK(zsock_select(ZSOCK_FD_SETSIZE, &r, nullptr, nullptr, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(b, &r));
    // An fd number of 1024 or more cannot be put in a set, and nfds cannot reach it.
    int high = p.b.back();
    REQUIRE(high >= 1024);
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(high, &r);
    for (uint32_t w : r.bitset)
        CHECK(w == 0);
    errno = 0;
    CHECK(zsock_select(high + 1, &r, nullptr, nullptr, &tv) == -1);
    CHECK(errno == EINVAL);
}
