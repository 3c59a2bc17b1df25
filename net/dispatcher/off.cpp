// net/dispatcher/off.cpp - the dispatcher's entry points when zsock is built without it
// (ZSOCK_WITH_DISPATCHER=OFF): they exist, so that programs link, and say it is not there.
#include <cerrno>

#include <zsock/offload.h>

#include "net/dispatch_settle.hpp"

namespace zsock::net {
int dispatch_settle(int) noexcept {
    return 0; // no dispatcher sockets without the dispatcher
}
} // namespace zsock::net

extern "C" {
int zsock_dispatcher_enable(void) {
    return -EOPNOTSUPP;
}
int zsock_dispatcher_disable(void) {
    return -ENOENT;
}
}
