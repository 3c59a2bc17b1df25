// net/simnet/level_fd.hpp - a kernel descriptor whose poll readiness a user-space object sets.
//
// A user-space socket needs a kernel descriptor that poll, select, epoll and io_uring can wait on,
// and that descriptor must say exactly what the socket can do. An eventfd cannot: it has one
// counter, so it can be readable or writable but never neither, and a TCP-like socket whose send
// window is full and whose receive buffer is empty is neither. One end of an AF_UNIX socketpair
// can say all of it, with levels the kernel keeps:
//   POLLIN          one byte queued on it (written from the other end), or its read side shut;
//   POLLOUT         its send allowance not used up (we fill it to clear POLLOUT, drain to set it);
//   POLLRDHUP       its read side shut (permanent, like a TCP FIN);
//   POLLHUP         both sides shut (permanent, like a closed TCP connection).
// The object keeps the other end. Levels are set under the owner's lock and only on changes,
// so there is no lost wake-up whatever number of threads or engines wait on the descriptor.
#pragma once

namespace zsock::simnet {

class level_fd {
public:
    level_fd() = default;
    level_fd(const level_fd &) = delete;
    level_fd &operator=(const level_fd &) = delete;
    ~level_fd() { close_private(); }

    /// Creates the pair: the descriptor starts writable, not readable. Returns 0 or -errno.
    int open(bool cloexec) noexcept;
    /// Rebuilds the pair on the same number (dup3), back to the fresh state: a socket reused
    /// after its connection failed, whose shut levels could not be undone otherwise.
    int renew() noexcept;
    bool is_open() const noexcept { return a_ >= 0; }
    /// The descriptor with the levels: the object's fd number.
    int fd() const noexcept { return a_; }
    /// The fd table moved the descriptor to another number (ZSOCK_IOCTL_FD_MOVED).
    void moved_to(int fd) noexcept { a_ = fd; }

    void set_readable(bool on) noexcept;
    void set_writable(bool on) noexcept;
    void shut_read() noexcept;  // POLLIN | POLLRDHUP from now on
    void shut_write() noexcept; // POLLOUT from now on; POLLHUP once the read side is shut too

    /// Closes the private end; the caller (the fd table) closes fd().
    void close_private() noexcept;

private:
    int a_ = -1;
    int b_ = -1;
    bool readable_ = false;
    bool writable_ = true;
    bool rd_shut_ = false;
    bool wr_shut_ = false;
};

} // namespace zsock::simnet
