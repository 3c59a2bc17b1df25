// zsock/tls_listener.hpp - a listening TLS socket for coroutines; accept() gives tls_streams.
//
//   // tag 2: the server's certificate and private key (tls_credential_add, PEM or DER)
//   zsock::tls_server_options o;
//   o.sec_tags = {2};
//   auto l = zsock::tls_listener::bind(zsock::endpoint::loopback_v4(8443), o).value();
//   for (;;) {
//       auto s = co_await l.accept();
//       if (s) scope.spawn(serve(std::move(*s)));
//   }
//   zsock::task<> serve(zsock::tls_stream s) {
//       auto h = co_await s.handshake().with_timeout(10s); // a bad client costs 10 s at most
//       if (!h) co_return;
//       ...
//   }
//
// accept() returns as soon as the transport connection is there: the handshake runs in the new
// stream's handshake() (or its first recv/send), so one slow or hostile client never holds up
// the accept loop. A failed handshake closes nothing by itself: the stream's owner does.
#pragma once

#include <chrono>
#include <coroutine>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include <zsock/endpoint.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/result.hpp>
#include <zsock/tcp.hpp>
#include <zsock/tls_credentials.h>
#include <zsock/tls_stream.hpp>

namespace zsock {

/// What a TLS server presents and checks (SOL_TLS options of the listening socket, which every
/// accepted socket inherits).
struct tls_server_options {
    /// TLS_SEC_TAG_LIST: the server certificate (chain) and private key; for mutual TLS also the
    /// CA that signs client certificates.
    std::vector<sec_tag_t> sec_tags;
    /// TLS_PEER_VERIFY: ZSOCK_TLS_PEER_VERIFY_NONE (default: no client certificate asked for),
    /// _OPTIONAL, or _REQUIRED (mutual TLS).
    int peer_verify = ZSOCK_TLS_PEER_VERIFY_NONE;
    /// TLS_ALPN_LIST: the protocols the server accepts, in order of preference.
    std::vector<std::string> alpn;
    /// ZSOCK_IPPROTO_TLS_1_2 (1.0/1.1 lower the minimum version).
    int protocol = ZSOCK_IPPROTO_TLS_1_2;
};

namespace detail {

/// accept() on a TLS listener: the transport's accept, through the TLS socket (the new socket's
/// handshake is left to the stream).
class tls_accept_awaiter {
public:
    explicit tls_accept_awaiter(accept_awaiter a) noexcept : a_(std::move(a)) {}
    tls_accept_awaiter(tls_accept_awaiter &&) noexcept = default;

    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        return a_.await_suspend(h);
    }
    result<tls_stream> await_resume() noexcept {
        auto s = a_.await_resume();
        if (!s) return s.error();
        return tls_stream(std::move(*s));
    }

    tls_accept_awaiter with_deadline(std::chrono::steady_clock::time_point tp) &&noexcept {
        return tls_accept_awaiter(std::move(a_).with_deadline(tp));
    }
    template <class Rep, class Period>
    tls_accept_awaiter with_timeout(std::chrono::duration<Rep, Period> d) &&noexcept {
        return tls_accept_awaiter(std::move(a_).with_timeout(d));
    }
    tls_accept_awaiter with_stop(std::stop_token t) &&noexcept {
        return tls_accept_awaiter(std::move(a_).with_stop(std::move(t)));
    }

private:
    accept_awaiter a_;
};

} // namespace detail

/// A listening TLS socket: a movable RAII owner attached to one event loop.
class ZSOCK_API tls_listener {
public:
    tls_listener() noexcept = default;
    /// A TLS socket with opts' SOL_TLS options, then SO_REUSEADDR/SO_REUSEPORT (on its
    /// transport), bind and listen, attached to loop. Errors of the options as setsockopt and
    /// listen give them: no_such_file_or_directory for a tag that holds nothing, invalid_argument
    /// for a tag with a certificate but no key (or credentials mbedTLS cannot parse). A tag list
    /// with no server certificate at all is accepted, and every handshake then fails.
    static result<tls_listener> bind(const endpoint &ep, const tls_server_options &opts,
                                     const tcp_listener::options &lopts,
                                     event_loop *loop = nullptr) noexcept;
    static result<tls_listener> bind(const endpoint &ep, const tls_server_options &opts,
                                     event_loop *loop = nullptr) noexcept {
        return bind(ep, opts, tcp_listener::options{}, loop);
    }
    /// Takes ownership of a listening zsock TLS socket. protocol_wrong_type when fd is not a
    /// TLS stream socket. On failure the fd is closed.
    static result<tls_listener> adopt(int fd, event_loop *loop = nullptr) noexcept;

    tls_listener(tls_listener &&) noexcept = default;
    tls_listener &operator=(tls_listener &&) noexcept = default;
    ~tls_listener() = default;

    /// The next connection, its handshake not run yet (see the header comment). Backs off after
    /// EMFILE/ENFILE as tcp_listener::accept() does.
    detail::tls_accept_awaiter accept(endpoint *peer = nullptr) noexcept {
        return detail::tls_accept_awaiter(l_.accept(peer));
    }

    result<endpoint> local_endpoint() const noexcept { return l_.local_endpoint(); }
    void close() noexcept { l_.close(); }
    bool is_open() const noexcept { return l_.is_open(); }
    int native_handle() const noexcept { return l_.native_handle(); }
    /// Detaches from the loop and hands the fd to the caller (pending accepts are cancelled).
    int release() noexcept { return l_.release(); }

private:
    explicit tls_listener(tcp_listener l) noexcept : l_(std::move(l)) {}
    tcp_listener l_;
};

} // namespace zsock
