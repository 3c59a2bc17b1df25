/* bench/tools/malloc_count.c - an LD_PRELOAD heap-allocation counter for the runner.
 *
 *   ZSOCK_MALLOC_COUNT=/tmp/counts LD_PRELOAD=libzsock_malloc_count.so ./server
 *
 * Every malloc, calloc, realloc (of a new block), posix_memalign, aligned_alloc, memalign, valloc
 * and free of the process (C++ operator new lands in malloc) is counted with a relaxed atomic add
 * into a small file the process maps shared. The runner reads that file whenever it likes, with no
 * signal and no help from the server: counts before a load and after it give allocations per
 * request. Without the variable the counts stay in process memory (still harmless).
 *
 * File layout: four little-endian uint64 at offset 0: allocations, frees, bytes requested, a magic
 * number (0x7a736f636b6d6331, "zsockmc1") written last so a reader knows the mapping is live.
 *
 * The real allocator is reached through glibc's exported __libc_* entry points, not dlsym (dlsym
 * itself may allocate, which would recurse here before anything is set up).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

struct counts {
    uint64_t allocs, frees, bytes, magic;
};

static struct counts local_counts;
static struct counts *counts = &local_counts;

__attribute__((constructor)) static void malloc_count_init(void) {
    const char *path = getenv("ZSOCK_MALLOC_COUNT");
    if (!path || !*path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (ftruncate(fd, 4096) == 0) {
        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED) {
            struct counts *shared = m;
            shared->allocs = __atomic_load_n(&local_counts.allocs, __ATOMIC_RELAXED);
            shared->frees = __atomic_load_n(&local_counts.frees, __ATOMIC_RELAXED);
            shared->bytes = __atomic_load_n(&local_counts.bytes, __ATOMIC_RELAXED);
            __atomic_store_n(&shared->magic, 0x7a736f636b6d6331ull, __ATOMIC_RELEASE);
            __atomic_store_n(&counts, shared, __ATOMIC_RELEASE);
        }
    }
    close(fd);
}

static inline void count_alloc(size_t n) {
    struct counts *c = __atomic_load_n(&counts, __ATOMIC_ACQUIRE);
    __atomic_fetch_add(&c->allocs, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->bytes, n, __ATOMIC_RELAXED);
}

static inline void count_free(void) {
    struct counts *c = __atomic_load_n(&counts, __ATOMIC_ACQUIRE);
    __atomic_fetch_add(&c->frees, 1, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) void *malloc(size_t n) {
    count_alloc(n);
    return __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size) {
    count_alloc(n * size);
    return __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n) {
    if (!p)
        count_alloc(n);
    else if (n == 0)
        count_free();
    return __libc_realloc(p, n);
}

__attribute__((visibility("default"))) void free(void *p) {
    if (p) count_free();
    __libc_free(p);
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t n) {
    count_alloc(n);
    return __libc_memalign(align, n);
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t align, size_t n) {
    count_alloc(n);
    return __libc_memalign(align, n);
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
    count_alloc(n);
    void *p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((visibility("default"))) void *valloc(size_t n) {
    count_alloc(n);
    return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}
