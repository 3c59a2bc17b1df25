// A 32 MiB transfer with a checksum: a sender thread and a receiver thread, each handling short
// writes and reads, over TCP (blocking) and AF_UNIX (nonblocking, driven by zsock_poll); the
// receiver reads with odd buffer sizes. Every byte must arrive, in order.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fcntl.h>
#include <future>
#include <random>
#include <vector>

#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

constexpr size_t total = 32u << 20;

/// FNV-1a over the bytes, continued from `h`.
uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
constexpr uint64_t fnv_init = 0xcbf29ce484222325ull;

std::vector<unsigned char> payload() {
    std::vector<unsigned char> d(total);
    std::mt19937_64 rng(32);
    for (size_t i = 0; i < total; i += 8) {
        uint64_t v = rng();
        for (size_t k = 0; k < 8 && i + k < total; ++k)
            d[i + k] = static_cast<unsigned char>(v >> (8 * k));
    }
    return d;
}

/// Waits for `events` on fd (nonblocking mode); false on error or a 10 s stall.
bool wait_for(int fd, short events) {
    zsock_pollfd p{fd, events, 0};
    return zsock_poll(&p, 1, 10000) == 1 && !(p.revents & (POLLERR | POLLNVAL));
}

/// Sends everything, honouring short writes; closes its write side at the end.
long send_all(int fd, const std::vector<unsigned char> &d, bool nonblocking) {
    size_t off = 0;
    std::mt19937 rng(5);
    while (off < d.size()) {
        size_t n = std::min(d.size() - off, size_t{1} + rng() % (1 << 20));
        ssize_t w = zsock_send(fd, d.data() + off, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (nonblocking && errno == EAGAIN && wait_for(fd, POLLOUT)) continue;
            return -errno;
        }
        off += static_cast<size_t>(w);
    }
    zsock_shutdown(fd, SHUT_WR);
    return static_cast<long>(off);
}

struct received {
    size_t bytes = 0;
    uint64_t hash = fnv_init;
    int err = 0;
};

/// Receives until end of stream with odd read sizes, hashing as it goes.
received recv_all(int fd, bool nonblocking) {
    received r;
    std::vector<unsigned char> buf(100003);
    std::mt19937 rng(9);
    for (;;) {
        size_t n = 1 + rng() % buf.size();
        ssize_t got = zsock_recv(fd, buf.data(), n, 0);
        if (got == 0) return r;
        if (got < 0) {
            if (nonblocking && errno == EAGAIN && wait_for(fd, POLLIN)) continue;
            r.err = errno;
            return r;
        }
        r.hash = fnv1a(r.hash, buf.data(), static_cast<size_t>(got));
        r.bytes += static_cast<size_t>(got);
    }
}

void transfer(int tx, int rx, bool nonblocking) {
    const std::vector<unsigned char> d = payload();
    const uint64_t expect = fnv1a(fnv_init, d.data(), d.size());
    auto sender = std::async(std::launch::async, [&] { return send_all(tx, d, nonblocking); });
    auto receiver = std::async(std::launch::async, [&] { return recv_all(rx, nonblocking); });
    long sent = sender.get();
    received got = receiver.get();
    CHECK(sent == static_cast<long>(total));
    CHECK(got.err == 0);
    CHECK(got.bytes == total);
    CHECK(got.hash == expect);
}

} // namespace

TEST_CASE("32 MiB over TCP, blocking, with short reads and writes") {
    auto [c, s] = tcp_pair4();
    REQUIRE(s >= 0);
    int small = 16384; // small buffers: many short writes and partial reads
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    transfer(c, s, false);
}

TEST_CASE("32 MiB over AF_UNIX, nonblocking, driven by zsock_poll") {
    int sv[2];
    REQUIRE(zsock_socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    fd_guard a(sv[0]), b(sv[1]);
    transfer(a, b, true);
}
