// The fd table's life cycle, through the public <zsock/fdtable.h> API: reserve and finalize in two
// steps, free and release, get_obj, swap_obj, replace_kernel; close deferred while another thread
// is inside a call (the object is woken, the call reports EINTR, close() runs once, afterwards);
// stale entries (a descriptor closed behind zsock's back whose number the kernel hands out again);
// entry recycling without leaks.
#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <future>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

#include <zsock/fdtable.h>
#include <zsock/socket.h>

#include "support/user_object.hpp"
#include "support/zsock_test.hpp"

using namespace zsock_test;

namespace {

bool kernel_fd_open(int fd) {
    return ::fcntl(fd, F_GETFD) >= 0;
}

/// True if fd is a working native socket: it can report its type through zsock.
bool works_as_udp(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    return zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM;
}

} // namespace

TEST_CASE("fd table: a reserved fd answers EBADF until finalized; free closes, release keeps") {
    int fd = zsock_fd_reserve();
    REQUIRE(fd >= 0);
    CHECK(kernel_fd_open(fd));
    char b;
    errno = 0;
    CHECK(zsock_recv(fd, &b, 1, MSG_DONTWAIT) == -1);
    CHECK(errno == EBADF);
    errno = 0;
    CHECK(zsock_read(fd, &b, 1) == -1);
    CHECK(errno == EBADF);
    zsock_pollfd p{fd, POLLIN, 0};
    CHECK(zsock_fd_get_obj(fd, nullptr, ENOTSOCK) == nullptr);
    CHECK(errno == EBADF);
    zsock_fd_free(fd);
    CHECK_FALSE(kernel_fd_open(fd));
    CHECK(zsock_poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLNVAL);

    fd = zsock_fd_reserve();
    REQUIRE(fd >= 0);
    zsock_fd_release(fd);
    CHECK(kernel_fd_open(fd)); // released: the caller keeps the eventfd
    // ...and it is an ordinary kernel fd for zsock now.
    uint64_t one = 1;
    CHECK(zsock_write(fd, &one, sizeof one) == sizeof one);
    CHECK(zsock_close(fd) == 0);
    CHECK_FALSE(kernel_fd_open(fd));
}

TEST_CASE("fd table: finalize, get_obj and their errors") {
    user_object o;
    const zsock_socket_vtable *vt = user_object::vtable();
    CHECK(zsock_fd_finalize(-1, &o, vt, ZSOCK_FD_MODE_SOCKET) == -EBADF);
    CHECK(zsock_fd_finalize(1 << 30, &o, vt, ZSOCK_FD_MODE_SOCKET) == -EBADF);
    int fd = zsock_fd_reserve();
    REQUIRE(fd >= 0);
    CHECK(zsock_fd_finalize(fd, &o, nullptr, ZSOCK_FD_MODE_SOCKET) == -EINVAL);
    REQUIRE(zsock_fd_finalize(fd, &o, vt, ZSOCK_FD_MODE_SOCKET) == 0);
    o.fd = fd;
    CHECK(zsock_fd_finalize(fd, &o, vt, ZSOCK_FD_MODE_SOCKET) == -EBADF); // already published

    CHECK(zsock_fd_get_obj(fd, vt, ENOTSOCK) == &o);
    CHECK(zsock_fd_get_obj(fd, nullptr, ENOTSOCK) == &o);
    fd_guard u(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    errno = 0;
    CHECK(zsock_fd_get_obj(u, vt, ENOTSOCK) == nullptr);
    CHECK(errno == ENOTSOCK);
    errno = 0;
    CHECK(zsock_fd_get_obj(-5, vt, ENOTSOCK) == nullptr);
    CHECK(errno == EBADF);
    errno = 0;
    CHECK(zsock_fd_get_obj(0, vt, ENOTSOCK) == nullptr); // stdin: not a zsock fd
    CHECK(errno == EBADF);

    CHECK(zsock_close(fd) == 0);
    CHECK(o.closes == 1);
    CHECK_FALSE(kernel_fd_open(fd));
    errno = 0;
    CHECK(zsock_close(fd) == -1); // twice: the kernel's EBADF
    CHECK(errno == EBADF);
}

TEST_CASE("fd table: zsock_fd_reserve_kernel wants an open descriptor") {
    CHECK(zsock_fd_reserve_kernel(-1) == -EBADF);
    // A number that is not open must not become a zsock fd.
    int k = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(k >= 0);
    ::close(k);
    CHECK(zsock_fd_reserve_kernel(k) == -EBADF);
    errno = 0;
    char b;
    CHECK(zsock_read(k, &b, 1) == -1);
    CHECK(errno == EBADF);

    k = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(zsock_fd_reserve_kernel(k) == k);
    zsock_fd_free(k);
    CHECK_FALSE(kernel_fd_open(k));
}

TEST_CASE("fd table: swap_obj puts a new object on the same fd number") {
    user_object inner, outer;
    REQUIRE(inner.open() >= 0);
    const int fd = inner.fd;
    outer.fd = fd;
    void *old_obj = nullptr;
    const zsock_socket_vtable *old_vt = nullptr;
    CHECK(zsock_fd_swap_obj(-1, &outer, user_object::vtable(), &old_obj, &old_vt) == -EBADF);
    CHECK(zsock_fd_swap_obj(fd, &outer, nullptr, &old_obj, &old_vt) == -EINVAL);
    REQUIRE(zsock_fd_swap_obj(fd, &outer, user_object::vtable(), &old_obj, &old_vt) == 0);
    CHECK(old_obj == &inner);
    CHECK(old_vt == user_object::vtable());
    CHECK(zsock_fd_get_obj(fd, user_object::vtable(), ENOTSOCK) == &outer);
    // Calls reach the new object.
    outer.close_gate();
    outer.gate_result = 42;
    auto call = std::async(std::launch::async, [fd] {
        char b;
        return zsock_recv(fd, &b, 1, 0);
    });
    outer.wait_in_call();
    outer.open_gate();
    CHECK(call.get() == 42);
    // The old object is the caller's now: the table closes only the new one.
    CHECK(zsock_close(fd) == 0);
    CHECK(outer.closes == 1);
    CHECK(inner.closes == 0);
    CHECK_FALSE(kernel_fd_open(fd));

    // A native socket wrapped by a hooked object: zsock_poll now asks the object.
    int u = zsock_socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(u >= 0);
    user_object wrapper;
    wrapper.fd = u;
    wrapper.ready_now = true;
    REQUIRE(zsock_fd_swap_obj(u, &wrapper, user_object::vtable(), &old_obj, &old_vt) == 0);
    zsock_pollfd p{u, POLLIN, 0};
    CHECK(zsock_poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLIN);
    CHECK(wrapper.prepares == 1);
    // Unwrap again (the native object back), then close it through the table.
    void *w_obj = nullptr;
    const zsock_socket_vtable *w_vt = nullptr;
    REQUIRE(zsock_fd_swap_obj(u, old_obj, old_vt, &w_obj, &w_vt) == 0);
    CHECK(w_obj == &wrapper);
    p.revents = 0;
    CHECK(zsock_poll(&p, 1, 0) == 0);
    CHECK(works_as_udp(u));
    CHECK(zsock_close(u) == 0);
    CHECK(wrapper.closes == 0);
    CHECK_FALSE(kernel_fd_open(u));
}

TEST_CASE("fd table: replace_kernel moves a descriptor onto a reserved number") {
    int fd = zsock_fd_reserve();
    REQUIRE(fd >= 0);
    int k = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(k > fd);
    REQUIRE(zsock_fd_replace_kernel(fd, k) == 0);
    CHECK_FALSE(kernel_fd_open(k));
    CHECK(::fcntl(fd, F_GETFD) == FD_CLOEXEC);
    int type = 0;
    socklen_t len = sizeof type;
    CHECK(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_DGRAM);
    CHECK(zsock_fd_replace_kernel(fd, -1) == -EBADF);
    zsock_fd_free(fd);
    CHECK_FALSE(kernel_fd_open(fd));
}

TEST_CASE("fd table: close while another thread is inside a call is deferred, then runs once") {
    user_object o;
    REQUIRE(o.open() >= 0);
    const int fd = o.fd;
    o.close_gate();
    o.wake_opens_gate = false; // this object needs more than a wake: closing waits for the call

    auto blocked = std::async(std::launch::async, [fd] {
        char b;
        ssize_t r = zsock_recv(fd, &b, 1, 0);
        return r < 0 ? -errno : r;
    });
    o.wait_in_call();

    CHECK(zsock_close(fd) == 0); // deferred: the call holds a reference
    CHECK(o.wakes == 1);
    CHECK(o.closes == 0);
    CHECK(kernel_fd_open(fd)); // the number cannot be handed out again yet

    // The fd is closed for everybody else already.
    char b;
    errno = 0;
    CHECK(zsock_recv(fd, &b, 1, MSG_DONTWAIT) == -1);
    CHECK(errno == EBADF);
    errno = 0;
    CHECK(zsock_close(fd) == -1);
    CHECK(errno == EBADF);
    zsock_pollfd p{fd, POLLIN, 0};
    CHECK(zsock_poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLNVAL);

    o.open_gate();                  // the call returns "end of stream"...
    CHECK(blocked.get() == -EINTR); // ...which a close woke: EINTR
    CHECK(o.closes == 1);
    CHECK_FALSE(kernel_fd_open(fd));
    fd_guard again(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(again == fd); // the number is free again
}

TEST_CASE("fd table: a stale entry is dropped without closing the new descriptor") {
    SECTION("native socket closed behind zsock's back") {
        int fd = zsock_socket(AF_INET, SOCK_DGRAM, 0);
        REQUIRE(fd >= 0);
        REQUIRE(::close(fd) == 0); // not zsock_close: zsock still has an entry for fd
        int fresh = zsock_socket(AF_INET, SOCK_DGRAM, 0);
        REQUIRE(fresh == fd);
        CHECK(works_as_udp(fresh));
        CHECK(zsock_close(fresh) == 0);
        CHECK_FALSE(kernel_fd_open(fresh));
    }
    SECTION("user object whose eventfd was closed behind zsock's back") {
        user_object o;
        REQUIRE(o.open() >= 0);
        REQUIRE(::close(o.fd) == 0);
        int fresh = zsock_socket(AF_INET, SOCK_DGRAM, 0);
        REQUIRE(fresh == o.fd);
        CHECK(o.closes == 0); // its close() would close the new socket: it must not run
        CHECK(works_as_udp(fresh));
        CHECK(zsock_close(fresh) == 0);
        CHECK(o.closes == 0);
    }
}

TEST_CASE("fd table: a stale entry still in use and already closing is not released twice") {
    // A thread is inside a call on a user object; zsock_close() defers (the object does not wake);
    // then the descriptor is closed behind zsock's back and the kernel reuses its number. The
    // table must drop its entry once: the call in flight still holds the last reference.
    user_object o;
    REQUIRE(o.open() >= 0);
    const int fd = o.fd;
    o.close_gate();
    o.wake_opens_gate = false;
    auto blocked = std::async(std::launch::async, [fd] {
        char b;
        ssize_t r = zsock_recv(fd, &b, 1, 0);
        return r < 0 ? -errno : r;
    });
    o.wait_in_call();
    REQUIRE(zsock_close(fd) == 0); // deferred
    REQUIRE(::close(fd) == 0);     // behind zsock's back

    fd_guard fresh(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(fresh == fd);
    // Another socket, which may get a recycled table entry.
    fd_guard other(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(other >= 0);

    o.open_gate();
    CHECK(blocked.get() == -EINTR);
    CHECK(o.closes == 0); // orphaned: its descriptor is gone, so close() is not called
    // Both new sockets are intact.
    CHECK(works_as_udp(fresh));
    CHECK(works_as_udp(other));
    CHECK(kernel_fd_open(fresh));
    CHECK(kernel_fd_open(other));
    // And more sockets after that do not disturb them either.
    std::vector<fd_guard> more;
    for (int i = 0; i < 70; ++i)
        more.emplace_back(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(works_as_udp(fresh));
    CHECK(works_as_udp(other));
    more.clear();
    CHECK(works_as_udp(fresh));
    CHECK(works_as_udp(other));
}

TEST_CASE("fd table: entries are recycled; many open/close cycles leak nothing") {
    const long before = open_fd_count();
    int first = -1;
    for (int i = 0; i < 5000; ++i) {
        int a = zsock_socket(AF_INET, SOCK_DGRAM, 0);
        int b = zsock_fd_reserve();
        REQUIRE(a >= 0);
        REQUIRE(b >= 0);
        if (first < 0) first = a;
        REQUIRE(a == first); // lowest free number, every time
        if (i % 2) {
            zsock_fd_free(b);
        } else {
            user_object o;
            REQUIRE(zsock_fd_finalize(b, &o, user_object::vtable(), ZSOCK_FD_MODE_SOCKET) == 0);
            REQUIRE(zsock_close(b) == 0);
            REQUIRE(o.closes == 1);
        }
        REQUIRE(zsock_close(a) == 0);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("fd table: an object published as ZSOCK_FD_MODE_UNSPEC is not a socket") {
    user_object o;
    int fd = zsock_fd_reserve();
    REQUIRE(fd >= 0);
    o.fd = fd;
    REQUIRE(zsock_fd_finalize(fd, &o, user_object::vtable(), ZSOCK_FD_MODE_UNSPEC) == 0);
    char b = 0;
    errno = 0;
    CHECK(zsock_recv(fd, &b, 1, MSG_DONTWAIT) == -1);
    CHECK(errno == ENOTSOCK);
    errno = 0;
    CHECK(zsock_sendto(fd, &b, 1, 0, nullptr, 0) == -1);
    CHECK(errno == ENOTSOCK);
    // The fd calls reach it.
    o.signal();
    CHECK(zsock_read(fd, &b, 1) == 1);
    CHECK(b == 'u');
    CHECK(zsock_write(fd, "w", 1) == 1);
    iovec iov{&b, 1};
    CHECK(zsock_readv(fd, &iov, 1) == 1);
    CHECK(zsock_close(fd) == 0);
    CHECK(o.closes == 1);
}

TEST_CASE("fd table: close of an fd zsock does not own goes to the kernel") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    CHECK(zsock_close(p[0]) == 0);
    CHECK_FALSE(kernel_fd_open(p[0]));
    errno = 0;
    CHECK(zsock_close(p[0]) == -1);
    CHECK(errno == EBADF);
    CHECK(zsock_close(p[1]) == 0);
    errno = 0;
    CHECK(zsock_close(-1) == -1);
    CHECK(errno == EBADF);
    errno = 0;
    CHECK(zsock_close(1 << 30) == -1);
    CHECK(errno == EBADF);
}

TEST_CASE("fd table: accept on a kernel listener zsock does not own adopts the new socket") {
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(l >= 0);
    sockaddr_in addr = loopback4();
    socklen_t len = sizeof addr;
    REQUIRE(::bind(l, sa(&addr), sizeof addr) == 0);
    REQUIRE(::listen(l, 1) == 0);
    REQUIRE(::getsockname(l, sa(&addr), &len) == 0);
    CHECK(zsock_fd_get_obj(l, nullptr, ENOTSOCK) == nullptr); // not a zsock fd...
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&addr), sizeof addr) == 0);
    fd_guard s(zsock_accept(l, nullptr, nullptr)); // ...but zsock_accept works on it
    REQUIRE(s >= 0);
    CHECK(zsock_fd_get_obj(s, nullptr, ENOTSOCK) != nullptr); // and the new socket is zsock's
    CHECK(zsock_send(c, "k", 1, 0) == 1);
    char b;
    CHECK(zsock_recv(s, &b, 1, 0) == 1);
    CHECK(zsock_close(l) == 0);
}
