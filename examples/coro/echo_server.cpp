// echo_server - echoes every byte back, on N event loops (epoll or io_uring), over TCP or TLS.
//
//   echo_server --port 0 --backend io_uring --threads 2
//   listening on 127.0.0.1:41234
//   echo_server --port 8443 --tls server.pem server.key      # TLS 1.2 (PEM certificate and key)
//   openssl s_client -connect 127.0.0.1:8443 -CAfile ca.pem -servername localhost
//
// Each connection is one coroutine: recv what arrived, send it all back, until end of stream;
// bulk connections wait for bytes before they borrow a buffer (see echo_bytes).
// TCP_NODELAY is set on every connection (the benchmarks send small messages). With --tls each
// connection first runs its handshake (10 s at most), and ends with close_notify.
#include <chrono>
#include <cstdio>

#include <zsock/tls_listener.hpp>
#include <zsock/tls_stream.hpp>

#include "buffer_pool.hpp"
#include "server_main.hpp"
#include "tls_files.hpp"

namespace {

constexpr sec_tag_t server_tag = 1;

/// The echo loop for small messages, for tcp_stream and tls_stream alike. Returns true when the
/// connection turned out to move bulk data (a read filled the buffer), false when it ended.
///
/// Small messages fit a buffer inside the coroutine frame, so an idle connection costs its frame
/// and nothing more. The bulk loop is another coroutine, so that its awaiters and lease do not
/// sit in every idle connection's frame (GCC gives each awaiter its own slot): with both loops
/// in one frame an idle connection cost 4,026 bytes of RSS, split 3,338.
template <class Stream>
zsock::task<bool> echo_small(Stream &s) {
    char small[2048];
    for (;;) {
        auto n = co_await s.recv(small, sizeof small);
        if (!n || *n == 0) co_return false; // error or end of stream
        // The send loop is written out, here and below, rather than called: a coroutine call
        // per message costs about 250 user-space instructions, half again the whole echo's
        // (callgrind at 50 connections: 771 per message with the call, 516 without).
        for (std::size_t off = 0; off < *n;) {
            auto w = co_await s.send(small + off, *n - off);
            if (!w) co_return false;
            off += *w;
        }
        if (*n == sizeof small) co_return true;
    }
}

/// The echo loop for bulk data: wait until bytes are there, borrow a 64 KiB buffer from the
/// thread's pool, and keep it only while the socket has bytes, so that many busy connections
/// share a few warm buffers instead of one each. The reads say MSG_DONTWAIT: a plain recv on a
/// drained socket would wait with the buffer in hand, and when every read is a full 64 KiB (the
/// socket held a multiple of it) nothing else would give it back. With plain reads, 1024
/// connections x 64 KiB x 8 in flight kept 915 buffers busy in half a second and 73 MB of RSS;
/// with MSG_DONTWAIT 13 buffers and 8.7 MB.
template <class Stream>
zsock::task<void> echo_bulk(Stream &s) {
    thread_local example::buffer_pool pool(64 * 1024);
    for (;;) {
        if (!co_await s.wait(zsock::wait_type::readable)) co_return;
        auto buf = pool.take();
        if (!buf) co_return; // out of memory
        for (;;) {
            auto n = co_await s.recv(buf.data(), buf.size(), MSG_DONTWAIT);
            if (!n && n.error() == std::errc::resource_unavailable_try_again) break; // drained
            if (!n || *n == 0) co_return;
            for (std::size_t off = 0; off < *n;) {
                auto w = co_await s.send(buf.data() + off, *n - off);
                if (!w) co_return;
                off += *w;
            }
            if (*n < buf.size()) break; // drained: give the buffer back before waiting
        }
    }
}

template <class Stream>
zsock::task<void> echo_bytes(Stream &s) {
    // Not `if (co_await echo_small(s)) co_await echo_bulk(s);`: g++ 12.2 (Debian 12) lays out
    // the frame of a coroutine that declares no local and co_awaits in an if condition wrongly,
    // and the coroutine never runs (README, "Compiler pitfalls"). The local avoids it.
    bool bulk = co_await echo_small(s);
    if (bulk) co_await echo_bulk(s);
}

zsock::task<void> echo(zsock::tcp_stream s) {
    s.set_nodelay(true);
    co_await echo_bytes(s);
}

zsock::task<void> echo_tls(zsock::tls_stream s) {
    s.set_nodelay(true);
    // A client that never finishes its handshake costs 10 s at most.
    auto h = co_await s.handshake().with_timeout(std::chrono::seconds(10));
    if (!h) co_return;
    co_await echo_bytes(s);
    co_await s.shutdown(); // close_notify (the client may have gone: nothing to do then)
}

} // namespace

int main(int argc, char **argv) {
    example::cli c = example::parse(argc, argv, true);
    if (!c.tls_cert) return example::serve(c, argv[0], echo);

    if (!example::add_credential(argv[0], server_tag, TLS_CREDENTIAL_PUBLIC_CERTIFICATE,
                                 c.tls_cert) ||
        !example::add_credential(argv[0], server_tag, TLS_CREDENTIAL_PRIVATE_KEY, c.tls_key))
        return 1;
    zsock::tls_server_options so;
    so.sec_tags = {server_tag};
    auto bind = [so](const zsock::endpoint &ep, const zsock::tcp_listener::options &o,
                     zsock::event_loop *loop) {
        return zsock::tls_listener::bind(ep, so, o, loop);
    };
    return example::serve_with<zsock::tls_listener, zsock::tls_stream>(c, argv[0], bind, echo_tls);
}
