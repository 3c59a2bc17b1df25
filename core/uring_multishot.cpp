// core/uring_multishot.cpp - the io_uring engine's multishot paths: stream recv through the
// provided buffer ring, and accept.
#include <cstring>

#include "core/sys.hpp"
#include "core/uring_engine.hpp"

namespace zsock::core {
namespace {
// A connection that holds this many unread buffers stops receiving until its reader catches up,
// so one slow reader cannot take the whole ring from the others.
constexpr uint32_t min_per_conn_cap = 8;
// Accepted connections that may queue before multishot accept is paused.
constexpr std::size_t accept_queue_cap = 256;
} // namespace

// ---- provided buffers ---------------------------------------------------------------------

void uring_engine::recycle(uint32_t bid) noexcept {
    io_uring_buf_ring_add(br_, buf_mem_.get() + static_cast<std::size_t>(bid) * buf_size_, buf_size_,
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(nbufs_), 0);
    io_uring_buf_ring_advance(br_, 1);
    --bufs_out_;
}

std::size_t uring_engine::copy_out(udesc &d, void *dst, std::size_t len) noexcept {
    auto *out = static_cast<unsigned char *>(dst);
    std::size_t done = 0;
    while (done < len && d.q_head >= 0) {
        auto bid = static_cast<uint32_t>(d.q_head);
        uint32_t avail = buf_len_[bid] - d.q_off;
        std::size_t n = len - done < avail ? len - done : avail;
        std::memcpy(out + done, buf_mem_.get() + static_cast<std::size_t>(bid) * buf_size_ + d.q_off, n);
        done += n;
        d.q_off += static_cast<uint32_t>(n);
        if (d.q_off == buf_len_[bid]) {
            d.q_head = buf_next_[bid];
            if (d.q_head < 0) d.q_tail = -1;
            d.q_off = 0;
            --d.q_count;
            recycle(bid);
        }
    }
    return done;
}

// What a recv gets from the queue: bytes, else the end of stream (sticky), else an error (once).
long uring_engine::take_rx(udesc &d, io_op &op) noexcept {
    std::size_t n = copy_out(d, op.buf, op.len);
    if (n > 0 || op.len == 0) return static_cast<long>(n);
    if (d.rx_status == 1) return 0;
    long err = d.rx_status;
    d.rx_status = 0;
    return err;
}

bool uring_engine::start_recv_ms(io_op &op, udesc &d) noexcept {
    if (d.readers.empty() && (d.q_head >= 0 || d.rx_status != 0 || op.len == 0)) {
        op.result = take_rx(d, op); // served from bytes that arrived already: no suspension
        return true;
    }
    push(d.readers, op);
    op.state = s_reader;
    if (!d.ms_recv) arm_recv(d);
    return false;
}

// Re-arms the multishot recv for the readers waiting on d, or, with no buffer free, hands the
// first reader a plain recv into its own buffer.
void uring_engine::arm_recv(udesc &d) noexcept {
    if (bufs_out_ >= nbufs_) {
        io_op *op = d.readers.head;
        remove(d.readers, *op);
        op->state = s_idle;
        ++stats_.ms_recv_fallbacks;
        submit_op(*op, d);
        return;
    }
    io_uring_sqe *sqe = get_sqe();
    req *r = sqe ? alloc_req(req::k_ms_recv, &d, nullptr) : nullptr;
    if (!r) {
        if (sqe) io_uring_prep_nop(sqe), io_uring_sqe_set_data64(sqe, 0);
        io_op *op = d.readers.head;
        remove(d.readers, *op);
        op->state = s_idle;
        complete_later(*op, -ENOMEM);
        return;
    }
    io_uring_prep_recv_multishot(sqe, d.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data(sqe, r);
    d.ms_recv = r;
    ++stats_.ms_recv_arms;
}

void uring_engine::deliver_rx(udesc &d) noexcept {
    while (io_op *op = d.readers.head) {
        if (d.q_head < 0 && d.rx_status == 0) break;
        remove(d.readers, *op);
        op->state = s_idle;
        op->result = take_rx(d, *op);
        resume(op->handle);
        if (d.detached) return;
    }
    if (!d.readers.empty() && !d.ms_recv) arm_recv(d);
}

void uring_engine::on_ms_recv(req *r, int res, uint32_t flags) noexcept {
    udesc &d = *r->d;
    ++d.refs; // d outlives the coroutines resumed below
    bool more = flags & IORING_CQE_F_MORE;
    if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
        uint32_t bid = flags >> IORING_CQE_BUFFER_SHIFT;
        ++bufs_out_;
        if (d.detached) {
            recycle(bid);
        } else {
            buf_len_[bid] = static_cast<uint32_t>(res);
            buf_next_[bid] = -1;
            if (d.q_tail >= 0) buf_next_[d.q_tail] = static_cast<int32_t>(bid);
            else d.q_head = static_cast<int32_t>(bid);
            d.q_tail = static_cast<int32_t>(bid);
            ++d.q_count;
        }
    } else if (res == 0) {
        d.rx_status = 1; // end of stream; the kernel ends the multishot too
    } else if (res == -ENOBUFS) {
        ++stats_.ms_recv_enobufs; // the ring ran dry; deliver_rx re-arms for a waiting reader
    } else if (res < 0 && res != -ECANCELED) {
        d.rx_status = res;
    }
    if (!more) {
        d.ms_recv = nullptr;
        free_req(r);
    } else if (d.readers.empty() && d.q_count >= std::max(min_per_conn_cap, nbufs_ / 16)) {
        cancel_req(r); // nobody reads this connection: stop filling buffers for it
    }
    if (!d.detached) deliver_rx(d);
    put_desc(&d);
}

// ---- multishot accept ---------------------------------------------------------------------

long uring_engine::finish_accept(io_op &op, int kfd) noexcept {
    if (op.addr) {
        long r = sys::getpeername(kfd, op.addr, &op.addrlen);
        if (r < 0) op.addrlen = 0;
    }
    return kfd;
}

bool uring_engine::start_accept_ms(io_op &op, udesc &d) noexcept {
    if (d.acceptors.empty()) {
        if (!d.accepted.empty()) {
            int kfd = d.accepted.front();
            d.accepted.erase(d.accepted.begin());
            op.result = finish_accept(op, kfd);
            return true;
        }
        if (d.accept_error) {
            op.result = d.accept_error;
            d.accept_error = 0;
            return true;
        }
    }
    push(d.acceptors, op);
    op.state = s_acceptor;
    if (!d.ms_accept) arm_accept(d);
    return false;
}

void uring_engine::arm_accept(udesc &d) noexcept {
    io_uring_sqe *sqe = get_sqe();
    req *r = sqe ? alloc_req(req::k_ms_accept, &d, nullptr) : nullptr;
    if (!r) {
        if (sqe) io_uring_prep_nop(sqe), io_uring_sqe_set_data64(sqe, 0);
        io_op *op = d.acceptors.head;
        remove(d.acceptors, *op);
        op->state = s_idle;
        complete_later(*op, -ENOMEM);
        return;
    }
    io_uring_prep_multishot_accept(sqe, d.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data(sqe, r);
    d.ms_accept = r;
    ++stats_.ms_accept_arms;
}

void uring_engine::deliver_accepts(udesc &d) noexcept {
    while (io_op *op = d.acceptors.head) {
        long res;
        if (!d.accepted.empty()) {
            res = finish_accept(*op, d.accepted.front());
            d.accepted.erase(d.accepted.begin());
        } else if (d.accept_error) {
            res = d.accept_error;
            d.accept_error = 0;
        } else {
            break;
        }
        remove(d.acceptors, *op);
        op->state = s_idle;
        op->result = res;
        resume(op->handle);
        if (d.detached) return;
    }
    if (!d.acceptors.empty() && !d.ms_accept) arm_accept(d);
}

void uring_engine::on_ms_accept(req *r, int res, uint32_t flags) noexcept {
    udesc &d = *r->d;
    ++d.refs;
    bool more = flags & IORING_CQE_F_MORE;
    if (res >= 0) {
        if (d.detached) {
            sys::close(res);
        } else {
            try {
                d.accepted.push_back(res);
            } catch (...) {
                sys::close(res);
            }
        }
    } else if (res != -ECANCELED) {
        // EMFILE, ENFILE, ENOBUFS...: reported to one acceptor; the multishot has ended, and the
        // listener's backoff (coro/) delays the next attempt, so this never spins.
        d.accept_error = res;
    }
    if (!more) {
        d.ms_accept = nullptr;
        free_req(r);
    } else if (d.acceptors.empty() && d.accepted.size() >= accept_queue_cap) {
        cancel_req(r);
    }
    if (!d.detached) {
        // An error with no acceptor waiting is kept for the next accept; but do not re-arm
        // because of it (deliver_accepts only re-arms for acceptors left waiting).
        deliver_accepts(d);
    }
    put_desc(&d);
}

} // namespace zsock::core
