// core/select.cpp - zsock_select and the zsock_fd_set helpers.
//
// zsock_fd_set has the kernel's fd_set layout (1024 bits), so while no hooked object exists the
// sets go straight to the kernel's select. Otherwise select is built on zsock_poll with the
// kernel's own mapping: POLLIN/POLLHUP/POLLERR make an fd readable, POLLOUT/POLLERR writable,
// POLLPRI exceptional, and an fd that is not open fails the call with EBADF.
// Unlike Zephyr, nfds is honoured (Linux does); nfds beyond ZSOCK_FD_SETSIZE is refused with
// EINVAL instead of reading past the caller's sets.
#include <chrono>
#include <memory>
#include <new>
#include <poll.h>
#include <sys/select.h>

#include "core/errno_ret.hpp"
#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/sys.hpp"
#include "core/user_mem.hpp"

namespace zsock::core {
namespace {

static_assert(sizeof(zsock_fd_set) == sizeof(fd_set));
static_assert(sizeof(zsock_timeval) == sizeof(timeval));

constexpr short in_set = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
constexpr short out_set = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
constexpr short ex_set = POLLPRI;

bool test_bit(const zsock_fd_set *s, int fd) {
    return s && (s->bitset[fd / 32] >> (fd % 32)) & 1u;
}
void put_bit(zsock_fd_set *s, int fd) { s->bitset[fd / 32] |= 1u << (fd % 32); }

long kernel_select(int nfds, zsock_fd_set *r, zsock_fd_set *w, zsock_fd_set *e,
                   zsock_timeval *tv) noexcept {
#ifdef SYS_select
    return sys::call(SYS_select, nfds, r, w, e, tv, 0);
#else
    timespec ts{};
    timespec *tsp = nullptr;
    if (tv) {
        if (tv->tv_sec < 0 || tv->tv_usec < 0) return -EINVAL;
        ts.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
        ts.tv_nsec = (tv->tv_usec % 1000000) * 1000;
        tsp = &ts;
    }
    long n = sys::pselect6(nfds, r, w, e, tsp);
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return n;
#endif
}

int timeout_ms_of(const zsock_timeval *tv) {
    if (!tv) return -1;
    long long ms = static_cast<long long>(tv->tv_sec) * 1000 + (tv->tv_usec + 999) / 1000;
    return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms); // caps, never overflows
}

long hooked_select(int nfds, zsock_fd_set *r, zsock_fd_set *w, zsock_fd_set *e,
                   zsock_timeval *tv) noexcept {
    // As the kernel does: read and write only the first nfds bits of each set, rounded up to
    // whole 64-bit words (a caller may pass smaller sets with a small nfds, and keeps the bits
    // past them), and through the kernel, so that a bad pointer is EFAULT and never a crash.
    const size_t set_bytes = (static_cast<size_t>(nfds) + 63) / 64 * 8;
    zsock_timeval t{};
    if (tv) {
        if (long c = copy_from_caller(&t, tv, sizeof t); c < 0) return c;
        if (t.tv_sec < 0 || t.tv_usec < 0) return -EINVAL;
    }
    zsock_fd_set *user[3] = {r, w, e};
    zsock_fd_set in[3]{};
    const zsock_fd_set *want[3] = {};
    for (int k = 0; k < 3; ++k) {
        if (!user[k]) continue;
        if (long c = copy_from_caller(&in[k], user[k], set_bytes); c < 0) return c;
        want[k] = &in[k];
    }

    int count = 0;
    for (int fd = 0; fd < nfds; ++fd)
        count += test_bit(want[0], fd) || test_bit(want[1], fd) || test_bit(want[2], fd);
    std::unique_ptr<zsock_pollfd[]> pfds(new (std::nothrow) zsock_pollfd[count ? count : 1]);
    if (!pfds) return -ENOMEM;
    int n = 0;
    for (int fd = 0; fd < nfds; ++fd) {
        short ev = 0;
        if (test_bit(want[0], fd)) ev |= POLLIN;
        if (test_bit(want[1], fd)) ev |= POLLOUT;
        if (test_bit(want[2], fd)) ev |= POLLPRI;
        if (ev) pfds[n++] = zsock_pollfd{fd, ev, 0};
    }
    // poll() reports POLLHUP and POLLERR whatever was asked, but Linux's select asks each fd only
    // about the conditions of its sets: a hung-up fd watched for exceptions alone is not ready,
    // and select goes on waiting. So when poll woke for nothing the caller asked about, wait
    // again for the time left, without the fds that woke it (their state sticks: polling them
    // again would return at once).
    std::unique_ptr<int[]> fdnum(new (std::nothrow) int[count ? count : 1]);
    if (!fdnum) return -ENOMEM;
    for (int i = 0; i < n; ++i) fdnum[i] = pfds[i].fd;
    const int timeout_ms = timeout_ms_of(tv ? &t : nullptr);
    const auto start = std::chrono::steady_clock::now();
    zsock_fd_set out[3]{};
    long bits = 0;
    long got;
    for (;;) {
        int wait_ms = timeout_ms;
        if (timeout_ms > 0) {
            auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
            wait_ms = spent >= timeout_ms ? 0 : timeout_ms - static_cast<int>(spent);
        }
        got = fd_poll_own(pfds.get(), n, wait_ms);
        if (got <= 0) break;
        for (int i = 0; i < n; ++i)
            if (pfds[i].revents & POLLNVAL) got = -EBADF;
        if (got < 0) break;
        for (int i = 0; i < n; ++i) {
            int fd = fdnum[i];
            short rev = pfds[i].revents;
            if (test_bit(want[0], fd) && (rev & in_set)) put_bit(&out[0], fd), ++bits;
            if (test_bit(want[1], fd) && (rev & out_set)) put_bit(&out[1], fd), ++bits;
            if (test_bit(want[2], fd) && (rev & ex_set)) put_bit(&out[2], fd), ++bits;
        }
        if (bits > 0) break;
        if (wait_ms == 0) {
            got = 0;
            break;
        }
        for (int i = 0; i < n; ++i)
            if (pfds[i].revents) pfds[i].fd = -1;
    }
    if (tv) { // Linux writes the time left back, whatever the result
        auto spent = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
        long long left = static_cast<long long>(t.tv_sec) * 1000000 + t.tv_usec - spent;
        if (left < 0 || got == 0) left = 0; // a timeout leaves nothing
        t.tv_sec = static_cast<time_t>(left / 1000000);
        t.tv_usec = static_cast<suseconds_t>(left % 1000000);
        copy_to_caller(tv, &t, sizeof t); // a read-only timeval is no error (as in Linux)
    }
    if (got < 0) return got;

    for (int k = 0; k < 3; ++k) {
        if (!user[k]) continue;
        if (long c = copy_to_caller(user[k], &out[k], set_bytes); c < 0) return c;
    }
    return bits;
}

} // namespace

long fd_select(int nfds, zsock_fd_set *r, zsock_fd_set *w, zsock_fd_set *e,
               zsock_timeval *tv) noexcept {
    if (nfds < 0 || nfds > ZSOCK_FD_SETSIZE) return -EINVAL;
    if (fd_hooked_count() == 0) return kernel_select(nfds, r, w, e, tv);
    return hooked_select(nfds, r, w, e, tv);
}

} // namespace zsock::core

extern "C" {

int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds,
                 zsock_fd_set *exceptfds, struct zsock_timeval *timeout) {
    return zsock::core::c_ret(zsock::core::fd_select(nfds, readfds, writefds, exceptfds, timeout));
}

void zsock_fd_zero(zsock_fd_set *set) { *set = zsock_fd_set{}; }
void zsock_fd_set_bit(int fd, zsock_fd_set *set) {
    if (fd >= 0 && fd < ZSOCK_FD_SETSIZE) set->bitset[fd / 32] |= 1u << (fd % 32);
}
void zsock_fd_clr(int fd, zsock_fd_set *set) {
    if (fd >= 0 && fd < ZSOCK_FD_SETSIZE) set->bitset[fd / 32] &= ~(1u << (fd % 32));
}
int zsock_fd_isset(int fd, const zsock_fd_set *set) {
    return fd >= 0 && fd < ZSOCK_FD_SETSIZE && ((set->bitset[fd / 32] >> (fd % 32)) & 1u);
}

} // extern "C"
