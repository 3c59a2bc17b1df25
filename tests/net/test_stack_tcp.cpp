// Stream behaviour that the kernel's TCP and sim0 share: one body per rule, run on each stack.
#include "net/stack_fixture.hpp"

#include <atomic>
#include <csignal>
#include <future>
#include <netinet/tcp.h>

using namespace stack_test;

TEST_CASE("stream: connect, accept, addresses, echo") {
    const stack s = STACKS;
    CAPTURE(s.name);
    listening l = listen4(s);
    fd_guard c(s.make(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    fd_guard srv(zsock_accept(l.fd, sa(&peer), &plen));
    REQUIRE(srv >= 0);
    CHECK(plen == sizeof(sockaddr_in));

    sockaddr_in cl{}, sl{}, cp{};
    socklen_t len = sizeof cl;
    REQUIRE(zsock_getsockname(c, sa(&cl), &len) == 0);
    len = sizeof sl;
    REQUIRE(zsock_getsockname(srv, sa(&sl), &len) == 0);
    len = sizeof cp;
    REQUIRE(zsock_getpeername(c, sa(&cp), &len) == 0);
    CHECK(cl.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(peer.sin_port == cl.sin_port); // accept reports the client's address
    CHECK(peer.sin_addr.s_addr == cl.sin_addr.s_addr);
    CHECK(sl.sin_port == l.addr.sin_port);
    CHECK(cp.sin_port == l.addr.sin_port);

    int type = 0, proto = 0, acc = 1;
    len = sizeof type;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_STREAM);
    len = sizeof proto;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == IPPROTO_TCP);
    len = sizeof acc;
    REQUIRE(zsock_getsockopt(l.fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0);
    CHECK(acc == 1);

    REQUIRE(zsock_send(c, "ping", 4, 0) == 4);
    char buf[8] = {};
    REQUIRE(zsock_recv(srv, buf, 4, MSG_WAITALL) == 4);
    CHECK(std::string(buf, 4) == "ping");
    REQUIRE(zsock_write(srv, "pong", 4) == 4);
    REQUIRE(zsock_read(c, buf, 4) == 4);
    CHECK(std::string(buf, 4) == "pong");
}

TEST_CASE("stream: short reads return what arrived; MSG_PEEK leaves it") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    REQUIRE(zsock_send(c, "0123456789", 10, 0) == 10);
    REQUIRE(poll1(srv, POLLIN, 2000) & POLLIN);
    char buf[64] = {};
    CHECK(zsock_recv(srv, buf, 4, MSG_PEEK) == 4);
    CHECK(std::string(buf, 4) == "0123");
    CHECK(zsock_recv(srv, buf, 3, 0) == 3);
    CHECK(std::string(buf, 3) == "012");
    // A big buffer gets the 7 bytes there are, not more and without waiting.
    CHECK(zsock_recv(srv, buf, sizeof buf, 0) == 7);
    CHECK(std::string(buf, 7) == "3456789");
}

TEST_CASE("stream: EAGAIN on an empty nonblocking socket and with MSG_DONTWAIT") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    char b;
    CHECK(zsock_recv(srv, &b, 1, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
    set_nonblock(srv);
    CHECK(zsock_recv(srv, &b, 1, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(zsock_read(srv, &b, 1) == -1);
    CHECK(errno == EAGAIN);
    int fl = zsock_fcntl(srv, F_GETFL, 0);
    CHECK((fl & O_NONBLOCK) != 0);
    int off = 0;
    REQUIRE(zsock_ioctl(srv, FIONBIO, &off) == 0);
    CHECK((zsock_fcntl(srv, F_GETFL, 0) & O_NONBLOCK) == 0);

    listening l = listen4(s, 4, SOCK_NONBLOCK);
    CHECK(zsock_accept(l.fd, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("stream: a full window gives short sends, EAGAIN, then POLLOUT; every byte arrives") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    // Windows bigger than loopback's MSS (64 KiB), so that Linux advertises a reopened window at
    // once instead of waiting for zero-window probes; and a small send buffer to reach EAGAIN.
    int rcv = 256 * 1024, snd = 64 * 1024;
    REQUIRE(zsock_setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) == 0);
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd) == 0);
    set_nonblock(c);
    std::vector<char> chunk(65536);
    size_t sent = 0;
    int eagain = 0;
    for (int i = 0; i < 10000 && !eagain; ++i) {
        for (size_t k = 0; k < chunk.size(); ++k)
            chunk[k] = pattern(sent + k);
        ssize_t n = zsock_send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n < 0) {
            REQUIRE(errno == EAGAIN);
            eagain = 1;
        } else {
            sent += static_cast<size_t>(n);
        }
    }
    REQUIRE(eagain);
    REQUIRE(sent > 0);
    CHECK((poll1(c, POLLOUT, 0) & POLLOUT) == 0);

    // Draining the receiver opens the window again: POLLOUT comes back, and nothing was lost.
    std::vector<char> got;
    std::vector<char> buf(65536);
    while (got.size() < sent) {
        REQUIRE(poll1(srv, POLLIN, 5000) & POLLIN);
        ssize_t n = zsock_recv(srv, buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        got.insert(got.end(), buf.begin(), buf.begin() + n);
    }
    REQUIRE(got.size() == sent);
    bool same = true;
    for (size_t i = 0; i < sent; ++i)
        same = same && got[i] == pattern(i);
    CHECK(same);
    CHECK(poll1(c, POLLOUT, 5000) & POLLOUT);
}

TEST_CASE("stream: 4 MiB through a blocking socket, every byte checked") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    constexpr size_t total = 4u << 20;
    int cfd = c;
    auto writer = std::async(std::launch::async, [cfd] {
        std::vector<char> buf(100000);
        size_t off = 0;
        while (off < total) {
            size_t n = std::min(buf.size(), total - off);
            for (size_t k = 0; k < n; ++k)
                buf[k] = pattern(off + k, 3);
            ssize_t w = zsock_send(cfd, buf.data(), n, MSG_NOSIGNAL);
            if (w <= 0) return off;
            off += static_cast<size_t>(w);
        }
        return off;
    });
    std::vector<char> buf(77777);
    size_t off = 0;
    bool same = true;
    while (off < total) {
        ssize_t n = zsock_recv(srv, buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        for (ssize_t k = 0; k < n; ++k)
            same = same && buf[k] == pattern(off + k, 3);
        off += static_cast<size_t>(n);
    }
    CHECK(writer.get() == total);
    CHECK(same);
}

TEST_CASE("stream: MSG_WAITALL collects pieces sent apart") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    int cfd = c;
    auto writer = std::async(std::launch::async, [cfd] {
        for (const char *piece : {"abc", "defg", "hij"}) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            zsock_send(cfd, piece, std::strlen(piece), 0);
        }
    });
    char buf[10] = {};
    CHECK(zsock_recv(srv, buf, 10, MSG_WAITALL) == 10);
    CHECK(std::string(buf, 10) == "abcdefghij");
    writer.get();
}

TEST_CASE("stream: peer close gives EOF, POLLIN|POLLRDHUP; our SHUT_WR then gives POLLHUP") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    REQUIRE(zsock_send(c, "bye", 3, 0) == 3);
    c.reset();
    short ev = poll1(srv, POLLIN | POLLRDHUP, 2000);
    CHECK((ev & POLLIN) != 0);
    CHECK((ev & POLLRDHUP) != 0);
    CHECK((ev & POLLHUP) == 0);
    char buf[8];
    CHECK(zsock_recv(srv, buf, sizeof buf, 0) == 3);
    CHECK(zsock_recv(srv, buf, sizeof buf, 0) == 0);
    CHECK(zsock_recv(srv, buf, sizeof buf, 0) == 0);
    REQUIRE(zsock_shutdown(srv, SHUT_WR) == 0);
    CHECK((poll1(srv, POLLIN, 2000) & POLLHUP) != 0);
}

TEST_CASE("stream: shutdown(SHUT_WR) is a half close; the other direction still flows") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    REQUIRE(zsock_send(c, "request", 7, 0) == 7);
    REQUIRE(zsock_shutdown(c, SHUT_WR) == 0);
    char buf[16];
    CHECK(zsock_recv(srv, buf, 7, MSG_WAITALL) == 7);
    CHECK(zsock_recv(srv, buf, sizeof buf, 0) == 0);
    REQUIRE(zsock_send(srv, "reply", 5, 0) == 5);
    CHECK(zsock_recv(c, buf, 5, MSG_WAITALL) == 5);
    CHECK(std::string(buf, 5) == "reply");
    CHECK(zsock_send(c, "x", 1, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    CHECK(zsock_shutdown(c, 7) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("stream: closing with unread data resets the peer (ECONNRESET)") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    REQUIRE(zsock_send(c, "unread", 6, 0) == 6);
    REQUIRE(poll1(srv, POLLIN, 2000) & POLLIN);
    srv.reset();
    short ev = poll1(c, POLLIN, 2000);
    CHECK((ev & POLLERR) != 0);
    CHECK((ev & POLLHUP) != 0);
    char b;
    CHECK(zsock_recv(c, &b, 1, 0) == -1);
    CHECK(errno == ECONNRESET);
    CHECK(zsock_recv(c, &b, 1, 0) == 0); // the error is reported once
}

TEST_CASE("stream: sending to a closed peer ends in EPIPE or ECONNRESET, no signal") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    srv.reset();
    int err = 0;
    for (int i = 0; i < 50 && !err; ++i) {
        if (zsock_send(c, "x", 1, MSG_NOSIGNAL) < 0)
            err = errno;
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK((err == EPIPE || err == ECONNRESET));
}

TEST_CASE("stream: backlog bounds the accept queue; a waiting client gets in after an accept") {
    const stack s = STACKS;
    CAPTURE(s.name);
    // backlog 1: Linux queues backlog + 1 = 2 connections.
    listening l = listen4(s, 1);
    std::vector<fd_guard> clients;
    for (int i = 0; i < 3; ++i) {
        fd_guard c(s.make(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        int r = zsock_connect(c, sa(&l.addr), sizeof l.addr);
        CHECK((r == 0 || errno == EINPROGRESS));
        clients.push_back(std::move(c));
    }
    for (int i = 0; i < 2; ++i)
        CHECK((poll1(clients[i], POLLOUT, 2000) & POLLOUT) != 0);
    // The third is not established while the queue is full.
    CHECK((poll1(clients[2], POLLOUT, 300) & POLLOUT) == 0);
    int again = zsock_connect(clients[2], sa(&l.addr), sizeof l.addr);
    CHECK(again == -1);
    CHECK(errno == EALREADY);
    fd_guard a1(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(a1 >= 0);
    // Linux retries the SYN about a second later; sim0 admits it at once.
    CHECK((poll1(clients[2], POLLOUT, 5000) & POLLOUT) != 0);
    int soerr = -1;
    socklen_t len = sizeof soerr;
    REQUIRE(zsock_getsockopt(clients[2], SOL_SOCKET, SO_ERROR, &soerr, &len) == 0);
    CHECK(soerr == 0);
    fd_guard a2(zsock_accept(l.fd, nullptr, nullptr));
    fd_guard a3(zsock_accept(l.fd, nullptr, nullptr));
    CHECK(a2 >= 0);
    CHECK(a3 >= 0);
    // Every accepted connection works.
    REQUIRE(zsock_send(clients[2], "third", 5, 0) == 5);
    char buf[8];
    int got = 0;
    for (int fd : {int(a2), int(a3)})
        if (poll1(fd, POLLIN, 1000) & POLLIN) got += zsock_recv(fd, buf, sizeof buf, 0) == 5;
    CHECK(got == 1);
}

TEST_CASE("stream: EADDRINUSE for a taken port; SO_REUSEADDR lets non-listeners share") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard a(s.make(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr = lo4();
    REQUIRE(zsock_bind(a, sa(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(a, sa(&addr), &len) == 0);
    fd_guard b(s.make(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_bind(b, sa(&addr), sizeof addr) == -1);
    CHECK(errno == EADDRINUSE);
    // The wildcard overlaps 127.0.0.1.
    sockaddr_in any = addr;
    any.sin_addr.s_addr = htonl(INADDR_ANY);
    CHECK(zsock_bind(b, sa(&any), sizeof any) == -1);
    CHECK(errno == EADDRINUSE);
    CHECK(zsock_bind(a, sa(&addr), sizeof addr) == -1); // bound already
    CHECK(errno == EINVAL);

    int one = 1;
    fd_guard r1(s.make(AF_INET, SOCK_STREAM, 0)), r2(s.make(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    REQUIRE(zsock_setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    sockaddr_in raddr = lo4();
    REQUIRE(zsock_bind(r1, sa(&raddr), sizeof raddr) == 0);
    len = sizeof raddr;
    REQUIRE(zsock_getsockname(r1, sa(&raddr), &len) == 0);
    CHECK(zsock_bind(r2, sa(&raddr), sizeof raddr) == 0);
    REQUIRE(zsock_listen(r1, 4) == 0);
    CHECK(zsock_listen(r2, 4) == -1);
    CHECK(errno == EADDRINUSE);
}

TEST_CASE("stream: ECONNREFUSED where nobody listens; the socket can connect again") {
    const stack s = STACKS;
    CAPTURE(s.name);
    // A port held but not listening: nobody can be listening on it.
    fd_guard hold(s.make(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr = lo4();
    REQUIRE(zsock_bind(hold, sa(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(hold, sa(&addr), &len) == 0);
    fd_guard c(s.make(AF_INET, SOCK_STREAM, 0));
    CHECK(zsock_connect(c, sa(&addr), sizeof addr) == -1);
    CHECK(errno == ECONNREFUSED);
    listening l = listen4(s);
    CHECK(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(srv >= 0);
    REQUIRE(zsock_send(c, "again", 5, 0) == 5);
    char buf[8];
    CHECK(zsock_recv(srv, buf, 5, MSG_WAITALL) == 5);
}

TEST_CASE("stream: nonblocking connect completes with POLLOUT and SO_ERROR 0") {
    const stack s = STACKS;
    CAPTURE(s.name);
    listening l = listen4(s);
    fd_guard c(s.make(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int r = zsock_connect(c, sa(&l.addr), sizeof l.addr);
    REQUIRE((r == 0 || errno == EINPROGRESS));
    REQUIRE(poll1(c, POLLOUT, 2000) & POLLOUT);
    int soerr = -1;
    socklen_t len = sizeof soerr;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0);
    CHECK(soerr == 0);
    // Connected: one more connect says EISCONN (after the one that may report completion).
    if (zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0)
        CHECK(zsock_connect(c, sa(&l.addr), sizeof l.addr) == -1);
    CHECK(errno == EISCONN);
}

TEST_CASE("stream: poll on fresh and listening sockets") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard fresh(s.make(AF_INET, SOCK_STREAM, 0));
    CHECK(poll1(fresh, POLLIN | POLLOUT, 0) == (POLLOUT | POLLHUP));
    CHECK(poll1(fresh, POLLIN, 0) == POLLHUP);
    listening l = listen4(s);
    CHECK(poll1(l.fd, POLLIN | POLLOUT, 0) == 0);
    fd_guard c(s.make(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    CHECK(poll1(l.fd, POLLIN | POLLOUT, 2000) == POLLIN);
    int n = -1;
    CHECK(zsock_ioctl(l.fd, FIONREAD, &n) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("stream: FIONREAD counts the bytes waiting") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    std::vector<char> data(1234, 'q');
    REQUIRE(zsock_send(c, data.data(), data.size(), 0) == 1234);
    int n = 0;
    for (int i = 0; i < 100 && n < 1234; ++i) {
        REQUIRE(zsock_ioctl(srv, FIONREAD, &n) == 0);
        if (n < 1234) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(n == 1234);
}

TEST_CASE("stream: wrong-state calls fail as on Linux") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard fresh(s.make(AF_INET, SOCK_STREAM, 0));
    char b = 0;
    CHECK(zsock_recv(fresh, &b, 1, 0) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_send(fresh, &b, 1, MSG_NOSIGNAL) == -1);
    CHECK(errno == EPIPE);
    CHECK(zsock_shutdown(fresh, SHUT_RD) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_accept(fresh, nullptr, nullptr) == -1);
    CHECK(errno == EINVAL);
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    CHECK(zsock_getpeername(fresh, sa(&peer), &len) == -1);
    CHECK(errno == ENOTCONN);
    sockaddr_in name{};
    name.sin_port = 1;
    len = sizeof name;
    REQUIRE(zsock_getsockname(fresh, sa(&name), &len) == 0);
    CHECK(name.sin_family == AF_INET);
    CHECK(name.sin_port == 0);
    CHECK(name.sin_addr.s_addr == 0);

    listening l = listen4(s);
    CHECK(zsock_connect(l.fd, sa(&l.addr), sizeof l.addr) == -1);
    CHECK(errno == EISCONN);
    CHECK(zsock_recv(l.fd, &b, 1, 0) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_accept4(l.fd, nullptr, nullptr, 0x40000000) == -1);
    CHECK(errno == EINVAL);

    auto [c, srv] = pair4(s);
    CHECK(zsock_connect(c, sa(&l.addr), sizeof l.addr) == -1);
    CHECK(errno == EISCONN);
    CHECK(zsock_listen(c, 1) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("stream: address checks: length, family, not ours") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard a(s.make(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr = lo4();
    CHECK(zsock_bind(a, sa(&addr), sizeof addr - 1) == -1);
    CHECK(errno == EINVAL);
    sockaddr_in6 six = lo6();
    CHECK(zsock_bind(a, sa(&six), sizeof six) == -1);
    CHECK(errno == EAFNOSUPPORT);
    // 192.0.2.1 (TEST-NET-1) is nobody's local address. bind sends nothing anywhere.
    sockaddr_in foreign = lo4();
    foreign.sin_addr.s_addr = htonl(0xC0000201);
    CHECK(zsock_bind(a, sa(&foreign), sizeof foreign) == -1);
    CHECK(errno == EADDRNOTAVAIL);
    CHECK(zsock_connect(a, nullptr, sizeof addr) == -1);
    CHECK(errno == EFAULT);
}

TEST_CASE("stream: IPv6 on ::1") {
    const stack s = STACKS;
    CAPTURE(s.name);
    if (!s.sim && !kernel_has_ipv6()) {
        WARN("the kernel has no ::1 here");
        return;
    }
    fd_guard l(s.make(AF_INET6, SOCK_STREAM, 0));
    REQUIRE(l >= 0);
    sockaddr_in6 addr = lo6();
    REQUIRE(zsock_bind(l, sa(&addr), sizeof addr) == 0);
    REQUIRE(zsock_listen(l, 4) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(zsock_getsockname(l, sa(&addr), &len) == 0);
    CHECK(len == sizeof(sockaddr_in6));
    fd_guard c(s.make(AF_INET6, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&addr), sizeof addr) == 0);
    sockaddr_in6 peer{};
    len = sizeof peer;
    fd_guard srv(zsock_accept(l, sa(&peer), &len));
    REQUIRE(srv >= 0);
    CHECK(peer.sin6_family == AF_INET6);
    CHECK(std::memcmp(&peer.sin6_addr, &in6addr_loopback, 16) == 0);
    REQUIRE(zsock_send(c, "six", 3, 0) == 3);
    char buf[4];
    CHECK(zsock_recv(srv, buf, 3, MSG_WAITALL) == 3);
}

TEST_CASE("stream: SO_RCVTIMEO bounds a blocking recv with EAGAIN") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    timeval tv{0, 100000};
    REQUIRE(zsock_setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    timeval back{};
    socklen_t len = sizeof back;
    REQUIRE(zsock_getsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0);
    CHECK(back.tv_usec == 100000);
    auto t0 = std::chrono::steady_clock::now();
    char b;
    CHECK(zsock_recv(srv, &b, 1, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(90));
    timeval bad{0, 1000000};
    CHECK(zsock_setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad) == -1);
    CHECK(errno == EDOM);
    CHECK(zsock_setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, 3) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE("stream: options round-trip; unknown ones are ENOPROTOOPT") {
    const stack s = STACKS;
    CAPTURE(s.name);
    fd_guard fd(s.make(AF_INET, SOCK_STREAM, 0));
    int one = 1, v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    REQUIRE(zsock_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0);
    CHECK(v != 0);
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0);
    len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0);
    CHECK(v == 1);
    int rcv = 8192;
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) == 0);
    len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0);
    CHECK(v == 16384); // doubled, as Linux reports it
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, 2) == -1);
    CHECK(errno == EINVAL);
    CHECK(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_PEER_VERIFY, &one, sizeof one) == -1);
    CHECK(errno == ENOPROTOOPT);
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, 9999, &one, sizeof one) == -1);
    CHECK(errno == ENOPROTOOPT);
    linger lg{1, 0};
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    linger back{};
    len = sizeof back;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_LINGER, &back, &len) == 0);
    CHECK(back.l_onoff == 1);
}

TEST_CASE("stream: close from another thread wakes a blocked recv with EINTR") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    int fd = srv.release();
    std::atomic<pid_t> tid{0};
    auto blocked = std::async(std::launch::async, [fd, &tid] {
        tid = gettid();
        char b;
        long r = zsock_recv(fd, &b, 1, 0);
        return r < 0 ? errno : 0;
    });
    while (!tid) std::this_thread::yield();
    wait_blocked(tid);
    REQUIRE(zsock_close(fd) == 0);
    REQUIRE(blocked.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(blocked.get() == EINTR);
}

TEST_CASE("stream: one thread sends while another is blocked in recv on the same socket") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    int cfd = c;
    auto reader = std::async(std::launch::async, [cfd] {
        char b[5];
        return zsock_recv(cfd, b, 5, MSG_WAITALL);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(zsock_send(c, "to-server", 9, 0) == 9); // c is busy in recv on the other thread
    char buf[9];
    REQUIRE(zsock_recv(srv, buf, 9, MSG_WAITALL) == 9);
    REQUIRE(zsock_send(srv, "reply", 5, 0) == 5);
    REQUIRE(reader.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(reader.get() == 5);
}

TEST_CASE("stream: shutdown(SHUT_RD) on a listener stops it; a blocked accept returns EINVAL") {
    const stack s = STACKS;
    CAPTURE(s.name);
    listening l = listen4(s);
    int lfd = l.fd;
    auto blocked = std::async(std::launch::async, [lfd] {
        long r = zsock_accept(lfd, nullptr, nullptr);
        return r < 0 ? errno : 0;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(zsock_shutdown(l.fd, SHUT_RD) == 0);
    REQUIRE(blocked.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(blocked.get() == EINVAL);
    CHECK((poll1(l.fd, POLLIN, 0) & POLLHUP) != 0);
}

TEST_CASE("stream: SO_LINGER {1, 0} makes close reset the connection") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    linger lg{1, 0};
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    c.reset();
    REQUIRE(poll1(srv, POLLIN, 2000) & POLLIN);
    char b;
    CHECK(zsock_recv(srv, &b, 1, 0) == -1);
    CHECK(errno == ECONNRESET);
}

TEST_CASE("stream: readv and writev gather and scatter") {
    const stack s = STACKS;
    CAPTURE(s.name);
    auto [c, srv] = pair4(s);
    char a[] = "hello, ", b[] = "vectored ", d[] = "world";
    iovec out[3] = {{a, 7}, {b, 9}, {d, 5}};
    REQUIRE(zsock_writev(c, out, 3) == 21);
    REQUIRE(poll1(srv, POLLIN, 2000) & POLLIN);
    char x[4], y[30];
    iovec in[2] = {{x, sizeof x}, {y, sizeof y}};
    ssize_t got = 0;
    while (got < 21) {
        iovec rest[2] = {in[0], in[1]};
        size_t skip = static_cast<size_t>(got);
        int first = skip >= sizeof x ? 1 : 0;
        if (first == 0) {
            rest[0].iov_base = x + skip;
            rest[0].iov_len = sizeof x - skip;
        } else {
            rest[1].iov_base = y + (skip - sizeof x);
            rest[1].iov_len = sizeof y - (skip - sizeof x);
        }
        ssize_t n = zsock_readv(srv, rest + first, 2 - first);
        REQUIRE(n > 0);
        got += n;
    }
    CHECK(std::string(x, 4) + std::string(y, 17) == "hello, vectored world");
}
