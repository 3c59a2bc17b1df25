// core/uring_multishot.cpp - the io_uring engine's multishot paths: stream recv through the
// provided buffer ring, and accept.
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

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
    io_uring_buf_ring_add(br_, buf_mem_.get() + static_cast<std::size_t>(bid) * buf_size_,
                          buf_size_, static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(nbufs_), 0);
    io_uring_buf_ring_advance(br_, 1);
    --bufs_out_;
}

// Walks d's queue from c, copying up to len bytes to dst (null: discards them). consume: the
// walk is the reader's, so finished buffers go back to the ring and the queue head moves.
std::size_t uring_engine::rx_copy(udesc &d, rx_cursor &c, unsigned char *dst, std::size_t len,
                                  bool consume) noexcept {
    std::size_t done = 0;
    while (done < len && c.bid >= 0) {
        auto bid = static_cast<uint32_t>(c.bid);
        uint32_t avail = buf_len_[bid] - c.off;
        std::size_t n = len - done < avail ? len - done : avail;
        if (dst)
            std::memcpy(dst + done,
                        buf_mem_.get() + static_cast<std::size_t>(bid) * buf_size_ + c.off, n);
        done += n;
        c.off += static_cast<uint32_t>(n);
        if (c.off == buf_len_[bid]) {
            c.bid = buf_next_[bid];
            c.off = 0;
            if (consume) {
                --d.q_count;
                recycle(bid);
            }
        }
    }
    if (consume) {
        d.q_head = c.bid;
        d.q_off = c.off;
        if (c.bid < 0) d.q_tail = -1;
    }
    return done;
}

// True if the kernel would attach ancillary data to what a TCP socket receives: receive
// timestamps or TCP_INQ are on. A few getsockopt calls, made only for a recvmsg that brought a
// control buffer to a connection already reading through the ring (a rare path).
static bool stream_has_ancillary(int fd) noexcept {
    static constexpr struct {
        int level, name;
    } opts[] = {{SOL_SOCKET, SO_TIMESTAMP_OLD},
                {SOL_SOCKET, SO_TIMESTAMPNS_OLD},
                {SOL_SOCKET, SO_TIMESTAMPING_OLD},
                {IPPROTO_TCP, TCP_INQ}};
    for (auto o : opts) {
        int v = 0;
        socklen_t len = sizeof v;
        if (sys::getsockopt(fd, o.level, o.name, &v, &len) == 0 && v != 0) return true;
    }
    return false;
}

// The outcome of a read that took `done` of the `want` bytes it asked for, as tcp_recvmsg
// decides it. true: *res is the result; false: the reader waits for more.
bool uring_engine::rx_result(udesc &d, std::size_t done, std::size_t want, bool waitall,
                             bool dontwait, long *res) noexcept {
    // A zero-length read is ready once bytes are queued, as TCP's: it takes none of them.
    if ((done == want && (want > 0 || d.q_head >= 0)) || (done > 0 && !waitall)) {
        *res = static_cast<long>(done);
    } else if (d.rx_status == 1) {
        *res = static_cast<long>(done); // end of stream: what there is, or 0
    } else if (d.rx_status < 0) {
        *res = done > 0 ? static_cast<long>(done) : d.rx_status; // the error comes next time
        if (done == 0) d.rx_status = 0;
    } else if (dontwait) {
        *res = done > 0 ? static_cast<long>(done) : -EAGAIN;
    } else {
        return false;
    }
    return true;
}

// Serves a recv or recvmsg (or a readiness wait) from the bytes queued on d, the way tcp_recvmsg
// would: MSG_PEEK copies without consuming, MSG_TRUNC consumes without copying, MSG_WAITALL waits
// for the whole length (or the end of stream, an error, a cancellation), MSG_DONTWAIT never
// waits. recvmsg gets no address (TCP gives none) and no ancillary data (MSG_CTRUNC says so where
// some was due). While a reader waits, op.result holds the bytes it took so far. true: op is
// complete. The common read, a plain recv into one buffer, is served here, inline in the
// callers; the rest out of line.
inline bool uring_engine::serve_rx(udesc &d, io_op &op) noexcept {
    if (op.code != op_code::recv || op.flags != 0) [[unlikely]]
        return serve_rx_general(d, op);
    std::size_t n = 0;
    if (d.q_head >= 0) {
        rx_cursor c{d.q_head, d.q_off};
        n = rx_copy(d, c, static_cast<unsigned char *>(op.buf), op.len, true);
    }
    return rx_result(d, n, op.len, false, false, &op.result);
}

bool uring_engine::serve_rx_general(udesc &d, io_op &op) noexcept {
    if (op.code == op_code::poll) { // a readiness wait: ready once anything is there to read
        if (d.q_head >= 0)
            op.result = POLLIN;
        else if (d.rx_status == 1)
            op.result = POLLIN | POLLRDHUP;
        else if (d.rx_status < 0)
            op.result = POLLIN | POLLERR; // the error itself is for the next recv
        else
            return false;
        return true;
    }
    iovec one{op.buf, op.len};
    const iovec *iov = &one;
    std::size_t iovcnt = 1;
    if (op.code == op_code::recvmsg) {
        iov = op.msg->msg_iov;
        iovcnt = op.msg->msg_iovlen;
    }
    const bool peek = op.flags & MSG_PEEK;
    const bool discard = (op.flags & MSG_TRUNC) && !peek;
    const bool waitall = (op.flags & MSG_WAITALL) && !peek;
    std::size_t want = 0;
    for (std::size_t i = 0; i < iovcnt; ++i)
        want += iov[i].iov_len;
    auto done = static_cast<std::size_t>(op.result > 0 ? op.result : 0);

    rx_cursor c{d.q_head, d.q_off};
    std::size_t skip = peek ? 0 : done; // what earlier rounds of this reader filled
    for (std::size_t i = 0; i < iovcnt && c.bid >= 0; ++i) {
        std::size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        auto *dst = discard ? nullptr : static_cast<unsigned char *>(iov[i].iov_base) + skip;
        std::size_t n = rx_copy(d, c, dst, len - skip, !peek);
        done += n;
        skip = 0;
    }

    long res;
    if (!rx_result(d, done, want, waitall, op.flags & MSG_DONTWAIT, &res)) {
        op.result = static_cast<long>(done);
        return false;
    }
    if (op.code == op_code::recvmsg) {
        // The ring's recv carried no control buffer. Where the kernel would have put ancillary
        // data in the caller's (a TCP socket with receive timestamps or TCP_INQ on), MSG_CTRUNC
        // says it was lost rather than leave the caller to believe there was none.
        const bool lost_control =
            op.msg->msg_control && op.msg->msg_controllen > 0 && stream_has_ancillary(d.fd);
        op.msg->msg_namelen = 0;
        op.msg->msg_controllen = 0;
        op.msg->msg_flags = lost_control ? MSG_CTRUNC : 0;
    }
    op.result = res;
    return true;
}

bool uring_engine::start_recv_ms(io_op &op, udesc &d) noexcept {
    op.result = 0;
    if (d.readers.empty() && serve_rx(d, op)) return true; // no suspension
    push(d.readers, op);
    op.state = s_reader;
    if (!d.ms_recv) arm_recv(d);
    return false;
}

// Re-arms the multishot recv for the readers waiting on d, or, with no buffer free, hands the
// first reader a plain recv into its own buffer (a readiness wait gets a POLL_ADD: with no
// multishot armed, the bytes stay in the socket for the poll to see).
void uring_engine::arm_recv(udesc &d) noexcept {
    // d.bulk: the connection is leaving the ring (see start()); its readers read plainly.
    while (bufs_out_ >= nbufs_ || d.bulk) {
        io_op *op = d.readers.head;
        if (!op) return;
        remove(d.readers, *op);
        op->state = s_idle;
        if (op->result > 0) {
            // A MSG_WAITALL reader that took bytes already: a plain recv would write over them,
            // so it returns short, as the call does when a signal interrupts it.
            complete_later(*op, op->result);
            continue;
        }
        if (!d.bulk && op->code != op_code::poll) ++stats_.ms_recv_fallbacks;
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
    d.ms_used = true;
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data(sqe, r);
    d.ms_recv = r;
    ++stats_.ms_recv_arms;
}

void uring_engine::deliver_rx(udesc &d) noexcept {
    while (io_op *op = d.readers.head) {
        if (d.q_head < 0 && d.rx_status == 0) break;
        if (!serve_rx(d, *op)) break; // a MSG_WAITALL reader took all there is
        remove(d.readers, *op);
        op->state = s_idle;
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
            if (d.q_tail >= 0)
                buf_next_[d.q_tail] = static_cast<int32_t>(bid);
            else
                d.q_head = static_cast<int32_t>(bid);
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
