// zsock/detail/config.hpp - what every zsock C++ header needs: the export macro and the C API.
#pragma once

#include <zsock/socket.h> // ZSOCK_API, sockaddr, msghdr

namespace zsock::core {
class io_engine; // the run loop of one event_loop (private, core/io_engine.hpp)
struct io_desc;  // a descriptor attached to an engine (private; starts with io_desc_head)
} // namespace zsock::core

namespace zsock::detail {
struct io_op;
/// The public first member of every engine descriptor: the engine it is attached to, and the
/// engine's entry point for starting an operation on it (one indirect call from the awaiter).
struct io_desc_head {
    core::io_engine *engine = nullptr;
    bool (*start)(io_op &op) noexcept = nullptr;
};
} // namespace zsock::detail
