// core/user_mem.cpp - kernel-checked copies of the caller's memory.
#include "core/user_mem.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sys/uio.h>

#include "core/sys.hpp"

namespace zsock::core {
namespace {

// process_vm_readv/writev may stop short at the first inaccessible byte: go on from there, so a
// short count either completes or ends in the kernel's EFAULT.
long vm_copy(bool to_caller, void *caller, void *ours, size_t n) noexcept {
    const long pid = sys::getpid(); // not cached: a forked child has its own
    auto *c = static_cast<char *>(caller);
    auto *o = static_cast<char *>(ours);
    size_t done = 0;
    while (done < n) {
        iovec local{o + done, n - done};
        iovec remote{c + done, n - done};
        long r = to_caller ? sys::process_vm_writev(pid, &local, 1, &remote, 1)
                           : sys::process_vm_readv(pid, &local, 1, &remote, 1);
        if (r == -ENOSYS || r == -EPERM) { // not allowed here: trust the pointer, as libc does
            if (to_caller) std::memcpy(c + done, o + done, n - done);
            else std::memcpy(o + done, c + done, n - done);
            return 0;
        }
        if (r == 0) return -EFAULT;
        if (r < 0) return r == -ENOMEM ? r : -EFAULT;
        done += static_cast<size_t>(r);
    }
    return 0;
}

} // namespace

long copy_from_caller(void *dst, const void *src, size_t n) noexcept {
    return vm_copy(false, const_cast<void *>(src), dst, n);
}

long copy_to_caller(void *dst, const void *src, size_t n) noexcept {
    return vm_copy(true, dst, const_cast<void *>(src), n);
}

} // namespace zsock::core
