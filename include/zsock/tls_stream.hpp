// zsock/tls_stream.hpp - a TLS stream for coroutines: a zsock TLS socket (mbedTLS) on either
// engine.
//
//   zsock::tls_client_options o;
//   o.sec_tags = {1};                 // tag 1: the CA that signed the server (tls_credential_add)
//   o.hostname = "localhost";         // checked against the certificate, and sent as SNI
//   auto s = co_await zsock::tls_stream::connect(ep, o).with_timeout(5s);   // TCP + handshake
//   if (!s) ...                       // s.error(): connection_refused, connection_aborted
//                                     // (verification failed, fatal alert), timed_out...
//   co_await s->send_all("hello");
//   auto n = co_await s->recv(buf);   // what one record held; 0 = the peer's close_notify/EOF
//   co_await s->shutdown();           // close_notify, then the transport's FIN
//
// Servers get their streams from tls_listener (<zsock/tls_listener.hpp>); an accepted stream's
// handshake has not run yet: `co_await s.handshake().with_timeout(10s)` runs it with its own
// bound (else the first recv or send runs it).
//
// What sits underneath: the fd is a zsock TLS socket (IPPROTO_TLS_1_2...) whose transport is a
// kernel TCP socket or an offloaded one (sim0). Its operations run through the socket's
// nonblocking calls and its poll hooks, on both engines: a recv returns bytes mbedTLS already
// decrypted without waiting for the kernel, and a wake-up for a record without application data
// (or half a record) waits again instead of returning. Short transfers as in TCP: recv returns
// at most one record's worth; send takes at most one record (16 KiB) per call, and a record the
// transport could take only in part is counted as sent and flushed by the next call (so a send
// that fails or is cancelled took nothing: no byte is repeated or lost, unlike raw mbedTLS, which
// wants the same buffer again after MBEDTLS_ERR_SSL_WANT_WRITE).
// Every operation accepts .with_timeout(d), .with_deadline(tp) and .with_stop(token); close()
// with operations pending completes them with operation_canceled. Sends never raise SIGPIPE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zsock/detail/io_op.hpp>
#include <zsock/endpoint.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/result.hpp>
#include <zsock/task.hpp>
#include <zsock/tcp.hpp>
#include <zsock/tls_credentials.h>

namespace zsock {

/// What a TLS client presents and checks (the SOL_TLS options set before connect()).
struct tls_client_options {
    /// TLS_SEC_TAG_LIST: the credentials to use, by tag: the CA certificate(s) that sign the
    /// server, and for mutual TLS a client certificate and key.
    std::vector<sec_tag_t> sec_tags;
    /// TLS_HOSTNAME: the name the server certificate must carry, also sent as SNI. Left empty
    /// with verify_hostname set, the name check fails (as on Zephyr): say which name you expect.
    std::string hostname;
    /// false: no name check and no SNI (TLS_HOSTNAME set to NULL). The chain is still verified.
    bool verify_hostname = true;
    /// TLS_PEER_VERIFY: ZSOCK_TLS_PEER_VERIFY_NONE, _OPTIONAL or _REQUIRED (the default).
    int peer_verify = ZSOCK_TLS_PEER_VERIFY_REQUIRED;
    /// TLS_ALPN_LIST, in order of preference (empty: no ALPN extension).
    std::vector<std::string> alpn;
    /// ZSOCK_IPPROTO_TLS_1_2 (TLS 1.0/1.1 lower the minimum version; 1.3 is refused by
    /// Debian's mbedTLS 2.28: protocol_not_supported).
    int protocol = ZSOCK_IPPROTO_TLS_1_2;
};

class tls_stream;

namespace detail {

class tls_accept_awaiter;

/// Access to tcp_stream's private constructor and descriptor for the TLS types (a tls_stream
/// is a tcp_stream whose fd is a TLS socket).
struct stream_access {
    static tcp_stream make(int fd, core::io_desc *d) noexcept { return tcp_stream(fd, d); }
    static core::io_desc *desc(const tcp_stream &s) noexcept { return s.desc_; }
};

/// Runs a session's handshake to its end: a zero-length send, which moves the handshake on,
/// waits for what it needs (readable or writable transport), and completes once the session is
/// established and nothing mbedTLS queued is left unsent.
class handshake_awaiter : public io_awaitable<handshake_awaiter> {
public:
    explicit handshake_awaiter(core::io_desc *d) noexcept {
        op_.desc = d;
        op_.code = op_code::send;
        op_.buf = nullptr;
        op_.len = 0;
    }
    handshake_awaiter(handshake_awaiter &&) noexcept = default;
    result<void> await_resume() noexcept {
        long r = finish();
        if (r < 0) return errno_code(r);
        return {};
    }
};

/// A new TLS socket configured from tls_client_options, connected, with the handshake done.
class tls_connect_awaiter : public io_awaitable<tls_connect_awaiter> {
public:
    ZSOCK_API tls_connect_awaiter(const endpoint &peer, const tls_client_options &opts,
                                  event_loop *loop) noexcept;
    tls_connect_awaiter(tls_connect_awaiter &&o) noexcept
        : io_awaitable(std::move(o)), peer_(o.peer_), fd_(std::exchange(o.fd_, -1)) {
        if (op_.addr) op_.addr = peer_.data();
        o.op_.desc = nullptr;
    }
    ZSOCK_API ~tls_connect_awaiter();
    ZSOCK_API result<tls_stream> await_resume() noexcept;

private:
    endpoint peer_;
    int fd_ = -1;
};

} // namespace detail

/// A TLS stream: a movable RAII owner of a connected zsock TLS stream socket, attached to one
/// event loop (the one of the thread that made it, unless given).
class ZSOCK_API tls_stream {
public:
    tls_stream() noexcept = default;

    /// Connects a new TLS socket to peer and runs the handshake (both bounded by the awaiter's
    /// .with_timeout()). Completes with the stream, or with: the transport's errors
    /// (connection_refused...); connection_aborted when the handshake failed (certificate not
    /// trusted, name mismatch, fatal alert: verify_result() is gone with the socket, so use
    /// adopt() on a socket of your own where the reason matters); invalid_argument for a bad
    /// option (an empty sec tag list is allowed; an over-long host name is not);
    /// protocol_not_supported for TLS 1.3.
    static detail::tls_connect_awaiter connect(const endpoint &peer, const tls_client_options &opts,
                                               event_loop *loop = nullptr) noexcept {
        return {peer, opts, loop};
    }
    /// Takes ownership of a zsock TLS stream socket (connected, connecting, or accepted; blocking
    /// or not: it is made nonblocking) and attaches it to loop. Fails with protocol_wrong_type
    /// when fd is a socket but not a TLS stream socket (DTLS, plain TCP), not_a_socket for
    /// anything else. On failure the fd is closed.
    static result<tls_stream> adopt(int fd, event_loop *loop = nullptr) noexcept;

    tls_stream(tls_stream &&) noexcept = default;
    tls_stream &operator=(tls_stream &&) noexcept = default;
    ~tls_stream() = default;

    /// Runs the handshake to its end (a no-op once it is done). Accepted streams start with it
    /// pending; bound it with .with_timeout(). Errors: connection_aborted (the peer's
    /// certificate failed verification, a fatal alert, a malformed message, the peer left during
    /// the handshake), timed_out, the transport's errno.
    detail::handshake_awaiter handshake() noexcept { return detail::handshake_awaiter(desc()); }

    /// Receives decrypted bytes: what is ready, at most len (and at most one record); 0 means
    /// the peer sent close_notify (or its transport ended at a record boundary). A transport that
    /// ends in the middle of a record is connection_aborted. flags: MSG_PEEK, MSG_DONTWAIT, and
    /// MSG_WAITALL (all of len, across records, as tcp_stream::recv has it).
    detail::transfer_awaiter recv(void *buf, std::size_t len, int flags = 0) noexcept {
        return s_.recv(buf, len, flags);
    }
    detail::transfer_awaiter recv(std::span<std::byte> buf) noexcept { return s_.recv(buf); }
    detail::transfer_awaiter recv(std::span<char> buf) noexcept { return s_.recv(buf); }
    /// Encrypts and sends up to one record (16 KiB) of buf; returns the bytes taken (>= 1 unless
    /// it fails). After the peer's close_notify: connection_aborted (TLS 1.2 has no half-close).
    detail::transfer_awaiter send(const void *buf, std::size_t len, int flags = 0) noexcept {
        return s_.send(buf, len, flags);
    }
    detail::transfer_awaiter send(std::span<const std::byte> buf) noexcept { return s_.send(buf); }
    detail::transfer_awaiter send(std::string_view buf) noexcept { return s_.send(buf); }

    /// Scatter/gather, through the TLS socket's recvmsg and sendmsg: recvmsg fills the iovecs
    /// in order from what is decrypted (at most one record's worth, no ancillary data, no
    /// address); sendmsg takes up to one record per iovec and stops at the first short one.
    /// recv's flags apply (MSG_WAITALL fills every iovec); the msghdr stays valid until completion.
    detail::msg_awaiter recvmsg(msghdr &m, int flags = 0) noexcept { return s_.recvmsg(m, flags); }
    detail::msg_awaiter sendmsg(const msghdr &m, int flags = 0) noexcept {
        return s_.sendmsg(m, flags);
    }

    /// Exactly buf.size() bytes, or how far it got (zsock::errc::eof at the end of stream).
    task<io_result> recv_exact(std::span<std::byte> buf) { return s_.recv_exact(buf); }
    task<io_result> recv_exact(std::span<char> buf) { return s_.recv_exact(buf); }
    task<io_result> recv_exact(void *buf, std::size_t len) { return s_.recv_exact(buf, len); }
    /// All of buf, record by record, or how far it got.
    task<io_result> send_all(std::span<const std::byte> buf) { return s_.send_all(buf); }
    task<io_result> send_all(std::string_view buf) { return s_.send_all(buf); }
    task<io_result> send_all(const void *buf, std::size_t len) { return s_.send_all(buf, len); }

    /// Waits until recv (readable: decrypted application data is held, or the session ended)
    /// or send (writable) would not wait, moving no bytes (see <zsock/wait.hpp>).
    detail::wait_awaiter wait(wait_type what) noexcept { return s_.wait(what); }

    /// Ends this side of the session: sends what mbedTLS still holds, then close_notify, then
    /// shuts the transport's write side (the peer's recv returns 0). Never blocks the loop: it
    /// waits for the transport as an operation of its own. Later sends fail with broken_pipe;
    /// recv keeps working until the peer's close_notify. A session whose handshake never
    /// finished sends no alert (the transport is shut all the same).
    task<result<void>> shutdown();
    /// Cancels pending operations (operation_canceled) and closes the socket, sending
    /// close_notify if the transport takes it at once (best effort). Idempotent.
    void close() noexcept { s_.close(); }

    /// TLS_CERT_VERIFY_RESULT: mbedTLS's verification flags (0: the peer's chain and name were
    /// fine). not_connected before the handshake ran.
    result<uint32_t> verify_result() const noexcept;
    /// The protocol ALPN chose ("" when none). not_connected before the handshake finished.
    result<std::string> alpn_protocol() const;

    /// TCP_NODELAY on the transport (where it has one).
    result<void> set_nodelay(bool on) noexcept { return s_.set_nodelay(on); }
    result<endpoint> local_endpoint() const noexcept { return s_.local_endpoint(); }
    result<endpoint> remote_endpoint() const noexcept { return s_.remote_endpoint(); }

    bool is_open() const noexcept { return s_.is_open(); }
    int native_handle() const noexcept { return s_.native_handle(); }
    /// Detaches from the loop and hands the fd to the caller (pending operations are cancelled).
    int release() noexcept { return s_.release(); }

private:
    friend class detail::tls_connect_awaiter;
    friend class detail::tls_accept_awaiter;
    explicit tls_stream(tcp_stream s) noexcept : s_(std::move(s)) {}
    core::io_desc *desc() const noexcept { return detail::stream_access::desc(s_); }

    tcp_stream s_;
};

} // namespace zsock
