/*
 * net/posix/fd_names.c - the fd-level names: close, read, write, readv, writev, poll, select,
 * fcntl (and glibc's fcntl64), ioctl.
 *
 * These take any fd. zsock's own fds go to their objects; every other fd (a file, a pipe, stdin,
 * an epoll or eventfd descriptor) goes to the kernel with its arguments unchanged, so results and
 * errno values are the kernel's. errno is left untouched on success.
 */
#include "posix_names.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <unistd.h>

ZSOCK_POSIX_ANCHOR(fd_names);

_Static_assert(sizeof(struct pollfd) == sizeof(struct zsock_pollfd), "pollfd layout");
_Static_assert(sizeof(fd_set) == sizeof(zsock_fd_set), "fd_set layout");
_Static_assert(sizeof(struct timeval) == sizeof(struct zsock_timeval), "timeval layout");

/* Declared by <fcntl.h> only under _LARGEFILE64_SOURCE. */
int fcntl64(int fd, int cmd, ...);

ZSOCK_POSIX_EXPORT int close(int fd) {
    ZSOCK_POSIX_RETURN(int, zsock_close(fd));
}

ZSOCK_POSIX_EXPORT ssize_t read(int fd, void *buf, size_t len) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_read(fd, buf, len));
}

ZSOCK_POSIX_EXPORT ssize_t write(int fd, const void *buf, size_t len) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_write(fd, buf, len));
}

ZSOCK_POSIX_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_readv(fd, iov, iovcnt));
}

ZSOCK_POSIX_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_writev(fd, iov, iovcnt));
}

/*
 * poll - nfds is an nfds_t (unsigned long) here and an int in zsock_poll. A count that does not
 * fit an int is far above any RLIMIT_NOFILE, for which the kernel answers EINVAL: so does this,
 * instead of letting the count wrap.
 */
ZSOCK_POSIX_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
    if (nfds > (nfds_t)INT_MAX) {
        errno = EINVAL;
        return -1;
    }
    ZSOCK_POSIX_RETURN(int, zsock_poll((struct zsock_pollfd *)fds, (int)nfds, timeout));
}

/* select - fd_set and timeval share zsock_fd_set's and zsock_timeval's bytes. */
ZSOCK_POSIX_EXPORT int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                              struct timeval *timeout) {
    ZSOCK_POSIX_RETURN(int,
                       zsock_select(nfds, (zsock_fd_set *)readfds, (zsock_fd_set *)writefds,
                                    (zsock_fd_set *)exceptfds, (struct zsock_timeval *)timeout));
}

/*
 * fcntl - variadic, like glibc's: the optional third argument is an int (F_SETFL, F_DUPFD, ...)
 * or a pointer (F_GETLK, F_SETOWN_EX, ...). glibc reads it as one pointer-sized value whether or
 * not the caller passed one, and the kernel takes the int commands from the low 32 bits; reading
 * it the same way hands the kernel exactly what glibc would.
 */
ZSOCK_POSIX_EXPORT int fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    ZSOCK_POSIX_RETURN(int, zsock_fcntl(fd, cmd, arg));
}

/* glibc 2.28+: the same function under its large-file name (programs built with
 * _FILE_OFFSET_BITS=64 call it). */
ZSOCK_POSIX_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* ioctl - variadic; the argument (int * for FIONBIO/FIONREAD, else request-specific) is passed on
 * as one pointer-sized value, as glibc does. */
ZSOCK_POSIX_EXPORT int ioctl(int fd, unsigned long request, ...) {
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    ZSOCK_POSIX_RETURN(int, zsock_ioctl(fd, request, arg));
}
