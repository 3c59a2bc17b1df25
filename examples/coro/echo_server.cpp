// echo_server - echoes every byte back, on N event loops (epoll or io_uring).
//
//   echo_server --port 0 --backend io_uring --threads 2
//   listening on 127.0.0.1:41234
//
// Each connection is one coroutine: recv what arrived, send it all back, until end of stream.
// TCP_NODELAY is set on every connection (the benchmarks send small messages).
// --tls CERT KEY serves TLS 1.2 with that certificate chain and key (PEM), when the build has
// zsock's TLS layer.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "server_main.hpp"

#if __has_include(<zsock/tls_credentials.h>)
#include <zsock/tls_credentials.h>
#define ZSOCK_EXAMPLE_HAVE_TLS 1
#endif

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

#ifdef ZSOCK_EXAMPLE_HAVE_TLS
/// Reads a PEM file and stores it under (tag, type), with its NUL counted as Zephyr wants.
bool add_pem(sec_tag_t tag, enum tls_credential_type type, const char *path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "echo_server: cannot read %s\n", path);
        return false;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    std::string pem = ss.str();
    if (zsock_tls_credential_add(tag, type, pem.c_str(), pem.size() + 1) != 0) {
        std::fprintf(stderr, "echo_server: %s: not a usable credential\n", path);
        return false;
    }
    return true;
}
#endif

} // namespace

int main(int argc, char **argv) {
    example::cli c = example::parse(argc, argv, true);
    if (c.tls_cert) {
#ifdef ZSOCK_EXAMPLE_HAVE_TLS
        constexpr sec_tag_t tag = 1;
        if (!add_pem(tag, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, c.tls_cert) ||
            !add_pem(tag, TLS_CREDENTIAL_PRIVATE_KEY, c.tls_key))
            return 1;
        zsock::tls_options tls;
        tls.sec_tags = {tag};
        return example::serve(c, argv[0], echo, &tls);
#else
        std::fprintf(stderr, "%s: --tls: this build has no TLS sockets (zsock's tls/ layer)\n",
                     argv[0]);
        return 2;
#endif
    }
    return example::serve(c, argv[0], echo);
}
