// coro/loop_group.cpp - thread-per-core loops.
#include <zsock/loop_group.hpp>

#include <exception>
#include <future>
#include <pthread.h>
#include <sched.h>

namespace zsock {

loop_group::loop_group(unsigned threads) : loop_group(threads, options{}) {}

loop_group::loop_group(unsigned threads, const options &opts)
    : n_(threads ? threads : 1), opts_(opts), loops_(n_, nullptr) {}

loop_group::~loop_group() {
    stop();
    join();
}

void loop_group::start(entry fn) {
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    std::vector<std::promise<void>> ready(n_);
    std::vector<std::future<void>> built;
    for (auto &p : ready) built.push_back(p.get_future());
    for (unsigned i = 0; i < n_; ++i) {
        threads_.emplace_back([this, i, fn, &ready] {
            if (opts_.pin_threads) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(i % std::thread::hardware_concurrency(), &set);
                pthread_setaffinity_np(pthread_self(), sizeof set, &set);
            }
            std::unique_ptr<event_loop> loop;
            try {
                loop = std::make_unique<event_loop>(opts_.loop);
                loop->spawn(fn(*loop, i));
            } catch (...) {
                ready[i].set_exception(std::current_exception());
                return;
            }
            {
                std::lock_guard lock(mu_);
                loops_[i] = loop.get();
                if (stopping_) loop->stop();
            }
            ready[i].set_value();
            loop->run();
            std::lock_guard lock(mu_);
            loops_[i] = nullptr;
        });
    }
    std::exception_ptr first;
    for (auto &f : built) {
        try {
            f.get();
        } catch (...) {
            if (!first) first = std::current_exception();
        }
    }
    if (first) {
        stop();
        join();
        std::rethrow_exception(first);
    }
}

void loop_group::stop() noexcept {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (event_loop *l : loops_) {
        if (l) l->stop();
    }
}

void loop_group::join() {
    for (auto &t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

} // namespace zsock
