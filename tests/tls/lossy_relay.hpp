// tests/tls/lossy_relay.hpp - a UDP relay on loopback that loses datagrams on purpose, for
// the DTLS retransmission tests (blocking API and coroutines).
#pragma once

#include <arpa/inet.h>
#include <atomic>
#include <cstdint>
#include <poll.h>
#include <sys/socket.h>
#include <thread>

#include <catch2/catch.hpp>

#include "support/zsock_test.hpp"

namespace tls_test {

// A UDP relay on loopback between one client and a server at server_port, which drops the first
// `drop` datagrams the server sends: a lost flight that only a retransmission can make up for.
struct lossy_relay {
    uint16_t port = 0;
    std::atomic<int> dropped{0}, from_client{0};
    std::atomic<bool> stop{false};
    zsock_test::fd_guard front, back; // front faces the client, back is connected to the server
    std::thread th;
    lossy_relay(uint16_t server_port, int drop)
        : front(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)),
          back(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a = zsock_test::loopback4();
        socklen_t len = sizeof a;
        REQUIRE(::bind(front, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        REQUIRE(::getsockname(front, reinterpret_cast<sockaddr *>(&a), &len) == 0);
        port = ntohs(a.sin_port);
        sockaddr_in srv = zsock_test::loopback4(server_port);
        REQUIRE(::connect(back, reinterpret_cast<sockaddr *>(&srv), sizeof srv) == 0);
        th = std::thread([this, drop] {
            sockaddr_in client{};
            socklen_t cl = 0;
            char buf[65536];
            while (!stop) {
                pollfd p[2] = {{front, POLLIN, 0}, {back, POLLIN, 0}};
                if (::poll(p, 2, 50) <= 0) continue;
                if (p[0].revents & POLLIN) {
                    cl = sizeof client;
                    ssize_t n = ::recvfrom(front, buf, sizeof buf, 0,
                                           reinterpret_cast<sockaddr *>(&client), &cl);
                    if (n > 0) {
                        ++from_client;
                        ::send(back, buf, static_cast<size_t>(n), 0);
                    }
                }
                if (p[1].revents & POLLIN) {
                    ssize_t n = ::recv(back, buf, sizeof buf, 0);
                    if (n <= 0 || !cl) continue;
                    if (dropped < drop) {
                        ++dropped;
                        continue;
                    }
                    ::sendto(front, buf, static_cast<size_t>(n), 0,
                             reinterpret_cast<sockaddr *>(&client), cl);
                }
            }
        });
    }
    ~lossy_relay() {
        stop = true;
        th.join();
    }
};

} // namespace tls_test
