// echo_client - drives an echo server: C connections, each sending S-byte messages and checking
// that every byte comes back, for T seconds; prints round trips per second.
//
//   echo_client --port 41234 --connections 50 --size 64 --seconds 5 [--host 127.0.0.1]
//              [--backend auto|epoll|io_uring]
//              [--tls --ca ca.pem [--hostname localhost]]     # TLS 1.2, server verified
// Exit status 0 when every echoed byte matched, 1 otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <zsock/coro.hpp>
#include <zsock/tls_stream.hpp>

#include "tls_files.hpp"

namespace {

constexpr sec_tag_t ca_tag = 1;

struct stats {
    uint64_t round_trips = 0;
    uint64_t mismatches = 0;
    uint64_t errors = 0;
};

/// Messages until `end`, each checked byte for byte (tcp_stream and tls_stream alike).
template <class Stream>
zsock::task<void> exchange(Stream &c, std::size_t size, std::chrono::steady_clock::time_point end,
                           unsigned id, stats *st) {
    c.set_nodelay(true);
    std::vector<char> out(size), in(size);
    uint64_t seq = 0;
    while (std::chrono::steady_clock::now() < end) {
        for (std::size_t i = 0; i < size; ++i)
            out[i] = static_cast<char>((seq * 131 + i * 7 + id) & 0xff);
        auto w = co_await c.send_all(out.data(), out.size());
        if (!w) {
            ++st->errors;
            std::fprintf(stderr, "send: %s\n", w.error.message().c_str());
            co_return;
        }
        auto r = co_await c.recv_exact(std::span<char>(in));
        if (!r) {
            ++st->errors;
            std::fprintf(stderr, "recv: %s\n", r.error.message().c_str());
            co_return;
        }
        if (in != out) ++st->mismatches;
        ++st->round_trips;
        ++seq;
    }
}

zsock::task<void> run_one(zsock::endpoint ep, std::size_t size,
                          std::chrono::steady_clock::time_point end, unsigned id, stats *st) {
    auto c = co_await zsock::tcp_stream::connect(ep).with_timeout(std::chrono::seconds(5));
    if (!c) {
        ++st->errors;
        std::fprintf(stderr, "connect: %s\n", c.error().message().c_str());
        co_return;
    }
    co_await exchange(*c, size, end, id, st);
}

zsock::task<void> run_one_tls(zsock::endpoint ep, zsock::tls_client_options opts, std::size_t size,
                              std::chrono::steady_clock::time_point end, unsigned id, stats *st) {
    // Connect and handshake, within one deadline.
    auto c = co_await zsock::tls_stream::connect(ep, opts).with_timeout(std::chrono::seconds(5));
    if (!c) {
        ++st->errors;
        std::fprintf(stderr, "connect: %s\n", c.error().message().c_str());
        co_return;
    }
    co_await exchange(*c, size, end, id, st);
    auto sh = co_await c->shutdown(); // close_notify
    if (!sh) std::fprintf(stderr, "shutdown: %s\n", sh.error().message().c_str());
}

void usage(const char *prog) {
    std::fprintf(stderr,
                 "usage: %s --port N [--host ADDR] [--connections C] [--size S] [--seconds T] "
                 "[--backend auto|epoll|io_uring] [--tls --ca FILE [--hostname NAME]]\n",
                 prog);
}

} // namespace

int main(int argc, char **argv) {
    std::string host = "127.0.0.1", hostname = "localhost";
    const char *ca = nullptr;
    bool tls = false;
    int port = -1;
    unsigned conns = 10, seconds = 3;
    std::size_t size = 64;
    zsock::event_loop::options lo;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--tls") {
            tls = true;
            continue;
        }
        if (i + 1 >= argc) {
            port = -1;
            break;
        }
        const char *v = argv[++i];
        if (a == "--host")
            host = v;
        else if (a == "--port")
            port = std::atoi(v);
        else if (a == "--connections")
            conns = static_cast<unsigned>(std::atoi(v));
        else if (a == "--size")
            size = static_cast<std::size_t>(std::atol(v));
        else if (a == "--seconds")
            seconds = static_cast<unsigned>(std::atoi(v));
        else if (a == "--ca")
            ca = v;
        else if (a == "--hostname")
            hostname = v;
        else if (a == "--backend") {
            if (!zsock::parse_backend(v, &lo.backend)) port = -1;
        } else {
            port = -1;
            break;
        }
    }
    if (port <= 0 || port > 65535 || conns == 0 || size == 0 || (tls && !ca) || (!tls && ca)) {
        usage(argv[0]);
        return 2;
    }
    zsock::tls_client_options opts;
    if (tls) {
        if (!example::add_credential(argv[0], ca_tag, TLS_CREDENTIAL_CA_CERTIFICATE, ca)) return 1;
        opts.sec_tags = {ca_tag};
        opts.hostname = hostname;
    }
    zsock::event_loop loop(lo);
    auto ep = zsock::endpoint::from(host, static_cast<uint16_t>(port));
    if (!ep) {
        std::fprintf(stderr, "%s: bad host '%s' (numeric address)\n", argv[0], host.c_str());
        return 2;
    }
    stats st;
    auto t0 = std::chrono::steady_clock::now();
    auto end = t0 + std::chrono::seconds(seconds);
    std::vector<zsock::task<void>> clients;
    for (unsigned i = 0; i < conns; ++i)
        clients.push_back(tls ? run_one_tls(*ep, opts, size, end, i, &st)
                              : run_one(*ep, size, end, i, &st));
    zsock::sync_wait(loop, zsock::when_all(std::move(clients)));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%llu round trips in %.2f s: %.0f/s, %llu mismatches, %llu errors (%s%s)\n",
                static_cast<unsigned long long>(st.round_trips), secs, st.round_trips / secs,
                static_cast<unsigned long long>(st.mismatches),
                static_cast<unsigned long long>(st.errors), zsock::to_string(loop.backend()),
                tls ? ", TLS" : "");
    return st.mismatches == 0 && st.errors == 0 && st.round_trips > 0 ? 0 : 1;
}
