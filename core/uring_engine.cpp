// core/uring_engine.cpp - the io_uring engine: requests, submission, dispatch, cancellation.
// Setup and the capability probe are in uring_probe.cpp; the multishot recv/accept paths in
// uring_multishot.cpp.
#include "core/uring_engine.hpp"

#include <cstring>
#include <poll.h>

#include "core/sys.hpp"

namespace zsock::core {

// ---- pools --------------------------------------------------------------------------------

uring_engine::req *uring_engine::alloc_req(req::kind_t k, udesc *d, io_op *op) noexcept {
    req *r = reqs_.acquire();
    if (!r) return nullptr;
    r->kind = k;
    r->cancel_sent = false;
    r->touches_memory = false;
    r->timed = false;
    r->dir = req::none;
    r->op = op;
    r->d = d;
    if (d) ++d->refs;
    return r;
}

void uring_engine::free_req(req *r) noexcept {
    udesc *d = r->d;
    r->op = nullptr;
    r->d = nullptr;
    reqs_.release(r);
    if (d) put_desc(d);
}

uring_engine::udesc *uring_engine::alloc_desc() noexcept {
    return descs_.acquire(); // put_desc left it reset
}

void uring_engine::put_desc(udesc *d) noexcept {
    if (--d->refs > 0) return;
    d->accepted.clear();
    d->accepted.shrink_to_fit();
    *d = udesc{};
    descs_.release(d);
}

io_uring_sqe *uring_engine::get_sqe() noexcept {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
        // SQ full: flush it now rather than fail; the turn's submit-and-wait picks up the rest.
        io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
}

void uring_engine::push(waitq &q, io_op &op) noexcept {
    op.qnext = nullptr;
    op.qprev = q.tail;
    if (q.tail)
        q.tail->qnext = &op;
    else
        q.head = &op;
    q.tail = &op;
}

void uring_engine::remove(waitq &q, io_op &op) noexcept {
    if (op.qprev)
        op.qprev->qnext = op.qnext;
    else
        q.head = op.qnext;
    if (op.qnext)
        op.qnext->qprev = op.qprev;
    else
        q.tail = op.qprev;
    op.qprev = op.qnext = nullptr;
}

// ---- descriptors --------------------------------------------------------------------------

int uring_engine::attach(int fd, unsigned flags, io_desc **out) noexcept {
    udesc *d = alloc_desc();
    if (!d) return -ENOMEM;
    d->engine = this;
    d->start = &io_engine::start_entry<uring_engine>;
    d->fd = fd;
    d->flags = flags;
    d->refs = 1;
    if ((flags & (desc_stream | desc_native)) == (desc_stream | desc_native)) {
        // Only TCP reads through the buffer ring: a recv without a control buffer would drop
        // the SCM_RIGHTS and credentials an AF_UNIX stream carries.
        int domain = 0;
        socklen_t len = sizeof domain;
        if (sys::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
            (domain != AF_INET && domain != AF_INET6))
            d->no_multishot = true;
    }
    *out = d;
    return 0;
}

void uring_engine::detach(io_desc *base) noexcept {
    auto *d = static_cast<udesc *>(base);
    if (d->detached) return;
    d->detached = true;
    while (io_op *op = d->readers.head) {
        remove(d->readers, *op);
        op->state = s_idle;
        complete_later(*op, op->result > 0 ? op->result : -ECANCELED); // MSG_WAITALL progress
    }
    while (io_op *op = d->acceptors.head) {
        remove(d->acceptors, *op);
        op->state = s_idle;
        complete_later(*op, -ECANCELED);
    }
    while (d->q_head >= 0) {
        int32_t bid = d->q_head;
        d->q_head = buf_next_[bid];
        recycle(static_cast<uint32_t>(bid));
    }
    d->q_tail = -1;
    d->q_count = 0;
    for (int kfd : d->accepted)
        sys::close(kfd);
    d->accepted.clear();
    if (d->refs > 1) {
        // Requests still name this fd. Cancel them all by fd and submit now: the caller closes
        // the fd right after, and a request the kernel still held would keep the socket alive.
        if (io_uring_sqe *sqe = get_sqe()) {
            io_uring_prep_cancel_fd(sqe, d->fd, IORING_ASYNC_CANCEL_ALL);
            io_uring_sqe_set_data64(sqe, 0);
        }
        io_uring_submit(&ring_);
    }
    put_desc(d);
}

// ---- starting operations ------------------------------------------------------------------

bool uring_engine::start(io_op &op) noexcept {
    auto &d = *static_cast<udesc *>(op.desc);
    if (d.detached) {
        op.result = -EBADF;
        return true;
    }
    op.aux = 0;
    if ((d.flags & desc_hooked) || d.perform) return start_hooked(op, d);
    if (op.code == op_code::poll) [[unlikely]]
        return start_wait(op, d);
    if (d.bulk && d.no_multishot && op.flags == 0 && try_bulk_inline(op, d)) return true;
    if ((op.flags & MSG_DONTWAIT) && try_dontwait_direct(op, d)) return true;
    if ((op.code == op_code::recv || op.code == op_code::recvmsg) && (d.flags & desc_stream) &&
        br_ && !d.no_multishot && !(op.flags & (MSG_OOB | MSG_ERRQUEUE))) {
        // A reader with a buffer of at least two provided buffers moves bulk data: the ring
        // would cut its bytes into chunks and cost a copy out of them, where a plain recv
        // lands them in its buffer at once. Its connection leaves the ring: the multishot is
        // cancelled, what it already received is served first, then reads are plain recvs.
        if (op.code == op_code::recv && op.len >= 2 * static_cast<std::size_t>(buf_size_))
            d.bulk = true;
        if (d.bulk) {
            if (d.ms_recv) cancel_req(d.ms_recv);
            if (!d.ms_used ||
                (!d.ms_recv && d.q_head < 0 && d.readers.empty() && d.rx_status == 0)) {
                d.no_multishot = true; // nothing of the ring is left to read: plain from now on
                d.ms_used = false;
                ++stats_.ms_recv_left;
                return submit_op(op, d);
            }
            return start_recv_ms(op, d); // queued bytes first; arm_recv then goes plain
        }
        // A reader that asks for ancillary data keeps its connection on plain recvmsg, unless
        // the connection already reads through the ring (then bytes must keep their order).
        if (op.code == op_code::recv || d.ms_used || op.msg->msg_controllen == 0)
            return start_recv_ms(op, d);
        d.no_multishot = true;
    }
    if (op.code == op_code::accept && (d.flags & desc_listener) && ms_accept_ok_)
        return start_accept_ms(op, d);
    return submit_op(op, d);
}

// One nonblocking call of a recv, recvmsg, send or sendmsg on the socket itself, bypassing the
// ring. A recv that filled its buffer marks the connection's input hot (more is queued), a send
// that was cut short or refused marks its output full: try_bulk_inline() reads both.
inline long uring_engine::direct_call(io_op &op, udesc &d) noexcept {
    const int flags = op.flags | MSG_DONTWAIT;
    long r;
    switch (op.code) {
    case op_code::recv:
        r = sys::recvfrom(d.fd, op.buf, op.len, flags, nullptr, nullptr);
        d.rx_hot = r > 0 && static_cast<std::size_t>(r) == op.len;
        return r;
    case op_code::send:
        r = sys::sendto(d.fd, op.buf, op.len, flags | MSG_NOSIGNAL, nullptr, 0);
        d.tx_full = r == -EAGAIN || (r >= 0 && static_cast<std::size_t>(r) < op.len);
        return r;
    case op_code::recvmsg:
        return sys::recvmsg(d.fd, op.msg, flags);
    case op_code::sendmsg:
        return sys::sendmsg(d.fd, op.msg, flags | MSG_NOSIGNAL);
    default:
        return -EINVAL; // callers pass transfers only
    }
}

// A connection that left the ring moves bulk data. Batching its recvs and sends through the
// ring visits each of them once per loop turn, moving one buffer's worth, so with many such
// connections every visit finds the socket's state and the data cold again (at 1024 connections
// x 64 KiB x 8 in flight this cost 1.5x the CPU per message of a raw epoll server). While its
// last read filled the buffer (more is queued) and its last send went out whole (there is room),
// its next read or send is one nonblocking call made right here, as the epoll engine would make
// it: the coroutine then drains and echoes the socket in one visit. Never while an SQE of the
// same direction is in flight, which it would overtake.
bool uring_engine::try_bulk_inline(io_op &op, udesc &d) noexcept {
    const bool may = op.code == op_code::recv   ? d.rx_hot && d.sq_rx == 0
                     : op.code == op_code::send ? !d.tx_full && d.sq_tx == 0
                                                : false;
    if (!may) return false;
    long r = direct_call(op, d);
    if (r == -EAGAIN) return false; // not ready after all: through the ring
    op.result = r;
    ++stats_.bulk_inline;
    return true;
}

// MSG_DONTWAIT asks for one nonblocking attempt, and a direct call is exactly that: through the
// ring the answer (often EAGAIN) would come a loop turn later. The echo of a bulk connection reads
// this way so that it can give its buffer back as soon as the socket is drained. Only where no
// bytes can overtake: a recv or send of that direction already in flight, or bytes the multishot
// recv has taken into the ring, keep the operation on its usual path (start_recv_ms serves
// MSG_DONTWAIT from the queue).
bool uring_engine::try_dontwait_direct(io_op &op, udesc &d) noexcept {
    const bool rx = op.code == op_code::recv || op.code == op_code::recvmsg;
    const bool tx = op.code == op_code::send || op.code == op_code::sendmsg;
    if (rx ? (d.sq_rx != 0 || d.ms_used || !d.readers.empty()) : (!tx || d.sq_tx != 0))
        return false;
    op.result = direct_call(op, d);
    ++stats_.dontwait_direct;
    return true;
}

// A readiness wait on a kernel socket. A TCP connection that reads (or will read) through the
// buffer ring has its bytes taken off the socket by the multishot recv as they arrive, where a
// poll of the socket would no longer see them: its POLLIN wait joins the readers, in line with
// them, and is ready when bytes, the end of stream or an error are queued (serve_rx). Every
// other wait is a POLL_ADD.
bool uring_engine::start_wait(io_op &op, udesc &d) noexcept {
    if ((op.events & POLLIN) && (d.flags & desc_stream) && br_ && !d.no_multishot)
        return start_recv_ms(op, d);
    return submit_op(op, d);
}

bool uring_engine::submit_op(io_op &op, udesc &d) noexcept {
    io_uring_sqe *sqe = get_sqe();
    req *r = sqe ? alloc_req(req::k_op, &d, &op) : nullptr;
    if (!r) {
        if (sqe) io_uring_prep_nop(sqe), io_uring_sqe_set_data64(sqe, 0);
        op.result = -ENOMEM;
        return true;
    }
    r->touches_memory = true;
    if (op.code == op_code::recv || op.code == op_code::recvmsg) r->dir = req::rx, ++d.sq_rx;
    if (op.code == op_code::send || op.code == op_code::sendmsg) r->dir = req::tx, ++d.sq_tx;
    switch (op.code) {
    case op_code::recv:
        io_uring_prep_recv(sqe, d.fd, op.buf, op.len, op.flags);
        break;
    case op_code::send:
        io_uring_prep_send(sqe, d.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL);
        break;
    case op_code::recvmsg:
        io_uring_prep_recvmsg(sqe, d.fd, op.msg, static_cast<unsigned>(op.flags));
        break;
    case op_code::sendmsg:
        io_uring_prep_sendmsg(sqe, d.fd, op.msg, static_cast<unsigned>(op.flags | MSG_NOSIGNAL));
        break;
    case op_code::accept:
        io_uring_prep_accept(sqe, d.fd, op.addr, op.addr ? &op.addrlen : nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
    case op_code::connect:
        io_uring_prep_connect(sqe, d.fd, op.addr, op.addrlen);
        break;
    case op_code::poll:
        io_uring_prep_poll_add(sqe, d.fd, static_cast<unsigned>(op.events));
        r->touches_memory = false;
        r->dir = (op.events & POLLIN) ? req::wait_in : req::wait_out;
        break;
    }
    io_uring_sqe_set_data(sqe, r);
    op.engine_ref = r;
    op.state = s_kernel;
    return false;
}

// Objects with poll hooks: their own nonblocking call, then a poll for what prepare() asks.
bool uring_engine::start_hooked(io_op &op, udesc &d) noexcept {
    short want =
        (op.code == op_code::send || op.code == op_code::sendmsg || op.code == op_code::connect)
            ? POLLOUT
            : (op.code == op_code::poll ? op.events : POLLIN);
    for (int tries = 0; tries < 4; ++tries) {
        long r = d.perform ? d.perform(op) : -EOPNOTSUPP;
        if (r != -EAGAIN || (op.flags & MSG_DONTWAIT)) {
            op.result = r;
            return true;
        }
        short kev = want;
        int64_t deadline = 0;
        int pr = hooked_wait_events(d.fd, want, &kev, &deadline);
        if (pr < 0) {
            op.result = pr;
            return true;
        }
        if (pr > 0) continue;
        arm_hooked_poll(op, d, kev ? kev : want, deadline);
        return false;
    }
    arm_hooked_poll(op, d, want, 0);
    return false;
}

// The readiness poll for a hooked operation. With a deadline (the object's own timer), a linked
// timeout ends the poll then, and on_hooked attempts the operation again.
void uring_engine::arm_hooked_poll(io_op &op, udesc &d, short kev, int64_t deadline_ns) noexcept {
    // The poll and its timeout must go in one submission, or the link would be cut.
    if (deadline_ns && io_uring_sq_space_left(&ring_) < 2) io_uring_submit(&ring_);
    io_uring_sqe *sqe = get_sqe();
    req *r = sqe ? alloc_req(req::k_hooked, &d, &op) : nullptr;
    if (!r) {
        if (sqe) io_uring_prep_nop(sqe), io_uring_sqe_set_data64(sqe, 0);
        complete_later(op, -ENOMEM);
        return;
    }
    io_uring_prep_poll_add(sqe, d.fd, static_cast<unsigned>(kev));
    io_uring_sqe_set_data(sqe, r);
    if (deadline_ns) {
        r->timed = true;
        r->ts.tv_sec = deadline_ns / 1000000000;
        r->ts.tv_nsec = deadline_ns % 1000000000;
        sqe->flags |= IOSQE_IO_LINK;
        io_uring_sqe *t = io_uring_get_sqe(&ring_); // space checked above
        io_uring_prep_link_timeout(t, &r->ts, IORING_TIMEOUT_ABS);
        io_uring_sqe_set_data64(t, 0);
    }
    op.engine_ref = r;
    op.state = s_kernel;
}

void uring_engine::on_hooked(req *r, int res) noexcept {
    io_op *op = r->op;
    udesc *d = r->d;
    bool was_cancelled = r->cancel_sent;
    // The linked timeout ended the poll (the object's deadline came): not a cancellation.
    const bool deadline_came = r->timed && res == -ECANCELED && !was_cancelled;
    if (deadline_came) res = 0;
    ++d->refs; // keep d while op's coroutine runs
    free_req(r);
    if (op) {
        op->state = s_idle;
        op->engine_ref = nullptr;
        // A MSG_WAITALL read that took bytes already returns them instead of the error.
        const bool progress = op->aux == detail::aux_waitall && op->result > 0;
        if (res < 0 && res != -EINTR) {
            if (!progress) op->result = res; // -ECANCELED (cancel, detach) or a poll error
            resume(op->handle);
        } else if (was_cancelled || d->detached) {
            if (!progress) op->result = -ECANCELED;
            resume(op->handle);
        } else if (start_hooked(*op, *d)) {
            resume(op->handle);
        }
    }
    put_desc(d);
}

// ---- cancellation -------------------------------------------------------------------------

void uring_engine::cancel_req(req *r) noexcept {
    if (r->cancel_sent) return;
    io_uring_sqe *sqe = get_sqe();
    if (!sqe) return;
    r->cancel_sent = true;
    io_uring_prep_cancel(sqe, r, 0);
    io_uring_sqe_set_data64(sqe, 0);
}

void uring_engine::cancel(io_op &op) noexcept {
    switch (op.state) {
    case s_kernel:
        cancel_req(static_cast<req *>(op.engine_ref));
        break;
    case s_reader:
        remove(static_cast<udesc *>(op.desc)->readers, op);
        op.state = s_idle;
        // A MSG_WAITALL reader keeps the bytes it already took: its progress is its result.
        complete_later(op, op.result > 0 ? op.result : -ECANCELED);
        break;
    case s_acceptor:
        remove(static_cast<udesc *>(op.desc)->acceptors, op);
        op.state = s_idle;
        complete_later(op, -ECANCELED);
        break;
    default:
        break;
    }
}

void uring_engine::abandon(io_op &op) noexcept {
    switch (op.state) {
    case s_kernel: {
        auto *r = static_cast<req *>(op.engine_ref);
        r->op = nullptr; // its completion is dropped
        if (r->touches_memory) {
            // The SQE points into the dying awaiter (buffer, msghdr, address). Make sure it was
            // submitted, then cancel it synchronously: when this returns the kernel has let go.
            if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
            io_uring_sync_cancel_reg reg{};
            reg.addr = reinterpret_cast<uint64_t>(r);
            reg.timeout.tv_sec = -1;
            reg.timeout.tv_nsec = -1;
            io_uring_register_sync_cancel(&ring_, &reg);
            r->cancel_sent = true;
            ++stats_.sync_cancels;
        } else {
            cancel_req(r);
        }
        break;
    }
    case s_reader:
        remove(static_cast<udesc *>(op.desc)->readers, op);
        break;
    case s_acceptor:
        remove(static_cast<udesc *>(op.desc)->acceptors, op);
        break;
    default:
        break;
    }
    op.state = s_idle;
    op.engine_ref = nullptr;
    unschedule(&op);
}

// ---- the loop turn ------------------------------------------------------------------------

void uring_engine::poll(int64_t timeout_ns) noexcept {
    ++stats_.submits;
    // One enter per turn: submit what the turn queued and wait (or just collect, timeout 0).
    // Without a timeout io_uring_submit_and_wait is the cheapest path through liburing; with one,
    // the timeout travels in the enter call (EXT_ARG), not as an extra SQE.
    if (timeout_ns == 0) {
        io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ns < 0) {
        io_uring_submit_and_wait(&ring_, 1);
    } else {
        __kernel_timespec ts{timeout_ns / 1000000000, timeout_ns % 1000000000};
        io_uring_cqe *cqe = nullptr;
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    // Copy a batch out and release the CQ slots before dispatching: the coroutines resumed
    // below may submit, cancel synchronously, or run task work, all of which post CQEs.
    constexpr unsigned batch = 64; // small stack arrays: no stack-clash probing per turn
    struct item {
        uint64_t ud;
        int res;
        uint32_t flags;
    };
    for (;;) {
        item items[batch];
        unsigned n = 0;
        unsigned head;
        io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            items[n++] = {cqe->user_data, cqe->res, cqe->flags};
            if (n == batch) break;
        }
        if (n == 0) break;
        io_uring_cq_advance(&ring_, n);
        for (unsigned i = 0; i < n; ++i)
            dispatch(items[i].ud, items[i].res, items[i].flags);
        if (n < batch) break;
    }
}

void uring_engine::dispatch(uint64_t ud, int res, uint32_t flags) noexcept {
    if (ud == 0 || ud == LIBURING_UDATA_TIMEOUT) return; // cancel requests, internal timeouts
    auto *r = reinterpret_cast<req *>(ud);
    switch (r->kind) {
    case req::k_op: {
        io_op *op = r->op;
        if (r->dir == req::rx) {
            --r->d->sq_rx;
            r->d->rx_hot = op && res > 0 && static_cast<std::size_t>(res) == op->len;
        } else if (r->dir == req::tx) {
            --r->d->sq_tx;
            r->d->tx_full = op && res >= 0 && static_cast<std::size_t>(res) < op->len;
        } else if (r->dir == req::wait_in) {
            if (res > 0) r->d->rx_hot = true; // readable (or ended): the next read is direct
        } else if (r->dir == req::wait_out) {
            if (res > 0) r->d->tx_full = false;
        }
        free_req(r);
        if (!op) return; // abandoned
        op->state = s_idle;
        op->engine_ref = nullptr;
        op->result = res;
        resume(op->handle);
        return;
    }
    case req::k_hooked:
        on_hooked(r, res);
        return;
    case req::k_ms_recv:
        on_ms_recv(r, res, flags);
        return;
    case req::k_ms_accept:
        on_ms_accept(r, res, flags);
        return;
    case req::k_wake:
        arm_wake();
        return;
    }
}

void uring_engine::arm_wake() noexcept {
    io_uring_sqe *sqe = get_sqe();
    if (!sqe) return;
    io_uring_prep_read(sqe, evfd_, &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data(sqe, &wake_req_);
}

void uring_engine::wake() noexcept {
    uint64_t one = 1;
    sys::write(evfd_, &one, sizeof one);
}

} // namespace zsock::core
