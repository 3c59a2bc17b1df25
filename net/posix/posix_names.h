/*
 * net/posix/posix_names.h - shared by the sources of libzsock-posix (private).
 *
 * libzsock-posix exports the standard BSD-socket and fd names (socket, recv, read, poll, ...)
 * and the glibc _FORTIFY_SOURCE entry points (__read_chk, ...), each a thin wrapper over the
 * zsock_ function of the same meaning. Linked into a program, or loaded with LD_PRELOAD, it
 * interposes on libc: every socket call of the program (and of the libraries it loads) goes
 * through zsock's fd table, while fds zsock does not own (files, pipes, stdin) reach the kernel
 * unchanged.
 *
 * Every source includes this header first. It pins the feature macros so that the system headers
 * declare exactly the symbols defined here:
 *  - no _FORTIFY_SOURCE: fortify turns read/recv/poll into inline wrappers, which cannot be
 *    redefined;
 *  - no _FILE_OFFSET_BITS/_TIME_BITS: they would rename fcntl (fcntl64) and ioctl behind
 * __REDIRECT, so the definition would export the wrong symbol;
 *  - no _GNU_SOURCE: under it glibc declares the sockaddr arguments as transparent unions, which
 *    a definition with plain pointers would conflict with.
 */
#ifndef ZSOCK_NET_POSIX_NAMES_H
#define ZSOCK_NET_POSIX_NAMES_H

#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _GNU_SOURCE

#include <errno.h>

#include <zsock/socket.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "zsock_fd_set shares fd_set's bytes only on little-endian machines"
#endif
#if !defined(__LP64__)
#error "libzsock-posix supports 64-bit Linux only (fcntl64/time64 renames are not handled)"
#endif

/* The exported names; everything else in the library stays hidden. */
#define ZSOCK_POSIX_EXPORT __attribute__((visibility("default")))

/*
 * ZSOCK_POSIX_ANCHOR(file) - one symbol per source file, named in zsock_posix_static's link options
 * (LINKER:--undefined=zsock_posix_anchor_<file>, ZsockLibraries.cmake), so that a static link
 * takes every object of libzsock-posix.a, not only those the program happens to call:
 *  - the program's own call to socket() must not leave close() and read() to glibc for the
 *    libraries it loads;
 *  - a shared library earlier on the link line that defines the same names (a sanitizer runtime's
 *    interceptors) would otherwise satisfy the program's references before the archive is read.
 * Hidden in the shared library, where nothing needs it.
 */
#define ZSOCK_POSIX_ANCHOR(file) const char zsock_posix_anchor_##file = 0

/*
 * ZSOCK_POSIX_RETURN(type, call) - returns call's result, keeping the caller's errno on success.
 *
 * glibc's wrappers write errno only on failure, and programs rely on that (errno checked after a
 * sequence of calls). zsock sets errno on failure too, but its success paths may run code that
 * touches errno (logging, allocation), so the wrapper restores it: a load and a store, no branch
 * on the hot path beyond the sign test.
 */
#define ZSOCK_POSIX_RETURN(type, call)                                                             \
    do {                                                                                           \
        int saved_errno_ = errno;                                                                  \
        type result_ = (call);                                                                     \
        if (result_ >= 0) errno = saved_errno_;                                                    \
        return result_;                                                                            \
    } while (0)

#endif /* ZSOCK_NET_POSIX_NAMES_H */
