// coro/signal.cpp - signal_set: a sigaction handler that pokes per-set eventfds.
//
// The handler is async-signal-safe: it reads a fixed table of atomics and writes to eventfds
// with the raw write syscall. Registration (rare) is serialised by a mutex.
#include <zsock/signal.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <poll.h>
#include <sys/eventfd.h>

#include <zsock/detail/io_op.hpp>
#include <zsock/tcp.hpp>

#include "core/io_engine.hpp"
#include "core/sys.hpp"
#include "coro/poll_awaiter.hpp"

namespace zsock {
namespace {

constexpr int max_sets = 64;
constexpr int max_signal = 64;

std::atomic<int> g_fd[max_sets];
std::atomic<uint64_t> g_mask[max_sets];
std::atomic<uint64_t> g_pending[max_sets];
std::mutex g_mu;
struct sigaction g_old[max_signal + 1];
int g_users[max_signal + 1];
std::once_flag g_init;

void init_table() {
    for (int i = 0; i < max_sets; ++i) g_fd[i].store(-1);
}

uint64_t bit(int sig) { return uint64_t{1} << (sig - 1); }

void on_signal(int sig) {
    int saved = errno;
    for (int i = 0; i < max_sets; ++i) {
        int fd = g_fd[i].load(std::memory_order_acquire);
        if (fd < 0 || !(g_mask[i].load(std::memory_order_relaxed) & bit(sig))) continue;
        g_pending[i].fetch_or(bit(sig), std::memory_order_release);
        uint64_t one = 1;
        sys::write(fd, &one, sizeof one);
    }
    errno = saved;
}

} // namespace

signal_set::signal_set(std::initializer_list<int> sigs, event_loop *loop) {
    std::call_once(g_init, init_table);
    for (int s : sigs) {
        if (s < 1 || s > max_signal || s == SIGKILL || s == SIGSTOP) {
            error_ = EINVAL;
            return;
        }
        mask_ |= bit(s);
    }
    long fd = sys::eventfd2(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        error_ = static_cast<int>(-fd);
        return;
    }
    efd_ = static_cast<int>(fd);
    int r = detail::attach_fd(detail::engine_or_current(loop), efd_, 0, &desc_);
    if (r < 0) {
        error_ = -r;
        return;
    }
    std::lock_guard lock(g_mu);
    for (int i = 0; i < max_sets; ++i) {
        if (g_fd[i].load() < 0) {
            slot_ = i;
            break;
        }
    }
    if (slot_ < 0) {
        error_ = EMFILE;
        return;
    }
    g_pending[slot_].store(0);
    g_mask[slot_].store(mask_);
    g_fd[slot_].store(efd_, std::memory_order_release);
    for (int s = 1; s <= max_signal; ++s) {
        if (!(mask_ & bit(s))) continue;
        if (g_users[s]++ == 0) {
            struct sigaction sa {};
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESTART;
            sigaction(s, &sa, &g_old[s]);
        }
    }
}

signal_set::~signal_set() {
    if (slot_ >= 0) {
        std::lock_guard lock(g_mu);
        g_fd[slot_].store(-1, std::memory_order_release);
        for (int s = 1; s <= max_signal; ++s) {
            if ((mask_ & bit(s)) && --g_users[s] == 0) sigaction(s, &g_old[s], nullptr);
        }
    }
    if (efd_ >= 0) detail::close_fd(efd_, desc_);
}

task<result<int>> signal_set::wait() {
    if (error_) co_return std::error_code(error_, std::system_category());
    for (;;) {
        uint64_t p = g_pending[slot_].load(std::memory_order_acquire);
        if (p) {
            int sig = __builtin_ctzll(p) + 1;
            g_pending[slot_].fetch_and(~bit(sig), std::memory_order_acq_rel);
            co_return sig;
        }
        long r = co_await detail::poll_awaiter(desc_, POLLIN);
        if (r < 0) co_return detail::errno_code(r);
        uint64_t v;
        sys::read(efd_, &v, sizeof v);
    }
}

} // namespace zsock
