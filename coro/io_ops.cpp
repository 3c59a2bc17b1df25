// coro/io_ops.cpp - the exported entry points of the awaiters, and descriptor attachment.
//
// Objects that are not native kernel sockets (TLS, offloaded) are driven through their own
// nonblocking calls: hooked_perform is the one attempt the engines make before they wait.
#include <fcntl.h>
#include <poll.h>

#include <zsock/detail/io_op.hpp>
#include <zsock/tcp.hpp>

#include "core/fd_ops.hpp"
#include "core/fd_table.hpp"
#include "core/io_engine.hpp"
#include "core/waitall.hpp"
#include "net/native_socket.hpp"
#include "net/socket_ops.hpp"

namespace zsock::detail {
namespace {

long hooked_perform(io_op &op) noexcept {
    const int fd = op.desc->fd;
    switch (op.code) {
    case op_code::recv:
    case op_code::recvmsg:
        // MSG_WAITALL on a TLS or offloaded stream: their nonblocking recv returns what is
        // ready, so the rest is asked for on later attempts (core/waitall.hpp).
        if ((op.flags & (MSG_WAITALL | MSG_PEEK | MSG_DONTWAIT)) == MSG_WAITALL &&
            (op.desc->flags & core::desc_stream))
            return core::waitall_attempt(op, [fd](void *buf, std::size_t len, msghdr *m, int f) {
                return m ? net::recvmsg(fd, m, f) : net::recvfrom(fd, buf, len, f, nullptr, nullptr);
            });
        if (op.code == op_code::recvmsg) return net::recvmsg(fd, op.msg, op.flags | MSG_DONTWAIT);
        return net::recvfrom(fd, op.buf, op.len, op.flags | MSG_DONTWAIT, nullptr, nullptr);
    case op_code::send:
        return net::sendto(fd, op.buf, op.len, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL, nullptr, 0);
    case op_code::sendmsg:
        return net::sendmsg(fd, op.msg, op.flags | MSG_DONTWAIT | MSG_NOSIGNAL);
    case op_code::accept:
        return net::accept4(fd, op.addr, op.addr ? &op.addrlen : nullptr,
                            SOCK_NONBLOCK | SOCK_CLOEXEC);
    case op_code::connect: {
        long r = net::connect(fd, op.addr, op.addrlen);
        bool again = op.aux != 0;
        op.aux = 1;
        if (r == -EINPROGRESS || r == -EALREADY) return -EAGAIN;
        if (r == -EISCONN && again) return 0; // the connect we started has finished
        return r;
    }
    case op_code::poll: {
        zsock_pollfd p{fd, op.events, 0};
        long r = core::fd_poll(&p, 1, 0);
        if (r < 0) return r;
        return r > 0 ? p.revents : -EAGAIN;
    }
    }
    return -EINVAL;
}

} // namespace

void io_cancel(io_op &op) noexcept {
    op.desc->engine->cancel(op);
}
void io_abandon(io_op &op) noexcept {
    op.desc->engine->abandon(op);
}
void io_cancel_remote(io_op &op) noexcept {
    op.desc->engine->cancel_remote(op);
}
void io_forget_remote(io_op &op) noexcept {
    op.desc->engine->forget_remote(op);
}

void schedule(core::io_engine *engine, ready_node *node) noexcept {
    engine->schedule(node);
}
void unschedule(core::io_engine *engine, ready_node *node) noexcept {
    if (engine) engine->unschedule(node);
}
void timer_arm(core::io_engine *engine, timer_node *node) noexcept {
    engine->timer_arm(node);
}
void timer_disarm(core::io_engine *engine, timer_node *node) noexcept {
    if (engine) engine->timer_disarm(node);
}

int attach_fd(core::io_engine *engine, int fd, unsigned kind, core::io_desc **out) noexcept {
    if (!engine) return -EINVAL; // no loop on this thread
    unsigned flags = 0;
    bool native = false;
    {
        core::fd_ref ref;
        switch (core::fd_lookup(fd, &ref)) {
        case core::lookup::closed:
            return -EBADF;
        case core::lookup::not_ours:
            native = true;
            break; // a kernel socket zsock did not make
        case core::lookup::found:
            native = ref->vtable == &net::native_vtable;
            if (!native && ref->vtable->poll.prepare) flags |= core::desc_hooked;
            break;
        }
    }
    long fl = core::fd_fcntl(fd, F_GETFL, 0);
    if (fl < 0) return static_cast<int>(fl);
    if (!(fl & O_NONBLOCK)) {
        long r = core::fd_fcntl(fd, F_SETFL, static_cast<uintptr_t>(fl | O_NONBLOCK));
        if (r < 0) return static_cast<int>(r);
    }
    if (native) flags |= core::desc_native;
    if (kind == attach_stream) flags |= core::desc_stream;
    if (kind == attach_listener) flags |= core::desc_listener;
    int r = engine->attach(fd, flags, out);
    if (r < 0) return r;
    if (!native) (*out)->perform = &hooked_perform;
    return 0;
}

void close_fd(int fd, core::io_desc *desc) noexcept {
    if (desc) desc->engine->detach(desc);
    if (fd >= 0) core::fd_close_any(fd);
}

core::io_engine *engine_or_current(event_loop *loop) noexcept {
    if (loop) return loop->engine();
    return current_engine();
}

} // namespace zsock::detail
