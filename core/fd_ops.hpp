// core/fd_ops.hpp - internal (negative-errno) forms of the fd-level calls, for the layers above.
#pragma once

#include <cstdint>
#include <sys/types.h>
#include <sys/uio.h>

#include <zsock/socket.h>

#include "core/fd_table.hpp"

namespace zsock::core {

class fd_ref;

long fd_close_any(int fd) noexcept;
/// The rare half of socket_send_result(): a send that took nothing.
long socket_send_failed(const fd_ref &ref, long r, int caller_flags) noexcept;
/// The result of a send or write on a socket object, which went down with MSG_NOSIGNAL: raises
/// SIGPIPE for -EPIPE when the caller did not ask for MSG_NOSIGNAL (`caller_flags`) and no
/// zsock_close() woke the call, then maps a close-woken result to -EINTR (woken_by_close).
inline long socket_send_result(const fd_ref &ref, long r, int caller_flags) noexcept {
    if (r > 0) [[likely]] return r; // data taken: no signal, and a close cannot have woken it
    return socket_send_failed(ref, r, caller_flags);
}
long fd_read(int fd, void *buf, size_t len) noexcept;
long fd_write(int fd, const void *buf, size_t len) noexcept;
long fd_readv(int fd, const iovec *iov, int iovcnt) noexcept;
long fd_writev(int fd, const iovec *iov, int iovcnt) noexcept;
long fd_fcntl(int fd, int cmd, uintptr_t arg) noexcept;
long fd_ioctl(int fd, unsigned long request, uintptr_t arg) noexcept;
/// timeout_ms < 0 waits forever. fds is the caller's: a bad pointer is -EFAULT.
long fd_poll(zsock_pollfd *fds, long nfds, int timeout_ms) noexcept;
/// fd_poll on an array zsock built itself (select's): no checked copies.
long fd_poll_own(zsock_pollfd *fds, long nfds, int timeout_ms) noexcept;
long fd_select(int nfds, zsock_fd_set *r, zsock_fd_set *w, zsock_fd_set *e,
               zsock_timeval *timeout) noexcept;

} // namespace zsock::core
