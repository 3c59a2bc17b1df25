// Threads: one thread sends while another is blocked in recv on the same fd; zsock_close() from
// another thread wakes a thread blocked in recv, accept, recvfrom, connect or send with EINTR,
// promptly (Zephyr's behaviour; Linux's close would leave it blocked); the fd number is free
// again afterwards and nothing leaks. The woken send must not raise SIGPIPE: the close, not the
// peer, ended it.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <future>
#include <sys/syscall.h>
#include <thread>
#include <vector>

#include <zsock/socket.h>

#include "support/skip.hpp"
#include "support/thread_probe.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

struct outcome {
    long ret = 0;
    int err = 0;
    long ms_after_close = -1;
};

std::atomic<int> g_sigpipes{0};
void on_sigpipe(int) {
    g_sigpipes.fetch_add(1);
}

/// Runs `call` on a thread, waits until it is blocked in system call `nr`, closes `fd` from this
/// thread, and returns what the call reported and how long after the close.
outcome close_while_blocked(int fd, long nr, const std::function<long()> &call) {
    std::atomic<long> tid{0};
    std::atomic<bool> closed{false};
    clock::time_point closed_at{};
    auto fut = std::async(std::launch::async, [&] {
        tid = this_tid();
        outcome o;
        errno = 0;
        o.ret = call();
        o.err = o.ret < 0 ? errno : 0;
        return o;
    });
    while (tid == 0)
        std::this_thread::yield();
    bool blocked = wait_blocked_in(tid, nr);
    closed_at = clock::now();
    int rc = zsock_close(fd);
    closed = true;
    if (fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        // Not woken within 10 s: fail hard now rather than hang until ctest's timeout.
        std::fputs("close_while_blocked: the blocked call was not woken\n", stderr);
        std::abort();
    }
    outcome o = fut.get();
    o.ms_after_close = ms_since(closed_at);
    INFO("blocked=" << blocked << " close=" << rc);
    CHECK(blocked);
    CHECK(rc == 0);
    return o;
}

void check_woken(const outcome &o) {
    INFO("ret=" << o.ret << " errno=" << errno_name(o.err));
    CHECK(o.ret == -1);
    CHECK(o.err == EINTR);
    CHECK(o.ms_after_close < 2000);
}

/// The number is closed in the kernel, and zsock hands it out again as a working socket.
void check_reusable(int fd) {
    CHECK(::fcntl(fd, F_GETFD) == -1);
    std::vector<fd_guard> opened;
    while (opened.size() < 256) {
        opened.emplace_back(zsock_socket(AF_INET, SOCK_DGRAM, 0));
        if (opened.back() < 0 || opened.back() == fd) break;
    }
    REQUIRE(opened.back() == fd);
    int type = 0;
    socklen_t len = sizeof type;
    CHECK(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_DGRAM);
}

} // namespace

TEST_CASE("threads: send on an fd while another thread is blocked in recv on it") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    std::atomic<long> tid{0};
    auto reader = std::async(std::launch::async, [&, fd = s.get()] {
        tid = this_tid();
        char buf[4] = {};
        ssize_t n = zsock_recv(fd, buf, 4, MSG_WAITALL);
        return n == 4 ? std::string(buf, 4) : std::string("fail");
    });
    while (tid == 0)
        std::this_thread::yield();
    REQUIRE(wait_blocked_in(tid, SYS_recvfrom));
    // The blocked recv holds no lock: sends on the same fd go through.
    for (int i = 0; i < 100; ++i)
        REQUIRE(zsock_send(s, "ping", 4, 0) == 4);
    char buf[400];
    REQUIRE(zsock_recv(c, buf, 400, MSG_WAITALL) == 400);
    REQUIRE(zsock_send(c, "pong", 4, 0) == 4);
    CHECK(reader.get() == "pong");
}

TEST_CASE("threads: close wakes a thread blocked in recv (TCP and AF_UNIX)") {
    const long before = open_fd_count();
    {
        auto [c, s] = tcp_pair4();
        REQUIRE(s >= 0);
        const int fd = s.release();
        outcome o = close_while_blocked(fd, SYS_recvfrom, [fd] {
            char b;
            return zsock_recv(fd, &b, 1, 0);
        });
        check_woken(o);
        check_reusable(fd);
    }
    {
        int sv[2];
        REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        fd_guard keep(sv[1]);
        const int fd = sv[0];
        outcome o = close_while_blocked(fd, SYS_read, [fd] {
            char b;
            return zsock_read(fd, &b, 1);
        });
        check_woken(o);
        check_reusable(fd);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("threads: close wakes a thread blocked in accept (TCP and AF_UNIX)") {
    const long before = open_fd_count();
    {
        listener l = listen_tcp4();
        REQUIRE(l.fd >= 0);
        const int fd = l.fd.release();
        outcome o = close_while_blocked(fd, SYS_accept4,
                                        [fd] { return zsock_accept(fd, nullptr, nullptr); });
        check_woken(o);
        check_reusable(fd);
    }
    {
        socklen_t alen = 0;
        sockaddr_un ua = unix_abstract("close-accept", &alen);
        const int fd = zsock_socket(AF_UNIX, SOCK_STREAM, 0);
        REQUIRE(zsock_bind(fd, sa(&ua), alen) == 0);
        REQUIRE(zsock_listen(fd, 1) == 0);
        outcome o = close_while_blocked(fd, SYS_accept4,
                                        [fd] { return zsock_accept(fd, nullptr, nullptr); });
        check_woken(o);
        check_reusable(fd);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("threads: close wakes a thread blocked in recvfrom on UDP") {
    const long before = open_fd_count();
    sockaddr_in addr{};
    fd_guard u = udp_bound4(&addr);
    REQUIRE(u >= 0);
    const int fd = u.release();
    outcome o = close_while_blocked(fd, SYS_recvfrom, [fd] {
        char b[16];
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        return zsock_recvfrom(fd, b, sizeof b, 0, sa(&from), &flen);
    });
    check_woken(o);
    check_reusable(fd);
    CHECK(open_fd_count() == before);
}

TEST_CASE("threads: close wakes a thread blocked in connect", "[full_accept_queue]") {
    const long before = open_fd_count();
    {
        full_listener f = make_full_listener();
        if (!f.ok)
            ZT_SKIP("this kernel completes connects to a full accept queue, so no connect can be "
                    "made to block on loopback");
        const int fd = zsock_socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in to = f.l.addr;
        outcome o = close_while_blocked(fd, SYS_connect,
                                        [fd, to] { return zsock_connect(fd, sa(&to), sizeof to); });
        check_woken(o);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("threads: close wakes a thread blocked in send on a full buffer, without SIGPIPE") {
    struct sigaction sa_new {
    }, old{};
    sa_new.sa_handler = on_sigpipe;
    sigemptyset(&sa_new.sa_mask);
    sigaction(SIGPIPE, &sa_new, &old);
    g_sigpipes = 0;
    const long before = open_fd_count();
    {
        auto [c, s] = tcp_pair4();
        REQUIRE(s >= 0);
        int small = 4096;
        REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
        REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
        // Fill both buffers until nothing moves any more, so the blocking send takes nothing.
        std::vector<char> chunk(65536, 's');
        for (int round = 0; round < 3; ++round) {
            while (zsock_send(c, chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
        }
        const int fd = c.release();
        outcome o = close_while_blocked(fd, SYS_sendto, [fd, &chunk] {
            return zsock_send(fd, chunk.data(), chunk.size(), 0); // no MSG_NOSIGNAL
        });
        check_woken(o);
        CHECK(g_sigpipes == 0);
        check_reusable(fd);
    }
    CHECK(open_fd_count() == before);
    sigaction(SIGPIPE, &old, nullptr);
}
