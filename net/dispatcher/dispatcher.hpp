// net/dispatcher/dispatcher.hpp - the dispatcher's socket object and its choice rules.
//
// socket.cpp holds the object's vtable (every call makes the choice first if it is not made, then
// runs the generic call on the same fd number); choose.cpp holds the rules that make the choice
// and publish the real socket on the number.
#pragma once

#include <atomic>
#include <mutex>
#include <sys/socket.h>
#include <vector>

#include <zsock/offload.h>

namespace zsock::net::dispatcher {

struct buffered_opt {
    int level;
    int name;
    std::vector<char> val;
};

/// The option that makes the choice, applied to the new socket before it is published.
struct choosing_opt {
    int level;
    int name;
    const void *val;
    socklen_t len;
};

struct dispatch_ctx {
    std::mutex mu;
    int fd = -1;
    int family = 0, type = 0, proto = 0; // type with its SOCK_ flags, as given to socket()
    bool kernel_placeholder = false;     // the number is a kernel socket of the same kind
    std::atomic<bool> dispatched{false};
    bool tls_native = false; // TLS_NATIVE set: zsock's TLS makes the socket
    bool nonblock_set = false;
    bool nonblock = false;
    std::vector<buffered_opt> opts;
};

// The dispatcher is creating a real socket on this thread: socket() calls made meanwhile (a
// layered implementation creating its transport) must not come back to it.
/// The dispatcher is creating a real socket on this thread: socket() calls made meanwhile (a
/// layered implementation creating its transport) must not come back to it.
extern thread_local bool t_creating;

inline int base_type(int type) {
    return type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// Options kept until the choice (SO_REUSEADDR, timeouts, buffer sizes, TCP_NODELAY...).
bool bufferable(const dispatch_ctx &c, int level, int name);
/// Checks an option as the kernel would, and keeps it. 0 or -errno.
int buffer_option(dispatch_ctx &c, int level, int name, const void *val, socklen_t len);

/// The choice by priority (native_only: skip offloaded stacks), with the choosing option applied
/// to the new socket before it is published. Called with c.mu held. 0 or -errno (unchanged then).
int dispatch_by_priority(dispatch_ctx &c, bool native_only, const choosing_opt *choosing);
/// The default choice, once, by the first operation that needs a real socket.
int ensure_dispatched(dispatch_ctx &c);
/// setsockopt(SO_BINDTODEVICE) before the choice. Called with c.mu held.
int bind_to_device(dispatch_ctx &c, const void *val, socklen_t len);
/// setsockopt(SOL_TLS, TLS_NATIVE) before the choice. Called with c.mu held.
int tls_native(dispatch_ctx &c, const void *val, socklen_t len);

} // namespace zsock::net::dispatcher
