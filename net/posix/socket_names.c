/*
 * net/posix/socket_names.c - the standard socket calls, each over its zsock_ function.
 *
 * socket, socketpair, bind, connect, listen, accept, accept4, shutdown, send, sendto, sendmsg,
 * recv, recvfrom, recvmsg, getsockopt, setsockopt, getpeername, getsockname.
 *
 * Contract: the glibc prototype, the kernel's results and errno values (zsock passes the call to
 * the kernel for native sockets and for fds it does not own, so a pipe gets ENOTSOCK and a closed
 * fd EBADF exactly as from libc). errno is left untouched on success.
 *
 * SIGPIPE: flags reach the socket unchanged, so a send() on a broken stream without MSG_NOSIGNAL
 * raises SIGPIPE as on Linux, and MSG_NOSIGNAL suppresses it.
 */
#include "posix_names.h"

ZSOCK_POSIX_ANCHOR(socket_names);

/* Declared by <sys/socket.h> only under _GNU_SOURCE, which posix_names.h must not define. */
int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

ZSOCK_POSIX_EXPORT int socket(int family, int type, int proto) {
    ZSOCK_POSIX_RETURN(int, zsock_socket(family, type, proto));
}

ZSOCK_POSIX_EXPORT int socketpair(int family, int type, int proto, int sv[2]) {
    ZSOCK_POSIX_RETURN(int, zsock_socketpair(family, type, proto, sv));
}

ZSOCK_POSIX_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    ZSOCK_POSIX_RETURN(int, zsock_bind(fd, addr, addrlen));
}

ZSOCK_POSIX_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    ZSOCK_POSIX_RETURN(int, zsock_connect(fd, addr, addrlen));
}

ZSOCK_POSIX_EXPORT int listen(int fd, int backlog) {
    ZSOCK_POSIX_RETURN(int, zsock_listen(fd, backlog));
}

ZSOCK_POSIX_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen) {
    ZSOCK_POSIX_RETURN(int, zsock_accept(fd, addr, addrlen));
}

ZSOCK_POSIX_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) {
    ZSOCK_POSIX_RETURN(int, zsock_accept4(fd, addr, addrlen, flags));
}

ZSOCK_POSIX_EXPORT int shutdown(int fd, int how) {
    ZSOCK_POSIX_RETURN(int, zsock_shutdown(fd, how));
}

ZSOCK_POSIX_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_send(fd, buf, len, flags));
}

ZSOCK_POSIX_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                                  const struct sockaddr *dest_addr, socklen_t addrlen) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_sendto(fd, buf, len, flags, dest_addr, addrlen));
}

ZSOCK_POSIX_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_sendmsg(fd, msg, flags));
}

ZSOCK_POSIX_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_recv(fd, buf, len, flags));
}

ZSOCK_POSIX_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                                    struct sockaddr *src_addr, socklen_t *addrlen) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_recvfrom(fd, buf, len, flags, src_addr, addrlen));
}

ZSOCK_POSIX_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    ZSOCK_POSIX_RETURN(ssize_t, zsock_recvmsg(fd, msg, flags));
}

ZSOCK_POSIX_EXPORT int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen) {
    ZSOCK_POSIX_RETURN(int, zsock_getsockopt(fd, level, optname, optval, optlen));
}

ZSOCK_POSIX_EXPORT int setsockopt(int fd, int level, int optname, const void *optval,
                                  socklen_t optlen) {
    ZSOCK_POSIX_RETURN(int, zsock_setsockopt(fd, level, optname, optval, optlen));
}

ZSOCK_POSIX_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen) {
    ZSOCK_POSIX_RETURN(int, zsock_getpeername(fd, addr, addrlen));
}

ZSOCK_POSIX_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen) {
    ZSOCK_POSIX_RETURN(int, zsock_getsockname(fd, addr, addrlen));
}
