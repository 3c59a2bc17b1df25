// tests/coro/tls_coro_test.hpp - what the coroutine TLS tests share: the standard test
// credentials as tls_client_options / tls_server_options, openssl s_server / s_client command
// lines, and a proxy that cuts a byte stream into tiny writes.
#pragma once

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>

#include "coro_test.hpp"
#include "tls/tls_support.hpp"

namespace tls_coro_test {

using namespace tls_test;

/// Client: trusts the test CA (tag_ca), expects "localhost".
inline zsock::tls_client_options client_options() {
    add_standard_credentials();
    zsock::tls_client_options o;
    o.sec_tags = {tag_ca};
    o.hostname = "localhost";
    return o;
}

/// Server: the test server certificate and key (tag_server).
inline zsock::tls_server_options server_options() {
    add_standard_credentials();
    zsock::tls_server_options o;
    o.sec_tags = {tag_server};
    return o;
}

/// A TLS listener on 127.0.0.1 (kernel-chosen port) on the current loop.
inline zsock::tls_listener tls_listen() {
    return zsock::tls_listener::bind(zsock::endpoint::loopback_v4(0), server_options()).value();
}

inline uint16_t port_of(const zsock::tls_listener &l) {
    return l.local_endpoint().value().port();
}

/// s_server arguments: the test server certificate, plus extra.
inline std::vector<std::string> server_args(std::vector<std::string> extra) {
    const pki &p = the_pki();
    std::vector<std::string> v = {"-cert", p.path("server.pem"), "-key", p.path("server.key")};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
}

/// openssl s_client to 127.0.0.1:port, verifying the server as "localhost" against the test CA.
inline child s_client(uint16_t port, std::string stdin_file = "") {
    const pki &p = the_pki();
    return child({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
                  p.path("ca.pem"), "-servername", "localhost", "-verify_return_error"},
                 std::move(stdin_file));
}

/// "equal", or where two byte strings first differ (Catch would print every byte).
template <class A, class B>
std::string first_difference(const A &got, const B &want) {
    std::size_t n = std::min(got.size(), want.size());
    for (std::size_t i = 0; i < n; ++i)
        if (got[i] != want[i])
            return "differ at byte " + std::to_string(i) + " of " + std::to_string(want.size()) +
                   " (got " + std::to_string(got.size()) + ")";
    if (got.size() != want.size())
        return "got " + std::to_string(got.size()) + " bytes of " + std::to_string(want.size());
    return "equal";
}

/// A TCP proxy on 127.0.0.1 (kernel sockets, its own thread) for one connection to
/// 127.0.0.1:upstream, which forwards each direction in writes of 1 to 7 bytes with TCP_NODELAY,
/// so that the reader at each end sees its data arrive in pieces. Ends by itself after both
/// directions ended, or after 60 s.
class trickle_proxy {
public:
    explicit trickle_proxy(uint16_t upstream) : upstream_(upstream) {
        lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = zsock_test::loopback4(0);
        socklen_t len = sizeof a;
        bool ok = lfd_ >= 0 && ::bind(lfd_, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
                  ::listen(lfd_, 1) == 0 &&
                  ::getsockname(lfd_, reinterpret_cast<sockaddr *>(&a), &len) == 0;
        REQUIRE(ok);
        port_ = ntohs(a.sin_port);
        th_ = std::thread([this] { run(); });
    }
    ~trickle_proxy() { stop(); }
    trickle_proxy(const trickle_proxy &) = delete;
    trickle_proxy &operator=(const trickle_proxy &) = delete;

    uint16_t port() const { return port_; }
    /// Writes it made (both directions).
    std::size_t chunks() const { return chunks_.load(); }
    void stop() {
        stop_ = true;
        if (th_.joinable()) th_.join();
        if (lfd_ >= 0) ::close(lfd_), lfd_ = -1;
    }

private:
    static void nodelay(int fd) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    static bool write_all(int fd, const char *p, std::size_t n) {
        while (n > 0) {
            ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
            if (w <= 0) return false;
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }
    void run() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        pollfd lp{lfd_, POLLIN, 0};
        while (!stop_ && ::poll(&lp, 1, 50) == 0) {
            if (std::chrono::steady_clock::now() > deadline) return;
        }
        if (stop_) return;
        int down = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = zsock_test::loopback4(upstream_);
        if (down < 0 || up < 0 || ::connect(up, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
            ++coro_test::thread_failures();
            if (down >= 0) ::close(down);
            if (up >= 0) ::close(up);
            return;
        }
        nodelay(down);
        nodelay(up);
        std::mt19937 rng(7);
        int fds[2] = {down, up};
        bool open[2] = {true, true}; // reading side i still delivers
        while (!stop_ && (open[0] || open[1]) && std::chrono::steady_clock::now() < deadline) {
            pollfd p[2] = {{fds[0], static_cast<short>(open[0] ? POLLIN : 0), 0},
                           {fds[1], static_cast<short>(open[1] ? POLLIN : 0), 0}};
            if (::poll(p, 2, 50) <= 0) continue;
            for (int i = 0; i < 2; ++i) {
                if (!open[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                char buf[8];
                ssize_t n = ::recv(fds[i], buf, 1 + rng() % 7, MSG_DONTWAIT);
                if (n > 0) {
                    if (!write_all(fds[1 - i], buf, static_cast<std::size_t>(n))) open[i] = false;
                    ++chunks_;
                } else if (n == 0 || errno != EAGAIN) {
                    open[i] = false;
                    ::shutdown(fds[1 - i], SHUT_WR);
                }
            }
        }
        ::close(down);
        ::close(up);
    }

    uint16_t upstream_;
    uint16_t port_ = 0;
    int lfd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> chunks_{0};
    std::thread th_;
};

} // namespace tls_coro_test
