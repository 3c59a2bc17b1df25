// core/poll.cpp - zsock_poll.
//
// While no object with poll hooks exists (only native sockets and plain kernel fds), the caller's
// array goes straight to the kernel: one ppoll, no copy, the kernel's own semantics and errnos.
// Otherwise each hooked object is asked first (prepare) whether it is ready already, for example a
// TLS socket holding decrypted bytes, and what to wait for on its kernel descriptor; after the
// kernel wait it turns the kernel's revents into its own (update). When an object woke but has
// nothing for the user (a TLS record with no application data), the poll waits again for the
// time that is left. An object with a timer of its own (a DTLS retransmission or idle expiry)
// reports its deadline, and the kernel wait ends by then, so that the next round's prepare does
// the timed work even under poll(-1).
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <poll.h>
#include <sys/resource.h>

#include "core/errno_ret.hpp"
#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/sys.hpp"
#include "core/user_mem.hpp"

namespace zsock::core {
namespace {

static_assert(sizeof(zsock_pollfd) == sizeof(pollfd));

using clock = std::chrono::steady_clock;

long kernel_poll(zsock_pollfd *fds, unsigned long nfds, int timeout_ms) noexcept {
#ifdef SYS_poll
    // Where the architecture has poll(2) (x86-64), it is what glibc's poll() calls, and it takes
    // the milliseconds as they are: no timespec to build on the per-call path.
    return sys::call(SYS_poll, fds, nfds, timeout_ms);
#else
    if (timeout_ms < 0) return sys::ppoll(reinterpret_cast<pollfd *>(fds), nfds, nullptr);
    timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    return sys::ppoll(reinterpret_cast<pollfd *>(fds), nfds, &ts);
#endif
}

long nofile_limit() noexcept {
    rlimit64 rl{};
    if (sys::call(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &rl) < 0) return 1024;
    return rl.rlim_cur > 0x7fffffff ? 0x7fffffff : static_cast<long>(rl.rlim_cur);
}

struct poll_slot {
    fd_ref ref; // held across the wait so that update() sees the same object
    bool hooked = false;
    bool ready_now = false;
};

long hooked_poll(zsock_pollfd *fds, long nfds, int timeout_ms) noexcept {
    constexpr long on_stack = 32;
    zsock_pollfd kfds_small[on_stack];
    poll_slot slots_small[on_stack];
    std::unique_ptr<zsock_pollfd[]> kfds_big;
    std::unique_ptr<poll_slot[]> slots_big;
    zsock_pollfd *kfds = kfds_small;
    poll_slot *slots = slots_small;
    if (nfds > on_stack) {
        kfds_big.reset(new (std::nothrow) zsock_pollfd[nfds]);
        slots_big.reset(new (std::nothrow) poll_slot[nfds]);
        if (!kfds_big || !slots_big) return -ENOMEM;
        kfds = kfds_big.get();
        slots = slots_big.get();
    }

    const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        long ready = 0;
        bool hook_timer = false;
        int64_t hook_ns = 0; // the earliest deadline a hooked object asked for (CLOCK_MONOTONIC)
        for (long i = 0; i < nfds; ++i) {
            kfds[i] = fds[i];
            kfds[i].revents = 0;
            fds[i].revents = 0;
            slots[i] = poll_slot{};
            if (fds[i].fd < 0) continue;
            switch (fd_lookup(fds[i].fd, &slots[i].ref)) {
            case lookup::not_ours:
                continue; // the kernel polls it as it is
            case lookup::closed:
                fds[i].revents = POLLNVAL;
                kfds[i].fd = -1;
                ++ready;
                continue;
            case lookup::found:
                break;
            }
            const auto &hooks = slots[i].ref->vtable->poll;
            if (!hooks.prepare) {
                slots[i].ref.reset();
                continue;
            }
            slots[i].hooked = true;
            short kev = fds[i].events;
            int r = hooks.prepare(slots[i].ref->obj, fds[i].events, &kev);
            if (r < 0) return r;
            if (r > 0) {
                fds[i].revents = static_cast<short>(r);
                slots[i].ready_now = true;
                kfds[i].fd = -1;
                ++ready;
            } else {
                kfds[i].events = kev;
                int64_t ns = 0;
                if (hooks.deadline && hooks.deadline(slots[i].ref->obj, &ns) > 0 &&
                    (!hook_timer || ns < hook_ns)) {
                    hook_timer = true;
                    hook_ns = ns;
                }
            }
        }

        int wait_ms = 0;
        bool cut_by_hook = false; // the wait ends early for an object's timer, not the caller's
        if (!ready) {
            const auto now = clock::now();
            if (timeout_ms < 0) {
                wait_ms = -1;
            } else {
                auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
                wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
            }
            if (hook_timer) {
                // steady_clock is CLOCK_MONOTONIC on Linux, the hooks' clock. At least 1 ms, so
                // that a hook whose time has just come cannot make this loop spin.
                auto due = clock::time_point(std::chrono::nanoseconds(hook_ns));
                auto in = std::chrono::ceil<std::chrono::milliseconds>(due - now).count();
                int hook_ms = in < 1 ? 1 : (in > 0x7fffffff ? 0x7fffffff : static_cast<int>(in));
                if (wait_ms < 0 || hook_ms < wait_ms) {
                    wait_ms = hook_ms;
                    cut_by_hook = true;
                }
            }
        }
        long n = kernel_poll(kfds, static_cast<unsigned long>(nfds), wait_ms);
        if (n < 0) return n;

        long count = 0;
        for (long i = 0; i < nfds; ++i) {
            if (slots[i].ready_now || fds[i].revents == POLLNVAL) {
                count += fds[i].revents != 0;
                continue;
            }
            if (kfds[i].fd < 0) continue;
            if (slots[i].hooked) {
                short rev = 0;
                int r = slots[i].ref->vtable->poll.update(slots[i].ref->obj, fds[i].events,
                                                          kfds[i].revents, &rev);
                if (r < 0 && r != -EAGAIN) return r;
                fds[i].revents = r == -EAGAIN ? 0 : rev;
            } else {
                fds[i].revents = kfds[i].revents;
            }
            count += fds[i].revents != 0;
        }
        if (count > 0 || (wait_ms == 0 && !cut_by_hook)) return count;
        // Only spurious wake-ups, or an object's timer came due: run the round again (prepare
        // does the timed work) and wait for the time that is left.
    }
}

} // namespace

long fd_poll(zsock_pollfd *fds, long nfds, int timeout_ms) noexcept {
    // The kernel checks nfds against RLIMIT_NOFILE itself (a negative count becomes huge), and
    // the array's pointer.
    if (fd_hooked_count() == 0)
        return kernel_poll(fds, static_cast<unsigned long>(nfds), timeout_ms);
    if (nfds < 0 || nfds > nofile_limit()) return -EINVAL;
    // The hooked path works on a copy taken and given back through the kernel, so that a bad
    // array is EFAULT, as from poll(2), and never a crash in here.
    constexpr long on_stack = 32;
    zsock_pollfd small[on_stack];
    std::unique_ptr<zsock_pollfd[]> big;
    zsock_pollfd *copy = small;
    if (nfds > on_stack) {
        big.reset(new (std::nothrow) zsock_pollfd[nfds]);
        if (!big) return -ENOMEM;
        copy = big.get();
    }
    const size_t bytes = static_cast<size_t>(nfds) * sizeof(zsock_pollfd);
    if (long r = copy_from_caller(copy, fds, bytes); r < 0) return r;
    long n = hooked_poll(copy, nfds, timeout_ms);
    if (n < 0) return n;
    if (long r = copy_to_caller(fds, copy, bytes); r < 0) return r;
    return n;
}

long fd_poll_own(zsock_pollfd *fds, long nfds, int timeout_ms) noexcept {
    if (fd_hooked_count() == 0)
        return kernel_poll(fds, static_cast<unsigned long>(nfds), timeout_ms);
    return hooked_poll(fds, nfds, timeout_ms);
}

} // namespace zsock::core

extern "C" int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout_ms) {
    return zsock::core::c_ret(zsock::core::fd_poll(fds, nfds, timeout_ms));
}
