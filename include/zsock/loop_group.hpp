// zsock/loop_group.hpp - thread-per-core: N threads, each running its own event_loop.
//
//   zsock::loop_group group(4);
//   group.start([port](zsock::event_loop &loop, unsigned i) -> zsock::task<void> {
//       zsock::tcp_listener::options o;
//       o.reuse_port = true;                 // each loop has its own SO_REUSEPORT listener
//       auto l = zsock::tcp_listener::bind(zsock::endpoint::loopback_v4(port), o, &loop);
//       ...
//   });
//   ...
//   group.stop();                            // from any thread; join() waits for the threads
//
// Each loop is built on its own thread (io_uring's SINGLE_ISSUER and DEFER_TASKRUN require the
// thread that submits to be the one that created the ring). start() returns once every loop is
// built and its task spawned, or throws the first construction error. A loop's thread runs until
// stop(); its loop is then destroyed there (cancelling what still runs on it).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <zsock/event_loop.hpp>
#include <zsock/task.hpp>

namespace zsock {

class ZSOCK_API loop_group {
public:
    struct options {
        event_loop::options loop;
        bool pin_threads = false; ///< pin thread i to CPU i % ncpu
    };
    using entry = std::function<task<void>(event_loop &, unsigned)>;

    explicit loop_group(unsigned threads);
    loop_group(unsigned threads, const options &opts);
    /// stop() and join().
    ~loop_group();
    loop_group(const loop_group &) = delete;
    loop_group &operator=(const loop_group &) = delete;

    /// Starts the threads; on thread i, spawns fn(loop_i, i) into loop_i and runs it.
    void start(entry fn);
    /// Asks every loop to stop. Any thread.
    void stop() noexcept;
    /// Waits for the threads to end.
    void join();

    unsigned size() const noexcept { return n_; }
private:
    unsigned n_;
    options opts_;
    std::vector<std::thread> threads_;
    std::mutex mu_; // guards loops_ and stopping_ against a loop going away while stop() runs
    std::vector<event_loop *> loops_;
    bool stopping_ = false;
};

} // namespace zsock
