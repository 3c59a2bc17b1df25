// An unchanged Zephyr-style offload driver (zephyr_offload_driver.c: struct socket_op_vtable,
// zvfs_reserve_fd / zvfs_finalize_typed_fd / zvfs_free_fd / zvfs_get_fd_obj, -1 and errno) behind
// the zsock_ API: every call reaches the driver, its errnos come back unchanged, and its sockets
// close without leaking a descriptor.
#include <catch2/catch.hpp>

#include <cstring>
#include <fcntl.h>

#include <zsock/offload.h>
#include <zsock/socket.h>

#include "support/zsock_test.hpp"

using namespace zsock_test;

extern "C" {
extern int loop_created, loop_closed, loop_last_closed_fd;
void *loop_object_of(int fd);
int loop_object_fd(const void *obj);
}

namespace {
constexpr int loop_proto = 251;
}

TEST_CASE("zephyr driver: the socket calls reach a struct socket_op_vtable driver") {
    const long fds_before = open_fd_count();
    const int created = loop_created, closed = loop_closed;
    {
        fd_guard s(zsock_socket(AF_INET, SOCK_STREAM, loop_proto));
        REQUIRE(s >= 0);
        CHECK(loop_created == created + 1);
        // The driver finds its own object through zvfs_get_fd_obj, and it knows its number.
        void *obj = loop_object_of(s);
        REQUIRE(obj != nullptr);
        CHECK(loop_object_fd(obj) == s);
        // Not its object: a native socket answers the driver's errno.
        fd_guard native(zsock_socket(AF_INET, SOCK_DGRAM, 0));
        errno = 0;
        CHECK(loop_object_of(native) == nullptr);
        CHECK(errno == ENOTSOCK);
        errno = 0;
        CHECK(loop_object_of(-1) == nullptr);
        CHECK(errno == EBADF);

        // -1 and errno from the driver come back as -1 and the same errno.
        char buf[64];
        errno = 0;
        CHECK(zsock_recv(s, buf, sizeof buf, 0) == -1);
        CHECK(errno == ENOTCONN);
        sockaddr_in6 v6 = loopback6(7);
        errno = 0;
        CHECK(zsock_bind(s, sa(&v6), sizeof v6) == -1);
        CHECK(errno == EINVAL);

        sockaddr_in to = loopback4(7);
        REQUIRE(zsock_connect(s, sa(&to), sizeof to) == 0);
        errno = 0;
        CHECK(zsock_connect(s, sa(&to), sizeof to) == -1);
        CHECK(errno == EISCONN);
        sockaddr_in peer{};
        socklen_t plen = sizeof peer;
        REQUIRE(zsock_getpeername(s, sa(&peer), &plen) == 0);
        CHECK(plen == sizeof peer);
        CHECK(peer.sin_port == to.sin_port);

        // Data: send/recv, write/read, MSG_PEEK, FIONREAD through the va_list ioctl.
        REQUIRE(zsock_send(s, "hello", 5, 0) == 5);
        REQUIRE(zsock_write(s, " zephyr", 7) == 7);
        int queued = -1;
        REQUIRE(zsock_ioctl(s, ZSOCK_FIONREAD, &queued) == 0);
        CHECK(queued == 12);
        CHECK(zsock_recv(s, buf, 5, ZSOCK_MSG_PEEK) == 5);
        REQUIRE(zsock_read(s, buf, sizeof buf) == 12);
        CHECK(std::memcmp(buf, "hello zephyr", 12) == 0);
        errno = 0;
        CHECK(zsock_recv(s, buf, sizeof buf, ZSOCK_MSG_DONTWAIT) == -1);
        CHECK(errno == EAGAIN);

        // Options: the driver's one option, and its ENOPROTOOPT for the rest.
        int v = 65536;
        REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) == 0);
        v = 0;
        socklen_t vlen = sizeof v;
        REQUIRE(zsock_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vlen) == 0);
        CHECK(v == 65536);
        errno = 0;
        CHECK(zsock_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == -1);
        CHECK(errno == ENOPROTOOPT);

        // fcntl goes to the driver's ioctl with its int argument.
        CHECK(zsock_fcntl(s, F_GETFL) == 0);
        REQUIRE(zsock_fcntl(s, F_SETFL, O_NONBLOCK) == 0);
        CHECK(zsock_fcntl(s, F_GETFL) == O_NONBLOCK);

        // What the driver left out is EOPNOTSUPP; what Zephyr does with k_poll is not here.
        sockaddr_in self{};
        socklen_t slen = sizeof self;
        errno = 0;
        CHECK(zsock_getsockname(s, sa(&self), &slen) == -1);
        CHECK(errno == EOPNOTSUPP);
        zsock_pollfd p{s, ZSOCK_POLLIN, 0};
        errno = 0;
        CHECK(zsock_poll(&p, 1, 0) == -1);
        CHECK(errno == EOPNOTSUPP);

        // shutdown: the end of the stream.
        REQUIRE(zsock_shutdown(s, ZSOCK_SHUT_WR) == 0);
        CHECK(zsock_recv(s, buf, sizeof buf, 0) == 0);
        errno = 0;
        CHECK(zsock_send(s, "x", 1, ZSOCK_MSG_NOSIGNAL) == -1);
        CHECK(errno == EPIPE);

        // close reaches close2 with the fd number.
        const int n = s;
        REQUIRE(zsock_close(s.release()) == 0);
        CHECK(loop_closed == closed + 1);
        CHECK(loop_last_closed_fd == n);
        errno = 0;
        CHECK(zsock_close(n) == -1);
        CHECK(errno == EBADF);
    }
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("zephyr driver: accept makes a socket inside a socket call; accept4 flags apply") {
    const long fds_before = open_fd_count();
    {
        fd_guard l(zsock_socket(AF_INET, SOCK_STREAM, loop_proto));
        sockaddr_in addr = loopback4(4321);
        REQUIRE(zsock_bind(l, sa(&addr), sizeof addr) == 0);
        REQUIRE(zsock_listen(l, 4) == 0);
        errno = 0;
        CHECK(zsock_accept(l, nullptr, nullptr) == -1);
        CHECK(errno == EAGAIN);
        fd_guard c1(zsock_socket(AF_INET, SOCK_STREAM, loop_proto));
        fd_guard c2(zsock_socket(AF_INET, SOCK_STREAM, loop_proto));
        REQUIRE(zsock_connect(c1, sa(&addr), sizeof addr) == 0);
        REQUIRE(zsock_connect(c2, sa(&addr), sizeof addr) == 0);

        sockaddr_in from{};
        socklen_t flen = sizeof from;
        fd_guard a1(zsock_accept(l, sa(&from), &flen));
        REQUIRE(a1 >= 0);
        CHECK(flen == sizeof from);
        CHECK(from.sin_port == addr.sin_port);
        CHECK(zsock_fcntl(a1, F_GETFL) == 0);
        fd_guard a2(zsock_accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        REQUIRE(a2 >= 0);
        CHECK(zsock_fcntl(a2, F_GETFL) == O_NONBLOCK);
        CHECK((zsock_fcntl(a2, F_GETFD) & FD_CLOEXEC) != 0);
        REQUIRE(zsock_send(a2, "ok", 2, 0) == 2);
        char buf[2];
        CHECK(zsock_recv(a2, buf, 2, 0) == 2);
    }
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("zephyr driver: a create that fails after zvfs_reserve_fd gives the number back") {
    const long fds_before = open_fd_count();
    errno = 0;
    CHECK(zsock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, loop_proto) == -1);
    CHECK(errno == EPROTONOSUPPORT);
    CHECK(open_fd_count() == fds_before);
}

TEST_CASE("zsock_socket_impl_create: both failure conventions of a create handler") {
    auto impl_with = [](zsock_create_fn fn) {
        return zsock_socket_impl{"conv", 60, AF_INET, nullptr, fn, ZSOCK_IMPL_OFFLOADED};
    };
    // Zephyr's: -1 and errno.
    auto z = impl_with([](int, int, int) {
        errno = EMFILE;
        return -1;
    });
    CHECK(zsock_socket_impl_create(&z, AF_INET, SOCK_STREAM, 0) == -EMFILE);
    // zsock's: a negative errno, -EPERM included (errno left alone, even if stale before).
    auto k = impl_with([](int, int, int) { return -ENOBUFS; });
    CHECK(zsock_socket_impl_create(&k, AF_INET, SOCK_STREAM, 0) == -ENOBUFS);
    auto p = impl_with([](int, int, int) { return -EPERM; });
    errno = EAGAIN;
    CHECK(zsock_socket_impl_create(&p, AF_INET, SOCK_STREAM, 0) == -EPERM);
    CHECK(errno == EAGAIN); // the caller's errno is kept
    CHECK(zsock_socket_impl_create(nullptr, AF_INET, SOCK_STREAM, 0) == -EINVAL);
}
