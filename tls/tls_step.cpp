// tls/tls_step.cpp - nonblocking steps of TLS calls, for event loops (see tls_step.hpp).
#include "tls/tls_step.hpp"

#include <cerrno>

#include "core/fd_table.hpp"
#include "tls/tls_socket.hpp"

namespace zsock::tls {

int shutdown_write_step(int fd) noexcept {
    core::fd_ref ref;
    switch (core::fd_lookup(fd, &ref)) {
    case core::lookup::closed:
        return -EBADF;
    case core::lookup::not_ours:
        return -ENOTSOCK;
    case core::lookup::found:
        break;
    }
    if (ref->vtable != &tls_vtable) return -EPROTOTYPE;
    auto &t = *static_cast<tls_socket *>(ref->obj);
    if (t.is_dtls()) return -EPROTOTYPE;
    {
        std::lock_guard lock(t.mu);
        if (t.listening) return -ENOTCONN;
        t.write_shut = true; // send() fails with EPIPE from the first step on
        if (t.sess) {
            int r = close_notify_step(*t.sess);
            if (r == -EAGAIN) return r;
            // Any other failure: the alert cannot go out; shut the transport all the same, as
            // the blocking shutdown() does.
        }
    }
    // The reference keeps the object alive while the lock is not held.
    return t.ivt->shutdown ? t.ivt->shutdown(t.inner, SHUT_WR) : -EOPNOTSUPP;
}

} // namespace zsock::tls
