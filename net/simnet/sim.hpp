// net/simnet/sim.hpp - the in-process network "sim0": sockets and the network they live on.
//
// One mutex guards the whole network (every socket, buffer and port). It is never held while a
// call waits: blocked calls sleep on their socket's condition variable, which releases it, so one
// thread can send while another is blocked in recv on the same socket, as the fd table's contract
// wants. Readiness for poll/select/epoll/io_uring lives in each socket's level_fd, updated by
// sync() under the mutex after every change.
#pragma once

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <sys/socket.h>
#include <sys/time.h>
#include <vector>

#include <zsock/fdtable.h>

#include "net/simnet/byte_queue.hpp"
#include "net/simnet/endpoint.hpp"
#include "net/simnet/level_fd.hpp"

namespace zsock::simnet {

inline constexpr const char *ifname = "sim0";
inline constexpr size_t default_stream_rcvbuf = 256 * 1024;
inline constexpr size_t default_dgram_rcvbuf = 212992;
inline constexpr size_t max_udp_payload4 = 65507;
inline constexpr size_t max_udp_payload6 = 65527;

enum class stream_state {
    fresh, // not connected, not listening (also: failed connect, shut-down listener)
    listening,
    connecting, // waiting in a full listener's queue
    connected,  // established (the peer may be gone: closed or reset)
};

struct datagram {
    endpoint from;
    std::vector<char> data;
};

struct sim_socket {
    int family = AF_INET;
    int type = SOCK_STREAM; // without SOCK_NONBLOCK / SOCK_CLOEXEC
    int proto = IPPROTO_TCP;
    level_fd lv;
    bool nonblock = false;
    bool woken = false; // ZSOCK_IOCTL_WAKE_BLOCKED: the fd is closing
    std::condition_variable cv;

    // Addresses.
    bool bound = false;      // in the port table; `local` holds the address
    bool auto_bound = false; // bound by connect/listen/sendto, not bind
    endpoint local;
    bool has_peer = false;
    endpoint peer;

    // Options.
    bool reuseaddr = false, reuseport = false, keepalive = false, broadcast = false;
    bool nodelay = false;
    int keepidle = 7200, keepintvl = 75, keepcnt = 9;
    int tos = 0, ttl = 64, hops = 64, priority = 0;
    size_t rcvbuf = 0, sndbuf = 212992;
    timeval rcvtimeo{}, sndtimeo{};
    linger lingerv{};
    char device[16] = {};
    int so_error = 0;

    // Streams.
    stream_state st = stream_state::fresh;
    sim_socket *conn = nullptr; // the other end while both exist
    byte_queue rx;
    bool rx_eof = false;   // the peer sent FIN (shut down or closed)
    bool rd_shut = false;  // shutdown(SHUT_RD)
    bool wr_shut = false;  // shutdown(SHUT_WR)
    bool dead = false;     // the connection ended abnormally (reset, refused): both sides shut
    bool lv_spent = false; // level_fd shut both ways (a listener stopped): renew before reuse
    bool connect_report = false; // a nonblocking connect completed: the next connect() says 0
    int backlog = 0;
    std::deque<sim_socket *> accept_q; // established, not accepted yet (no fd)
    std::deque<sim_socket *> syn_q;    // clients waiting for room in accept_q
    sim_socket *listener = nullptr;    // for a client in some listener's syn_q

    // Datagrams.
    std::deque<datagram> dq;
    size_t dq_bytes = 0;

    bool is_stream() const noexcept { return type == SOCK_STREAM; }
};

/// The network: its mutex, its sockets and their ports.
struct network {
    std::mutex mu;
    std::vector<sim_socket *> bound; // sockets holding a port (listeners, connections, UDP)
    uint16_t next_ephemeral = 32768;
    long live = 0; // sockets alive (with or without an fd), for zsock_simnet_socket_count
};

network &net() noexcept;
using lock = std::unique_lock<std::mutex>;

// ---- ports (ports.cpp) -------------------------------------------------------------------
/// Binds s to ep (port 0: an ephemeral one). Returns 0, -EADDRINUSE or -EADDRNOTAVAIL.
int port_bind(sim_socket &s, endpoint ep, bool automatic) noexcept;
/// Drops s's port.
void port_unbind(sim_socket &s) noexcept;
/// True when another socket listening on an address overlapping s's would share its port.
bool port_listen_conflict(const sim_socket &s) noexcept;
/// The listener a connection to ep reaches, or NULL.
sim_socket *find_listener(int family, const endpoint &ep) noexcept;
/// The datagram socket that receives a datagram from `from` to `to`, or NULL.
sim_socket *find_receiver(const endpoint &from, const endpoint &to) noexcept;

// ---- readiness and waiting (socket.cpp) --------------------------------------------------
/// Brings s's level_fd in line with its state. Call under the mutex after any change to s.
void sync(sim_socket &s) noexcept;
/// What poll reports for s now, for the requested events (POLLHUP/POLLERR always).
short state_revents(const sim_socket &s, short events) noexcept;
/// Whether a send on a connected stream would find room (POLLOUT).
bool stream_writable(const sim_socket &s) noexcept;
/// Wakes s's blocked calls and refreshes its readiness.
inline void kick(sim_socket &s) noexcept {
    sync(s);
    s.cv.notify_all();
}
/// Waits on s.cv until pred() holds. Returns 0, -EINTR (woken by close) or -EAGAIN (deadline).
/// deadline_ns < 0: no deadline.
template <class Pred>
int wait_until(lock &lk, sim_socket &s, long long deadline_ns, Pred pred);
long long deadline_of(const timeval &tv) noexcept; // -1 for {0,0}: wait forever
/// Frees an object that never got an fd, or whose fd is gone (under the mutex).
void destroy(sim_socket *s) noexcept;

// ---- streams (stream.cpp) ----------------------------------------------------------------
int stream_connect(sim_socket &s, lock &lk, const endpoint &to) noexcept;
int stream_listen(sim_socket &s, int backlog) noexcept;
int stream_accept(sim_socket &s, lock &lk, sockaddr *addr, socklen_t *addrlen, int flags) noexcept;
long stream_send(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags) noexcept;
long stream_recv(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags) noexcept;
int stream_shutdown(sim_socket &s, int how) noexcept;
/// The socket's fd is closing: tell the peer, the listener, the queued clients.
void stream_release(sim_socket &s) noexcept;

// ---- datagrams (dgram.cpp) ---------------------------------------------------------------
int dgram_connect(sim_socket &s, const endpoint &to, bool unspec) noexcept;
long dgram_send(sim_socket &s, const iovec *iov, size_t iovcnt, int flags,
                const endpoint *to) noexcept;
long dgram_recv(sim_socket &s, lock &lk, const iovec *iov, size_t iovcnt, int flags, endpoint *from,
                int *msg_flags) noexcept;
int dgram_shutdown(sim_socket &s, int how) noexcept;

// ---- options and ioctls (options.cpp) ----------------------------------------------------
int sim_getsockopt(sim_socket &s, int level, int name, void *val, socklen_t *len) noexcept;
int sim_setsockopt(sim_socket &s, int level, int name, const void *val, socklen_t len) noexcept;

// ---- publishing (socket.cpp) -------------------------------------------------------------
/// Gives s a level_fd and an fd in the table. Returns the fd or -errno (s untouched then).
int publish(sim_socket &s, int type_flags) noexcept;
/// A new socket in the network (counted); NULL when out of memory.
sim_socket *make_socket(int family, int type, int proto) noexcept;

// ---- iovec helpers (socket.cpp) ----------------------------------------------------------
size_t iov_total(const iovec *iov, size_t n) noexcept;

inline long long now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

template <class Pred>
int wait_until(lock &lk, sim_socket &s, long long deadline_ns, Pred pred) {
    while (!pred()) {
        if (s.woken) return -EINTR;
        if (deadline_ns < 0) {
            s.cv.wait(lk);
            continue;
        }
        long long left = deadline_ns - now_ns();
        if (left <= 0) return -EAGAIN;
        s.cv.wait_for(lk, std::chrono::nanoseconds(left));
    }
    return 0;
}

} // namespace zsock::simnet
