/*
 * <zephyr/kernel.h> for Linux: only what Zephyr networking samples use around their sockets:
 * printk, k_sleep/k_msleep with K_MSEC/K_SECONDS/K_NO_WAIT/K_FOREVER, k_uptime_get, k_yield.
 * Threads, semaphores, work queues and the rest of Zephyr's kernel are not provided (use POSIX
 * threads, as Zephyr's POSIX samples do).
 */
#ifndef ZEPHYR_INCLUDE_KERNEL_H_
#define ZEPHYR_INCLUDE_KERNEL_H_

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include <zephyr/sys/printk.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A timeout in milliseconds; negative: forever. */
typedef struct {
    int64_t ms;
} k_timeout_t;

#ifdef __cplusplus
#define ZSOCK_K_TIMEOUT(ms_) (k_timeout_t{static_cast<int64_t>(ms_)})
#else
#define ZSOCK_K_TIMEOUT(ms_) ((k_timeout_t){(int64_t)(ms_)})
#endif
#define K_MSEC(ms_) ZSOCK_K_TIMEOUT(ms_)
#define K_SECONDS(s_) ZSOCK_K_TIMEOUT((s_) * 1000LL)
#define K_NO_WAIT ZSOCK_K_TIMEOUT(0)
#define K_FOREVER ZSOCK_K_TIMEOUT(-1)

/** Sleeps for ms milliseconds (restarting after signals); returns 0. */
static inline int32_t k_msleep(int32_t ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return 0;
}

/** Sleeps for the timeout (K_FOREVER: an hour at a time, forever). Returns 0. */
static inline int32_t k_sleep(k_timeout_t t) {
    if (t.ms < 0) {
        for (;;) k_msleep(3600 * 1000);
    }
    return k_msleep((int32_t)(t.ms > INT32_MAX ? INT32_MAX : t.ms));
}

/** Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
static inline int64_t k_uptime_get(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void k_yield(void) { sched_yield(); }

#ifdef __cplusplus
}
#endif

#endif /* ZEPHYR_INCLUDE_KERNEL_H_ */
