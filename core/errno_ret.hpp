// core/errno_ret.hpp - the one place where an internal -errno becomes POSIX's -1 + errno.
#pragma once

#include <cerrno>
#include <sys/types.h>

namespace zsock::core {

inline int c_ret(long r) noexcept {
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    return static_cast<int>(r);
}

inline ssize_t c_ret_size(long r) noexcept {
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    return static_cast<ssize_t>(r);
}

} // namespace zsock::core
