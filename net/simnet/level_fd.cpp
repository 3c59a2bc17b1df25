// net/simnet/level_fd.cpp - readiness levels on one end of a socketpair.
#include "net/simnet/level_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>

#include "core/sys.hpp"

namespace zsock::simnet {
namespace {

namespace sys = zsock::sys;

constexpr int io_flags = MSG_DONTWAIT | MSG_NOSIGNAL;

int make_pair(bool cloexec, int *a, int *b) noexcept {
    int sv[2];
    long r =
        sys::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | (cloexec ? SOCK_CLOEXEC : 0), 0, sv);
    if (r < 0) return static_cast<int>(r);
    // The smallest send allowance the kernel takes (it raises 1 to its minimum), so that using
    // it up to clear POLLOUT costs one or two small writes.
    int one = 1;
    sys::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
    // The private end is never inherited by exec'd programs.
    if (!cloexec) sys::fcntl(sv[1], F_SETFD, FD_CLOEXEC);
    *a = sv[0];
    *b = sv[1];
    return 0;
}

void drain(int fd) noexcept {
    char buf[4096];
    while (sys::recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr) > 0) {
    }
}

} // namespace

int level_fd::open(bool cloexec) noexcept {
    return make_pair(cloexec, &a_, &b_);
}

int level_fd::renew() noexcept {
    long fdflags = sys::fcntl(a_, F_GETFD, 0);
    if (fdflags < 0) return static_cast<int>(fdflags);
    int a = -1, b = -1;
    if (int r = make_pair(true, &a, &b); r < 0) return r;
    long r = sys::dup3(a, a_, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
    sys::close(a);
    if (r < 0) {
        sys::close(b);
        return static_cast<int>(r);
    }
    sys::close(b_);
    b_ = b;
    readable_ = false;
    writable_ = true;
    rd_shut_ = wr_shut_ = false;
    return 0;
}

void level_fd::set_readable(bool on) noexcept {
    if (a_ < 0 || rd_shut_ || on == readable_) return;
    char c = 0;
    if (on) {
        if (sys::sendto(b_, &c, 1, io_flags, nullptr, 0) != 1) return;
    } else {
        sys::recvfrom(a_, &c, 1, MSG_DONTWAIT, nullptr, nullptr);
    }
    readable_ = on;
}

void level_fd::set_writable(bool on) noexcept {
    if (a_ < 0 || wr_shut_ || on == writable_) return;
    if (on) {
        drain(b_);
    } else {
        static const char zeros[4096] = {};
        // Bounded: the allowance is a few kilobytes.
        for (int i = 0; i < 64; ++i)
            if (sys::sendto(a_, zeros, sizeof zeros, io_flags, nullptr, 0) < 0) break;
    }
    writable_ = on;
}

void level_fd::shut_read() noexcept {
    if (a_ < 0 || rd_shut_) return;
    sys::shutdown(a_, SHUT_RD);
    rd_shut_ = true;
}

void level_fd::shut_write() noexcept {
    if (a_ < 0 || wr_shut_) return;
    set_writable(true); // a shut send side is always writable, as TCP's is
    sys::shutdown(a_, SHUT_WR);
    wr_shut_ = true;
}

void level_fd::close_private() noexcept {
    if (b_ >= 0) sys::close(b_);
    b_ = -1;
    a_ = -1;
}

} // namespace zsock::simnet
