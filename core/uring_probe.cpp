// core/uring_probe.cpp - io_uring setup with fallbacks, the capability probe, the buffer ring.
//
// The probe is the setup of the ring the engine then uses, so "the probe passed" and "the
// engine works" cannot disagree:
//   1. /proc/sys/kernel/io_uring_disabled = 2 refuses io_uring outright;
//   2. setup flags SINGLE_ISSUER|DEFER_TASKRUN (6.1+), then COOP_TASKRUN (5.19+), then none;
//      EINVAL moves to the next set, ENOSYS/EPERM/ENOMEM end the probe (seccomp filters and
//      io_uring_disabled = 1 answer EPERM or ENOSYS);
//   3. an opcode probe for every opcode the engine submits;
//   4. a NOP round trip through submit-and-wait.
// The provided buffer ring is optional: without it, stream recv uses plain recv SQEs.
#include <cstring>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "core/log.hpp"
#include "core/sys.hpp"
#include "core/uring_engine.hpp"

namespace zsock::core {
namespace {

struct flag_set {
    unsigned flags;
    const char *name;
};
constexpr flag_set flag_sets[] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN"},
    {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
    {0, "no setup flags"},
};

struct opcode_need {
    int op;
    const char *name;
};
constexpr opcode_need needed_ops[] = {
    {IORING_OP_NOP, "NOP"},           {IORING_OP_RECV, "RECV"},
    {IORING_OP_SEND, "SEND"},         {IORING_OP_RECVMSG, "RECVMSG"},
    {IORING_OP_SENDMSG, "SENDMSG"},   {IORING_OP_ACCEPT, "ACCEPT"},
    {IORING_OP_CONNECT, "CONNECT"},   {IORING_OP_POLL_ADD, "POLL_ADD"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}, {IORING_OP_READ, "READ"},
};

/// Kernel version as major * 1000 + minor (0 if unknown).
int kernel_version() noexcept {
    utsname u{};
    if (sys::call(SYS_uname, &u) < 0) return 0;
    int major = 0, minor = 0;
    const char *p = u.release;
    while (*p >= '0' && *p <= '9') major = major * 10 + (*p++ - '0');
    if (*p == '.') ++p;
    while (*p >= '0' && *p <= '9') minor = minor * 10 + (*p++ - '0');
    return major * 1000 + minor;
}

unsigned round_pow2(unsigned v) noexcept {
    unsigned p = 1;
    while (p < v && p < 32768) p <<= 1;
    return p;
}

} // namespace

int uring_disabled_sysctl() noexcept {
    long fd = sys::call(SYS_openat, AT_FDCWD, "/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return 0;
    char buf[8] = {};
    long n = sys::read(static_cast<int>(fd), buf, sizeof buf - 1);
    sys::close(static_cast<int>(fd));
    return n > 0 && buf[0] >= '0' && buf[0] <= '9' ? buf[0] - '0' : 0;
}

std::unique_ptr<uring_engine> uring_engine::create(const engine_options &opts, int *err,
                                                   std::string *why) noexcept {
    try {
        int disabled = uring_disabled_sysctl();
        if (disabled == 2) {
            *err = -EPERM;
            *why = "kernel.io_uring_disabled=2";
            return nullptr;
        }
        std::unique_ptr<uring_engine> e(new uring_engine);
        unsigned entries = round_pow2(opts.entries ? opts.entries : 1024);
        int r = -EINVAL;
        const flag_set *used = nullptr;
        for (const auto &fs : flag_sets) {
            io_uring_params p{};
            p.flags = fs.flags | IORING_SETUP_CQSIZE;
            p.cq_entries = entries * 4;
            r = io_uring_queue_init_params(entries, &e->ring_, &p);
            if (r == 0) {
                used = &fs;
                e->setup_flags_ = fs.flags;
                break;
            }
            if (r != -EINVAL) break; // ENOSYS, EPERM, ENOMEM: no point trying other flags
        }
        if (!used) {
            *err = r;
            *why = fmt::format("io_uring_setup failed: {}{}", std::strerror(-r),
                               disabled == 1 ? " (kernel.io_uring_disabled=1)" : "");
            return nullptr;
        }
        e->ring_ok_ = true;

        io_uring_probe *probe = io_uring_get_probe_ring(&e->ring_);
        if (!probe) {
            *err = -ENOSYS;
            *why = "io_uring opcode probe unsupported (kernel older than 5.6)";
            return nullptr;
        }
        for (const auto &need : needed_ops) {
            if (!io_uring_opcode_supported(probe, need.op)) {
                io_uring_free_probe(probe);
                *err = -ENOSYS;
                *why = fmt::format("io_uring lacks opcode {}", need.name);
                return nullptr;
            }
        }
        io_uring_free_probe(probe);

        // A NOP round trip: the ring really completes what it is given.
        io_uring_sqe *sqe = io_uring_get_sqe(&e->ring_);
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, 0x5a50c4);
        io_uring_cqe *cqe = nullptr;
        __kernel_timespec ts{1, 0};
        r = io_uring_submit_and_wait_timeout(&e->ring_, &cqe, 1, &ts, nullptr);
        if (r < 0 || !cqe || cqe->user_data != 0x5a50c4 || cqe->res != 0) {
            *err = r < 0 ? r : -EIO;
            *why = "io_uring NOP round trip failed";
            return nullptr;
        }
        io_uring_cqe_seen(&e->ring_, cqe);

        long ev = sys::eventfd2(0, EFD_CLOEXEC); // blocking: io_uring polls it for us
        if (ev < 0) {
            *err = static_cast<int>(ev);
            *why = "eventfd failed";
            return nullptr;
        }
        e->evfd_ = static_cast<int>(ev);

        int kver = kernel_version();
        e->ms_accept_ok_ = kver >= 5019;
        // Multishot recv needs 6.0; the buffer ring 5.19. Registered by hand (liburing 2.3 has
        // no io_uring_setup_buf_ring): page-aligned ring memory, then IORING_REGISTER_PBUF_RING.
        if (kver >= 6000 && opts.recv_buffers > 0 && opts.recv_buffer_size > 0) {
            unsigned n = round_pow2(opts.recv_buffers);
            std::size_t bytes = n * sizeof(io_uring_buf);
            void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
            if (mem != MAP_FAILED) {
                io_uring_buf_reg reg{};
                reg.ring_addr = reinterpret_cast<uint64_t>(mem);
                reg.ring_entries = n;
                reg.bgid = 0;
                int rr = io_uring_register_buf_ring(&e->ring_, &reg, 0);
                if (rr == 0) {
                    e->br_ = static_cast<io_uring_buf_ring *>(mem);
                    e->br_bytes_ = bytes;
                    e->nbufs_ = n;
                    e->buf_size_ = opts.recv_buffer_size;
                    e->buf_mem_.reset(new unsigned char[static_cast<std::size_t>(n) * e->buf_size_]);
                    e->buf_len_.assign(n, 0);
                    e->buf_next_.assign(n, -1);
                    io_uring_buf_ring_init(e->br_);
                    for (unsigned i = 0; i < n; ++i) {
                        io_uring_buf_ring_add(e->br_, e->buf_mem_.get() + static_cast<std::size_t>(i) * e->buf_size_,
                                              e->buf_size_, static_cast<unsigned short>(i),
                                              io_uring_buf_ring_mask(n), static_cast<int>(i));
                    }
                    io_uring_buf_ring_advance(e->br_, static_cast<int>(n));
                } else {
                    munmap(mem, bytes);
                    log_debug("io_uring: no provided buffer ring ({}); stream recv uses plain recv",
                              std::strerror(-rr));
                }
            }
        }
        e->arm_wake();
        e->bind_thread();
        *why = fmt::format("io_uring ({}{}{})", used->name, e->br_ ? ", multishot recv with provided buffers" : "",
                           e->ms_accept_ok_ ? ", multishot accept" : "");
        return e;
    } catch (...) {
        *err = -ENOMEM;
        *why = "out of memory";
        return nullptr;
    }
}

uring_engine::~uring_engine() {
    if (ring_ok_) {
        // Cancel everything still in flight and wait for it, so that no late completion can write
        // into the buffer ring or an awaiter after this object is gone.
        io_uring_sync_cancel_reg reg{};
        reg.flags = IORING_ASYNC_CANCEL_ANY;
        reg.timeout.tv_sec = 1;
        io_uring_register_sync_cancel(&ring_, &reg);
        if (br_) io_uring_unregister_buf_ring(&ring_, 0);
        io_uring_queue_exit(&ring_);
    }
    if (br_) munmap(br_, br_bytes_);
    if (evfd_ >= 0) sys::close(evfd_);
}

} // namespace zsock::core
