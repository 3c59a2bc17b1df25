// net/dispatch_settle.hpp - making a dispatcher socket's choice before an event loop takes it.
//
// An undecided dispatcher socket's number is held by a placeholder descriptor; the choice moves
// the real socket's descriptor onto that number (dup3) unless the choice is the native socket the
// placeholder already is. A readiness engine that registered the placeholder (epoll) would keep
// watching a file that no longer exists, so the coroutine types settle a socket before they
// attach it.
#pragma once

namespace zsock::net {

/// If fd is a dispatcher socket whose implementation is not chosen yet, makes the default choice
/// now, as its first operation would. Returns 0 (also for every other fd), or the -errno of a
/// choice that failed (the socket is then still undecided).
int dispatch_settle(int fd) noexcept;

} // namespace zsock::net
