// core/uring_engine.hpp - the completion engine, on io_uring through liburing 2.3.
//
// Model:
//  - Every SQE's user_data is an engine-owned request (never the awaiter), so a completion that
//    arrives after its awaiter died finds an orphaned request and is simply dropped.
//  - Operations on kernel sockets are SQEs, flushed by the one submit-and-wait of the loop turn
//    (io_uring_submit_and_wait_timeout: the timeout travels in the enter call, no extra SQE).
//  - Stream recv goes through a multishot recv per connection that fills provided buffers (a
//    buffer ring registered by hand: liburing 2.3 has no io_uring_setup_buf_ring). Completed
//    buffers queue on the connection until a recv copies them out, so the kernel never writes
//    into user memory on this path and cancelling a recv can never lose bytes. A multishot recv
//    that the kernel drops (ENOBUFS when the ring ran dry, CQ overflow) is re-armed when a
//    reader waits; while no buffer is free, that reader falls back to a plain recv into its own
//    buffer, so a connection never starves. Once a connection has used that path, every read
//    of it is served from its queue, flags (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, MSG_TRUNC) and
//    recvmsg included, so bytes never overtake each other. A connection read with buffers of
//    two provided buffers or more leaves the ring for plain recvs into the caller's buffer
//    (after what the ring already holds for it), saving the ring's chunking and a copy. Such a
//    bulk connection reads and sends with a direct nonblocking call while its socket is known
//    to have bytes (the last read filled its buffer) or room (the last send went out whole),
//    so that one visit drains and echoes it; see try_bulk_inline().
//  - A readiness wait (op_code::poll) on a connection that reads through the ring joins its
//    readers and is served from its queue, since the ring takes bytes off the socket as they
//    arrive and a poll of the socket would miss them; elsewhere it is an IORING_OP_POLL_ADD.
//  - Listening sockets use multishot accept; accepted descriptors queue until accepted.
//  - Cancellation: IORING_OP_ASYNC_CANCEL by request (user_data), or by fd (detach). An awaiter
//    destroyed with an SQE in flight that points at its memory uses
//    io_uring_register_sync_cancel, which returns once the kernel has let go.
//  - Objects with poll hooks use readiness: their nonblocking call, then IORING_OP_POLL_ADD.
#pragma once

#include <liburing.h>
#include <memory>
#include <string>
#include <vector>

#include "core/block_pool.hpp"
#include "core/io_engine.hpp"

namespace zsock::core {

class uring_engine final : public io_engine {
public:
    /// Sets up the ring as the probe describes (setup flags with fallbacks, opcode probe, a NOP
    /// round trip). Returns null with *err (a negative errno) and *why when io_uring is refused.
    static std::unique_ptr<uring_engine> create(const engine_options &opts, int *err,
                                                std::string *why) noexcept;
    ~uring_engine() override;

    backend_kind kind() const noexcept override { return backend_kind::io_uring; }
    int attach(int fd, unsigned flags, io_desc **out) noexcept override;
    void detach(io_desc *d) noexcept override;
    bool start(io_op &op) noexcept override;
    void cancel(io_op &op) noexcept override;
    void abandon(io_op &op) noexcept override;

    unsigned setup_flags() const noexcept { return setup_flags_; }
    bool has_buffer_ring() const noexcept { return br_ != nullptr; }

protected:
    void poll(int64_t timeout_ns) noexcept override;
    void wake() noexcept override;

private:
    struct udesc;
    struct req {
        enum kind_t : uint8_t { k_op, k_hooked, k_ms_recv, k_ms_accept, k_wake } kind = k_op;
        bool cancel_sent = false;
        bool touches_memory = false; // the kernel reads or writes op memory: sync cancel on abandon
        // k_op: a transfer counted in d's sq_rx / sq_tx, or a readiness poll, whose completion
        // tells try_bulk_inline() that the socket has bytes (wait_in) or room (wait_out)
        enum dir_t : uint8_t { none, rx, tx, wait_in, wait_out } dir = none;
        bool timed = false;     // a hooked poll with a linked timeout: the object's own deadline
        __kernel_timespec ts{}; // that deadline, read by the kernel when the SQEs are submitted
        io_op *op = nullptr;
        udesc *d = nullptr;
        req *next_free = nullptr;
    };
    struct waitq {
        io_op *head = nullptr;
        io_op *tail = nullptr;
        bool empty() const noexcept { return head == nullptr; }
    };
    struct udesc : io_desc {
        int refs = 0; // 1 while attached, +1 per request naming it
        // multishot recv
        req *ms_recv = nullptr;
        waitq readers;
        int32_t q_head = -1; // buffer ids holding received bytes, in order
        int32_t q_tail = -1;
        uint32_t q_off = 0; // bytes of q_head already read
        uint32_t q_count = 0;
        int rx_status = 0;         // 1: end of stream reached; < 0: error to report once
        bool no_multishot = false; // not a TCP stream, or its reader wants ancillary data
        bool ms_used = false;      // a multishot recv was armed: every read goes through the queue
        bool bulk = false;         // reads with large buffers: leaving (or left) the ring
        bool rx_hot = false;       // bulk: the last read filled its buffer (more is queued)
        bool tx_full = false;      // bulk: the last send was short (the send buffer is full)
        uint16_t sq_rx = 0;        // plain recv/recvmsg SQEs in flight on this fd
        uint16_t sq_tx = 0;        // plain send/sendmsg SQEs in flight on this fd
        // multishot accept
        req *ms_accept = nullptr;
        waitq acceptors;
        std::vector<int> accepted; // accepted kernel fds not handed out yet
        int accept_error = 0;
        udesc *next_free = nullptr;
    };
    enum op_state : uint8_t { s_idle = 0, s_kernel = 1, s_reader = 2, s_acceptor = 3 };

    uring_engine() = default;
    io_uring_sqe *get_sqe() noexcept;
    req *alloc_req(req::kind_t k, udesc *d, io_op *op) noexcept;
    void free_req(req *r) noexcept;
    udesc *alloc_desc() noexcept;
    void put_desc(udesc *d) noexcept;

    long direct_call(io_op &op, udesc &d) noexcept;
    bool try_bulk_inline(io_op &op, udesc &d) noexcept;
    bool try_dontwait_direct(io_op &op, udesc &d) noexcept;
    bool submit_op(io_op &op, udesc &d) noexcept;
    bool start_recv_ms(io_op &op, udesc &d) noexcept;
    bool start_wait(io_op &op, udesc &d) noexcept;
    bool start_accept_ms(io_op &op, udesc &d) noexcept;
    bool start_hooked(io_op &op, udesc &d) noexcept;
    void arm_recv(udesc &d) noexcept;
    void arm_accept(udesc &d) noexcept;
    void arm_hooked_poll(io_op &op, udesc &d, short kev, int64_t deadline_ns) noexcept;
    void arm_wake() noexcept;
    void cancel_req(req *r) noexcept;

    struct rx_cursor {
        int32_t bid;
        uint32_t off;
    };
    std::size_t rx_copy(udesc &d, rx_cursor &c, unsigned char *dst, std::size_t len,
                        bool consume) noexcept;
    bool rx_result(udesc &d, std::size_t done, std::size_t want, bool waitall, bool dontwait,
                   long *res) noexcept;
    bool serve_rx(udesc &d, io_op &op) noexcept;
    bool serve_rx_general(udesc &d, io_op &op) noexcept;
    void recycle(uint32_t bid) noexcept;
    void deliver_rx(udesc &d) noexcept;
    void deliver_accepts(udesc &d) noexcept;
    long finish_accept(io_op &op, int kfd) noexcept;

    void dispatch(uint64_t user_data, int res, uint32_t flags) noexcept;
    void on_ms_recv(req *r, int res, uint32_t flags) noexcept;
    void on_ms_accept(req *r, int res, uint32_t flags) noexcept;
    void on_hooked(req *r, int res) noexcept;

    static void push(waitq &q, io_op &op) noexcept;
    static void remove(waitq &q, io_op &op) noexcept;

    io_uring ring_{};
    bool ring_ok_ = false;
    unsigned setup_flags_ = 0;
    bool ms_accept_ok_ = false;
    // provided buffer ring (group 0)
    io_uring_buf_ring *br_ = nullptr;
    std::size_t br_bytes_ = 0;
    unsigned nbufs_ = 0;
    unsigned buf_size_ = 0;
    unsigned bufs_out_ = 0; // handed to us by the kernel and not yet recycled
    std::unique_ptr<unsigned char[]> buf_mem_;
    std::vector<uint32_t> buf_len_;
    std::vector<int32_t> buf_next_;
    // wake-up
    int evfd_ = -1;
    uint64_t wake_buf_ = 0;
    req wake_req_{req::k_wake};
    // pools
    block_pool<req, 256> reqs_;
    block_pool<udesc, 256> descs_;
};

/// io_uring_disabled from /proc (0 when absent).
int uring_disabled_sysctl() noexcept;

} // namespace zsock::core
