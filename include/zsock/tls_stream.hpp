// zsock/tls_stream.hpp - TLS over the coroutine engines.
//
//   zsock::tls_options o;
//   o.sec_tags = {CA_TAG};
//   o.hostname = "localhost";
//   auto s = co_await zsock::tls_stream::connect(ep, o).with_timeout(5s);   // TCP + handshake
//   co_await s->send_all("hello");
//
//   auto l = zsock::tls_stream::listen(ep, server_options).value();        // a tcp_listener
//   auto c = co_await l.accept();          // hands the socket out at once; its handshake runs
//                                          // in its first recv/send, as zsock TLS sockets do
//
// A TLS socket is a zsock fd whose object (tls/) has poll hooks, so a tls_stream is a tcp_stream:
// recv, send, recv_exact, send_all, deadlines and cancellation all work the same way, on both
// engines, through the object's nonblocking calls and its prepare/update hooks (a record that
// carries no application data does not wake a recv; decrypted bytes already held make it
// complete at once). connect() completes once the handshake has. Without the TLS layer in the
// build, creating the socket fails with EPROTONOSUPPORT (the registry has no implementation for
// IPPROTO_TLS_1_2).
#pragma once

#include <string>
#include <vector>

#include <zsock/tcp.hpp>

namespace zsock {

/// The SOL_TLS options a TLS socket gets before it connects or listens.
struct tls_options {
    int protocol =
        ZSOCK_IPPROTO_TLS_1_2;     ///< IPPROTO_TLS_1_2 (1.3: EPROTONOSUPPORT on mbedTLS 2.28)
    std::vector<int32_t> sec_tags; ///< TLS_SEC_TAG_LIST: credentials by tag
    std::string hostname;          ///< TLS_HOSTNAME (SNI, and the name verified)
    int peer_verify = -1;          ///< TLS_PEER_VERIFY if >= 0 (NONE 0, OPTIONAL 1, REQUIRED 2)
};

class ZSOCK_API tls_stream : public tcp_stream {
public:
    /// A TLS client: a socket of opts.protocol with opts applied, connected to peer, handshake
    /// done when the awaiter completes. Supports .with_timeout() & co. Completes with
    /// result<tcp_stream> (the stream, whose fd is the TLS socket).
    static detail::connect_awaiter connect(const endpoint &peer, const tls_options &opts,
                                           event_loop *loop = nullptr) noexcept;
    /// A TLS listener: accept() returns streams whose handshake completes in their first
    /// recv/send (an error there means the handshake failed).
    static result<tcp_listener> listen(const endpoint &ep, const tls_options &opts,
                                       const tcp_listener::options &lopts = {},
                                       event_loop *loop = nullptr) noexcept;
    /// Applies opts to an open TLS socket fd (returns the first failing option's errno).
    static result<void> apply(int fd, const tls_options &opts) noexcept;
};

} // namespace zsock
