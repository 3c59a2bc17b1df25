// zsock/tcp.hpp - TCP streams and listeners for coroutines.
//
//   auto l = zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(8080)).value();
//   for (;;) {
//       auto s = co_await l.accept();
//       if (s) scope.spawn(echo(std::move(*s)));
//   }
//
//   zsock::task<> echo(zsock::tcp_stream s) {
//       char buf[2048];
//       for (;;) {
//           auto n = co_await s.recv(buf);
//           if (!n || *n == 0) co_return;                 // error or end of stream
//           if (!(co_await s.send_all({buf, *n}))) co_return;
//       }
//   }
//
// tcp_stream and tcp_listener are movable RAII owners of a zsock fd attached to one loop (the
// loop of the thread that made them, unless given). Their fds can be any zsock socket: a
// native socket runs through the engine directly (io_uring SQEs, or epoll readiness + one
// syscall); a TLS or offloaded socket through its nonblocking calls and poll hooks.
//
// Operations return awaiters; every one accepts .with_timeout(d), .with_deadline(tp) and
// .with_stop(token), and is cancelled when its task's chain is. Completion values:
//   recv  -> result<size_t>: the bytes that arrived (at most the buffer), 0 = end of stream
//   send  -> result<size_t>: the bytes the kernel (or TLS record) took; may be short
//   recv_exact / send_all -> io_result: how far they got, and the error if they stopped early
// Sends never raise SIGPIPE (MSG_NOSIGNAL): a closed peer is std::errc::broken_pipe.
// close() with operations pending completes them with operation_canceled.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include <zsock/detail/io_op.hpp>
#include <zsock/endpoint.hpp>
#include <zsock/event_loop.hpp>
#include <zsock/result.hpp>
#include <zsock/task.hpp>
#include <zsock/wait.hpp>

namespace zsock {

class tcp_stream;
class tcp_listener;

namespace detail {

/// Attaches fd to engine (nonblocking, flags from the object kind). Returns 0 or -errno.
ZSOCK_API int attach_fd(core::io_engine *engine, int fd, unsigned kind,
                        core::io_desc **out) noexcept;
/// Detaches desc (pending operations complete with operation_canceled), then closes fd.
ZSOCK_API void close_fd(int fd, core::io_desc *desc) noexcept;
/// The engine of event_loop::current(), or null.
ZSOCK_API core::io_engine *engine_or_current(event_loop *loop) noexcept;

/// The TLS types' way in to tcp_stream's private parts (see <zsock/tls_stream.hpp>).
struct stream_access;

enum attach_kind : unsigned { attach_stream = 1, attach_listener = 2, attach_dgram = 3 };

/// A transfer on a stream: recv, send.
class transfer_awaiter : public io_awaitable<transfer_awaiter> {
public:
    transfer_awaiter(transfer_awaiter &&) noexcept = default;
    transfer_awaiter(core::io_desc *d, op_code code, void *buf, std::size_t len,
                     int flags) noexcept {
        op_.desc = d;
        op_.code = code;
        op_.buf = buf;
        op_.len = len;
        op_.flags = flags;
    }
    result<std::size_t> await_resume() noexcept {
        long r = finish();
        if (r < 0) return errno_code(r);
        return static_cast<std::size_t>(r);
    }
};

/// recvmsg/sendmsg with the caller's msghdr (which must stay valid until it completes).
class msg_awaiter : public io_awaitable<msg_awaiter> {
public:
    msg_awaiter(core::io_desc *d, op_code code, msghdr *m, int flags) noexcept {
        op_.desc = d;
        op_.code = code;
        op_.msg = m;
        op_.flags = flags;
    }
    msg_awaiter(msg_awaiter &&) noexcept = default;
    result<std::size_t> await_resume() noexcept {
        long r = finish();
        if (r < 0) return errno_code(r);
        return static_cast<std::size_t>(r);
    }
};

class accept_awaiter : public io_awaitable<accept_awaiter> {
public:
    ZSOCK_API accept_awaiter(tcp_listener *l, endpoint *peer) noexcept;
    accept_awaiter(accept_awaiter &&o) noexcept
        : io_awaitable(std::move(o)), listener_(o.listener_), peer_(o.peer_),
          not_before_(o.not_before_) {}
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        // After EMFILE/ENFILE the listener backs off: wait out the delay first, then accept.
        if (not_before_ > now_ns()) return delayed_suspend(h, ctx_of(h));
        return suspend(h, ctx_of(h));
    }
    ZSOCK_API result<tcp_stream> await_resume() noexcept;
    ~accept_awaiter() {
        if (delay_.armed()) timer_disarm(delay_engine_, &delay_);
        if (delay_cancel_) delay_cancel_->clear_handler(this);
    }

private:
    struct delay_timer : timer_node {
        accept_awaiter *self = nullptr;
        std::coroutine_handle<> h;
        chain_ctx *ctx = nullptr;
    };
    bool delayed_suspend(std::coroutine_handle<> h, chain_ctx *ctx) noexcept {
        delay_engine_ = engine_of(op_.desc);
        delay_.deadline = not_before_;
        delay_.fire = &on_delay;
        delay_.self = this;
        delay_.h = h;
        delay_.ctx = ctx;
        timer_arm(delay_engine_, &delay_);
        delay_cancel_ = ctx ? ctx->cancel : nullptr;
        if (delay_cancel_) delay_cancel_->set_handler(&on_delay_cancel, this);
        return true;
    }
    static void on_delay(timer_node *t) noexcept {
        auto *dt = static_cast<delay_timer *>(t);
        accept_awaiter *self = dt->self;
        if (self->delay_cancel_) self->delay_cancel_->clear_handler(self);
        self->delay_cancel_ = nullptr;
        self->not_before_ = 0;
        if (!self->suspend(dt->h, dt->ctx)) dt->h.resume();
    }
    static void on_delay_cancel(void *p) noexcept {
        auto *self = static_cast<accept_awaiter *>(p);
        self->delay_cancel_ = nullptr;
        // Complete through the timer, due now: never resume inside the canceller.
        timer_disarm(self->delay_engine_, &self->delay_);
        self->delay_.deadline = 0;
        timer_arm(self->delay_engine_, &self->delay_);
    }

    tcp_listener *listener_;
    endpoint *peer_;
    int64_t not_before_ = 0;
    delay_timer delay_;
    core::io_engine *delay_engine_ = nullptr;
    cancel_state *delay_cancel_ = nullptr;
};

class connect_awaiter : public io_awaitable<connect_awaiter> {
public:
    ZSOCK_API connect_awaiter(const endpoint &peer, event_loop *loop) noexcept;
    /// Connects fd (an open zsock stream socket of peer's family, owned by the awaiter from now
    /// on; closed if the connect fails). fd < 0: a preset error (-fd).
    ZSOCK_API connect_awaiter(int fd, const endpoint &peer, event_loop *loop) noexcept;
    connect_awaiter(connect_awaiter &&o) noexcept
        : io_awaitable(std::move(o)), peer_(o.peer_), fd_(std::exchange(o.fd_, -1)) {
        if (op_.addr) op_.addr = peer_.data();
        o.op_.desc = nullptr;
    }
    ZSOCK_API ~connect_awaiter();
    ZSOCK_API result<tcp_stream> await_resume() noexcept;

private:
    endpoint peer_;
    int fd_ = -1;
};

} // namespace detail

/// A connected TCP stream (or any connected zsock stream socket).
class ZSOCK_API tcp_stream {
public:
    tcp_stream() noexcept = default;
    /// Takes ownership of a connected zsock stream fd and attaches it to loop (default: this
    /// thread's loop). A dispatcher socket whose implementation is not chosen yet gets the
    /// default choice here (set SO_BINDTODEVICE / TLS_NATIVE before). On failure the fd is closed.
    static result<tcp_stream> adopt(int fd, event_loop *loop = nullptr) noexcept;
    /// Connects to peer (a new socket of peer's family). Supports .with_timeout() & co.
    static detail::connect_awaiter connect(const endpoint &peer,
                                           event_loop *loop = nullptr) noexcept {
        return detail::connect_awaiter(peer, loop);
    }

    tcp_stream(tcp_stream &&o) noexcept
        : fd_(std::exchange(o.fd_, -1)), desc_(std::exchange(o.desc_, nullptr)) {}
    tcp_stream &operator=(tcp_stream &&o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
            desc_ = std::exchange(o.desc_, nullptr);
        }
        return *this;
    }
    ~tcp_stream() { close(); }

    /// Receives what has arrived, up to len bytes; 0 means end of stream. flags, as recv(2)
    /// on a blocking socket, on both engines:
    ///  - MSG_PEEK: the bytes stay to be read again;
    ///  - MSG_WAITALL: waits for all len bytes, the end of stream or an error; cancelled or
    ///    timed out after some bytes arrived, it returns those bytes (never an error);
    ///  - MSG_DONTWAIT: never waits, resource_unavailable_try_again instead (on io_uring a
    ///    connection that reads through the buffer ring sees the bytes this loop has received
    ///    so far; any other asks the socket with one direct call);
    ///  - MSG_TRUNC: takes up to len bytes without copying them (TCP's meaning);
    ///  - MSG_OOB and MSG_ERRQUEUE go to the kernel as they are.
    detail::transfer_awaiter recv(void *buf, std::size_t len, int flags = 0) noexcept {
        return {desc_, detail::op_code::recv, buf, len, flags};
    }
    detail::transfer_awaiter recv(std::span<std::byte> buf) noexcept {
        return recv(buf.data(), buf.size());
    }
    detail::transfer_awaiter recv(std::span<char> buf) noexcept {
        return recv(buf.data(), buf.size());
    }
    /// Sends what the kernel takes now (at least one byte unless it fails). flags: MSG_*
    /// (MSG_NOSIGNAL is always added).
    detail::transfer_awaiter send(const void *buf, std::size_t len, int flags = 0) noexcept {
        return {desc_, detail::op_code::send, const_cast<void *>(buf), len, flags};
    }
    detail::transfer_awaiter send(std::span<const std::byte> buf) noexcept {
        return send(buf.data(), buf.size());
    }
    detail::transfer_awaiter send(std::string_view buf) noexcept {
        return send(buf.data(), buf.size());
    }

    /// recvmsg(2)/sendmsg(2) with the caller's msghdr (kept valid until completion). recvmsg
    /// takes the flags recv does. Ancillary data: ask for it (msg_controllen > 0) on the first
    /// read of a connection; on io_uring a TCP connection that has read through the multishot
    /// path since returns no ancillary data (msg_controllen 0), as its bytes were queued already.
    /// AF_UNIX streams never take that path, so SCM_RIGHTS always arrives.
    detail::msg_awaiter recvmsg(msghdr &m, int flags = 0) noexcept {
        return {desc_, detail::op_code::recvmsg, &m, flags};
    }
    detail::msg_awaiter sendmsg(const msghdr &m, int flags = 0) noexcept {
        return {desc_, detail::op_code::sendmsg, const_cast<msghdr *>(&m), flags};
    }

    /// Receives exactly buf.size() bytes. Stops early on an error or at end of stream
    /// (zsock::errc::eof), reporting how many bytes it got.
    task<io_result> recv_exact(std::span<std::byte> buf);
    task<io_result> recv_exact(std::span<char> buf) {
        return recv_exact(std::as_writable_bytes(buf));
    }
    task<io_result> recv_exact(void *buf, std::size_t len) {
        return recv_exact(std::span<std::byte>(static_cast<std::byte *>(buf), len));
    }
    /// Sends all of buf, looping over short sends; reports how far it got if it fails.
    task<io_result> send_all(std::span<const std::byte> buf);
    task<io_result> send_all(std::string_view buf) {
        return send_all(std::as_bytes(std::span<const char>(buf.data(), buf.size())));
    }
    task<io_result> send_all(const void *buf, std::size_t len) {
        return send_all(std::span<const std::byte>(static_cast<const std::byte *>(buf), len));
    }

    /// Waits until a recv (readable) or a send (writable) would not wait, moving no bytes (see
    /// <zsock/wait.hpp>): wait, then borrow a buffer and recv.
    detail::wait_awaiter wait(wait_type what) noexcept { return {desc_, what}; }

    /// shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR.
    result<void> shutdown(int how = SHUT_WR) noexcept;
    /// Cancels pending operations (operation_canceled) and closes the fd. Idempotent.
    void close() noexcept;

    result<void> set_nodelay(bool on) noexcept;
    result<endpoint> local_endpoint() const noexcept;
    result<endpoint> remote_endpoint() const noexcept;

    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    /// Detaches from the loop and hands the fd to the caller (pending operations are cancelled).
    int release() noexcept;

private:
    friend class detail::connect_awaiter;
    friend class detail::accept_awaiter;
    friend struct detail::stream_access;
    tcp_stream(int fd, core::io_desc *d) noexcept : fd_(fd), desc_(d) {}
    int fd_ = -1;
    core::io_desc *desc_ = nullptr;
};

/// A listening TCP socket.
class ZSOCK_API tcp_listener {
public:
    struct options {
        int backlog = 1024;
        bool reuse_address = true;
        bool reuse_port = false; ///< SO_REUSEPORT: one listener per loop (thread-per-core)
        bool v6_only = false;
    };

    tcp_listener() noexcept = default;
    /// socket + SO_REUSEADDR/SO_REUSEPORT + bind + listen, attached to loop.
    static result<tcp_listener> bind(const endpoint &ep, const options &opts,
                                     event_loop *loop = nullptr) noexcept;
    static result<tcp_listener> bind(const endpoint &ep, event_loop *loop = nullptr) noexcept {
        return bind(ep, options{}, loop);
    }
    /// Takes ownership of a listening zsock fd (native, TLS or offloaded; an undecided dispatcher
    /// socket gets its default choice first).
    static result<tcp_listener> adopt(int fd, event_loop *loop = nullptr) noexcept;

    tcp_listener(tcp_listener &&o) noexcept
        : fd_(std::exchange(o.fd_, -1)), desc_(std::exchange(o.desc_, nullptr)),
          backoff_ns_(o.backoff_ns_), not_before_(o.not_before_) {}
    tcp_listener &operator=(tcp_listener &&o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
            desc_ = std::exchange(o.desc_, nullptr);
            backoff_ns_ = o.backoff_ns_;
            not_before_ = o.not_before_;
        }
        return *this;
    }
    ~tcp_listener() { close(); }

    /// The next connection, attached to this listener's loop. On EMFILE/ENFILE/ENOBUFS/ENOMEM the
    /// error is returned and the next accept waits first (1 ms, doubling up to 1 s, reset by a
    /// success), so an accept loop under descriptor exhaustion backs off instead of spinning.
    detail::accept_awaiter accept(endpoint *peer = nullptr) noexcept { return {this, peer}; }

    result<endpoint> local_endpoint() const noexcept;
    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    /// bind() with an explicit protocol (IPPROTO_TLS_1_2 for TLS listeners); `prepare` runs on
    /// the new socket before bind (to set options) and returns 0 or -errno.
    static result<tcp_listener> bind_protocol(const endpoint &ep, int protocol, const options &opts,
                                              int (*prepare)(int fd, const void *arg),
                                              const void *arg, event_loop *loop = nullptr) noexcept;
    /// Detaches from the loop and hands the fd to the caller (pending accepts are cancelled).
    int release() noexcept;

private:
    void note_accept(long r) noexcept;

    int fd_ = -1;
    core::io_desc *desc_ = nullptr;
    int64_t backoff_ns_ = 0;
    int64_t not_before_ = 0;
    friend class detail::accept_awaiter;
};

} // namespace zsock
