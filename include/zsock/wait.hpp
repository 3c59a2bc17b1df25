// zsock/wait.hpp - waiting until a socket is ready, without reading or writing.
//
//   co_await s.wait(zsock::wait_type::readable);   // a recv now would not wait
//   auto buf = pool.take();                        // so a buffer is needed only from here on
//   auto n = co_await s.recv(buf.data(), buf.size());
//
// What Asio's async_wait and a poll() loop give: a server with many mostly idle connections
// waits without a buffer per connection, and borrows one only once bytes are there.
//
// Readiness, as poll(2) means it:
//   readable: bytes are there to read, the peer ended the stream, or an error is pending; a TLS
//             stream is readable when decrypted application data is held (records that carry
//             none do not wake it);
//   writable: a send would take at least one byte, or fail at once.
// A wait consumes nothing, and on both engines it waits in line with the reads (or sends) of the
// same object: a recv that started before the wait is served first, and the wait then sees only
// what is left. Results: success, or the error that ended the wait (operation_canceled after
// close() or a cancellation, timed_out after .with_timeout()).
#pragma once

#include <poll.h>

#include <zsock/detail/io_op.hpp>
#include <zsock/error.hpp>
#include <zsock/result.hpp>

namespace zsock {

enum class wait_type : short { readable = POLLIN, writable = POLLOUT };

namespace detail {

/// A readiness wait on an attached descriptor: op_code::poll for one direction.
class wait_awaiter : public io_awaitable<wait_awaiter> {
public:
    wait_awaiter(core::io_desc *d, wait_type what) noexcept {
        op_.desc = d;
        op_.code = op_code::poll;
        op_.events = static_cast<short>(what);
    }
    wait_awaiter(wait_awaiter &&) noexcept = default;
    result<void> await_resume() noexcept {
        long r = finish();
        if (r < 0) return errno_code(r);
        return {};
    }
};

} // namespace detail
} // namespace zsock
