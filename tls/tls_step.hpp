// tls/tls_step.hpp - nonblocking steps of TLS calls that the C API completes in one (possibly
// blocking) call, for event loops (coro/) that must never block their thread.
//
// Plain declarations: no mbedTLS header, so that callers above the TLS layer include it freely.
#pragma once

namespace zsock::tls {

/// shutdown(fd, SHUT_WR) on a TLS stream socket, one nonblocking step at a time: flushes what
/// an earlier record left unsent, sends close_notify, and once the alert is out shuts the
/// transport's write side (so the FIN never cuts a record in half).
/// Returns 0 when done; -EAGAIN when the transport is full (wait until the fd polls writable,
/// then call again); -EBADF for a closed fd; -ENOTSOCK when fd is not a zsock socket;
/// -EPROTOTYPE when it is a socket but not a TLS stream socket; else the transport's -errno.
/// A session that never finished its handshake, or failed, sends no alert: the transport is
/// shut at once, as shutdown(SHUT_WR) does.
int shutdown_write_step(int fd) noexcept;

} // namespace zsock::tls
