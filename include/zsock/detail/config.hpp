// zsock/detail/config.hpp - what every zsock C++ header needs: the export macro and the C API.
#pragma once

#include <zsock/socket.h> // ZSOCK_API, sockaddr, msghdr

namespace zsock::core {
class io_engine; // the run loop of one event_loop (private, core/io_engine.hpp)
struct io_desc;  // a descriptor attached to an engine (private)
} // namespace zsock::core
