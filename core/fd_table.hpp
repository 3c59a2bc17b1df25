// core/fd_table.hpp - the process-wide fd table.
//
// Indexed by kernel fd number (a zsock fd *is* a kernel fd). Each slot points at a reference
// counted entry {object, vtable}; a slot with no entry is a kernel fd zsock does not own, and
// calls on it go straight to the kernel. Lookups are lock-free: one load of the slot, one CAS on
// the entry's state word, one re-check of the slot. Entries are never returned to the allocator
// (they are recycled through a free list), so a lookup that races a close only ever touches a
// live entry object, and the re-check rejects an entry that moved to another fd.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>

#include <zsock/fdtable.h>

namespace zsock::core {

struct fd_entry {
    // state: bits 0..31 = references, bit 32 = OPEN (lookups succeed), bit 33 = CLOSING.
    std::atomic<uint64_t> state{0};
    void *obj = nullptr;
    const zsock_socket_vtable *vtable = nullptr;
    int fd = -1;
    zsock_fd_mode mode = ZSOCK_FD_MODE_UNSPEC;
    bool has_poll_hooks = false;
    // Set by fd_republish(): the slot moved on to a new object on purpose, so destroy() must
    // still run this object's close() (which leaves the kernel descriptor alone), unlike an
    // entry whose descriptor was closed behind zsock's back.
    bool retired = false;
    fd_entry *next_free = nullptr;
};

inline constexpr uint64_t entry_refs_mask = 0xffffffffull;
inline constexpr uint64_t entry_open = 1ull << 32;
inline constexpr uint64_t entry_closing = 1ull << 33;

/// Largest fd number the table holds (kernel fds above it are passed through untouched).
inline constexpr int fd_table_capacity = 1 << 20;

/// Result of a lookup.
enum class lookup { found, not_ours, closed };

// The table's layout, visible here only so that the per-call path (lookup, release) inlines:
// it runs twice per echoed message, and an out-of-line call there cost more than the lookup.
namespace fd_table_detail {
using fd_slot = std::atomic<fd_entry *>;
inline constexpr int chunk_bits = 10;
inline constexpr int chunk_size = 1 << chunk_bits;
inline constexpr int chunk_count = fd_table_capacity / chunk_size;
/// Chunks are allocated on first use and never freed, so a slot pointer stays valid forever.
extern std::atomic<fd_slot *> g_chunks[chunk_count];
extern std::atomic<int> g_hooked;

inline fd_slot *find_slot(int fd) noexcept {
    if (static_cast<unsigned>(fd) >= static_cast<unsigned>(fd_table_capacity)) return nullptr;
    fd_slot *chunk = g_chunks[fd >> chunk_bits].load(std::memory_order_acquire);
    return chunk ? &chunk[fd & (chunk_size - 1)] : nullptr;
}

/// Runs the object's close() and recycles the entry; the rare path of put().
void destroy_entry(fd_entry *e) noexcept;

inline void put(fd_entry *e) noexcept {
    uint64_t s = e->state.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if ((s & entry_refs_mask) == 0) [[unlikely]]
        destroy_entry(e);
}
} // namespace fd_table_detail

/// A counted reference to an open entry; releases it on destruction.
class fd_ref {
public:
    fd_ref() = default;
    explicit fd_ref(fd_entry *e) noexcept : e_(e) {}
    fd_ref(fd_ref &&o) noexcept : e_(o.e_) { o.e_ = nullptr; }
    fd_ref &operator=(fd_ref &&o) noexcept {
        if (this != &o) {
            reset();
            e_ = o.e_;
            o.e_ = nullptr;
        }
        return *this;
    }
    fd_ref(const fd_ref &) = delete;
    fd_ref &operator=(const fd_ref &) = delete;
    ~fd_ref() { reset(); }

    void reset() noexcept {
        if (e_) fd_table_detail::put(e_);
        e_ = nullptr;
    }
    /// Gives up ownership of the reference without dropping it.
    fd_entry *release() noexcept {
        fd_entry *e = e_;
        e_ = nullptr;
        return e;
    }
    explicit operator bool() const noexcept { return e_ != nullptr; }
    fd_entry *get() const noexcept { return e_; }
    fd_entry *operator->() const noexcept { return e_; }
    /// True once zsock_close() has started on this fd.
    bool closing() const noexcept {
        return (e_->state.load(std::memory_order_acquire) & entry_closing) != 0;
    }

private:
    fd_entry *e_ = nullptr;
};

/// A call that ended in EOF or an error while zsock_close() was under way on its fd was woken by
/// that close: it reports EINTR, as Zephyr does.
inline long woken_by_close(const fd_ref &ref, long r) noexcept {
    return (r <= 0 && ref.closing()) ? -EINTR : r;
}

/// Looks fd up; on `found`, *out holds a reference.
///
/// Lock-free: one load of the slot, one CAS on the entry's state word, one re-check of the slot.
/// Entries are recycled rather than freed, so touching one that a racing close just retired is
/// safe, and the re-check rejects an entry that moved on to another fd meanwhile.
inline lookup fd_lookup(int fd, fd_ref *out) noexcept {
    fd_table_detail::fd_slot *s = fd_table_detail::find_slot(fd);
    if (!s) return lookup::not_ours;
    for (;;) {
        fd_entry *e = s->load(std::memory_order_acquire);
        if (!e) return lookup::not_ours;
        uint64_t st = e->state.load(std::memory_order_acquire);
        bool counted = false;
        while (st & entry_open) {
            if (e->state.compare_exchange_weak(st, st + 1, std::memory_order_acq_rel)) {
                counted = true;
                break;
            }
        }
        if (s->load(std::memory_order_acquire) == e) [[likely]] {
            if (!counted) return lookup::closed; // reserved or closing: EBADF
            *out = fd_ref(e);
            return lookup::found;
        }
        if (counted) fd_table_detail::put(e); // the entry moved on to another fd while we looked
    }
}

/// Starts closing fd: marks it closing, wakes blocked callers, drops the table's reference.
/// Returns the object's close() result if it ran now, 0 if deferred to the last caller,
/// or -EBADF when fd is not an open zsock fd (the caller then passes fd to the kernel).
int fd_close(int fd, bool *was_ours) noexcept;

/// Publishes (obj, vtable, mode) on the open fd in a fresh entry and retires the current one (the
/// dispatcher's placeholder): new lookups find the new object at once; calls already in flight on
/// the old object finish against it, and its close() runs when the last of them returns. That
/// close() must not close the kernel descriptor, which now belongs to the new object. If a
/// zsock_close() of fd raced this call, the close wins: the new object is closed too.
/// Returns 0, -EBADF (fd not open), -EINVAL (no close in vtable) or -ENOMEM.
int fd_republish(int fd, void *obj, const zsock_socket_vtable *vtable, zsock_fd_mode mode) noexcept;

/// Takes a freshly created object out of the table without closing it or its kernel descriptor
/// (the dispatcher moves it to another number). The caller must be the fd's only user.
/// Returns 0, -EBADF (not an open zsock fd) or -EBUSY (another call is in flight on it).
int fd_detach(int fd, void **obj, const zsock_socket_vtable **vtable, zsock_fd_mode *mode) noexcept;

/// Reserves kfd, a descriptor the caller has just received from the kernel (socket, accept4,
/// socketpair), so it is known to be open: zsock_fd_reserve_kernel() without the check.
/// Returns kfd or a negative errno.
int fd_reserve_new_kernel(int kfd) noexcept;

/// Number of open entries whose objects have poll hooks (TLS, offloaded...). While it is zero,
/// zsock_poll/select hand the caller's arrays straight to the kernel.
inline int fd_hooked_count() noexcept {
    return fd_table_detail::g_hooked.load(std::memory_order_relaxed);
}

} // namespace zsock::core
