// echo_server - echoes every byte back, on N event loops (epoll or io_uring).
//
//   echo_server --port 0 --backend io_uring --threads 2
//   listening on 127.0.0.1:41234
//
// Each connection is one coroutine: recv what arrived, send it all back, until end of stream.
// TCP_NODELAY is set on every connection (the benchmarks send small messages).
#include <cstdio>

#include "server_main.hpp"

namespace {

zsock::task<void> echo(zsock::tcp_stream s) {
    s.set_nodelay(true);
    char buf[2048];
    for (;;) {
        auto n = co_await s.recv(buf, sizeof buf);
        if (!n || *n == 0) co_return; // error or end of stream
        std::size_t off = 0;
        while (off < *n) { // send may take less than everything
            auto w = co_await s.send(buf + off, *n - off);
            if (!w) co_return;
            off += *w;
        }
    }
}

} // namespace

int main(int argc, char **argv) {
    example::cli c = example::parse(argc, argv, true);
    if (c.tls_cert) {
        std::fprintf(stderr, "%s: --tls: TLS sockets are not part of this build yet\n", argv[0]);
        return 2;
    }
    return example::serve(c, argv[0], echo);
}
