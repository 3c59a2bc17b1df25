// examples/coro/cli.hpp - the command line the example servers share:
//   --port N        TCP port on 127.0.0.1 (0 picks a free one; the chosen one is printed)
//   --bind ADDR     numeric address to listen on (default 127.0.0.1)
//   --backend B     auto | epoll | io_uring
//   --threads N     event loops, one per thread, each with its own SO_REUSEPORT listener
//   --tls CERT KEY  serve TLS (echo_server only)
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <zsock/event_loop.hpp>

namespace example {

struct cli {
    int port = 0;
    std::string bind = "127.0.0.1";
    zsock::backend backend = zsock::backend::automatic;
    unsigned threads = 1;
    const char *tls_cert = nullptr;
    const char *tls_key = nullptr;
};

inline void usage(const char *prog, bool tls) {
    std::fprintf(stderr, "usage: %s [--port N] [--bind ADDR] [--backend auto|epoll|io_uring] [--threads N]%s\n",
                 prog, tls ? " [--tls CERT KEY]" : "");
}

/// Parses argv; prints usage and exits with status 2 on a bad command line.
inline cli parse(int argc, char **argv, bool allow_tls) {
    cli c;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto need = [&](int n) {
            if (i + n >= argc) {
                usage(argv[0], allow_tls);
                std::exit(2);
            }
        };
        if (a == "--port") {
            need(1);
            char *end = nullptr;
            long p = std::strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535) {
                std::fprintf(stderr, "%s: bad port '%s'\n", argv[0], argv[i]);
                std::exit(2);
            }
            c.port = static_cast<int>(p);
        } else if (a == "--bind") {
            need(1);
            c.bind = argv[++i];
        } else if (a == "--backend") {
            need(1);
            if (!zsock::parse_backend(argv[++i], &c.backend)) {
                std::fprintf(stderr, "%s: bad backend '%s' (auto, epoll or io_uring)\n", argv[0], argv[i]);
                std::exit(2);
            }
        } else if (a == "--threads") {
            need(1);
            long t = std::strtol(argv[++i], nullptr, 10);
            if (t < 1 || t > 1024) {
                std::fprintf(stderr, "%s: bad thread count '%s'\n", argv[0], argv[i]);
                std::exit(2);
            }
            c.threads = static_cast<unsigned>(t);
        } else if (a == "--tls" && allow_tls) {
            need(2);
            c.tls_cert = argv[++i];
            c.tls_key = argv[++i];
        } else if (a == "--help" || a == "-h") {
            usage(argv[0], allow_tls);
            std::exit(0);
        } else {
            std::fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
            usage(argv[0], allow_tls);
            std::exit(2);
        }
    }
    return c;
}

} // namespace example
