// Concurrent lookups against close: worker threads call into fds (recv, getsockopt, poll, fcntl,
// read) while other threads close them and open new ones on the same numbers, native sockets and
// user-space objects mixed. Nothing may crash or be reported by ThreadSanitizer/ASan; every call
// answers a result or a sane errno; every object is closed exactly once; no descriptor leaks.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <zsock/socket.h>

#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

constexpr int slots = 24;

struct shared_state {
    std::array<std::atomic<int>, slots> fds;
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0}, oks{0}, odd{0};
    std::atomic<int> odd_errno{0};
    // User objects live until the end of the test: a call in flight may still use one whose fd
    // was closed (its close() then runs when that call returns).
    std::mutex objects_mutex;
    std::deque<user_object> objects;

    shared_state() {
        for (auto &f : fds)
            f = -1;
    }
};

int open_one(shared_state &st, std::mt19937 &rng) {
    if (rng() % 3 == 0) {
        user_object *o;
        {
            std::lock_guard lock(st.objects_mutex);
            o = &st.objects.emplace_back();
        }
        return o->open();
    }
    return zsock_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
}

bool expected_errno(int e) {
    // EBADF: closed meanwhile; EINTR: woken by a close; EAGAIN: nothing queued; ENOTSOCK: the
    // number went to some other kernel fd meanwhile.
    return e == EBADF || e == EINTR || e == EAGAIN || e == ENOTSOCK || e == EOPNOTSUPP ||
           e == EDESTADDRREQ; // sendto on an unconnected UDP socket
}

void worker(shared_state &st, unsigned seed) {
    std::mt19937 rng(seed);
    while (!st.stop) {
        int fd = st.fds[rng() % slots].load();
        if (fd < 0) continue;
        long r = 0;
        char b[8];
        switch (rng() % 5) {
        case 0:
            r = zsock_recv(fd, b, sizeof b, MSG_DONTWAIT);
            break;
        case 1: {
            int v = 0;
            socklen_t len = sizeof v;
            r = zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len);
            if (r == -1 && errno == EOPNOTSUPP) r = 0; // user objects have no getsockopt
            break;
        }
        case 2: {
            zsock_pollfd p[2] = {{fd, POLLIN | POLLOUT, 0},
                                 {st.fds[rng() % slots].load(), POLLIN, 0}};
            r = zsock_poll(p, 2, 0);
            break;
        }
        case 3:
            r = zsock_fcntl(fd, F_GETFL);
            break;
        case 4:
            r = zsock_sendto(fd, "s", 1, MSG_DONTWAIT, nullptr, 0);
            break;
        }
        st.calls.fetch_add(1, std::memory_order_relaxed);
        if (r >= 0) {
            st.oks.fetch_add(1, std::memory_order_relaxed);
        } else if (!expected_errno(errno)) {
            st.odd.fetch_add(1);
            st.odd_errno = errno;
        }
    }
}

void closer(shared_state &st, unsigned seed) {
    std::mt19937 rng(seed);
    while (!st.stop) {
        auto &slot = st.fds[rng() % slots];
        int fd = slot.exchange(-1);
        if (fd >= 0) zsock_close(fd);
        int fresh = open_one(st, rng);
        if (fresh >= 0) {
            int old = slot.exchange(fresh);
            if (old >= 0) zsock_close(old);
        }
    }
}

} // namespace

TEST_CASE("stress: lookups race closes and reopenings on the same numbers") {
    const long before = open_fd_count();
    shared_state st;
    {
        std::vector<std::thread> threads;
        for (unsigned i = 0; i < 4; ++i)
            threads.emplace_back(worker, std::ref(st), 100 + i);
        for (unsigned i = 0; i < 2; ++i)
            threads.emplace_back(closer, std::ref(st), 200 + i);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        st.stop = true;
        for (auto &t : threads)
            t.join();
    }
    for (auto &slot : st.fds) {
        int fd = slot.exchange(-1);
        if (fd >= 0) CHECK(zsock_close(fd) == 0);
    }
    INFO("calls " << st.calls << " ok " << st.oks << " odd errno " << errno_name(st.odd_errno));
    CHECK(st.calls > 1000);
    CHECK(st.oks > 0);
    CHECK(st.odd == 0);
    long closed_twice = 0, never_closed = 0;
    for (auto &o : st.objects) {
        if (o.fd < 0) continue;
        closed_twice += o.closes > 1;
        never_closed += o.closes == 0;
    }
    CHECK(closed_twice == 0);
    CHECK(never_closed == 0);
    CHECK(open_fd_count() == before);
}
