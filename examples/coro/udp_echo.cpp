// udp_echo - a UDP echo server, and its checking client.
//
//   udp_echo --port 0 [--backend ...]            serve: print "listening on 127.0.0.1:PORT",
//                                                echo every datagram, exit on SIGINT/SIGTERM
//   udp_echo --ping PORT [--count N] [--backend ...]
//                                                send N datagrams, check each echo; exit 0 if
//                                                all came back intact within the timeout
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <zsock/coro.hpp>

namespace {

zsock::task<void> serve(zsock::udp_socket u) {
    char buf[65536];
    for (;;) {
        zsock::endpoint from;
        auto n = co_await u.recv_from(buf, sizeof buf, from);
        if (!n) {
            if (n.error() == std::errc::operation_canceled) co_return;
            continue;
        }
        (void)co_await u.send_to(buf, *n, from);
    }
}

zsock::task<int> ping(uint16_t port, int count) {
    auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(0));
    if (!u) co_return 1;
    auto server = zsock::endpoint::loopback_v4(port);
    int ok = 0;
    for (int i = 0; i < count; ++i) {
        std::string msg = "datagram " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 200), '.');
        (void)co_await u->send_to(msg.data(), msg.size(), server);
        char buf[2048];
        zsock::endpoint from;
        auto n = co_await u->recv_from(buf, sizeof buf, from).with_timeout(std::chrono::seconds(2));
        if (n && std::string(buf, *n) == msg && from == server) ++ok;
    }
    std::printf("%d/%d datagrams echoed\n", ok, count);
    co_return ok == count ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
    int port = -1, ping_port = -1, count = 100;
    zsock::event_loop::options lo;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--port") port = std::atoi(argv[i + 1]);
        else if (a == "--ping") ping_port = std::atoi(argv[i + 1]);
        else if (a == "--count") count = std::atoi(argv[i + 1]);
        else if (a == "--backend") zsock::parse_backend(argv[i + 1], &lo.backend);
    }
    if ((port < 0) == (ping_port < 0)) {
        std::fprintf(stderr, "usage: %s --port N | --ping PORT [--count N]  [--backend auto|epoll|io_uring]\n", argv[0]);
        return 2;
    }
    try {
        zsock::event_loop loop(lo);
        if (ping_port > 0) return zsock::sync_wait(loop, ping(static_cast<uint16_t>(ping_port), count));
        zsock::signal_set sigs{SIGINT, SIGTERM};
        auto u = zsock::udp_socket::bind(zsock::endpoint::loopback_v4(static_cast<uint16_t>(port)));
        if (!u) {
            std::fprintf(stderr, "%s: bind: %s\n", argv[0], u.error().message().c_str());
            return 1;
        }
        std::printf("listening on %s\n", u->local_endpoint().value().to_string().c_str());
        std::fflush(stdout);
        auto r = zsock::sync_wait(loop, zsock::when_any(serve(std::move(*u)), sigs.wait()));
        (void)r;
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
