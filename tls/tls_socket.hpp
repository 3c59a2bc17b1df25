// tls/tls_socket.hpp - the TLS/DTLS socket object.
//
// A TLS socket wraps a transport socket (native, or an offloaded one) on the SAME fd number: at
// creation the transport is made through the registry, then zsock_fd_swap_obj() puts the TLS
// object in front of it and hands back the transport's object and vtable. The TLS object calls
// that vtable directly, always with MSG_DONTWAIT; when an operation must block it waits on the
// transport's kernel descriptor (a raw ppoll, through the transport's own poll hooks when it has
// them: a user-space transport such as sim0), holding no lock.
//
// The transport is whatever the registry offers for TCP/UDP below the dispatcher: an offloaded
// stack registered at a lower number than TLS (priority 40: TLS over sim0, as in Zephyr), or the
// native stack. When the dispatcher moves the socket to its final number (ZSOCK_IOCTL_FD_MOVED),
// the TLS object forwards the move to the transport and keeps the object it gets back.
//
// Close while blocked: a native transport wakes its waiters itself (its WAKE_BLOCKED shuts the
// kernel socket down, which the wait sees). Any other transport may wake only its own blocking
// calls (sim0 signals a condition variable, not its descriptor), so the waits of a TLS socket
// over it also watch a wake eventfd of the TLS object, made on the first wait that needs it.
//
// Locking: `mu` guards the mbedTLS state and every field below it. It is taken for each
// nonblocking step and released before any wait, so one thread can send while another is blocked
// in recv, and close() from a third wakes both (ZSOCK_IOCTL_WAKE_BLOCKED -> EINTR).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <sys/socket.h>

#include <zsock/fdtable.h>

#include "tls/tls_config.hpp"

namespace zsock::tls {

using clock = std::chrono::steady_clock;
/// When a wait must end; nullopt waits forever.
using deadline = std::optional<clock::time_point>;

enum class phase : unsigned char {
    idle,        // no session yet (not connected, or a listener)
    connecting,  // the transport's nonblocking connect is in progress
    handshaking, // the transport is connected, the TLS handshake is in progress
    established, // application data flows
};

/// The DTLS retransmission timer that mbedTLS drives (mbedtls_ssl_set_timer_cb).
struct dtls_timer {
    clock::time_point start{};
    uint32_t int_ms = 0;
    uint32_t fin_ms = 0; // 0: stopped
    /// When the final delay expires (nullopt when stopped).
    deadline expiry() const noexcept;
};

class tls_socket;

enum class wait_kind { send, recv, handshake };

/// One TLS session: the whole state of a TLS socket or DTLS client, one peer of a DTLS server.
struct tls_session {
    explicit tls_session(tls_socket *o) : owner(o) {}
    ~tls_session();
    tls_session(const tls_session &) = delete;
    tls_session &operator=(const tls_session &) = delete;

    tls_socket *owner;
    mbedtls_ssl_context ssl;
    bool ssl_ready = false;
    std::shared_ptr<const tls_conf> conf;
    phase ph = phase::idle;
    bool peer_closed = false;   // close_notify or transport EOF seen
    bool transport_eof = false; // the transport's recv returned 0
    bool close_notify_sent = false;
    bool hs_done_once = false; // a handshake completed (verify result, suite, ALPN are valid)
    bool hs_attempted = false;
    bool resumed = false;
    uint32_t verify_result = 0;
    int io_error = 0; // errno of the transport call behind NET_SEND/RECV_FAILED
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    dtls_timer timer;
    // DTLS server: the datagram that the next mbedTLS read consumes (demultiplexed by peer).
    std::vector<unsigned char> rx;
    size_t rx_len = 0;
    bool rx_full = false;
    clock::time_point last_active{};
    // Decrypted bytes read ahead for MSG_PEEK; consumed before mbedTLS is read again.
    std::vector<unsigned char> peek;
    size_t peek_off = 0;

    size_t peek_avail() const noexcept { return peek.size() - peek_off; }
    /// Application bytes ready without touching the transport.
    bool readable_now() const noexcept;
};

class tls_socket {
public:
    tls_socket(int fd, int family, int type, int proto);
    ~tls_socket();

    int fd; // the transport's kernel descriptor; changes only in ZSOCK_IOCTL_FD_MOVED
    const int family;
    const int type;  // SOCK_STREAM or SOCK_DGRAM
    const int proto; // IPPROTO_TLS_* / IPPROTO_DTLS_*
    void *inner = nullptr;
    const zsock_socket_vtable *ivt = nullptr;

    std::mutex mu;
    tls_options opts;
    std::shared_ptr<const tls_conf> listen_conf;     // servers: shared by the accepted sockets
    std::unique_ptr<tls_session> sess;               // TLS, DTLS client
    std::vector<std::unique_ptr<tls_session>> peers; // DTLS server: one session per peer
    tls_session *current_peer = nullptr;             // DTLS server: the peer of the last datagram
    bool listening = false;
    bool is_server = false;
    std::atomic<bool> nonblock{
        false}; // the transport's O_NONBLOCK, mirrored (F_SETFL, FIONBIO, accept4)
    bool write_shut = false;
    // A nonblocking shutdown() whose close_notify the transport could not take at once: the
    // transport's own shutdown (SHUT_WR or SHUT_RDWR) waits until poll has flushed the alert.
    int shut_pending = -1;
    bool connect_reported = false;
    short last_kev = 0; // what the last poll prepare asked the transport for
    int error = 0;      // latched errno: every later call fails with it, SO_ERROR reports it
    std::atomic<bool> closing{false};
    // The eventfd that close() writes to wake this socket's waits (-1: none yet). Only used when
    // the transport's own wake-up does not reach its kernel descriptor (see the header comment).
    std::atomic<int> wake_fd{-1};
    std::optional<std::chrono::milliseconds> rcvtimeo, sndtimeo; // nullopt: forever

    bool is_dtls() const noexcept { return type == SOCK_DGRAM; }
    /// When a wait of this kind that starts now must end: SO_SNDTIMEO, SO_RCVTIMEO or
    /// ZSOCK_TLS_HANDSHAKE_TIMEOUT (nullopt: never). Takes mu.
    deadline deadline_for(wait_kind k);
    int min_minor() const noexcept;
    /// Latches err (a positive errno) and returns -err.
    int fail(int err) noexcept;
    /// A failure of session s: latched when s is the socket's own session; a DTLS server's peer
    /// session fails alone (the caller drops it).
    int fail(tls_session &s, int err) noexcept { return &s == sess.get() ? fail(err) : -err; }
    /// Whether the transport's ZSOCK_IOCTL_WAKE_BLOCKED makes its kernel descriptor report
    /// (native sockets: it shuts them down), so that waits need no wake eventfd of their own.
    bool transport_wakes_descriptor() const noexcept;
    /// The descriptor a wait watches for close(): the wake eventfd (made now if needed), or -1
    /// when the transport's descriptor does it or no eventfd could be made (waits then poll
    /// `closing` in short slices).
    int wake_source() noexcept;
    /// close() is under way: set `closing` and wake every wait (ZSOCK_IOCTL_WAKE_BLOCKED).
    void wake_all() noexcept;
};

// ---- tls_io.cpp: transport I/O and waiting -----------------------------------------------------

/// mbedTLS BIO callbacks over the transport vtable (ctx = tls_session).
int bio_send(void *ctx, const unsigned char *buf, size_t len);
int bio_recv(void *ctx, unsigned char *buf, size_t len);
/// DTLS server: send to the session's peer; read the datagram the demultiplexer stored.
int bio_send_to_peer(void *ctx, const unsigned char *buf, size_t len);
int bio_recv_stored(void *ctx, unsigned char *buf, size_t len);

void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms);
int timer_get(void *ctx);

/// Waits until the transport is ready for `events` (POLLIN/POLLOUT), `d` passes (-ETIMEDOUT), or
/// close() starts on the socket (-EINTR). When `also` is given, close() on it ends the wait too
/// (-EINTR): a listener closed while a handshake runs inside its accept().
int wait_transport(tls_socket &t, short events, deadline d, tls_socket *also = nullptr) noexcept;

deadline deadline_after(std::optional<std::chrono::milliseconds> d) noexcept;
deadline earliest(deadline a, deadline b) noexcept;

/// mbedTLS error during a handshake -> negative errno (ECONNABORTED, ETIMEDOUT, ENOMEM, or the
/// transport's own errno).
int map_handshake_error(const tls_session &s, int ret) noexcept;
/// mbedTLS error during data transfer -> negative errno (ECONNABORTED, EIO, ENOMEM, transport).
int map_data_error(const tls_session &s, int ret) noexcept;

// ---- tls_handshake.cpp
// ---------------------------------------------------------------------------

/// Sets up s.ssl over conf (hostname, BIO, timer, cached session). Returns 0 or -errno.
int session_setup(tls_socket &t, tls_session &s, std::shared_ptr<const tls_conf> conf,
                  int endpoint);

/// A handshake step's answer for a DTLS server whose ClientHello lacked a valid cookie (mbedTLS
/// sent a HelloVerifyRequest): the session is to be dropped, statelessly.
inline constexpr int hello_verify_sent = -EREMOTE;

/// One nonblocking push of the session toward `established`. Returns 0 when established,
/// -EAGAIN with *want = the transport events it waits for, or a latched -errno. Needs t.mu.
int advance(tls_socket &t, tls_session &s, short *want);

/// The handshake itself (a session past its transport connect). Needs t.mu.
int handshake_steps(tls_socket &t, tls_session &s, short *want);

/// Drives s to `established`: blocking (until d) when may_block, else one step. Returns 0,
/// -EAGAIN (nonblocking, not done), -ETIMEDOUT (d passed), -EINTR (t or `also` closed) or a
/// latched -errno.
int run_handshake(tls_socket &t, tls_session &s, bool may_block, deadline d,
                  tls_socket *also = nullptr);

/// Sends pending encrypted bytes. 0 when nothing is left, -EAGAIN, or -errno. Needs t.mu.
int flush_pending(tls_session &s);

/// One nonblocking step of sending close_notify: flushes what an earlier record left, then
/// queues the alert and flushes it. 0 when it is out (or there is no session to close: not
/// established, or failed), -EAGAIN to be called again once the transport is writable, or -errno.
/// Needs t.mu.
int close_notify_step(tls_session &s);

/// A nonblocking shutdown's next step (see tls_socket::shut_pending): once close_notify is out,
/// shuts the transport. Needs t.mu.
void finish_pending_shutdown(tls_socket &t);

/// Sends close_notify (best effort; blocking sockets wait up to `d` for the transport).
void send_close_notify(tls_socket &t, tls_session &s, deadline d);

int tls_connect(void *obj, const sockaddr *addr, socklen_t len);
int tls_listen(void *obj, int backlog);
int tls_accept(void *obj, sockaddr *addr, socklen_t *len, int flags);

// ---- tls_data.cpp ------------------------------------------------------------------------------

ssize_t tls_sendto(void *obj, const void *buf, size_t len, int flags, const sockaddr *dest,
                   socklen_t dlen);
ssize_t tls_recvfrom(void *obj, void *buf, size_t len, int flags, sockaddr *src, socklen_t *slen);
ssize_t tls_sendmsg(void *obj, const msghdr *msg, int flags);
ssize_t tls_recvmsg(void *obj, msghdr *msg, int flags);

// ---- dtls.cpp ----------------------------------------------------------------------------------

ssize_t dtls_sendto(tls_socket &t, const void *buf, size_t len, int flags, const sockaddr *dest,
                    socklen_t dlen);
ssize_t dtls_recvfrom(tls_socket &t, void *buf, size_t len, int flags, sockaddr *src,
                      socklen_t *slen);
ssize_t dtls_sendmsg(tls_socket &t, const msghdr *msg, int flags);
int dtls_connect(tls_socket &t, const sockaddr *addr, socklen_t len);
int dtls_poll_prepare(tls_socket &t, short events, short *kevents);
int dtls_poll_update(tls_socket &t, short events, short krevents, short *revents);
/// When a DTLS socket's timers need poll to run its hooks again, with no datagram arriving: a
/// handshake's retransmission timer, a server session's idle expiry (nullopt: none). Needs t.mu.
deadline dtls_poll_deadline(tls_socket &t);

// ---- tls_options.cpp ---------------------------------------------------------------------------

int tls_setsockopt(void *obj, int level, int name, const void *val, socklen_t len);
int tls_getsockopt(void *obj, int level, int name, void *val, socklen_t *len);

// ---- tls_poll.cpp ------------------------------------------------------------------------------

int tls_poll_prepare(void *obj, short events, short *kevents);
int tls_poll_update(void *obj, short events, short krevents, short *revents);
int tls_poll_deadline(void *obj, int64_t *monotonic_ns);

/// The transport's own poll hooks, composed under TLS's (a plain kernel transport has none):
/// asks it about kev, which update will hand back. > 0: ready now with those events (no kernel
/// wait needed); 0: wait for *kevents on t.fd; < 0: -errno. Needs t.mu.
int transport_prepare(tls_socket &t, short kev, short *kevents);
/// The transport's events after a kernel wait (krevents: what the kernel said for t.fd).
/// 0 with *revents, or -EAGAIN when the transport has nothing after all. Needs t.mu.
int transport_update(tls_socket &t, short krevents, short *revents);

// ---- tls_socket.cpp
// ------------------------------------------------------------------------------

extern const zsock_socket_vtable tls_vtable;

/// Puts a new TLS object in front of the transport socket fd (created by the registry, or
/// returned by the transport's accept). On failure fd is closed. Returns the object or nullptr
/// with *err set.
tls_socket *wrap_transport(int fd, int family, int type, int proto, int *err);

} // namespace zsock::tls
