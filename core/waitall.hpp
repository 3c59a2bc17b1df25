// core/waitall.hpp - MSG_WAITALL on top of nonblocking reads, for the event loops.
//
// A blocking recv with MSG_WAITALL waits for the whole length; a nonblocking one returns what is
// there. An event loop that honours the flag therefore reads, waits, and reads again into the
// rest of the caller's buffer. Between attempts the bytes taken so far live in the operation
// itself (op.result, marked by op.aux == aux_waitall), so a cancellation or a deadline returns
// them instead of an error: bytes that left the socket are never lost.
#pragma once

#include <cerrno>
#include <cstddef>
#include <memory>
#include <new>
#include <sys/socket.h>
#include <sys/uio.h>

#include <zsock/detail/io_op.hpp>

namespace zsock::core {

/// One attempt of a MSG_WAITALL stream read (op.code recv or recvmsg). `read_once(buf, len, m,
/// flags)` is the nonblocking call: for recv it gets the rest of the buffer (m null), for recvmsg
/// a msghdr whose iovecs start where the bytes so far end (the caller's msghdr is not touched,
/// except that its msg_namelen, msg_controllen and msg_flags report the last read, as recvmsg
/// does). flags are op.flags without MSG_WAITALL, plus MSG_DONTWAIT.
/// Returns the bytes read in all (the whole length, or less at the end of stream or before an
/// error), an error if nothing was read, or -EAGAIN: wait for readability and call again.
template <class ReadOnce>
long waitall_attempt(detail::io_op &op, ReadOnce &&read_once) noexcept {
    if (op.aux != detail::aux_waitall) {
        op.aux = detail::aux_waitall;
        op.result = 0;
    }
    auto done = static_cast<std::size_t>(op.result);
    const int flags = (op.flags & ~MSG_WAITALL) | MSG_DONTWAIT;
    for (;;) {
        long r;
        std::size_t want = 0;
        if (op.code == detail::op_code::recv) {
            want = op.len;
            r = read_once(static_cast<char *>(op.buf) + done, op.len - done, nullptr, flags);
        } else {
            const std::size_t iovlen = op.msg->msg_iovlen;
            iovec small[16];
            std::unique_ptr<iovec[]> big;
            iovec *rest = small;
            if (iovlen > 16 && iovlen <= UIO_MAXIOV) {
                big.reset(new (std::nothrow) iovec[iovlen]);
                if (!big) return done > 0 ? static_cast<long>(done) : -ENOMEM;
                rest = big.get();
            }
            msghdr m = *op.msg;
            if (iovlen <= 16 || big) { // else the kernel's EMSGSIZE, from the caller's msghdr
                std::size_t skip = done;
                std::size_t n = 0;
                for (std::size_t i = 0; i < iovlen; ++i) {
                    const iovec v = op.msg->msg_iov[i];
                    want += v.iov_len;
                    if (skip >= v.iov_len) {
                        skip -= v.iov_len;
                        continue;
                    }
                    rest[n++] = {static_cast<char *>(v.iov_base) + skip, v.iov_len - skip};
                    skip = 0;
                }
                m.msg_iov = rest;
                m.msg_iovlen = n;
            }
            r = read_once(nullptr, 0, &m, flags);
            if (r >= 0) {
                op.msg->msg_namelen = m.msg_namelen;
                op.msg->msg_controllen = m.msg_controllen;
                op.msg->msg_flags = m.msg_flags;
            }
        }
        if (r == -EAGAIN) {
            op.result = static_cast<long>(done);
            return r;
        }
        if (r <= 0) return done > 0 ? static_cast<long>(done) : r; // end of stream, or error
        done += static_cast<std::size_t>(r);
        if (done >= want) return static_cast<long>(done);
    }
}

} // namespace zsock::core
