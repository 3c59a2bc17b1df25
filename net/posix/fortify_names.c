/*
 * net/posix/fortify_names.c - glibc's _FORTIFY_SOURCE entry points for the socket and fd calls.
 *
 * A program built with -D_FORTIFY_SOURCE (Debian and Ubuntu build packages that way) calls
 * __read_chk instead of read when the compiler knows the buffer's size, and likewise __recv_chk,
 * __recvfrom_chk and __poll_chk. Without these, such calls would go to glibc and bypass zsock.
 * Each checks the length against the buffer the compiler saw, exactly as glibc 2.36 does
 * (__chk_fail: "buffer overflow detected", SIGABRT), then does the plain call through zsock.
 *
 * Not interposed: __ppoll_chk (ppoll is not a zsock name) and __fdelt_chk (FD_SET's range check,
 * no I/O).
 */
#include "posix_names.h"

#include <poll.h>
#include <unistd.h>

ZSOCK_POSIX_ANCHOR(fortify_names);

/* glibc's overflow reporter (exported since GLIBC_2.3.4; not declared by the public headers). */
extern void __chk_fail(void) __attribute__((noreturn));

ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *addrlen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);

ZSOCK_POSIX_EXPORT ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen) {
    if (nbytes > buflen) __chk_fail();
    ZSOCK_POSIX_RETURN(ssize_t, zsock_read(fd, buf, nbytes));
}

ZSOCK_POSIX_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags) {
    if (len > buflen) __chk_fail();
    ZSOCK_POSIX_RETURN(ssize_t, zsock_recv(fd, buf, len, flags));
}

ZSOCK_POSIX_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                          struct sockaddr *addr, socklen_t *addrlen) {
    if (len > buflen) __chk_fail();
    ZSOCK_POSIX_RETURN(ssize_t, zsock_recvfrom(fd, buf, len, flags, addr, addrlen));
}

ZSOCK_POSIX_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen) {
    if (fdslen / sizeof(*fds) < nfds) __chk_fail();
    /* poll() itself is exported by fd_names.c; call it directly rather than through the PLT. */
    if (nfds > (nfds_t)0x7fffffff) {
        errno = EINVAL;
        return -1;
    }
    ZSOCK_POSIX_RETURN(int, zsock_poll((struct zsock_pollfd *)fds, (int)nfds, timeout));
}
