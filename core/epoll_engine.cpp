// core/epoll_engine.cpp - the readiness engine (see the header for the model).
#include "core/epoll_engine.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "core/sys.hpp"
#include "core/waitall.hpp"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

namespace zsock::core {
namespace {

char wake_tag; // epoll data of the wake-up eventfd

constexpr int max_events = 64; // per wait; small enough to need no stack-clash probing

using detail::aux_waitall;

// The queue an operation waits in: 0 input, 1 output (poll: by its events). The codes alternate
// input and output (recv, send, recvmsg, sendmsg, accept, connect), so below poll the side is
// the code's low bit.
static_assert(static_cast<int>(op_code::recv) == 0 && static_cast<int>(op_code::send) == 1 &&
              static_cast<int>(op_code::recvmsg) == 2 && static_cast<int>(op_code::sendmsg) == 3 &&
              static_cast<int>(op_code::accept) == 4 && static_cast<int>(op_code::connect) == 5 &&
              static_cast<int>(op_code::poll) == 6);
inline int side_of_transfer(op_code code) noexcept {
    return static_cast<int>(code) & 1;
}
inline int natural_side(const io_op &op) noexcept {
    if (op.code == op_code::poll) return (op.events & POLLIN) ? 0 : 1;
    return side_of_transfer(op.code);
}

short side_events(int side) noexcept {
    return side == 0 ? POLLIN : POLLOUT;
}

/// Zero-timeout poll of one kernel descriptor.
short kernel_revents(int fd, short events) noexcept {
    pollfd p{fd, events, 0};
    timespec zero{0, 0};
    return sys::ppoll(&p, 1, &zero) > 0 ? p.revents : 0;
}

long perform_other(io_op &op, int fd) noexcept;

/// One nonblocking attempt of op on a kernel socket. recv and send, the calls of every echo and
/// request, are tested first, ahead of the jump table of the rest.
[[gnu::always_inline]] inline long perform_native(io_op &op, int fd) noexcept {
    if (op.code == op_code::recv)
        return sys::recvfrom(fd, op.buf, op.len, op.flags | MSG_DONTWAIT, nullptr, nullptr);
    if (op.code == op_code::send)
        return sys::sendto(fd, op.buf, op.len, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL, nullptr, 0);
    return perform_other(op, fd);
}

long perform_other(io_op &op, int fd) noexcept {
    switch (op.code) {
    case op_code::recv:
        return sys::recvfrom(fd, op.buf, op.len, op.flags | MSG_DONTWAIT, nullptr, nullptr);
    case op_code::send:
        return sys::sendto(fd, op.buf, op.len, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL, nullptr, 0);
    case op_code::recvmsg:
        return sys::recvmsg(fd, op.msg, op.flags | MSG_DONTWAIT);
    case op_code::sendmsg:
        return sys::sendmsg(fd, op.msg, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL);
    case op_code::accept:
        return sys::accept4(fd, op.addr, op.addr ? &op.addrlen : nullptr,
                            SOCK_NONBLOCK | SOCK_CLOEXEC);
    case op_code::connect: {
        if (op.aux == 0) {
            op.aux = 1;
            long r = sys::connect(fd, op.addr, op.addrlen);
            return r == -EINPROGRESS ? -EAGAIN : r;
        }
        int err = 0;
        socklen_t len = sizeof err;
        long r = sys::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (r < 0) return r;
        if (err) return -err;
        sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        r = sys::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &plen);
        return r == -ENOTCONN ? -EAGAIN : r; // woken before the handshake finished
    }
    case op_code::poll: {
        short rev = kernel_revents(fd, op.events);
        return rev ? rev : -EAGAIN;
    }
    }
    return -EINVAL;
}

} // namespace

std::unique_ptr<epoll_engine> epoll_engine::create(int *err) noexcept {
    std::unique_ptr<epoll_engine> e(new (std::nothrow) epoll_engine);
    if (!e) {
        *err = -ENOMEM;
        return nullptr;
    }
    long ep = sys::call(SYS_epoll_create1, EPOLL_CLOEXEC);
    if (ep < 0) {
        *err = static_cast<int>(ep);
        return nullptr;
    }
    e->epfd_ = static_cast<int>(ep);
    long ev = sys::eventfd2(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev < 0) {
        *err = static_cast<int>(ev);
        return nullptr;
    }
    e->evfd_ = static_cast<int>(ev);
    epoll_event reg{};
    reg.events = EPOLLIN | EPOLLET;
    reg.data.ptr = &wake_tag;
    long r = sys::call(SYS_epoll_ctl, e->epfd_, EPOLL_CTL_ADD, e->evfd_, &reg);
    if (r < 0) {
        *err = static_cast<int>(r);
        return nullptr;
    }
    e->bind_thread();
    return e;
}

epoll_engine::~epoll_engine() {
    if (evfd_ >= 0) sys::close(evfd_);
    if (epfd_ >= 0) sys::close(epfd_);
}

epoll_engine::desc *epoll_engine::alloc_desc() noexcept {
    desc *d = descs_.acquire();
    if (d) *d = desc{};
    return d;
}

int epoll_engine::attach(int fd, unsigned flags, io_desc **out) noexcept {
    desc *d = alloc_desc();
    if (!d) return -ENOMEM;
    d->engine = this;
    d->start = &io_engine::start_entry<epoll_engine>;
    d->fd = fd;
    d->flags = flags;
    epoll_event reg{};
    reg.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    reg.data.ptr = d;
    long r = sys::call(SYS_epoll_ctl, epfd_, EPOLL_CTL_ADD, fd, &reg);
    if (r < 0) {
        descs_.release(d);
        return static_cast<int>(r);
    }
    *out = d;
    return 0;
}

void epoll_engine::detach(io_desc *base) noexcept {
    auto *d = static_cast<desc *>(base);
    if (d->detached) return;
    d->detached = true;
    if (d->timer.armed()) timer_disarm(&d->timer);
    for (auto &q : d->q) {
        while (io_op *op = q.head) {
            dequeue(*d, *op);
            complete_later(*op, op->aux == aux_waitall && op->result > 0 ? op->result : -ECANCELED);
        }
    }
    sys::call(SYS_epoll_ctl, epfd_, EPOLL_CTL_DEL, d->fd, nullptr);
    d->next_free = graveyard_;
    graveyard_ = d;
}

void epoll_engine::enqueue(desc &d, int side, io_op &op) noexcept {
    queue &q = d.q[side];
    op.qnext = nullptr;
    op.qprev = q.tail;
    if (q.tail)
        q.tail->qnext = &op;
    else
        q.head = &op;
    q.tail = &op;
    op.state = side == side_in ? queued_in : queued_out;
}

void epoll_engine::dequeue(desc &d, io_op &op) noexcept {
    queue &q = d.q[op.state == queued_in ? side_in : side_out];
    if (op.qprev)
        op.qprev->qnext = op.qnext;
    else
        q.head = op.qnext;
    if (op.qnext)
        op.qnext->qprev = op.qprev;
    else
        q.tail = op.qprev;
    op.qprev = op.qnext = nullptr;
    op.state = idle;
}

// One attempt on a kernel socket, unless the edge flag says it cannot succeed. -EAGAIN: wait in
// the op's natural queue.
[[gnu::always_inline]] inline long epoll_engine::attempt_native(desc &d, io_op &op,
                                                                int nat) noexcept {
    if (!d.ready[nat]) return -EAGAIN; // known not ready: wait for the next edge
    long r = perform_native(op, d.fd);
    if (r == -EAGAIN) {
        d.ready[nat] = false;
    } else if (static_cast<std::size_t>(r) < op.len && r > 0 && op.code <= op_code::send &&
               (d.flags & desc_stream) && !(nat == side_in && d.hangup)) {
        // A short stream read drained the socket; a short send filled its buffer. Either way
        // any later change of state is reported by the next epoll_wait, so the next call can
        // wait for it without a syscall. Not after a hang-up was reported: the end of stream
        // (or error) is then still to be read, and no new edge will announce it.
        d.ready[nat] = false;
    }
    return r;
}

// A readiness wait on a kernel socket. With the edge flag clear it waits for the next edge;
// with it set, one zero-timeout poll asks (the flag may be stale), and a "not ready" clears the
// flag like an EAGAIN. run_queue() answers without asking right after an event.
long epoll_engine::attempt_wait(desc &d, io_op &op, int nat) noexcept {
    if (!d.ready[nat]) return -EAGAIN;
    long r = perform_native(op, d.fd);
    if (r == -EAGAIN) d.ready[nat] = false;
    return r;
}

// What every start path does once it knows op's queue: wait in line behind the operations
// already waiting there (FIFO), else one attempt (through the object, or `attempt` on the kernel
// socket), and wait if that says EAGAIN. true: op completed (op.result set).
template <class Attempt>
[[gnu::always_inline]] inline bool epoll_engine::start_in_line(desc &d, io_op &op, int side,
                                                               Attempt attempt) noexcept {
    if (d.q[side].head) {
        enqueue(d, side, op);
        return false;
    }
    long r = d.perform ? attempt_object(d, op, &side) : attempt(d, op, side);
    if (r != -EAGAIN) {
        op.result = r;
        return true;
    }
    enqueue(d, side, op);
    return false;
}

// start() for a readiness wait (op_code::poll), kept off the path of transfers.
bool epoll_engine::start_wait(desc &d, io_op &op) noexcept {
    return start_in_line(d, op, natural_side(op), [this](desc &dd, io_op &o, int side) {
        return attempt_wait(dd, o, side);
    });
}

// attempt_native for an operation with MSG_* flags (kept off the common path: an echo's recv
// and send have none).
long epoll_engine::attempt_flagged(desc &d, io_op &op, int nat) noexcept {
    if (!d.ready[nat]) return -EAGAIN;
    if ((op.flags & (MSG_WAITALL | MSG_PEEK)) == MSG_WAITALL && (d.flags & desc_stream) &&
        (op.code == op_code::recv || op.code == op_code::recvmsg))
        return attempt_waitall(d, op);
    if (!(op.flags & MSG_PEEK)) return attempt_native(d, op, nat);
    long r = perform_native(op, d.fd);
    if (r == -EAGAIN) d.ready[nat] = false; // a short peek proves nothing: the bytes stay
    return r;
}

// MSG_WAITALL on a stream, as a blocking recv has it: wait for the whole length, the end of
// stream or an error (core/waitall.hpp keeps the progress in the operation).
long epoll_engine::attempt_waitall(desc &d, io_op &op) noexcept {
    long r = waitall_attempt(op, [fd = d.fd](void *buf, std::size_t len, msghdr *m, int flags) {
        return m ? sys::recvmsg(fd, m, flags)
                 : sys::recvfrom(fd, buf, len, flags, nullptr, nullptr);
    });
    if (r == -EAGAIN) d.ready[side_in] = false;
    return r;
}

// Through the object (hooked or offloaded): a hooked object may need the other direction first
// (a TLS read that must write) or may already hold what we want above the kernel.
// -EAGAIN: *side says which queue to wait in.
long epoll_engine::attempt_object(desc &d, io_op &op, int *side) noexcept {
    int nat = natural_side(op);
    *side = nat;
    for (int tries = 0; tries < 4; ++tries) {
        long r = d.perform(op);
        if (r != -EAGAIN) return r;
        short kev = side_events(nat);
        int64_t deadline = 0;
        int pr = hooked_wait_events(d.fd, side_events(nat), &kev, &deadline);
        if (pr < 0) return pr;
        if (pr > 0) continue;
        if (kev == 0) kev = side_events(nat);
        if (kernel_revents(d.fd, kev)) continue;
        if (deadline) arm_hook_timer(d, deadline);
        *side = ((kev & POLLOUT) && !(kev & POLLIN)) ? side_out : side_in;
        return -EAGAIN;
    }
    return -EAGAIN;
}

bool epoll_engine::start(io_op &op) noexcept {
    auto &d = *static_cast<desc *>(op.desc);
    if (d.detached) {
        op.result = -EBADF;
        return true;
    }
    op.aux = 0;
    if (op.code == op_code::poll) [[unlikely]]
        return start_wait(d, op);
    int side = side_of_transfer(op.code);
    if (op.flags) [[unlikely]]
        return start_flagged(d, op, side);
    return start_in_line(d, op, side,
                         [this](desc &dd, io_op &o, int s) { return attempt_native(dd, o, s); });
}

// start() for an operation with MSG_* flags. MSG_DONTWAIT: one real attempt, whatever the edge
// flags say, and never a wait (EAGAIN is the answer).
bool epoll_engine::start_flagged(desc &d, io_op &op, int side) noexcept {
    if (op.flags & MSG_DONTWAIT) {
        d.ready[side] = true;
        op.flags &= ~MSG_WAITALL;
        op.result = d.perform ? d.perform(op) : attempt_flagged(d, op, side);
        return true;
    }
    return start_in_line(d, op, side,
                         [this](desc &dd, io_op &o, int s) { return attempt_flagged(dd, o, s); });
}

void epoll_engine::cancel(io_op &op) noexcept {
    if (op.state == idle) return; // completed already, or never started
    dequeue(*static_cast<desc *>(op.desc), op);
    complete_later(op, op.aux == aux_waitall && op.result > 0 ? op.result : -ECANCELED);
}

void epoll_engine::abandon(io_op &op) noexcept {
    if (op.state != idle) dequeue(*static_cast<desc *>(op.desc), op);
    unschedule(&op);
}

// Runs d's queue for one direction in order, until its head must wait. fresh: an event reported
// that direction ready just now, so a readiness wait at the head is answered without a syscall
// (only at the head: an operation completed before it may have used the readiness up).
void epoll_engine::run_queue(desc &d, int side, bool fresh) noexcept {
    while (io_op *op = d.q[side].head) {
        long r;
        if (d.perform) {
            int want;
            r = attempt_object(d, *op, &want);
            if (r == -EAGAIN && want != side) { // it needs the other direction first
                dequeue(d, *op);
                enqueue(d, want, *op);
                continue;
            }
        } else if (op->code == op_code::poll) [[unlikely]] {
            r = fresh ? side_events(side) : attempt_wait(d, *op, side);
        } else {
            r = op->flags ? attempt_flagged(d, *op, side) : attempt_native(d, *op, side);
        }
        fresh = false;
        if (r == -EAGAIN) return; // head of line waits for the next edge
        dequeue(d, *op);
        op->result = r;
        resume(op->handle); // may start, cancel or detach anything, d included
        if (d.detached || (!d.perform && !d.ready[side])) return;
    }
}

// A hooked object with a timer of its own (a DTLS retransmission, an idle expiry) needs its
// operations attempted again by then even if its descriptor stays quiet: one timer per
// descriptor, at the earliest deadline asked for.
void epoll_engine::arm_hook_timer(desc &d, int64_t deadline_ns) noexcept {
    if (d.timer.armed()) {
        if (d.timer.deadline <= deadline_ns) return;
        timer_disarm(&d.timer);
    }
    d.timer.owner = &d;
    d.timer.deadline = deadline_ns;
    d.timer.fire = &on_hook_timer;
    timer_arm(&d.timer);
}

void epoll_engine::on_hook_timer(timer_node *t) noexcept {
    desc &d = *static_cast<hook_timer *>(t)->owner;
    if (d.detached) return;
    auto *self = static_cast<epoll_engine *>(d.engine);
    if (d.q[side_in].head) self->run_queue(d, side_in, false);
    if (!d.detached && d.q[side_out].head) self->run_queue(d, side_out, false);
}

void epoll_engine::on_event(desc &d, uint32_t ev) noexcept {
    if (d.detached) return;
    bool object =
        d.perform != nullptr; // hooked/offloaded: its own readiness may differ from the kernel's
    const bool in = ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
    const bool out = ev & (EPOLLOUT | EPOLLERR | EPOLLHUP);
    if (in) d.ready[side_in] = true;
    if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) d.hangup = true;
    if (out) d.ready[side_out] = true;
    if (d.q[side_in].head && (d.ready[side_in] || object)) run_queue(d, side_in, in);
    if (!d.detached && d.q[side_out].head && (d.ready[side_out] || object))
        run_queue(d, side_out, out);
}

void epoll_engine::poll(int64_t timeout_ns) noexcept {
    epoll_event evs[max_events];
    long n = -ENOSYS;
    ++stats_.submits;
    if (has_pwait2_) {
        timespec ts{timeout_ns / 1000000000, timeout_ns % 1000000000};
        n = sys::call(SYS_epoll_pwait2, epfd_, evs, max_events, timeout_ns < 0 ? nullptr : &ts,
                      nullptr, 8);
        if (n == -ENOSYS) has_pwait2_ = false;
    }
    if (!has_pwait2_) {
        long ms = timeout_ns < 0 ? -1 : (timeout_ns + 999999) / 1000000;
        n = sys::call(SYS_epoll_pwait, epfd_, evs, max_events, ms, nullptr, 8);
    }
    for (long i = 0; i < n; ++i) {
        if (evs[i].data.ptr == &wake_tag) {
            uint64_t v;
            sys::read(evfd_, &v, sizeof v);
            continue;
        }
        on_event(*static_cast<desc *>(evs[i].data.ptr), evs[i].events);
    }
    while (desc *d = graveyard_) {
        graveyard_ = d->next_free;
        descs_.release(d);
    }
}

void epoll_engine::wake() noexcept {
    uint64_t one = 1;
    sys::write(evfd_, &one, sizeof one);
}

} // namespace zsock::core
