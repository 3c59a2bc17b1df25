// coro/poll_awaiter.hpp - waiting for readiness of an attached descriptor (eventfds of signal
// sets and resolver jobs). Result: the revents, or a negative errno.
#pragma once

#include <poll.h>

#include <zsock/detail/io_op.hpp>

namespace zsock::detail {

class poll_awaiter : public io_awaitable<poll_awaiter> {
public:
    poll_awaiter(core::io_desc *d, short events) noexcept {
        op_.desc = d;
        op_.code = op_code::poll;
        op_.events = events;
    }
    long await_resume() noexcept { return finish(); }
};

} // namespace zsock::detail
