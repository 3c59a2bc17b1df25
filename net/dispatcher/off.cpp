// net/dispatcher/off.cpp - the dispatcher's entry points when zsock is built without it
// (ZSOCK_WITH_DISPATCHER=OFF): they exist, so that programs link, and say it is not there.
#include <cerrno>

#include <zsock/offload.h>

extern "C" {
int zsock_dispatcher_enable(void) {
    return -EOPNOTSUPP;
}
int zsock_dispatcher_disable(void) {
    return -ENOENT;
}
}
