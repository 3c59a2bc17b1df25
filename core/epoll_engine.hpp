// core/epoll_engine.hpp - the readiness engine.
//
// Every descriptor is registered once, edge-triggered, for input and output. Per direction the
// descriptor keeps a FIFO of waiting operations and an edge flag: set by an event, cleared when a
// call returns EAGAIN (or a stream read comes back short, which means the socket was drained).
// An operation first tries its nonblocking call when the flag is set (Asio's speculative
// path: a send usually completes at once, without a wait); otherwise it queues, and the next
// edge retries the queue in order. A cleared flag is always followed by an edge when the state
// changes, because the kernel reports every readiness change after our last look.
#pragma once

#include <memory>
#include <vector>

#include "core/block_pool.hpp"
#include "core/io_engine.hpp"

namespace zsock::core {

class epoll_engine final : public io_engine {
public:
    /// Returns null with *err on failure (epoll_create1, eventfd).
    static std::unique_ptr<epoll_engine> create(int *err) noexcept;
    ~epoll_engine() override;

    backend_kind kind() const noexcept override { return backend_kind::epoll; }
    int attach(int fd, unsigned flags, io_desc **out) noexcept override;
    void detach(io_desc *d) noexcept override;
    bool start(io_op &op) noexcept override;
    void cancel(io_op &op) noexcept override;
    void abandon(io_op &op) noexcept override;

protected:
    void poll(int64_t timeout_ns) noexcept override;
    void wake() noexcept override;

private:
    struct queue {
        io_op *head = nullptr;
        io_op *tail = nullptr;
    };
    struct desc;
    struct hook_timer : timer_node {
        desc *owner = nullptr;
    };
    struct desc : io_desc {
        queue q[2]; // 0: waits for input, 1: waits for output
        bool ready[2] = {true, true};
        bool hangup = false; // EPOLLRDHUP/HUP/ERR seen: reads never block again
        hook_timer timer;    // a hooked object's own deadline (DTLS timers): retry its queues then
        desc *next_free = nullptr;
    };
    enum { side_in = 0, side_out = 1 };
    enum op_state : uint8_t { idle = 0, queued_in = 1, queued_out = 2 };

    epoll_engine() = default;
    desc *alloc_desc() noexcept;
    long attempt_native(desc &d, io_op &op, int nat) noexcept;
    [[gnu::noinline]] long attempt_wait(desc &d, io_op &op, int nat) noexcept;
    [[gnu::noinline]] bool start_wait(desc &d, io_op &op) noexcept;
    template <class Attempt>
    bool start_in_line(desc &d, io_op &op, int side, Attempt attempt) noexcept;
    [[gnu::noinline, gnu::cold]] long attempt_waitall(desc &d, io_op &op) noexcept;
    [[gnu::noinline, gnu::cold]] long attempt_flagged(desc &d, io_op &op, int nat) noexcept;
    [[gnu::noinline, gnu::cold]] bool start_flagged(desc &d, io_op &op, int side) noexcept;
    long attempt_object(desc &d, io_op &op, int *side) noexcept;
    void run_queue(desc &d, int side, bool fresh) noexcept;
    void arm_hook_timer(desc &d, int64_t deadline_ns) noexcept;
    static void on_hook_timer(timer_node *t) noexcept;
    void on_event(desc &d, uint32_t events) noexcept;
    static void enqueue(desc &d, int side, io_op &op) noexcept;
    static void dequeue(desc &d, io_op &op) noexcept;

    int epfd_ = -1;
    int evfd_ = -1;
    bool has_pwait2_ = true;
    block_pool<desc, 256> descs_;
    desc *graveyard_ = nullptr; // detached during this turn; freed after the dispatch
};

} // namespace zsock::core
