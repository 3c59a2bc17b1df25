// core/io_engine.hpp - the interface both I/O engines implement, and the run loop they share.
//
// An engine is one event loop's machinery on one thread: the descriptors attached to it, the
// operations in flight, a ready list, a timer heap, and a queue of work posted from other
// threads. Two implementations:
//   epoll_engine: readiness. An operation first tries its nonblocking call; if that says EAGAIN it
//                 waits (edge-triggered) for the descriptor, then tries again.
//   uring_engine: completion. Operations on kernel sockets become SQEs, all submitted by the one
//                 submit-and-wait of each loop turn.
// Objects with poll hooks (TLS, offloaded sockets) use readiness on both engines: the object's
// nonblocking call, then a wait for what its prepare() hook asks for.
//
// Everything here runs on the loop's thread, except post(), request_stop() and the remote
// cancellation queue, which any thread may use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zsock/detail/io_op.hpp>

#include "core/timer_heap.hpp"

namespace zsock::core {

using detail::io_op;
using detail::op_code;
using detail::ready_node;
using detail::timer_node;

enum class backend_kind { automatic, epoll, io_uring };

/// What to build: the backend (automatic probes io_uring first) and the io_uring sizes.
struct engine_options {
    backend_kind backend = backend_kind::automatic;
    unsigned entries = 1024;           // SQ entries (io_uring)
    unsigned recv_buffers = 1024;      // provided buffers for multishot recv (io_uring; power of 2)
    unsigned recv_buffer_size = 16384; // bytes per provided buffer
};

/// Descriptor flags, given by whoever attaches it.
enum desc_flag : unsigned {
    desc_native = 1u << 0,   // a kernel socket: the engine may call/submit its ops directly
    desc_stream = 1u << 1,   // SOCK_STREAM: a short read means the socket was drained
    desc_listener = 1u << 2, // a listening socket (multishot accept)
    desc_hooked = 1u << 3,   // the zsock object has poll hooks (TLS...): ask it what to wait for
};

/// A descriptor attached to an engine. Engines derive their own state from it.
struct io_desc : detail::io_desc_head {
    int fd = -1;
    unsigned flags = 0;
    bool detached = false;
    /// Non-native objects: one nonblocking attempt of op through the object (set by coro/).
    long (*perform)(io_op &op) noexcept = nullptr;
};

/// Counters the tests and benchmarks read (never used for decisions).
struct engine_stats {
    uint64_t submits = 0;           // io_uring_enter / epoll_wait calls
    uint64_t ms_recv_arms = 0;      // multishot recv armed (first time and re-arms)
    uint64_t ms_recv_enobufs = 0;   // multishot recv stopped because the buffer ring ran dry
    uint64_t ms_recv_fallbacks = 0; // single-shot recv used because no buffer was free
    uint64_t ms_recv_left = 0;      // plain recvs of connections that left the ring (bulk reads)
    uint64_t bulk_inline = 0;       // bulk reads/sends completed by a direct nonblocking call
    uint64_t dontwait_direct = 0;   // MSG_DONTWAIT recvs/sends made as direct calls (io_uring)
    uint64_t ms_accept_arms = 0;
    uint64_t sync_cancels = 0; // abandoned operations cancelled synchronously
};

class io_engine {
public:
    io_engine() = default;
    io_engine(const io_engine &) = delete;
    io_engine &operator=(const io_engine &) = delete;
    virtual ~io_engine();

    virtual backend_kind kind() const noexcept = 0;
    const char *name() const noexcept {
        return kind() == backend_kind::io_uring ? "io_uring" : "epoll";
    }

    /// Attaches fd (made nonblocking by the caller). Returns 0 and *out, or a negative errno.
    virtual int attach(int fd, unsigned flags, io_desc **out) noexcept = 0;
    /// Detaches d: every operation waiting on it completes with -ECANCELED (never inline), and
    /// the kernel stops using fd before this returns, so the caller may close fd right after.
    virtual void detach(io_desc *d) noexcept = 0;
    /// See zsock::detail::io_start / io_cancel / io_abandon.
    virtual bool start(io_op &op) noexcept = 0;
    virtual void cancel(io_op &op) noexcept = 0;
    virtual void abandon(io_op &op) noexcept = 0;

    // ---- the run loop (shared) ----------------------------------------------------------
    /// One turn: posted work, ready entries, expired timers, then one wait for I/O (not at all
    /// if something is ready, if !block, or if *until is already true; at most until wake_at, a
    /// steady-clock time in ns, when wake_at >= 0).
    void run_once(bool block, const bool *until = nullptr, int64_t wake_at = -1) noexcept;
    void schedule(ready_node *n) noexcept;
    void unschedule(ready_node *n) noexcept;
    void timer_arm(timer_node *t) noexcept { timers_.push(t); }
    void timer_disarm(timer_node *t) noexcept { timers_.remove(t); }

    /// Any thread.
    void post(std::function<void()> fn);
    void request_stop() noexcept;
    bool stop_requested() const noexcept { return stop_.load(std::memory_order_acquire); }
    void clear_stop() noexcept { stop_.store(false, std::memory_order_release); }
    void cancel_remote(io_op &op) noexcept;
    void forget_remote(io_op &op) noexcept;

    bool on_loop_thread() const noexcept;
    void bind_thread() noexcept; // the thread that runs the loop (construction, then run())
    const engine_stats &stats() const noexcept { return stats_; }

    /// Operations that completed at once (no suspension) since the engine last resumed a
    /// coroutine from its own stack. zsock::detail::io_start defers the completion through the
    /// ready list once this reaches max_inline_run: without that, a coroutine whose operations
    /// keep completing at once nests one symmetric transfer per operation on the stack wherever
    /// the compiler does not turn them into tail calls (GCC below -O2, sanitizer builds), and it
    /// would also keep the loop to itself.
    unsigned inline_run = 0;
    static constexpr unsigned max_inline_run = 64;
    /// The entry point engines put in io_desc_head::start: E::start without a virtual call,
    /// plus the bound on runs of immediate completions (see inline_run).
    template <class E>
    static bool start_entry(io_op &op) noexcept {
        auto *e = static_cast<E *>(reinterpret_cast<detail::io_desc_head *>(op.desc)->engine);
        if (!e->E::start(op)) return false;
        if (++e->inline_run < max_inline_run) return true;
        // A long run of immediate completions: finish this one through the ready list, which
        // unwinds the stack and lets the other coroutines of the loop run.
        e->schedule(&op);
        return false;
    }

    /// Resumes h from the engine's own stack (the inline run starts over).
    void resume(std::coroutine_handle<> h) noexcept {
        inline_run = 0;
        h.resume();
    }
    /// Human-readable reason for the backend choice (the log line).
    std::string selection_reason;
    /// The event_loop that owns this engine (coro/).
    void *owner = nullptr;

protected:
    /// Waits up to timeout_ns (-1: forever, 0: just look) and dispatches what completed.
    virtual void poll(int64_t timeout_ns) noexcept = 0;
    /// Interrupts poll() from another thread.
    virtual void wake() noexcept = 0;

    /// Completes op with r from outside a dispatch: op's coroutine runs from the ready list.
    void complete_later(io_op &op, long r) noexcept {
        op.result = r;
        schedule(&op);
    }
    bool has_ready() const noexcept { return ready_head_.next != &ready_head_; }

    engine_stats stats_;

private:
    void drain_remote() noexcept;
    void run_ready() noexcept;
    void fire_timers() noexcept;
    int64_t wait_timeout(bool block, const bool *until, int64_t wake_at) noexcept;

    ready_node ready_head_{&ready_head_, &ready_head_, {}};
    timer_heap timers_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> remote_pending_{false};
    std::mutex remote_mu_;
    std::vector<std::function<void()>> posted_;
    std::vector<io_op *> remote_cancels_;
    std::vector<std::function<void()>> posted_run_; // drained copy, reused
    std::atomic<unsigned long> thread_id_{0};
};

/// Builds the engine `opts` asks for. automatic probes io_uring and falls back to epoll; the
/// ZSOCK_BACKEND environment variable (epoll|io_uring|auto) applies when opts says automatic.
/// Logs one line with the choice and the reason. Returns null with *err set when a forced
/// backend cannot be set up.
std::unique_ptr<io_engine> make_engine(const engine_options &opts, int *err) noexcept;

/// Asks a hooked object which kernel events to wait for before `want` can progress.
/// > 0: ready now; 0: wait for *kevents on its kernel fd, and, when deadline_ns is given, no
/// later than *deadline_ns (steady clock ns; 0: no such time) when the object has a timer of its
/// own (its deadline hook: a DTLS retransmission or idle expiry), after which the operation is
/// attempted again even if the descriptor stayed quiet; < 0: an errno.
int hooked_wait_events(int fd, short want, short *kevents, int64_t *deadline_ns = nullptr) noexcept;

} // namespace zsock::core
