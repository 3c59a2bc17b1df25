// zsock/event_loop.hpp - one event loop per thread, on the epoll or the io_uring engine.
//
//   zsock::event_loop loop;                 // engine chosen at run time (see backend)
//   loop.spawn(serve(listener));            // background task owned by the loop
//   loop.run();                             // until loop.stop()
//
// The engine is chosen when the loop is built: options.backend, else the ZSOCK_BACKEND
// environment variable (epoll | io_uring | auto), else `automatic`, which probes io_uring
// (setup flags SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN, then none; an opcode probe; a NOP
// round trip) and falls back to epoll when the kernel refuses it. ZSOCK_LOG=info prints one line
// saying which engine runs and why.
//
// Thread safety: a loop and everything attached to it (streams, listeners, timers) belong to
// the thread that runs it. stop() and post() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <zsock/task.hpp>

namespace zsock {

enum class backend {
    automatic, ///< io_uring if the probe passes, else epoll (ZSOCK_BACKEND may force either)
    epoll,
    io_uring,
};

/// "auto"/"automatic", "epoll", "io_uring"/"uring" -> backend; false if unknown.
ZSOCK_API bool parse_backend(const char *text, backend *out) noexcept;
ZSOCK_API const char *to_string(backend b) noexcept;

/// True if an io_uring engine can be set up here (the same probe `automatic` runs).
ZSOCK_API bool io_uring_available() noexcept;

class ZSOCK_API event_loop {
public:
    struct options {
        zsock::backend backend = backend::automatic;
        unsigned sq_entries = 1024;   ///< io_uring submission queue size
        unsigned recv_buffers = 1024; ///< io_uring provided buffers for stream recv (power of 2)
        /// Bytes per provided buffer. The ring (recv_buffers x recv_buffer_size, 16 MiB by
        /// default) is reserved per loop and touched as traffic flows through it; 16 KiB keeps a
        /// 64 KiB message to four completions (4 KiB buffers measured 0.75x raw epoll at
        /// 16 x 64 KiB ping-pong, 16 KiB 0.89x). Small-message servers can lower it.
        unsigned recv_buffer_size = 16384;
    };

    /// Builds the engine. Throws std::system_error when a forced backend cannot be set up
    /// (for example io_uring refused by the kernel).
    event_loop();
    explicit event_loop(const options &opts);
    /// Cancels the tasks still running in the loop's own scope and runs the loop until they have
    /// finished (at most about two seconds; stragglers are then destroyed).
    ~event_loop();
    event_loop(const event_loop &) = delete;
    event_loop &operator=(const event_loop &) = delete;

    /// The engine that runs (never `automatic`), and why it was chosen.
    zsock::backend backend() const noexcept;
    const std::string &backend_reason() const noexcept;

    /// Runs until stop() is called. stop() before run() makes run() return at once; either way
    /// the stop request is consumed, so the loop can be run again.
    void run();
    /// Runs until tp or until stop().
    void run_until(std::chrono::steady_clock::time_point tp);
    template <class Rep, class Period>
    void run_for(std::chrono::duration<Rep, Period> d) {
        run_until(std::chrono::steady_clock::now() + d);
    }
    /// Runs until *flag becomes true (sync_wait uses it).
    void run_until_flag(const bool &flag);
    /// One turn without blocking: what is ready, expired timers, and completed I/O.
    void poll_once();

    /// Makes run() return after its current turn. Any thread.
    void stop() noexcept;
    /// Runs fn on the loop's thread during a later turn. Any thread. fn must not throw.
    void post(std::function<void()> fn);

    /// Starts t in the loop's own scope: it runs concurrently and is cancelled when the loop is
    /// destroyed. An exception escaping it is logged and dropped.
    void spawn(task<void> t);

    /// True while run(), run_until(), sync_wait... is running this loop.
    bool running() const noexcept;

    /// The loop running on this thread, else the first one built on it, else null.
    static event_loop *current() noexcept;

    core::io_engine *engine() const noexcept { return engine_; }

    struct impl; // private state (coro/loop_internal.hpp)
    impl *impl_ptr() const noexcept { return impl_.get(); }

private:
    core::io_engine *engine_ = nullptr;
    std::unique_ptr<impl> impl_;
};

} // namespace zsock
