// sim0 on its own: isolation from the kernel, readiness on its kernel descriptor, mixing with
// native sockets in poll and select, resource accounting, and what Linux cannot test.
#include "net/stack_fixture.hpp"

#include <atomic>
#include <future>
#include <poll.h>
#include <liburing.h>
#include <sys/epoll.h>
#include <unistd.h>

using namespace stack_test;

TEST_CASE("sim0: never touches the kernel's network; only loopback addresses exist") {
    // A port the kernel holds (bound, not listening) and sim0 listens on: each stack sees its own.
    fd_guard kernel_hold(zsock_socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr = lo4();
    REQUIRE(zsock_bind(kernel_hold, sa(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(kernel_hold, sa(&addr), &len) == 0);
    fd_guard sim_l(make_sim(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_bind(sim_l, sa(&addr), sizeof addr) == 0);
    REQUIRE(zsock_listen(sim_l, 4) == 0);
    fd_guard kc(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_connect(kc, sa(&addr), sizeof addr) == -1);
    CHECK(errno == ECONNREFUSED); // the kernel knows nothing of the sim0 listener
    fd_guard sc(make_sim(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_connect(sc, sa(&addr), sizeof addr) == 0);

    // Anything outside 127/8 and ::1 does not exist on sim0.
    sockaddr_in far = lo4(80);
    far.sin_addr.s_addr = htonl(0x0A000001); // 10.0.0.1
    fd_guard t(make_sim(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_connect(t, sa(&far), sizeof far) == -1);
    CHECK(errno == ENETUNREACH);
    CHECK(zsock_bind(t, sa(&far), sizeof far) == -1);
    CHECK(errno == EADDRNOTAVAIL);
    fd_guard u(make_sim(AF_INET, SOCK_DGRAM, 0));
    CHECK(zsock_sendto(u, "x", 1, 0, sa(&far), sizeof far) == -1);
    CHECK(errno == ENETUNREACH);
    sockaddr_in other_lo = lo4(0);
    other_lo.sin_addr.s_addr = htonl(0x7F000002); // 127.0.0.2 is ours
    CHECK(zsock_bind(u, sa(&other_lo), sizeof other_lo) == 0);
    int off = 0;
    fd_guard six(make_sim(AF_INET6, SOCK_STREAM, 0));
    CHECK(zsock_setsockopt(six, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == -1);
    CHECK(errno == EOPNOTSUPP);
}

TEST_CASE("sim0: creation checks its arguments") {
    CHECK(zsock_simnet_create(AF_UNIX, SOCK_STREAM, 0) == -EAFNOSUPPORT);
    CHECK(zsock_simnet_create(AF_INET, SOCK_STREAM, IPPROTO_UDP) == -EPROTONOSUPPORT);
    CHECK(zsock_simnet_create(AF_INET, SOCK_RAW, 0) == -ESOCKTNOSUPPORT);
    CHECK(zsock_simnet_create(AF_INET, SOCK_STREAM | 0x10000000, 0) == -EINVAL);
    CHECK(zsock_simnet_create(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2) == -EPROTONOSUPPORT);
    CHECK_FALSE(zsock_simnet_is_supported(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    CHECK(zsock_simnet_is_supported(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP));
    fd_guard fd(zsock_simnet_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(fd >= 0);
    CHECK((zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK) != 0);
    CHECK((zsock_fcntl(fd, F_GETFD, 0) & FD_CLOEXEC) != 0);
    CHECK_FALSE(zsock_simnet_owns(-1));
    CHECK_FALSE(zsock_simnet_owns(0));
}

TEST_CASE(
    "sim0: the fd's kernel readiness follows the socket (raw poll and edge-triggered epoll)") {
    auto [c, srv] = pair4(sim_stack);
    pollfd p{srv, POLLIN | POLLOUT, 0};
    REQUIRE(::poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLOUT);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    REQUIRE(ep >= 0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = srv;
    REQUIRE(epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev) == 0);
    epoll_event out{};
    CHECK(epoll_wait(ep, &out, 1, 0) == 0);
    REQUIRE(zsock_send(c, "data", 4, 0) == 4);
    CHECK(epoll_wait(ep, &out, 1, 2000) == 1);
    CHECK((out.events & EPOLLIN) != 0);
    p.revents = 0;
    REQUIRE(::poll(&p, 1, 0) == 1);
    CHECK(p.revents == (POLLIN | POLLOUT));
    char buf[4];
    REQUIRE(zsock_recv(srv, buf, 4, 0) == 4);
    p.revents = 0;
    CHECK(::poll(&p, 1, 0) == 1);
    CHECK(p.revents == POLLOUT); // drained: not readable any more
    c.reset();
    CHECK(epoll_wait(ep, &out, 1, 2000) == 1); // the FIN is an edge too
    p.events = POLLIN | POLLRDHUP;
    REQUIRE(::poll(&p, 1, 0) == 1);
    CHECK((p.revents & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP));
    ::close(ep);
}

TEST_CASE("sim0: io_uring POLL_ADD on the fd completes when data arrives") {
    io_uring ring;
    if (io_uring_queue_init(4, &ring, 0) < 0) {
        WARN("io_uring is not available here");
        return;
    }
    auto [c, srv] = pair4(sim_stack);
    io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_poll_add(sqe, srv, POLLIN);
    REQUIRE(io_uring_submit(&ring) == 1);
    io_uring_cqe *cqe = nullptr;
    __kernel_timespec ts{0, 50 * 1000 * 1000};
    CHECK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == -ETIME); // nothing to read yet
    REQUIRE(zsock_send(c, "uring", 5, 0) == 5);
    ts = {5, 0};
    REQUIRE(io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0);
    CHECK((cqe->res & POLLIN) != 0);
    io_uring_cqe_seen(&ring, cqe);
    char buf[5];
    CHECK(zsock_recv(srv, buf, 5, MSG_DONTWAIT) == 5);
    io_uring_queue_exit(&ring);
}

TEST_CASE("sim0: poll and select mix sim0, native sockets and a pipe in one call") {
    auto [sc, ss] = pair4(sim_stack);
    auto [nc, ns] = pair4(native_stack);
    int pfd[2];
    REQUIRE(::pipe(pfd) == 0);

    zsock_pollfd fds[3] = {{ss, POLLIN, 0}, {ns, POLLIN, 0}, {pfd[0], POLLIN, 0}};
    CHECK(zsock_poll(fds, 3, 50) == 0);

    // Each becomes ready from another thread while poll waits.
    int scfd = sc, ncfd = nc, wfd = pfd[1];
    auto feeder = std::async(std::launch::async, [=] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        zsock_send(scfd, "s", 1, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        zsock_send(ncfd, "n", 1, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return ::write(wfd, "p", 1);
    });
    bool seen[3] = {};
    for (int round = 0; round < 10 && !(seen[0] && seen[1] && seen[2]); ++round) {
        for (auto &f : fds)
            f.revents = 0;
        REQUIRE(zsock_poll(fds, 3, 5000) >= 1);
        for (int i = 0; i < 3; ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            seen[i] = true;
            fds[i].fd = -1; // seen: poll ignores negative fds
        }
    }
    CHECK(seen[0]);
    CHECK(seen[1]);
    CHECK(seen[2]);
    CHECK(feeder.get() == 1);

    zsock_fd_set r;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(ss, &r);
    ZSOCK_FD_SET(ns, &r);
    ZSOCK_FD_SET(pfd[0], &r);
    int maxfd = std::max({int(ss), int(ns), pfd[0]});
    zsock_timeval tv{2, 0};
    CHECK(zsock_select(maxfd + 1, &r, nullptr, nullptr, &tv) == 3);
    CHECK(ZSOCK_FD_ISSET(ss, &r));
    char b;
    REQUIRE(zsock_recv(ss, &b, 1, 0) == 1);
    REQUIRE(zsock_recv(ns, &b, 1, 0) == 1);
    REQUIRE(zsock_read(pfd[0], &b, 1) == 1);
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_SET(ss, &r);
    ZSOCK_FD_SET(ns, &r);
    zsock_fd_set w;
    ZSOCK_FD_ZERO(&w);
    ZSOCK_FD_SET(ss, &w);
    tv = {0, 20000};
    CHECK(zsock_select(maxfd + 1, &r, &w, nullptr, &tv) == 1);
    CHECK(ZSOCK_FD_ISSET(ss, &w));
    CHECK_FALSE(ZSOCK_FD_ISSET(ss, &r));
    ::close(pfd[0]);
    ::close(pfd[1]);
}

TEST_CASE("sim0: a listener that goes away resets queued connections and refuses waiting ones") {
    long base = zsock_simnet_socket_count();
    {
        listening l = listen4(sim_stack, 0); // room for one connection
        fd_guard queued(make_sim(AF_INET, SOCK_STREAM, 0));
        REQUIRE(zsock_connect(queued, sa(&l.addr), sizeof l.addr) == 0);
        REQUIRE(zsock_send(queued, "lost", 4, 0) == 4);
        fd_guard waiting(make_sim(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        CHECK(zsock_connect(waiting, sa(&l.addr), sizeof l.addr) == -1);
        CHECK(errno == EINPROGRESS);
        CHECK(zsock_simnet_socket_count() == base + 4); // listener, 2 clients, 1 queued server
        l.fd.reset();
        char b;
        CHECK(zsock_recv(queued, &b, 1, 0) == -1);
        CHECK(errno == ECONNRESET);
        short ev = poll1(waiting, POLLOUT, 1000);
        CHECK((ev & POLLERR) != 0);
        int soerr = 0;
        socklen_t len = sizeof soerr;
        REQUIRE(zsock_getsockopt(waiting, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0);
        CHECK(soerr == ECONNREFUSED);
    }
    CHECK(zsock_simnet_socket_count() == base);
}

TEST_CASE("sim0: accept with a bad address length pointer loses no connection") {
    listening l = listen4(sim_stack);
    fd_guard c(make_sim(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    sockaddr_in peer{};
    CHECK(zsock_accept(l.fd, sa(&peer), nullptr) == -1);
    CHECK(errno == EFAULT);
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr)); // still there (Linux drops it)
    CHECK(srv >= 0);
}

TEST_CASE("sim0: SO_BINDTODEVICE accepts its own interface only") {
    fd_guard fd(make_sim(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "sim0", 4) == 0);
    char name[16] = {};
    socklen_t len = sizeof name;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) == 0);
    CHECK(std::string(name) == "sim0");
    CHECK(len == 5);
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == -1);
    CHECK(errno == ENODEV);
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0) == 0);
    len = sizeof name;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) == 0);
    CHECK(len == 0);
}

TEST_CASE("sim0: many threads, many connections, every byte checked") {
    listening l = listen4(sim_stack, 64);
    constexpr int clients = 8;
    constexpr size_t per_client = 256 * 1024;
    int lfd = l.fd;
    // Echo server: one thread per accepted connection.
    auto server = std::async(std::launch::async, [lfd] {
        std::vector<std::future<void>> conns;
        for (int i = 0; i < clients; ++i) {
            int s = zsock_accept(lfd, nullptr, nullptr);
            if (s < 0) break;
            conns.push_back(std::async(std::launch::async, [s] {
                std::vector<char> buf(8192);
                for (;;) {
                    ssize_t n = zsock_recv(s, buf.data(), buf.size(), 0);
                    if (n <= 0) break;
                    ssize_t off = 0;
                    while (off < n) {
                        ssize_t w = zsock_send(s, buf.data() + off, n - off, 0);
                        if (w <= 0) break;
                        off += w;
                    }
                }
                zsock_close(s);
            }));
        }
        for (auto &f : conns)
            f.get();
    });
    std::vector<std::future<bool>> results;
    sockaddr_in addr = l.addr;
    for (int k = 0; k < clients; ++k) {
        results.push_back(std::async(std::launch::async, [addr, k] {
            int c = zsock_simnet_create(AF_INET, SOCK_STREAM, 0);
            if (zsock_connect(c, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0)
                return false;
            // A writer thread and this reader: a full duplex echo.
            auto writer = std::async(std::launch::async, [c, k] {
                std::vector<char> buf(10000);
                size_t off = 0;
                while (off < per_client) {
                    size_t n = std::min(buf.size(), per_client - off);
                    for (size_t i = 0; i < n; ++i)
                        buf[i] = pattern(off + i, k);
                    ssize_t w = zsock_send(c, buf.data(), n, 0);
                    if (w <= 0) return;
                    off += static_cast<size_t>(w);
                }
                zsock_shutdown(c, SHUT_WR);
            });
            std::vector<char> buf(6000);
            size_t got = 0;
            bool same = true;
            for (;;) {
                ssize_t n = zsock_recv(c, buf.data(), buf.size(), 0);
                if (n <= 0) break;
                for (ssize_t i = 0; i < n; ++i)
                    same = same && buf[i] == pattern(got + i, k);
                got += static_cast<size_t>(n);
            }
            writer.get();
            zsock_close(c);
            return same && got == per_client;
        }));
    }
    for (auto &r : results)
        CHECK(r.get());
    server.get();
}

TEST_CASE("sim0: SO_SOCKS5 is refused with ENOPROTOOPT, as on every zsock socket") {
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
        fd_guard fd(make_sim(AF_INET, type, 0));
        int on = 1;
        errno = 0;
        CHECK(zsock_setsockopt(fd, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, sizeof on) == -1);
        CHECK(errno == ENOPROTOOPT);
        socklen_t len = sizeof on;
        errno = 0;
        CHECK(zsock_getsockopt(fd, SOL_SOCKET, ZSOCK_SO_SOCKS5, &on, &len) == -1);
        CHECK(errno == ENOPROTOOPT);
    }
}
