// tests/support/user_object.hpp - a user-space socket object built only on the public
// <zsock/fdtable.h> API.
//
// It is a second kind of zsock object, the way an offloaded or TLS socket is one, not a fake of a
// kernel socket: its fd is the eventfd that zsock_fd_reserve() hands out, and that eventfd is its
// readiness (signal() makes it readable). Its poll hooks make zsock_poll/zsock_select take their
// hooked path, and its switches let a test drive the hook contract: ready now, a wake-up that
// carries nothing for the user (-EAGAIN from update), a failing prepare, a call that blocks until
// zsock_close() wakes it.
#pragma once

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <zsock/fdtable.h>

namespace zsock_test {

struct user_object {
    int fd = -1;

    // Switches the test sets.
    std::atomic<bool> ready_now{false};   // prepare() answers POLLIN at once (data "buffered")
    std::atomic<int> spurious{0};         // update() swallows this many wake-ups with -EAGAIN
    std::atomic<int> prepare_error{0};    // prepare() fails with -prepare_error
    std::atomic<bool> nonblocking{false}; // O_NONBLOCK as F_GETFL/F_SETFL/FIONBIO see it
    // A timer of the object's own (like a DTLS retransmission): the deadline hook reports due_ns
    // (CLOCK_MONOTONIC; 0: no timer), and prepare() answers POLLIN once it has passed, unless
    // timer_acts is false (a hook whose deadline never leads anywhere).
    std::atomic<int64_t> due_ns{0};
    std::atomic<bool> timer_acts{true};

    // Counters the test reads.
    std::atomic<int> prepares{0}, updates{0}, eagains{0}, closes{0}, wakes{0}, deadlines{0};

    // recvfrom gate: while closed, recvfrom blocks (like a blocked recv) until open_gate() or a
    // WAKE_BLOCKED from zsock_close(); it then answers gate_result.
    std::mutex m;
    std::condition_variable cv;
    bool gate_closed = false;
    bool in_call = false;
    bool wake_opens_gate = true;
    long gate_result = 0; // 0: "end of stream", which a close-woken call reports as EINTR

    /// Makes the fd readable (one eventfd count).
    void signal() const {
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
    }
    /// Consumes the readiness; true if there was any.
    bool drain() const {
        uint64_t v = 0;
        return ::read(fd, &v, sizeof v) == sizeof v;
    }
    void close_gate() {
        std::lock_guard lock(m);
        gate_closed = true;
    }
    void open_gate() {
        std::lock_guard lock(m);
        gate_closed = false;
        cv.notify_all();
    }
    /// Waits until a thread sits in recvfrom behind the closed gate.
    void wait_in_call() {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return in_call; });
    }

    static user_object *self(void *obj) { return static_cast<user_object *>(obj); }

    static ssize_t recv_one(void *obj, void *buf, size_t len) {
        user_object *o = self(obj);
        {
            std::unique_lock lock(o->m);
            if (o->gate_closed) {
                o->in_call = true;
                o->cv.notify_all();
                o->cv.wait(lock, [&] { return !o->gate_closed; });
                o->in_call = false;
                return o->gate_result;
            }
        }
        if (!o->drain()) return -EAGAIN;
        if (len > 0) static_cast<char *>(buf)[0] = 'u';
        return len > 0 ? 1 : 0;
    }
    static ssize_t v_read(void *obj, void *buf, size_t len) { return recv_one(obj, buf, len); }
    static ssize_t v_write(void *obj, const void *, size_t len) {
        self(obj)->signal();
        return static_cast<ssize_t>(len);
    }
    static int v_close(void *obj, int fd) {
        user_object *o = self(obj);
        o->closes.fetch_add(1);
        return ::close(fd) == 0 ? 0 : -errno;
    }
    static int v_ioctl(void *obj, unsigned long req, uintptr_t arg) {
        user_object *o = self(obj);
        switch (req) {
        case ZSOCK_IOCTL_WAKE_BLOCKED:
            o->wakes.fetch_add(1);
            if (o->wake_opens_gate) o->open_gate();
            return 0;
        case F_GETFL:
            return O_RDWR | (o->nonblocking ? O_NONBLOCK : 0);
        case F_SETFL:
            o->nonblocking = (arg & O_NONBLOCK) != 0;
            return 0;
        case FIONBIO:
            o->nonblocking = *reinterpret_cast<int *>(arg) != 0;
            return 0;
        default:
            return -EOPNOTSUPP;
        }
    }
    static ssize_t v_sendto(void *obj, const void *, size_t len, int, const sockaddr *, socklen_t) {
        self(obj)->signal();
        return static_cast<ssize_t>(len);
    }
    static ssize_t v_recvfrom(void *obj, void *buf, size_t len, int, sockaddr *, socklen_t *) {
        return recv_one(obj, buf, len);
    }
    static int v_prepare(void *obj, short events, short *kevents) {
        user_object *o = self(obj);
        o->prepares.fetch_add(1);
        if (int e = o->prepare_error.load()) return -e;
        if (o->ready_now && (events & POLLIN)) return POLLIN;
        if (int64_t due = o->due_ns.load(); due && o->timer_acts && (events & POLLIN)) {
            timespec now{};
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec * 1000000000LL + now.tv_nsec >= due) return POLLIN;
        }
        *kevents = events;
        return 0;
    }
    static int v_deadline(void *obj, int64_t *ns) {
        user_object *o = self(obj);
        o->deadlines.fetch_add(1);
        int64_t due = o->due_ns.load();
        if (!due) return 0;
        *ns = due;
        return 1;
    }
    static int v_update(void *obj, short events, short krevents, short *revents) {
        user_object *o = self(obj);
        o->updates.fetch_add(1);
        if ((krevents & POLLIN) && o->spurious.load() > 0) {
            // Like a TLS record without application data: consume it, report nothing.
            o->spurious.fetch_sub(1);
            o->drain();
            o->eagains.fetch_add(1);
            return -EAGAIN;
        }
        *revents = static_cast<short>(krevents & (events | POLLERR | POLLHUP | POLLNVAL));
        return 0;
    }

    static const zsock_socket_vtable *vtable() {
        static const zsock_socket_vtable vt = {
            {v_read, v_write, v_close, v_ioctl},
            nullptr, // shutdown
            nullptr, // bind
            nullptr, // connect
            nullptr, // listen
            nullptr, // accept
            v_sendto,
            v_recvfrom,
            nullptr, // getsockopt
            nullptr, // setsockopt
            nullptr, // sendmsg
            nullptr, // recvmsg
            nullptr, // getpeername
            nullptr, // getsockname
            {v_prepare, v_update, v_deadline},
        };
        return &vt;
    }

    /// Reserves an fd (its eventfd) and publishes this object on it. Returns the fd or -errno.
    int open() {
        int r = zsock_fd_reserve();
        if (r < 0) return r;
        fd = r;
        int f = zsock_fd_finalize(fd, this, vtable(), ZSOCK_FD_MODE_SOCKET);
        if (f < 0) {
            zsock_fd_free(fd);
            return f;
        }
        return fd;
    }
};

/// Keeps one hooked object open for its lifetime when `on`, which switches zsock_poll and
/// zsock_select from the kernel fast path to their hooked path.
class hooked_path {
public:
    explicit hooked_path(bool on) {
        if (on) opened_ = obj_.open() >= 0;
    }
    ~hooked_path() {
        if (opened_) zsock_close(obj_.fd);
    }
    hooked_path(const hooked_path &) = delete;
    hooked_path &operator=(const hooked_path &) = delete;
    bool ok(bool on) const { return !on || opened_; }

private:
    user_object obj_;
    bool opened_ = false;
};

} // namespace zsock_test
