// net/socket_ops.hpp - internal (negative-errno) forms of the socket calls, for tls/ and coro/.
//
// Each looks the fd up in the table and calls its object's vtable; an fd zsock does not own goes
// to the kernel unchanged (so a pipe gets ENOTSOCK and a bad fd EBADF, exactly as from libc).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

namespace zsock::net {

int socket(int family, int type, int proto) noexcept;
int socketpair(int family, int type, int proto, int sv[2]) noexcept;
int shutdown(int fd, int how) noexcept;
int bind(int fd, const sockaddr *addr, socklen_t addrlen) noexcept;
int connect(int fd, const sockaddr *addr, socklen_t addrlen) noexcept;
int listen(int fd, int backlog) noexcept;
int accept4(int fd, sockaddr *addr, socklen_t *addrlen, int flags) noexcept;
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const sockaddr *dest,
               socklen_t addrlen) noexcept;
ssize_t recvfrom(int fd, void *buf, size_t len, int flags, sockaddr *src,
                 socklen_t *addrlen) noexcept;
ssize_t sendmsg(int fd, const msghdr *msg, int flags) noexcept;
ssize_t recvmsg(int fd, msghdr *msg, int flags) noexcept;
int getsockopt(int fd, int level, int name, void *val, socklen_t *len) noexcept;
int setsockopt(int fd, int level, int name, const void *val, socklen_t len) noexcept;
int getpeername(int fd, sockaddr *addr, socklen_t *addrlen) noexcept;
int getsockname(int fd, sockaddr *addr, socklen_t *addrlen) noexcept;

} // namespace zsock::net
