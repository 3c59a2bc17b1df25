/*
 * <zephyr/sys/fdtable.h> for Linux: Zephyr's fd table calls for object implementations
 * (offloaded socket drivers, eventfd-like objects), over zsock's fd table (<zsock/fdtable.h>).
 *
 * An unchanged Zephyr driver's common calls compile and work: zvfs_reserve_fd,
 * zvfs_finalize_typed_fd / zvfs_finalize_fd, zvfs_free_fd, zvfs_get_fd_obj, and a struct
 * fd_op_vtable (or struct socket_op_vtable, <zephyr/net/socket_offload.h>) written with Zephyr's
 * conventions: functions return -1 and set errno, ioctl takes a va_list, close or close2.
 * zvfs_finalize_typed_fd wraps the driver's object in an adapter that turns those conventions into
 * zsock's (negative errno returns, ioctl with an integer argument), so nothing of the driver
 * changes.
 *
 * What an adapted object cannot do, because Zephyr's way of doing it has no Linux counterpart:
 *  - readiness: Zephyr drivers answer ZFD_IOCTL_POLL_PREPARE/UPDATE with k_poll events; zsock_poll,
 *    zsock_select and the coroutine engines fail with EOPNOTSUPP on such an fd (as Zephyr's poll
 *    fails on a driver without those requests) rather than report a readiness nobody computed;
 *  - zsock's internal requests (wake-up on close, fd moves) are not passed to the driver, so a
 *    zsock_close() from another thread cannot wake a call blocked inside the driver.
 * A driver that needs these is written against <zsock/fdtable.h> directly (net/simnet/ does).
 *
 * The fd that zvfs_reserve_fd gives is a zsock fd: a kernel eventfd's number, close-on-exec.
 */
#ifndef ZEPHYR_INCLUDE_SYS_FDTABLE_H_
#define ZEPHYR_INCLUDE_SYS_FDTABLE_H_

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <zsock/fdtable.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Object kinds (Zephyr's values, which are the S_IF* file types). */
#define ZVFS_MODE_IFMT 0170000
#define ZVFS_MODE_UNSPEC 0000000
#define ZVFS_MODE_IFIFO 0010000
#define ZVFS_MODE_IFCHR 0020000
#define ZVFS_MODE_IFDIR 0040000
#define ZVFS_MODE_IFBLK 0060000
#define ZVFS_MODE_IFREG 0100000
#define ZVFS_MODE_IFSOCK 0140000

/** Zephyr's fd-level vtable: functions return -1 and set errno on failure. */
struct fd_op_vtable {
    union {
        ssize_t (*read)(void *obj, void *buf, size_t sz);
        ssize_t (*read_offs)(void *obj, void *buf, size_t sz, size_t offset);
    };
    union {
        ssize_t (*write)(void *obj, const void *buf, size_t sz);
        ssize_t (*write_offs)(void *obj, const void *buf, size_t sz, size_t offset);
    };
    union {
        int (*close)(void *obj);
        int (*close2)(void *obj, int fd);
    };
    int (*ioctl)(void *obj, unsigned int request, va_list args);
};

/**
 * Publishes a Zephyr-convention object on a reserved fd (what zvfs_finalize_typed_fd does).
 * mode ZVFS_MODE_IFSOCK: vtable is the fd_vtable member at the start of a struct
 * socket_op_vtable, as in Zephyr. Returns 0 or a negative errno (-ENOMEM, -EBADF); on failure the
 * reservation is freed.
 */
ZSOCK_API int zsock_zvfs_finalize(int fd, void *obj, const struct fd_op_vtable *vtable,
                                  uint32_t mode);
/** zvfs_get_fd_obj: the driver's object behind fd if its vtable is `vtable` (any when NULL). */
ZSOCK_API void *zsock_zvfs_get_fd_obj(int fd, const struct fd_op_vtable *vtable, int err);

/** Reserves an fd number. Returns it, or -1 with errno (ENFILE, EMFILE, ENOMEM). */
static inline int zvfs_reserve_fd(void) {
    int fd = zsock_fd_reserve();
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    return fd;
}

/*
 * Zephyr's finalize cannot fail, so drivers do not check it. Here wrapping the object needs a
 * small allocation: if that fails the number is freed, and the driver's later calls on it (and
 * the application's) get EBADF instead of reaching an object that was never published.
 */
static inline void zvfs_finalize_typed_fd(int fd, void *obj, const struct fd_op_vtable *vtable,
                                          uint32_t mode) {
    (void)zsock_zvfs_finalize(fd, obj, vtable, mode);
}

static inline void zvfs_finalize_fd(int fd, void *obj, const struct fd_op_vtable *vtable) {
    zvfs_finalize_typed_fd(fd, obj, vtable, ZVFS_MODE_UNSPEC);
}

/** Frees a number reserved by zvfs_reserve_fd and never finalized. */
static inline void zvfs_free_fd(int fd) {
    zsock_fd_free(fd);
}

/** The object behind fd if its vtable is `vtable`, else NULL with errno `err` (EBADF if no fd). */
static inline void *zvfs_get_fd_obj(int fd, const struct fd_op_vtable *vtable, int err) {
    return zsock_zvfs_get_fd_obj(fd, vtable, err);
}

#ifdef __cplusplus
}
#endif

#endif /* ZEPHYR_INCLUDE_SYS_FDTABLE_H_ */
