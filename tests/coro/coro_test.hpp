// tests/coro/coro_test.hpp - helpers for the coroutine suite: loopback peers, byte patterns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <zsock/coro.hpp>

#include "support/zsock_test.hpp"

namespace coro_test {

/// The backend this run was asked for (ZSOCK_BACKEND), to check the loop really uses it.
inline zsock::backend expected_backend() {
    const char *b = std::getenv("ZSOCK_BACKEND");
    if (b && !std::strcmp(b, "io_uring")) return zsock::backend::io_uring;
    return zsock::backend::epoll;
}

inline bool forced_backend() {
    return std::getenv("ZSOCK_BACKEND") != nullptr;
}

/// A deterministic byte pattern: byte i of stream `seed`.
inline unsigned char pattern(uint64_t seed, uint64_t i) {
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);
    x ^= x >> 31;
    return static_cast<unsigned char>(x);
}

inline std::vector<char> pattern_bytes(uint64_t seed, std::size_t n, uint64_t offset = 0) {
    std::vector<char> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<char>(pattern(seed, offset + i));
    return v;
}

/// A listener on 127.0.0.1 with a kernel-chosen port, attached to the current loop.
inline zsock::tcp_listener listen_local(const zsock::tcp_listener::options &o = {}) {
    return zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(0), o).value();
}

inline uint16_t port_of(const zsock::tcp_listener &l) {
    return l.local_endpoint().value().port();
}

/// Catch2's assertions are not thread-safe: helper threads record failures here, and the test
/// checks the count on its own thread.
inline std::atomic<int> &thread_failures() {
    static std::atomic<int> n{0};
    return n;
}
#define THREAD_REQUIRE(cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ++coro_test::thread_failures();                                                        \
            std::fprintf(stderr, "%s:%d: thread check failed: %s\n", __FILE__, __LINE__, #cond);   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/// Sends all of p on a blocking socket; false on error. Safe on any thread.
inline bool send_all_blocking(int fd, const char *p, std::size_t n) {
    while (n > 0) {
        ssize_t w = zsock_send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

/// A blocking kernel-side client (zsock C API) connected to port.
inline zsock_test::fd_guard blocking_connect(uint16_t port) {
    zsock_test::fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in a = zsock_test::loopback4(port);
    if (zsock_connect(c, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) return {};
    return c;
}

/// A coroutine server stream and the blocking kernel client (zsock C API) it accepted.
struct accepted_pair {
    zsock::tcp_stream server;
    zsock_test::fd_guard client;
};

/// Connects a blocking client to l and accepts it on loop. Empty streams when either step fails
/// (check server.is_open()).
inline accepted_pair accept_pair(zsock::event_loop &loop, zsock::tcp_listener &l) {
    auto c = blocking_connect(port_of(l));
    if (c < 0) return {};
    auto s = zsock::sync_wait(
        loop, [](zsock::tcp_listener &lis) -> zsock::task<zsock::result<zsock::tcp_stream>> {
            co_return co_await lis.accept();
        }(l));
    if (!s) return {};
    return {std::move(*s), std::move(c)};
}

} // namespace coro_test
