// core/user_mem.hpp - copying a caller's arrays without trusting the caller's pointers.
//
// Where zsock stands in for a system call that reads or writes the caller's memory (poll's
// pollfd array, select's sets and timeval) but cannot hand that memory to the kernel as it is,
// it copies it in and out through the kernel, with process_vm_readv/writev on its own process.
// A bad pointer then fails with EFAULT, exactly as the system call would, instead of crashing
// inside zsock. Where the kernel refuses those calls (ENOSYS, or EPERM from a seccomp filter),
// plain copies are made, and a bad pointer faults as it would in any libc function.
#pragma once

#include <cstddef>

namespace zsock::core {

/// Copies n bytes from the caller's src into zsock's dst. Returns 0 or -EFAULT (-ENOMEM).
long copy_from_caller(void *dst, const void *src, size_t n) noexcept;

/// Copies n bytes from zsock's src into the caller's dst. Returns 0 or -EFAULT (-ENOMEM); on
/// failure the bytes before the first inaccessible one may have been written.
long copy_to_caller(void *dst, const void *src, size_t n) noexcept;

} // namespace zsock::core
