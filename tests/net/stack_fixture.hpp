// tests/net/stack_fixture.hpp - one test body, several socket stacks.
//
// A `stack` makes sockets of one implementation: the kernel's (native) or the in-process network
// sim0. Tests written against it run unchanged on each (GENERATE), so sim0 is held to the
// kernel's behaviour wherever the two should agree; the kernel is the oracle.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <unistd.h>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <thread>
#include <vector>

#include <zsock/simnet.h>
#include <zsock/socket.h>

#include "support/zsock_test.hpp"

namespace stack_test {

using zsock_test::fd_guard;

struct stack {
    const char *name;
    int (*make)(int family, int type, int proto);
    bool sim;
};

inline int make_native(int f, int t, int p) {
    return zsock_socket(f, t, p);
}
inline int make_sim(int f, int t, int p) {
    int fd = zsock_simnet_create(f, t, p);
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    return fd;
}

inline const stack native_stack{"native", make_native, false};
inline const stack sim_stack{"sim0", make_sim, true};

#define STACKS GENERATE(values({stack_test::native_stack, stack_test::sim_stack}))

template <class T>
inline sockaddr *sa(T *a) {
    return reinterpret_cast<sockaddr *>(a);
}

inline sockaddr_in lo4(uint16_t port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline sockaddr_in6 lo6(uint16_t port = 0) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    return a;
}

struct listening {
    fd_guard fd;
    sockaddr_in addr{};
};

inline listening listen4(const stack &s, int backlog = 16, int type_flags = 0) {
    listening l;
    l.fd = fd_guard(s.make(AF_INET, SOCK_STREAM | type_flags, 0));
    REQUIRE(l.fd >= 0);
    l.addr = lo4();
    socklen_t len = sizeof l.addr;
    REQUIRE(zsock_bind(l.fd, sa(&l.addr), sizeof l.addr) == 0);
    REQUIRE(zsock_listen(l.fd, backlog) == 0);
    REQUIRE(zsock_getsockname(l.fd, sa(&l.addr), &len) == 0);
    return l;
}

/// {client, server} connected over the stack.
inline std::pair<fd_guard, fd_guard> pair4(const stack &s) {
    listening l = listen4(s);
    fd_guard c(s.make(AF_INET, SOCK_STREAM, 0));
    REQUIRE(c >= 0);
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(srv >= 0);
    return {std::move(c), std::move(srv)};
}

inline short poll1(int fd, short events, int timeout_ms) {
    zsock_pollfd p{fd, events, 0};
    int n = zsock_poll(&p, 1, timeout_ms);
    REQUIRE(n >= 0);
    return n ? p.revents : 0;
}

inline int err_of(long r) {
    return r < 0 ? errno : 0;
}

inline void set_nonblock(int fd) {
    int fl = zsock_fcntl(fd, F_GETFL, 0);
    REQUIRE(fl >= 0);
    REQUIRE(zsock_fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/// Whether the kernel has ::1 (containers often run without IPv6). sim0 always has it.
inline bool kernel_has_ipv6() {
    int fd = zsock_socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    sockaddr_in6 a = lo6();
    bool ok = zsock_bind(fd, sa(&a), sizeof a) == 0;
    zsock_close(fd);
    return ok;
}

/// Waits until thread `tid` sleeps in the kernel (a blocking call, most likely the one the test
/// started), so that closing its fd tests a wake-up rather than a race with the call's start.
inline void wait_blocked(pid_t tid) {
    std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    for (int i = 0; i < 400; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        FILE *f = std::fopen(path.c_str(), "r");
        if (!f) continue;
        char buf[512] = {};
        size_t n = std::fread(buf, 1, sizeof buf - 1, f);
        std::fclose(f);
        const char *rp = std::strrchr(buf, ')'); // "pid (comm) S ..."
        if (n && rp && rp[1] == ' ' && rp[2] == 'S' && i >= 10) return;
    }
}

/// A deterministic pattern: byte i of stream `seed`.
inline char pattern(size_t i, unsigned seed = 7) {
    return static_cast<char>((i * 131 + seed * 17 + (i >> 9)) & 0xff);
}

} // namespace stack_test
