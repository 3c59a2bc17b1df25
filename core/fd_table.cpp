// core/fd_table.cpp - the fd table: slots, entries, reserve/finalize, close.
#include "core/fd_table.hpp"

#include <fcntl.h>
#include <mutex>
#include <new>
#include <sys/eventfd.h>

#include "core/block_pool.hpp"
#include "core/log.hpp"
#include "core/sys.hpp"

namespace zsock::core {

std::atomic<fd_table_detail::fd_slot *> fd_table_detail::g_chunks[fd_table_detail::chunk_count];
std::atomic<int> fd_table_detail::g_hooked{0};

namespace {

using fd_table_detail::chunk_bits;
using fd_table_detail::chunk_size;
using fd_table_detail::find_slot;
using fd_table_detail::g_chunks;
using fd_table_detail::g_hooked;
using fd_table_detail::put;
using slot = fd_table_detail::fd_slot;

// Entries are recycled, never freed: see the header for why. The pool is never destroyed either,
// so that a socket closed by a static destructor still finds it.
std::mutex g_free_mutex;
block_pool<fd_entry, 64> &entry_pool() noexcept {
    static auto *pool = new block_pool<fd_entry, 64>;
    return *pool;
}

slot *make_slot(int fd) noexcept {
    if (fd < 0 || fd >= fd_table_capacity) return nullptr;
    auto &head = g_chunks[fd >> chunk_bits];
    slot *chunk = head.load(std::memory_order_acquire);
    if (!chunk) {
        auto *fresh = new (std::nothrow) slot[chunk_size];
        if (!fresh) return nullptr;
        for (int i = 0; i < chunk_size; ++i) fresh[i].store(nullptr, std::memory_order_relaxed);
        if (head.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) {
            chunk = fresh;
        } else {
            delete[] fresh; // another thread won; `chunk` now holds its chunk
        }
    }
    return &chunk[fd & (chunk_size - 1)];
}

fd_entry *alloc_entry() noexcept {
    std::lock_guard lock(g_free_mutex);
    return entry_pool().acquire();
}

void recycle_entry(fd_entry *e) noexcept {
    e->obj = nullptr;
    e->vtable = nullptr;
    e->fd = -1;
    e->mode = ZSOCK_FD_MODE_UNSPEC;
    e->has_poll_hooks = false;
    e->retired = false;
    e->state.store(0, std::memory_order_release);
    std::lock_guard lock(g_free_mutex);
    entry_pool().release(e);
}

// Runs when the last reference to a closing entry goes.
int destroy(fd_entry *e) noexcept {
    // Clear the slot before the kernel descriptor is closed: until then the kernel cannot hand
    // the number out again, so nobody can find the slot occupied by a live descriptor of ours.
    // If the slot holds another entry already, reserve_entry() found this one stale: its
    // descriptor was closed behind zsock's back and the kernel gave the number to somebody else,
    // so closing "our" descriptor now would close theirs.
    bool orphaned = !e->retired;
    if (slot *s = find_slot(e->fd)) {
        fd_entry *expected = e;
        if (s->compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel))
            orphaned = false;
    }
    if (e->has_poll_hooks) g_hooked.fetch_sub(1, std::memory_order_relaxed);
    int ret = 0;
    if (orphaned) {
        log_warn("fd {}: descriptor was closed outside zsock; its object is dropped", e->fd);
    } else if (e->vtable && e->vtable->fd.close) {
        ret = e->vtable->fd.close(e->obj, e->fd);
    } else if (!e->vtable) {
        ret = static_cast<int>(sys::close(e->fd)); // reserved, never finalized
    }
    recycle_entry(e);
    return ret;
}

} // namespace

void fd_table_detail::destroy_entry(fd_entry *e) noexcept { destroy(e); }

int fd_close(int fd, bool *was_ours) noexcept {
    fd_ref ref;
    switch (fd_lookup(fd, &ref)) {
    case lookup::not_ours:
        *was_ours = false;
        return -EBADF;
    case lookup::closed:
        *was_ours = true;
        return -EBADF;
    case lookup::found:
        break;
    }
    *was_ours = true;
    fd_entry *e = ref.get();
    uint64_t st = e->state.load(std::memory_order_acquire);
    do {
        if (!(st & entry_open)) return -EBADF; // another thread closed it first
    } while (!e->state.compare_exchange_weak(st, (st & ~entry_open) | entry_closing,
                                             std::memory_order_acq_rel));
    // References: the table's, ours, and one per call in flight on another thread.
    if ((st & entry_refs_mask) > 2 && e->vtable->fd.ioctl) {
        e->vtable->fd.ioctl(e->obj, ZSOCK_IOCTL_WAKE_BLOCKED, 0);
    }
    // Drop the table's reference and ours together; whoever drops the last one destroys.
    ref.release();
    uint64_t left = e->state.fetch_sub(2, std::memory_order_acq_rel) - 2;
    if ((left & entry_refs_mask) == 0) return destroy(e);
    return 0;
}


int fd_republish(int fd, void *obj, const zsock_socket_vtable *vtable,
                 zsock_fd_mode mode) noexcept {
    if (!vtable || !vtable->fd.close) return -EINVAL;
    fd_ref ref;
    if (fd_lookup(fd, &ref) != lookup::found) return -EBADF;
    fd_entry *old = ref.get();
    fd_entry *e = alloc_entry();
    if (!e) return -ENOMEM;
    e->fd = fd;
    e->obj = obj;
    e->vtable = vtable;
    e->mode = mode;
    e->has_poll_hooks = vtable->poll.prepare != nullptr;
    if (e->has_poll_hooks) g_hooked.fetch_add(1, std::memory_order_relaxed);
    e->state.store(entry_open | 1, std::memory_order_release); // the table's reference

    old->retired = true; // before the swap: once swapped, its destroy() may run at any time
    // Swap first, so that no concurrent caller ever finds the number closed; then retire the old
    // entry. The slot can only hold `old` here: it changes when `old` is destroyed (we hold a
    // reference) or when the kernel reuses the number (it is open).
    slot *s = find_slot(fd);
    fd_entry *expected = old;
    if (!s->compare_exchange_strong(expected, e, std::memory_order_acq_rel)) {
        old->retired = false;
        if (e->has_poll_hooks) g_hooked.fetch_sub(1, std::memory_order_relaxed);
        recycle_entry(e);
        return -EBADF;
    }
    // Retired, not closing: calls in flight on it were not interrupted by a close, so their
    // results must not turn into EINTR (see woken_by_close).
    uint64_t st = old->state.load(std::memory_order_acquire);
    bool was_open;
    do {
        was_open = (st & entry_open) != 0;
    } while (!old->state.compare_exchange_weak(st, st & ~entry_open, std::memory_order_acq_rel));
    if (was_open) {
        put(old); // the table's reference; ours goes when `ref` does
        return 0;
    }
    // A zsock_close() took the old entry before the swap (and dropped the table's reference):
    // the fd is closed as far as the application knows, so the new object goes too.
    e->state.fetch_and(~entry_open, std::memory_order_acq_rel);
    e->state.fetch_or(entry_closing, std::memory_order_acq_rel);
    put(e);
    return -EBADF;
}

int fd_detach(int fd, void **obj, const zsock_socket_vtable **vtable,
              zsock_fd_mode *mode) noexcept {
    fd_ref ref;
    if (fd_lookup(fd, &ref) != lookup::found) return -EBADF;
    fd_entry *e = ref.get();
    // Open, with exactly two references: the table's and ours.
    uint64_t expected = entry_open | 2;
    if (!e->state.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return -EBUSY;
    ref.release();
    if (slot *s = find_slot(fd)) {
        fd_entry *cur = e;
        s->compare_exchange_strong(cur, nullptr, std::memory_order_acq_rel);
    }
    if (e->has_poll_hooks) g_hooked.fetch_sub(1, std::memory_order_relaxed);
    if (obj) *obj = e->obj;
    if (vtable) *vtable = e->vtable;
    if (mode) *mode = e->mode;
    recycle_entry(e);
    return 0;
}

// ---- C API of <zsock/fdtable.h> ---------------------------------------------------------------

namespace {

int reserve_entry(int kfd) noexcept {
    slot *s = make_slot(kfd);
    if (!s) return kfd >= fd_table_capacity ? -EMFILE : -ENOMEM;
    fd_entry *e = alloc_entry();
    if (!e) return -ENOMEM;
    e->fd = kfd;
    e->state.store(1, std::memory_order_relaxed); // the table's reference; not open yet
    fd_entry *stale = s->exchange(e, std::memory_order_acq_rel);
    if (stale) {
        // The kernel handed out this number again, so the stale entry's descriptor is gone (it
        // is out of its slot now, which tells destroy() not to close anything). Calls still in
        // flight on it see CLOSING and report EINTR. The table's reference goes with the OPEN
        // state: if zsock_close() already moved the entry to CLOSING, it has dropped (or is
        // dropping) that reference itself, and the calls in flight hold the others.
        uint64_t st = stale->state.load(std::memory_order_acquire);
        while (!stale->state.compare_exchange_weak(st, (st & ~entry_open) | entry_closing,
                                                   std::memory_order_acq_rel)) {
        }
        if (!(st & entry_closing)) put(stale);
    }
    return kfd;
}

} // namespace

int fd_reserve_new_kernel(int kfd) noexcept {
    if (kfd < 0) return -EBADF;
    return reserve_entry(kfd);
}

} // namespace zsock::core

using namespace zsock::core;

extern "C" {

int zsock_fd_reserve(void) {
    long kfd = zsock::sys::eventfd2(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (kfd < 0) return static_cast<int>(kfd);
    int r = reserve_entry(static_cast<int>(kfd));
    if (r < 0) zsock::sys::close(static_cast<int>(kfd));
    return r;
}

int zsock_fd_reserve_kernel(int kfd) {
    // A number that is not open must not become a zsock fd: the kernel would hand it out later,
    // and the entry would then be taken for a stale one.
    if (kfd < 0 || zsock::sys::fcntl(kfd, F_GETFD, 0) < 0) return -EBADF;
    return reserve_entry(kfd);
}

int zsock_fd_finalize(int fd, void *obj, const zsock_socket_vtable *vtable, zsock_fd_mode mode) {
    slot *s = find_slot(fd);
    fd_entry *e = s ? s->load(std::memory_order_acquire) : nullptr;
    if (!e || !vtable || !vtable->fd.close) return e ? -EINVAL : -EBADF;
    uint64_t st = e->state.load(std::memory_order_acquire);
    if (st & (entry_open | entry_closing)) return -EBADF;
    e->obj = obj;
    e->vtable = vtable;
    e->mode = mode;
    e->has_poll_hooks = vtable->poll.prepare != nullptr;
    if (e->has_poll_hooks) g_hooked.fetch_add(1, std::memory_order_relaxed);
    e->state.fetch_or(entry_open, std::memory_order_release);
    return 0;
}

static void unreserve(int fd, bool close_kernel) {
    slot *s = find_slot(fd);
    fd_entry *e = s ? s->load(std::memory_order_acquire) : nullptr;
    if (!e || (e->state.load(std::memory_order_acquire) & entry_open)) return;
    fd_entry *expected = e;
    if (s->compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
        if (close_kernel) zsock::sys::close(fd);
        recycle_entry(e);
    }
}

void zsock_fd_free(int fd) { unreserve(fd, true); }
void zsock_fd_release(int fd) { unreserve(fd, false); }

void *zsock_fd_get_obj(int fd, const zsock_socket_vtable *vtable, int err) {
    fd_ref ref;
    if (fd_lookup(fd, &ref) != lookup::found) {
        errno = EBADF;
        return nullptr;
    }
    if (vtable && ref->vtable != vtable) {
        errno = err;
        return nullptr;
    }
    return ref->obj;
}

int zsock_fd_swap_obj(int fd, void *obj, const zsock_socket_vtable *vtable, void **old_obj,
                      const zsock_socket_vtable **old_vtable) {
    if (!vtable || !vtable->fd.close) return -EINVAL;
    fd_ref ref;
    if (fd_lookup(fd, &ref) != lookup::found) return -EBADF;
    fd_entry *e = ref.get();
    if (old_obj) *old_obj = e->obj;
    if (old_vtable) *old_vtable = e->vtable;
    bool hooks = vtable->poll.prepare != nullptr;
    if (hooks != e->has_poll_hooks) g_hooked.fetch_add(hooks ? 1 : -1, std::memory_order_relaxed);
    e->has_poll_hooks = hooks;
    e->obj = obj;
    e->vtable = vtable;
    return 0;
}

int zsock_fd_replace_kernel(int fd, int new_kfd) {
    long fdflags = zsock::sys::fcntl(new_kfd, F_GETFD, 0);
    if (fdflags < 0) return static_cast<int>(fdflags);
    long r = zsock::sys::dup3(new_kfd, fd, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
    if (r < 0) return static_cast<int>(r);
    zsock::sys::close(new_kfd);
    return 0;
}

} // extern "C"
