/*
 * zsock/fdtable.h - the fd table and the object vtables (Zephyr's fd_op_vtable and
 * socket_op_vtable), for socket implementations: native, TLS, offloaded, dispatcher.
 *
 * Contract for every vtable function: return >= 0 on success and a NEGATIVE ERRNO on failure
 * (never -1 with errno). A NULL entry means "not supported": the generic layer answers
 * -EOPNOTSUPP for it.
 *
 * Objects and fds:
 *  - A zsock fd is a kernel fd number, and every object owns the kernel descriptor with its number.
 *    The kernel descriptor gives the object its readiness (poll, epoll, io_uring all wait on it).
 *  - zsock_fd_reserve() creates a placeholder kernel descriptor (an eventfd) and reserves its
 *    number; zsock_fd_reserve_kernel() reserves the number of a kernel descriptor the caller
 *    already has (a native socket). zsock_fd_finalize() then publishes the object; until then the
 *    number answers EBADF. zsock_fd_free() undoes a reservation that was never finalized.
 *  - Objects are reference counted. vtable.fd.close(obj, fd) runs when the last reference goes:
 *    that is when zsock_close() is called and no other thread is inside a call on that fd, or else
 *    when the last such call returns. close() must release the kernel descriptor.
 *  - Locking: the generic layer holds no lock across a vtable call. An object that needs mutual
 *    exclusion takes its own lock, and never holds it while waiting, so that one thread can send
 *    while another is blocked in recv on the same fd.
 *  - Close while blocked: when zsock_close() finds other threads inside calls on the fd, it asks
 *    the object to wake them with ioctl(ZSOCK_IOCTL_WAKE_BLOCKED); those calls then return -EINTR.
 *  - SIGPIPE: objects never raise it. sendto/sendmsg always reach a socket object with
 *    MSG_NOSIGNAL in flags, and a socket object's write must not raise it either. The generic
 *    layer raises SIGPIPE on the calling thread when a send or write fails with -EPIPE, the caller
 *    did not pass MSG_NOSIGNAL and the call was not woken by zsock_close() (as Linux does; a send
 *    that a close woke reports EINTR and no signal).
 */
#ifndef ZSOCK_FDTABLE_H
#define ZSOCK_FDTABLE_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <zsock/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Internal ioctl requests (Zephyr's ZFD_IOCTL_ numbering where it has one). Requests below 0x100
 * are fcntl commands: fcntl(fd, cmd, arg) reaches the object as ioctl(obj, cmd, arg). */
#define ZSOCK_IOCTL_FCNTL_MAX 0x100
/* Requests 0x1000..0x10ff are internal to zsock: zsock_ioctl() refuses them (ENOTTY) so that an
 * application can never send one to an object. */
#define ZSOCK_IOCTL_INTERNAL_FIRST 0x1000
#define ZSOCK_IOCTL_INTERNAL_LAST 0x10ff
/** Wake every thread blocked in a call on this object: zsock_close() is under way. arg unused. */
#define ZSOCK_IOCTL_WAKE_BLOCKED 0x1000
/**
 * The object's kernel descriptor has moved to another fd number: the dispatcher keeps the number
 * it handed out by dup3()-ing the real descriptor onto it. arg: struct zsock_fd_moved *.
 * Both numbers are open during the call; old_fd is closed right after it. An object that uses its
 * number (native sockets, user-space objects that signal their descriptor) switches to new_fd and
 * may replace m->obj (native sockets do: their object pointer encodes the number). A layer that
 * wraps a transport on the same fd (TLS) forwards the request to the transport and keeps the
 * transport object it gets back. Objects that never use their number answer -EOPNOTSUPP.
 */
#define ZSOCK_IOCTL_FD_MOVED 0x1001

/** Argument of ZSOCK_IOCTL_FD_MOVED. */
struct zsock_fd_moved {
    int old_fd;
    int new_fd;
    void *obj; /**< in: the object; out: the object to publish on new_fd */
};

/** fd-level operations; every member may be NULL except close. */
struct zsock_fd_vtable {
    ssize_t (*read)(void *obj, void *buf, size_t len);
    ssize_t (*write)(void *obj, const void *buf, size_t len);
    /** Releases the object and its kernel descriptor (fd is its number). */
    int (*close)(void *obj, int fd);
    /** fcntl commands (< 0x100) with an integer arg, FIONBIO/FIONREAD with an int *, and the
     * internal ZSOCK_IOCTL_ requests. Unknown requests: -EOPNOTSUPP. */
    int (*ioctl)(void *obj, unsigned long request, uintptr_t arg);
};

/**
 * Readiness hooks used by zsock_poll, zsock_select and the coroutine engines.
 *
 * prepare(obj, events, &kevents):
 *   > 0: the object is ready now; the value is the revents (no kernel wait needed for it);
 *   0:   wait for *kevents on the object's own kernel descriptor;
 *   < 0: a negative errno that fails the whole poll.
 * update(obj, events, krevents, &revents):
 *   0:       *revents is the answer, given the kernel's revents for the descriptor;
 *   -EAGAIN: woke up but nothing is ready for the user (e.g. a TLS record without application
 *            data): the poll waits again with the remaining time if nothing else is ready.
 * deadline(obj, &monotonic_ns) (optional, may be NULL even when prepare is set):
 *   asked right after prepare answered 0. Returns 1 with *monotonic_ns = the CLOCK_MONOTONIC time
 *   (nanoseconds) by which the object needs its hooks to run again even if its descriptor stays
 *   quiet (a DTLS retransmission or idle-session timer), or 0 when it has no such time.
 *   zsock_poll and zsock_select wait no longer than the earliest such time and then run the
 *   round again (prepare does the timed work: it resends, expires, and may answer ready); the
 *   caller's own timeout is unchanged. The coroutine engines honour it the same way: an
 *   operation waiting on the object is attempted again by that time.
 * An object with NULL hooks is polled as a plain kernel descriptor.
 */
struct zsock_poll_vtable {
    int (*prepare)(void *obj, short events, short *kevents);
    int (*update)(void *obj, short events, short krevents, short *revents);
    int (*deadline)(void *obj, int64_t *monotonic_ns);
};

/** Socket operations, Zephyr's socket_op_vtable, plus the poll hooks. */
struct zsock_socket_vtable {
    struct zsock_fd_vtable fd;
    int (*shutdown)(void *obj, int how);
    int (*bind)(void *obj, const struct sockaddr *addr, socklen_t addrlen);
    int (*connect)(void *obj, const struct sockaddr *addr, socklen_t addrlen);
    int (*listen)(void *obj, int backlog);
    /** Returns the new zsock fd. flags: SOCK_NONBLOCK | SOCK_CLOEXEC (accept4). */
    int (*accept)(void *obj, struct sockaddr *addr, socklen_t *addrlen, int flags);
    ssize_t (*sendto)(void *obj, const void *buf, size_t len, int flags,
                      const struct sockaddr *dest_addr, socklen_t addrlen);
    ssize_t (*recvfrom)(void *obj, void *buf, size_t max_len, int flags, struct sockaddr *src_addr,
                        socklen_t *addrlen);
    int (*getsockopt)(void *obj, int level, int optname, void *optval, socklen_t *optlen);
    int (*setsockopt)(void *obj, int level, int optname, const void *optval, socklen_t optlen);
    ssize_t (*sendmsg)(void *obj, const struct msghdr *msg, int flags);
    ssize_t (*recvmsg)(void *obj, struct msghdr *msg, int flags);
    int (*getpeername)(void *obj, struct sockaddr *addr, socklen_t *addrlen);
    int (*getsockname)(void *obj, struct sockaddr *addr, socklen_t *addrlen);
    struct zsock_poll_vtable poll;
};

/** Object kinds, for zsock_fd_finalize (Zephyr's ZVFS_MODE_). */
enum zsock_fd_mode {
    ZSOCK_FD_MODE_UNSPEC = 0,
    ZSOCK_FD_MODE_SOCKET = 1,
};

/**
 * zsock_fd_reserve - reserve a new fd number backed by a placeholder kernel eventfd.
 * The eventfd is nonblocking and close-on-exec; an object may keep it as its readiness source
 * (write to it to make the fd readable). Returns the fd, or -EMFILE/-ENFILE/-ENOMEM.
 */
ZSOCK_API int zsock_fd_reserve(void);

/**
 * zsock_fd_reserve_kernel - reserve the number of an open kernel descriptor the caller owns.
 * If zsock still holds a stale entry for that number (its descriptor was closed behind zsock's
 * back), the stale entry is dropped without closing anything. Returns kfd, or -EBADF/-ENOMEM.
 */
ZSOCK_API int zsock_fd_reserve_kernel(int kfd);

/** zsock_fd_finalize - publish obj on a reserved fd. Returns 0, or -EBADF if not reserved. */
ZSOCK_API int zsock_fd_finalize(int fd, void *obj, const struct zsock_socket_vtable *vtable,
                                enum zsock_fd_mode mode);

/** zsock_fd_free - undo a reservation that was never finalized; closes the kernel descriptor. */
ZSOCK_API void zsock_fd_free(int fd);

/** zsock_fd_release - like zsock_fd_free, but leaves the kernel descriptor open. */
ZSOCK_API void zsock_fd_release(int fd);

/**
 * zsock_fd_get_obj - the object behind fd if its vtable is `vtable`, else NULL with errno set
 * to `err` (wrong kind) or EBADF (not a zsock fd). The pointer stays valid only while the fd
 * stays open; use it from the thread that owns the fd.
 */
ZSOCK_API void *zsock_fd_get_obj(int fd, const struct zsock_socket_vtable *vtable, int err);

/**
 * zsock_fd_replace - move a kernel descriptor onto a reserved fd number (dup3), closing
 * new_kfd. Used by the dispatcher to keep the fd number it handed out. Returns 0 or -errno.
 */
ZSOCK_API int zsock_fd_replace_kernel(int fd, int new_kfd);

/**
 * zsock_fd_swap_obj - put a new object behind an open fd and hand the old one to the caller, who
 * now owns it (the table will not close it). This is how a layer wraps a transport on the same fd
 * number: TLS creates its transport socket, takes its object and vtable, and publishes itself.
 * Use it only while no other thread can be using the fd (right after creating it).
 * Returns 0, or -EBADF when fd is not an open zsock fd.
 */
ZSOCK_API int zsock_fd_swap_obj(int fd, void *obj, const struct zsock_socket_vtable *vtable,
                                void **old_obj, const struct zsock_socket_vtable **old_vtable);

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_FDTABLE_H */
