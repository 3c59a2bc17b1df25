// The hooked (slow) path of zsock_poll and zsock_select, driven through the public hook contract
// of <zsock/fdtable.h> by a user-space object (support/user_object.hpp) whose readiness is the
// eventfd that zsock_fd_reserve() gave it:
//  - prepare() > 0: ready now, no kernel wait for it, and the others are only polled;
//  - update() == -EAGAIN: a wake-up with nothing for the user; the poll waits again for the time
//    that is left (not the whole timeout again);
//  - prepare() < 0 fails the whole call;
//  - deadline(): the wait ends by an object's own deadline and prepare runs again, even with no
//    timeout; the caller's timeout is never extended, and a deadline that leads nowhere does not
//    make the call spin;
//  - hooked objects, native sockets, pipes, negative and closed fds mix in one poll and one select.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <zsock/socket.h>

#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

/// A user object opened for the test and closed at the end.
struct opened_object {
    user_object obj;
    opened_object() { obj.open(); }
    ~opened_object() {
        if (obj.fd >= 0) zsock_close(obj.fd);
    }
};

/// Signals `o` after each delay (ms, counted from the start), from another thread.
std::thread signal_after(user_object &o, std::initializer_list<int> delays_ms) {
    std::vector<int> d(delays_ms);
    return std::thread([&o, d] {
        auto t0 = clock::now();
        for (int ms : d) {
            std::this_thread::sleep_until(t0 + std::chrono::milliseconds(ms));
            o.signal();
        }
    });
}

} // namespace

TEST_CASE("hooks: an object that is ready now answers without a kernel wait") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    h.obj.ready_now = true;
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);

    // The native socket has nothing to read, and the timeout is infinite: the ready object must
    // make the call return at once, with the socket merely polled.
    zsock_pollfd fds[2] = {{h.obj.fd, POLLIN, 0}, {s, POLLIN, 0}};
    auto t0 = clock::now();
    CHECK(zsock_poll(fds, 2, -1) == 1);
    CHECK(ms_since(t0) < 5000);
    CHECK(fds[0].revents == POLLIN);
    CHECK(fds[1].revents == 0);
    CHECK(h.obj.updates == 0); // a ready-now object is not asked again after the wait

    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(h.obj.fd, &r);
    ZSOCK_FD_SET(s, &r);
    CHECK(zsock_select(std::max(h.obj.fd, s.get()) + 1, &r, nullptr, nullptr, nullptr) == 1);
    CHECK(ZSOCK_FD_ISSET(h.obj.fd, &r));
    CHECK_FALSE(ZSOCK_FD_ISSET(s, &r));
}

TEST_CASE("hooks: kernel readiness reaches the user through update()") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    zsock_pollfd fd{h.obj.fd, POLLIN, 0};
    CHECK(zsock_poll(&fd, 1, 0) == 0);
    CHECK(h.obj.prepares >= 1);
    h.obj.signal();
    CHECK(zsock_poll(&fd, 1, 1000) == 1);
    CHECK(fd.revents == POLLIN);
    char b = 0;
    CHECK(zsock_recv(h.obj.fd, &b, 1, 0) == 1);
    CHECK(b == 'u');
    CHECK(zsock_poll(&fd, 1, 0) == 0);
    errno = 0;
    CHECK(zsock_recv(h.obj.fd, &b, 1, 0) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("hooks: a spurious wake-up waits again for the time left only") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    h.obj.spurious = 1;
    zsock_pollfd fd{h.obj.fd, POLLIN, 0};
    // Woken at 700 ms of 1000 by something that is not for the user: the poll must time out at
    // 1000 ms, not at 700 + 1000.
    std::thread t = signal_after(h.obj, {700});
    auto t0 = clock::now();
    int r = zsock_poll(&fd, 1, 1000);
    long took = ms_since(t0);
    t.join();
    CHECK(r == 0);
    CHECK(fd.revents == 0);
    CHECK(h.obj.eagains == 1);
    CHECK(took >= 990);
    CHECK(took < 1500);
}

TEST_CASE("hooks: after a spurious wake-up the real event is still seen") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    SECTION("finite timeout") {
        h.obj.spurious = 1;
        std::thread t = signal_after(h.obj, {50, 150});
        zsock_pollfd fds[2] = {{s, POLLIN, 0}, {h.obj.fd, POLLIN, 0}};
        int r = zsock_poll(fds, 2, 5000);
        t.join();
        CHECK(r == 1);
        CHECK(fds[0].revents == 0);
        CHECK(fds[1].revents == POLLIN);
        CHECK(h.obj.eagains == 1);
    }
    SECTION("infinite timeout") {
        h.obj.spurious = 2;
        std::thread t = signal_after(h.obj, {30, 60, 120});
        zsock_pollfd fd{h.obj.fd, POLLIN, 0};
        int r = zsock_poll(&fd, 1, -1);
        t.join();
        CHECK(r == 1);
        CHECK(fd.revents == POLLIN);
        CHECK(h.obj.eagains == 2);
    }
    SECTION("timeout 0 does not wait again") {
        h.obj.spurious = 1;
        h.obj.signal();
        zsock_pollfd fd{h.obj.fd, POLLIN, 0};
        CHECK(zsock_poll(&fd, 1, 0) == 0);
        CHECK(h.obj.eagains == 1);
    }
    SECTION("select") {
        h.obj.spurious = 1;
        std::thread t = signal_after(h.obj, {50, 150});
        zsock_fd_set r;
        ZSOCK_FD_ZERO(&r);
        ZSOCK_FD_SET(h.obj.fd, &r);
        zsock_timeval tv{5, 0};
        int n = zsock_select(h.obj.fd + 1, &r, nullptr, nullptr, &tv);
        t.join();
        CHECK(n == 1);
        CHECK(ZSOCK_FD_ISSET(h.obj.fd, &r));
        CHECK(h.obj.eagains == 1);
        CHECK(tv.tv_sec >= 3); // about 4.85 s left
        CHECK(tv.tv_sec <= 4);
    }
}

TEST_CASE("hooks: select times out after a spurious wake-up with the time left at zero") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    h.obj.spurious = 1;
    std::thread t = signal_after(h.obj, {100});
    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(h.obj.fd, &r);
    zsock_timeval tv{0, 400000};
    auto t0 = clock::now();
    int n = zsock_select(h.obj.fd + 1, &r, nullptr, nullptr, &tv);
    long took = ms_since(t0);
    t.join();
    CHECK(n == 0);
    CHECK_FALSE(ZSOCK_FD_ISSET(h.obj.fd, &r));
    CHECK(tv.tv_sec == 0);
    CHECK(tv.tv_usec == 0);
    CHECK(took >= 395);
    CHECK(took < 900);
}

TEST_CASE("hooks: a failing prepare fails the whole poll and select") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    h.obj.prepare_error = ENOMEM;
    zsock_pollfd fds[2] = {{c, POLLOUT, 0}, {h.obj.fd, POLLIN, 0}};
    errno = 0;
    CHECK(zsock_poll(fds, 2, 0) == -1);
    CHECK(errno == ENOMEM);
    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(h.obj.fd, &r);
    zsock_timeval tv{0, 0};
    errno = 0;
    CHECK(zsock_select(h.obj.fd + 1, &r, nullptr, nullptr, &tv) == -1);
    CHECK(errno == ENOMEM);
}

TEST_CASE("hooks: hooked objects, native sockets, pipes, negative and closed fds in one call") {
    opened_object ready, idle, woken;
    REQUIRE(woken.obj.fd >= 0);
    ready.obj.ready_now = true;
    woken.obj.signal();
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    REQUIRE(zsock_send(c, "n", 1, 0) == 1);
    int p[2];
    REQUIRE(::pipe(p) == 0);
    REQUIRE(::write(p[1], "p", 1) == 1);
    int closed = zsock_socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(zsock_close(closed) == 0);

    SECTION("poll") {
        zsock_pollfd fds[] = {
            {ready.obj.fd, POLLIN, 0},
            {idle.obj.fd, POLLIN, 0},
            {woken.obj.fd, POLLIN, 0},
            {s, POLLIN, 0},
            {c, POLLIN, 0},
            {p[0], POLLIN, 0},
            {p[1], POLLOUT, 0},
            {-1, POLLIN, 0},
            {closed, POLLIN, 0},
        };
        CHECK(zsock_poll(fds, 9, 1000) == 6);
        CHECK(fds[0].revents == POLLIN);
        CHECK(fds[1].revents == 0);
        CHECK(fds[2].revents == POLLIN);
        CHECK(fds[3].revents == POLLIN);
        CHECK(fds[4].revents == 0);
        CHECK(fds[5].revents == POLLIN);
        CHECK(fds[6].revents == POLLOUT);
        CHECK(fds[7].revents == 0);
        CHECK(fds[8].revents == POLLNVAL);
    }
    SECTION("select") {
        zsock_fd_set r, w;
        ZSOCK_FD_ZERO(&r);
        ZSOCK_FD_ZERO(&w);
        for (int fd : {ready.obj.fd, idle.obj.fd, woken.obj.fd, s.get(), c.get(), p[0]})
            ZSOCK_FD_SET(fd, &r);
        ZSOCK_FD_SET(p[1], &w);
        ZSOCK_FD_SET(idle.obj.fd, &w); // an eventfd is always writable
        int nfds = 0;
        for (int fd : {ready.obj.fd, idle.obj.fd, woken.obj.fd, s.get(), c.get(), p[0], p[1]})
            nfds = std::max(nfds, fd + 1);
        zsock_timeval tv{1, 0};
        CHECK(zsock_select(nfds, &r, &w, nullptr, &tv) == 6);
        CHECK(ZSOCK_FD_ISSET(ready.obj.fd, &r));
        CHECK_FALSE(ZSOCK_FD_ISSET(idle.obj.fd, &r));
        CHECK(ZSOCK_FD_ISSET(woken.obj.fd, &r));
        CHECK(ZSOCK_FD_ISSET(s, &r));
        CHECK_FALSE(ZSOCK_FD_ISSET(c, &r));
        CHECK(ZSOCK_FD_ISSET(p[0], &r));
        CHECK(ZSOCK_FD_ISSET(p[1], &w));
        CHECK(ZSOCK_FD_ISSET(idle.obj.fd, &w));

        // A closed fd in a set fails the select.
        ZSOCK_FD_ZERO(&r);
        ZSOCK_FD_SET(ready.obj.fd, &r);
        ZSOCK_FD_SET(closed, &r);
        errno = 0;
        CHECK(zsock_select(std::max(closed, ready.obj.fd) + 1, &r, nullptr, nullptr, &tv) == -1);
        CHECK(errno == EBADF);
    }
    ::close(p[0]);
    ::close(p[1]);
}

TEST_CASE("hooks: fcntl and ioctl reach the object; F_GETFD/F_SETFD stay on the descriptor") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    CHECK(zsock_fcntl(h.obj.fd, F_GETFL) == O_RDWR);
    CHECK(zsock_fcntl(h.obj.fd, F_SETFL, O_RDWR | O_NONBLOCK) == 0);
    CHECK(h.obj.nonblocking);
    CHECK((zsock_fcntl(h.obj.fd, F_GETFL) & O_NONBLOCK) != 0);
    int off = 0;
    CHECK(zsock_ioctl(h.obj.fd, FIONBIO, &off) == 0);
    CHECK_FALSE(h.obj.nonblocking);
    // Close-on-exec belongs to the kernel descriptor: zsock_fd_reserve's eventfd has it.
    CHECK(zsock_fcntl(h.obj.fd, F_GETFD) == FD_CLOEXEC);
    CHECK(zsock_fcntl(h.obj.fd, F_SETFD, 0) == 0);
    CHECK(zsock_fcntl(h.obj.fd, F_GETFD) == 0);
    // What the object does not know: its answer (EOPNOTSUPP); internal requests: ENOTTY.
    int n = 0;
    errno = 0;
    CHECK(zsock_ioctl(h.obj.fd, FIONREAD, &n) == -1);
    CHECK(errno == EOPNOTSUPP);
    errno = 0;
    CHECK(zsock_ioctl(h.obj.fd, ZSOCK_IOCTL_WAKE_BLOCKED, 0) == -1);
    CHECK(errno == ENOTTY);
    CHECK(h.obj.wakes == 0);
    // Socket calls the object has no entry for: EOPNOTSUPP.
    errno = 0;
    CHECK(zsock_listen(h.obj.fd, 1) == -1);
    CHECK(errno == EOPNOTSUPP);
}

namespace {

int64_t monotonic_ns_in(int ms) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec + ms * 1000000LL;
}

// Signals `o` once if the test has not finished within `ms`: a poll(-1) that ignores deadlines
// then ends (late, which the test reports) instead of hanging.
struct watchdog {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread th;
    watchdog(user_object &o, int ms)
        : th([this, &o, ms] {
              std::unique_lock lock(m);
              if (!cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return done; }))
                  o.signal();
          }) {}
    ~watchdog() {
        {
            std::lock_guard lock(m);
            done = true;
        }
        cv.notify_all();
        th.join();
    }
};

} // namespace

TEST_CASE("hooks: an object's deadline ends poll(-1) and select(NULL) so that prepare runs again") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    watchdog late(h.obj, 3000);
    h.obj.due_ns = monotonic_ns_in(100);
    zsock_pollfd fd{h.obj.fd, POLLIN, 0};
    auto t0 = clock::now();
    CHECK(zsock_poll(&fd, 1, -1) == 1); // nothing ever signals the descriptor
    CHECK(fd.revents == POLLIN);
    CHECK(ms_since(t0) >= 95);
    CHECK(ms_since(t0) < 2000);
    CHECK(h.obj.prepares >= 2);
    CHECK(h.obj.deadlines >= 1);

    h.obj.due_ns = monotonic_ns_in(100);
    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(h.obj.fd, &r);
    t0 = clock::now();
    CHECK(zsock_select(h.obj.fd + 1, &r, nullptr, nullptr, nullptr) == 1);
    CHECK(ZSOCK_FD_ISSET(h.obj.fd, &r));
    CHECK(ms_since(t0) >= 95);
    CHECK(ms_since(t0) < 2000);
}

TEST_CASE("hooks: a deadline never extends the caller's timeout, nor makes the call spin") {
    opened_object h;
    REQUIRE(h.obj.fd >= 0);
    zsock_pollfd fd{h.obj.fd, POLLIN, 0};
    SECTION("a later deadline: the caller's timeout wins") {
        h.obj.due_ns = monotonic_ns_in(5000);
        auto t0 = clock::now();
        CHECK(zsock_poll(&fd, 1, 50) == 0);
        CHECK(ms_since(t0) >= 45);
        CHECK(ms_since(t0) < 2000);
    }
    SECTION("a deadline that has passed and leads nowhere: waits of at least 1 ms") {
        h.obj.due_ns = monotonic_ns_in(-10);
        h.obj.timer_acts = false;
        auto t0 = clock::now();
        CHECK(zsock_poll(&fd, 1, 50) == 0);
        CHECK(ms_since(t0) >= 45);
        CHECK(h.obj.prepares <= 60); // about one round per millisecond, not a busy loop
    }
    SECTION("a zero timeout stays a zero timeout") {
        h.obj.due_ns = monotonic_ns_in(100);
        auto t0 = clock::now();
        CHECK(zsock_poll(&fd, 1, 0) == 0);
        CHECK(ms_since(t0) < 50);
        CHECK(h.obj.prepares == 1);
    }
}
