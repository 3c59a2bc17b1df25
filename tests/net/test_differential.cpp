// Differential tests: each scenario runs through the kernel's system calls and through zsock, and
// every step must give the same result and errno (support/differential.hpp). This is where bad
// input lives: bad fds, non-socket fds, bad pointers, bad lengths, families, option lengths,
// flags. The few places where zsock deliberately differs from Linux have their own tests
// (test_expected_failures, test_select).
#include <catch2/catch.hpp>

#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/un.h>

#include "support/differential.hpp"

using namespace zsock_test;

namespace {

void *const bad_ptr = reinterpret_cast<void *>(8);
sockaddr *const bad_addr = reinterpret_cast<sockaddr *>(8);
socklen_t *const bad_len = reinterpret_cast<socklen_t *>(8);

/// SIGPIPE is ignored for the whole file: scenarios send on broken streams without MSG_NOSIGNAL.
struct ignore_sigpipe {
    ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
} ignore_sigpipe_once;

/// A loopback TCP listener made through `a`, with its address.
struct ref_listener {
    const api &a;
    int fd = -1;
    sockaddr_in addr = loopback4();
    ref_listener(const api &api_, recorder &r, int backlog = 4) : a(api_) {
        fd = static_cast<int>(r.fd("listener socket", a.socket(AF_INET, SOCK_STREAM, 0)));
        socklen_t len = sizeof addr;
        r("listener bind", a.bind(fd, sa(&addr), sizeof addr));
        r("listener listen", a.listen(fd, backlog));
        r("listener getsockname", a.getsockname(fd, sa(&addr), &len));
    }
    ~ref_listener() { a.close(fd); }
};

/// A port on 127.0.0.1 nobody listens on.
sockaddr_in dead_port(const api &a) {
    sockaddr_in d = loopback4();
    long t = a.socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof d;
    a.bind(static_cast<int>(t), sa(&d), sizeof d);
    a.getsockname(static_cast<int>(t), sa(&d), &len);
    a.close(static_cast<int>(t));
    return d;
}

} // namespace

TEST_CASE("differential: close of bad and closed fds") {
    differential([](const api &a, recorder &r) {
        ZT_STEP(r, a.close(-1));
        ZT_STEP(r, a.close(INT_MAX));
        ZT_STEP(r, a.close(1 << 20));
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.close(s));
        ZT_STEP(r, a.close(s));
    });
}

TEST_CASE("differential: socket() with bad families, types, protocols and flags") {
    const int cases[][3] = {
        {AF_UNSPEC, SOCK_STREAM, 0},
        {-1, SOCK_STREAM, 0},
        {4242, SOCK_STREAM, 0},
        {AF_MAX, SOCK_DGRAM, 0},
        {AF_INET, 0, 0},
        {AF_INET, 42, 0},
        {AF_INET, -1, 0},
        {AF_INET, SOCK_STREAM, IPPROTO_UDP},
        {AF_INET, SOCK_DGRAM, IPPROTO_TCP},
        {AF_INET, SOCK_STREAM, 200},
        {AF_INET, SOCK_STREAM, -1},
        {AF_INET6, SOCK_DGRAM, IPPROTO_ICMP},
        {AF_UNIX, SOCK_STREAM, IPPROTO_TCP},
        {AF_UNIX, SOCK_DGRAM, 1},
        {AF_UNIX, SOCK_RAW, 0},
        {AF_INET, SOCK_STREAM | 0x40000000, 0},
        {AF_INET, SOCK_STREAM | O_APPEND, 0},
        {AF_INET, SOCK_SEQPACKET, 0},
        {AF_UNIX, SOCK_SEQPACKET, 0},
        {AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP},
        {AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP},
    };
    for (const auto &c : cases) {
        INFO("socket(" << c[0] << ", " << c[1] << ", " << c[2] << ")");
        differential([&](const api &a, recorder &r) {
            long s = r.fd("socket", a.socket(c[0], c[1], c[2]));
            if (s >= 0) {
                int v = 0;
                socklen_t len = sizeof v;
                ZT_STEP(r, a.getsockopt(static_cast<int>(s), SOL_SOCKET, SO_TYPE, &v, &len));
                r.value("type", v);
                ZT_STEP(r, a.getsockopt(static_cast<int>(s), SOL_SOCKET, SO_PROTOCOL, &v, &len));
                r.value("protocol", v);
                ZT_STEP(r, a.fcntl(static_cast<int>(s), F_GETFL, 0));
                ZT_STEP(r, a.fcntl(static_cast<int>(s), F_GETFD, 0));
                a.close(static_cast<int>(s));
            }
        });
    }
}

TEST_CASE("differential: socket calls on a pipe and on a file are ENOTSOCK") {
    differential([](const api &a, recorder &r) {
        int p[2];
        REQUIRE(::pipe(p) == 0);
        int file = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        REQUIRE(file >= 0);
        for (int fd : {p[0], p[1], file}) {
            sockaddr_in addr = loopback4(9);
            socklen_t len = sizeof addr;
            char b[4] = {};
            int v = 1;
            msghdr m{};
            ZT_STEP(r, a.bind(fd, sa(&addr), sizeof addr));
            ZT_STEP(r, a.connect(fd, sa(&addr), sizeof addr));
            ZT_STEP(r, a.listen(fd, 1));
            ZT_STEP(r, a.accept4(fd, nullptr, nullptr, 0));
            ZT_STEP(r, a.send(fd, b, 1, 0));
            ZT_STEP(r, a.recv(fd, b, 1, MSG_DONTWAIT));
            ZT_STEP(r, a.sendto(fd, b, 1, 0, sa(&addr), sizeof addr));
            ZT_STEP(r, a.recvfrom(fd, b, 1, MSG_DONTWAIT, sa(&addr), &len));
            ZT_STEP(r, a.sendmsg(fd, &m, 0));
            ZT_STEP(r, a.recvmsg(fd, &m, MSG_DONTWAIT));
            ZT_STEP(r, a.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
            ZT_STEP(r, a.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
            ZT_STEP(r, a.getpeername(fd, sa(&addr), &len));
            ZT_STEP(r, a.getsockname(fd, sa(&addr), &len));
            ZT_STEP(r, a.shutdown(fd, SHUT_RDWR));
            ZT_STEP(r, a.ioctl(fd, FIONBIO, &v));
            ZT_STEP(r, a.fcntl(fd, F_GETFL, 0));
        }
        // The pipe itself still works through the fd calls.
        ZT_STEP(r, a.write(p[1], "ab", 2));
        char got[2];
        ZT_STEP(r, a.read(p[0], got, 2));
        ::close(p[0]);
        ::close(p[1]);
        ::close(file);
    });
}

TEST_CASE("differential: every call on a closed fd is EBADF") {
    differential([](const api &a, recorder &r) {
        int fd = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.close(fd));
        sockaddr_in addr = loopback4(9);
        socklen_t len = sizeof addr;
        char b[4];
        int v = 1;
        msghdr m{};
        iovec iov{b, 1};
        ZT_STEP(r, a.bind(fd, sa(&addr), sizeof addr));
        ZT_STEP(r, a.connect(fd, sa(&addr), sizeof addr));
        ZT_STEP(r, a.listen(fd, 1));
        ZT_STEP(r, a.accept4(fd, nullptr, nullptr, 0));
        ZT_STEP(r, a.send(fd, b, 1, 0));
        ZT_STEP(r, a.recv(fd, b, 1, 0));
        ZT_STEP(r, a.sendmsg(fd, &m, 0));
        ZT_STEP(r, a.recvmsg(fd, &m, 0));
        ZT_STEP(r, a.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
        ZT_STEP(r, a.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
        ZT_STEP(r, a.getpeername(fd, sa(&addr), &len));
        ZT_STEP(r, a.getsockname(fd, sa(&addr), &len));
        ZT_STEP(r, a.shutdown(fd, SHUT_RDWR));
        ZT_STEP(r, a.read(fd, b, 1));
        ZT_STEP(r, a.write(fd, b, 1));
        ZT_STEP(r, a.readv(fd, &iov, 1));
        ZT_STEP(r, a.writev(fd, &iov, 1));
        ZT_STEP(r, a.fcntl(fd, F_GETFL, 0));
        ZT_STEP(r, a.fcntl(fd, F_SETFD, FD_CLOEXEC));
        ZT_STEP(r, a.ioctl(fd, FIONREAD, &v));
        ZT_STEP(r, a.ioctl(fd, FIONBIO, &v));
        for (int neg : {-1, -1000}) {
            ZT_STEP(r, a.recv(neg, b, 1, 0));
            ZT_STEP(r, a.getsockopt(neg, SOL_SOCKET, SO_TYPE, &v, &len));
            ZT_STEP(r, a.fcntl(neg, F_GETFL, 0));
            ZT_STEP(r, a.ioctl(neg, FIONREAD, &v));
        }
    });
}

TEST_CASE("differential: bind with bad lengths, families, pointers and addresses") {
    differential([](const api &a, recorder &r) {
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        sockaddr_in addr = loopback4();
        sockaddr_in6 a6 = loopback6();
        ZT_STEP(r, a.bind(s, sa(&addr), 0));
        ZT_STEP(r, a.bind(s, sa(&addr), sizeof addr - 1));
        ZT_STEP(r, a.bind(s, sa(&addr), static_cast<socklen_t>(-1)));
        ZT_STEP(r, a.bind(s, sa(&a6), sizeof a6)); // IPv6 address on an IPv4 socket
        ZT_STEP(r, a.bind(s, nullptr, sizeof addr));
        ZT_STEP(r, a.bind(s, bad_addr, sizeof addr));
        sockaddr_in far = loopback4();
        far.sin_addr.s_addr = htonl(0x0afffffe); // 10.255.255.254: not local
        ZT_STEP(r, a.bind(s, sa(&far), sizeof far));
        ZT_STEP(r, a.bind(s, sa(&addr), sizeof addr));
        ZT_STEP(r, a.bind(s, sa(&addr), sizeof addr)); // bound already
        socklen_t len = sizeof addr;
        ZT_STEP(r, a.getsockname(s, sa(&addr), &len));
        ZT_STEP(r, a.listen(s, 1));
        int t = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.bind(t, sa(&addr), sizeof addr)); // in use
        a.close(t);
        a.close(s);

        int v6 = static_cast<int>(ZT_FD(r, a.socket(AF_INET6, SOCK_DGRAM, 0)));
        sockaddr_in v4 = loopback4();
        ZT_STEP(r, a.bind(v6, sa(&v4), sizeof v4)); // too short for IPv6
        ZT_STEP(r, a.bind(v6, sa(&a6), sizeof a6 - 1));
        sockaddr_in6 ll{};
        ll.sin6_family = AF_INET6;
        ll.sin6_addr.s6_addr[0] = 0xfe;
        ll.sin6_addr.s6_addr[1] = 0x80;
        ll.sin6_scope_id = 9999; // no such interface
        ZT_STEP(r, a.bind(v6, sa(&ll), sizeof ll));
        a.close(v6);

        int u = static_cast<int>(ZT_FD(r, a.socket(AF_UNIX, SOCK_STREAM, 0)));
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        ZT_STEP(r, a.bind(u, sa(&un), sizeof un + 1)); // longer than sockaddr_un
        ZT_STEP(r, a.bind(u, sa(&un), 1));
        std::strcpy(un.sun_path, "/nonexistent-dir-zsock/sock");
        ZT_STEP(r, a.bind(u, sa(&un), sizeof un));
        a.close(u);
    });
}

TEST_CASE("differential: connect errors") {
    differential([](const api &a, recorder &r) {
        sockaddr_in dead = dead_port(a);
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.connect(s, sa(&dead), sizeof dead)); // ECONNREFUSED
        ZT_STEP(r, a.connect(s, sa(&dead), sizeof dead - 2));
        sockaddr_in6 a6 = loopback6(1);
        ZT_STEP(r, a.connect(s, sa(&a6), sizeof a6));
        ZT_STEP(r, a.connect(s, bad_addr, sizeof dead));
        ZT_STEP(r, a.connect(s, nullptr, 0));
        a.close(s);

        ref_listener l(a, r);
        ZT_STEP(r, a.connect(l.fd, sa(&l.addr), sizeof l.addr)); // on a listening socket
        int c = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.connect(c, sa(&l.addr), sizeof l.addr));
        ZT_STEP(r, a.connect(c, sa(&l.addr), sizeof l.addr)); // EISCONN
        sockaddr unspec{};
        unspec.sa_family = AF_UNSPEC;
        ZT_STEP(r, a.connect(c, &unspec, sizeof unspec)); // disconnect
        a.close(c);

        int u = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.connect(u, sa(&dead), sizeof dead));
        ZT_STEP(r, a.connect(u, &unspec, sizeof unspec));
        ZT_STEP(r, a.connect(u, &unspec, 1));
        a.close(u);

        int x = static_cast<int>(ZT_FD(r, a.socket(AF_UNIX, SOCK_STREAM, 0)));
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::strcpy(un.sun_path, "/nonexistent-dir-zsock/sock");
        ZT_STEP(r, a.connect(x, sa(&un), sizeof un));
        socklen_t alen = 0;
        sockaddr_un abs = unix_abstract("nobody-here", &alen);
        ZT_STEP(r, a.connect(x, sa(&abs), alen));
        a.close(x);
    });
}

TEST_CASE("differential: listen and accept errors") {
    differential([](const api &a, recorder &r) {
        int u = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.listen(u, 1)); // EOPNOTSUPP
        ZT_STEP(r, a.accept4(u, nullptr, nullptr, 0));
        a.close(u);
        int ud = static_cast<int>(ZT_FD(r, a.socket(AF_UNIX, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.listen(ud, 1));
        a.close(ud);

        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.accept4(s, nullptr, nullptr, 0));      // not listening: EINVAL
        ZT_STEP(r, a.listen(s, -5));                        // negative backlog is allowed
        ZT_STEP(r, a.accept4(s, nullptr, nullptr, 0x1234)); // bad flags
        a.close(s);

        // Pending connections, accepted with bad address buffers (Linux checks those after taking
        // the connection off the queue, so each failure costs one: four are queued).
        ref_listener l(a, r);
        int c[4];
        for (int &ci : c) {
            ci = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
            ZT_STEP(r, a.connect(ci, sa(&l.addr), sizeof l.addr));
        }
        ZT_STEP(r, a.fcntl(l.fd, F_SETFL, O_NONBLOCK)); // never hang the test
        sockaddr_in peer{};
        socklen_t plen = static_cast<socklen_t>(-1);
        ZT_STEP(r, a.accept4(l.fd, sa(&peer), &plen, 0)); // negative length: EINVAL
        ZT_STEP(r, a.accept4(l.fd, sa(&peer), bad_len, 0));
        plen = sizeof peer;
        ZT_STEP(r, a.accept4(l.fd, bad_addr, &plen, 0));
        plen = 2; // too short: truncated, length reports the real size
        long n = ZT_FD(r, a.accept4(l.fd, sa(&peer), &plen, 0));
        r.value("plen", plen);
        if (n >= 0) a.close(static_cast<int>(n));
        ZT_STEP(r, a.accept4(l.fd, nullptr, nullptr, 0)); // the queue is empty now
        for (int ci : c)
            a.close(ci);
    });
}

TEST_CASE("differential: send and recv errors") {
    differential([](const api &a, recorder &r) {
        char b[16] = {};
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.send(s, b, 1, MSG_NOSIGNAL)); // never connected: EPIPE
        ZT_STEP(r, a.send(s, b, 1, 0));
        ZT_STEP(r, a.recv(s, b, 1, 0)); // ENOTCONN
        ZT_STEP(r, a.listen(s, 1));
        ZT_STEP(r, a.recv(s, b, 1, 0)); // listening: ENOTCONN
        a.close(s);

        int u = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.send(u, b, 1, 0)); // EDESTADDRREQ
        sockaddr_in dst = loopback4(9);
        ZT_STEP(r, a.sendto(u, b, 1, 0, sa(&dst), sizeof dst - 1));
        sockaddr_in6 d6 = loopback6(9);
        ZT_STEP(r, a.sendto(u, b, 1, 0, sa(&d6), sizeof d6));
        ZT_STEP(r, a.sendto(u, b, 1, 0, bad_addr, sizeof dst));
        ZT_STEP(r, a.sendto(u, bad_ptr, 4, 0, sa(&dst), sizeof dst));
        ZT_STEP(r, a.sendto(u, b, 1, MSG_OOB, sa(&dst), sizeof dst));
        ZT_STEP(r, a.recv(u, b, 1, MSG_OOB | MSG_DONTWAIT));
        ZT_STEP(r, a.recv(u, b, 1, MSG_DONTWAIT));
        std::vector<char> huge(70000);
        ZT_STEP(r, a.sendto(u, huge.data(), huge.size(), 0, sa(&dst), sizeof dst)); // EMSGSIZE
        ZT_STEP(r, a.sendmsg(u, nullptr, 0));
        ZT_STEP(r, a.recvmsg(u, nullptr, MSG_DONTWAIT));
        ZT_STEP(r, a.sendmsg(u, static_cast<msghdr *>(bad_ptr), 0));
        msghdr m{};
        iovec iov{b, 1};
        m.msg_name = &dst;
        m.msg_namelen = sizeof dst;
        m.msg_iov = &iov;
        m.msg_iovlen = IOV_MAX + 1;
        ZT_STEP(r, a.sendmsg(u, &m, 0)); // EMSGSIZE
        m.msg_iov = static_cast<iovec *>(bad_ptr);
        m.msg_iovlen = 1;
        ZT_STEP(r, a.sendmsg(u, &m, 0)); // EFAULT
        m.msg_iov = &iov;
        m.msg_control = bad_ptr;
        m.msg_controllen = 64;
        ZT_STEP(r, a.sendmsg(u, &m, 0));
        a.close(u);

        // Connected pair: bad buffers with data queued.
        ref_listener l(a, r);
        int c = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.connect(c, sa(&l.addr), sizeof l.addr));
        int acc = static_cast<int>(ZT_FD(r, a.accept4(l.fd, nullptr, nullptr, 0)));
        ZT_STEP(r, a.send(c, bad_ptr, 8, 0));
        ZT_STEP(r, a.send(c, "data", 4, 0));
        ZT_STEP(r, a.recv(acc, b, 4, MSG_PEEK | MSG_WAITALL));
        ZT_STEP(r, a.recv(acc, bad_ptr, 4, 0));
        ZT_STEP(r, a.recv(acc, b, 0, 0));
        ZT_STEP(r, a.recv(acc, b, 4, MSG_DONTWAIT)); // whatever the fault left
        ZT_STEP(r, a.shutdown(c, SHUT_WR));
        ZT_STEP(r, a.send(c, b, 1, 0)); // EPIPE (SIGPIPE ignored here)
        ZT_STEP(r, a.write(c, b, 1));
        a.close(acc);
        a.close(c);
    });
}

TEST_CASE("differential: getsockopt and setsockopt with bad levels, names, lengths, pointers") {
    differential([](const api &a, recorder &r) {
        for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
            int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, type, 0)));
            int v = 1;
            socklen_t len = sizeof v;
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, 9999, &v, &len));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v));
            ZT_STEP(r, a.getsockopt(s, 9999, 1, &v, &len));
            ZT_STEP(r, a.setsockopt(s, 9999, 1, &v, sizeof v));
            ZT_STEP(r, a.getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len));
            ZT_STEP(r, a.setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
            ZT_STEP(r, a.getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, &v, nullptr));
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, &v, bad_len));
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, bad_ptr, &len));
            len = static_cast<socklen_t>(-1);
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
            len = 0;
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
            r.value("len after 0", len);
            len = 2;
            v = 0;
            ZT_STEP(r, a.getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
            r.value("len after 2", len);
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 0));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, nullptr, sizeof v));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, bad_ptr, sizeof v));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, static_cast<socklen_t>(-1)));
            linger lg{1, 0};
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg - 1));
            timeval tv{0, 2000000};
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)); // EDOM
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv - 1));
            ZT_STEP(r, a.setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof v)); // read-only
            ip_mreqn mr{};
            ZT_STEP(r, a.setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, 3));
            ZT_STEP(r, a.setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr)); // EINVAL
            a.close(s);
        }
    });
}

TEST_CASE("differential: names, shutdown and read/write argument errors") {
    differential([](const api &a, recorder &r) {
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        sockaddr_in addr{};
        socklen_t len = sizeof addr;
        ZT_STEP(r, a.getpeername(s, sa(&addr), &len)); // ENOTCONN
        ZT_STEP(r, a.getsockname(s, sa(&addr), &len)); // Linux: 0.0.0.0:0
        r.value("family", addr.sin_family);
        ZT_STEP(r, a.getsockname(s, sa(&addr), nullptr));
        ZT_STEP(r, a.getsockname(s, sa(&addr), bad_len));
        ZT_STEP(r, a.getsockname(s, bad_addr, &len));
        len = static_cast<socklen_t>(-1);
        ZT_STEP(r, a.getsockname(s, sa(&addr), &len));
        len = 0;
        ZT_STEP(r, a.getsockname(s, sa(&addr), &len));
        r.value("len", len);
        ZT_STEP(r, a.shutdown(s, SHUT_RDWR)); // ENOTCONN
        ZT_STEP(r, a.shutdown(s, 3));
        ZT_STEP(r, a.shutdown(s, -1));
        char b[4];
        iovec iov{b, 1};
        ZT_STEP(r, a.readv(s, &iov, -1));
        ZT_STEP(r, a.readv(s, &iov, IOV_MAX + 1));
        ZT_STEP(r, a.writev(s, &iov, -1));
        ZT_STEP(r, a.writev(s, &iov, IOV_MAX + 1));
        ZT_STEP(r, a.writev(s, static_cast<iovec *>(bad_ptr), 1));
        ZT_STEP(r, a.readv(s, static_cast<iovec *>(bad_ptr), 1));
        ZT_STEP(r, a.read(s, b, 1));  // not connected
        ZT_STEP(r, a.write(s, b, 1)); // EPIPE
        ZT_STEP(r, a.readv(s, &iov, 0));
        ZT_STEP(r, a.writev(s, &iov, 0)); // no segments: 0, the socket is not asked
        ZT_STEP(r, a.read(s, b, 0));
        ZT_STEP(r, a.write(s, b, 0)); // a zero-length write does reach the socket: EPIPE
        a.close(s);

        // Datagrams: readv/writev of no segments neither consume nor send one.
        sockaddr_in addr_u{};
        int u = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)));
        addr_u = loopback4();
        len = sizeof addr_u;
        ZT_STEP(r, a.bind(u, sa(&addr_u), sizeof addr_u));
        ZT_STEP(r, a.getsockname(u, sa(&addr_u), &len));
        ZT_STEP(r, a.connect(u, sa(&addr_u), sizeof addr_u)); // to itself
        ZT_STEP(r, a.writev(u, &iov, 0));
        ZT_STEP(r, a.recv(u, b, sizeof b, 0)); // nothing was sent: EAGAIN
        ZT_STEP(r, a.send(u, "dgram", 5, 0));
        ZT_STEP(r, a.readv(u, &iov, 0));
        ZT_STEP(r, a.recv(u, b, sizeof b, MSG_TRUNC)); // still queued: 5
        ZT_STEP(r, a.write(u, b, 0));                  // an empty datagram is sent...
        ZT_STEP(r, a.read(u, b, sizeof b));            // ...and received
        a.close(u);
    });
}

TEST_CASE("differential: fcntl and ioctl") {
    differential([](const api &a, recorder &r) {
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        ZT_STEP(r, a.fcntl(s, F_GETFL, 0));
        ZT_STEP(r, a.fcntl(s, F_SETFL, O_NONBLOCK | O_APPEND));
        ZT_STEP(r, a.fcntl(s, F_GETFL, 0));
        ZT_STEP(r, a.fcntl(s, F_SETFL, 0));
        ZT_STEP(r, a.fcntl(s, F_GETFL, 0));
        ZT_STEP(r, a.fcntl(s, F_GETFD, 0));
        ZT_STEP(r, a.fcntl(s, F_SETFD, FD_CLOEXEC));
        ZT_STEP(r, a.fcntl(s, F_GETFD, 0));
        ZT_STEP(r, a.fcntl(s, 9999, 0));
        ZT_STEP(r, a.fcntl(s, -1, 0));
        ZT_STEP(r, a.fcntl(s, F_GETOWN, 0));
        ZT_STEP(r, a.fcntl(s, F_GETLK, reinterpret_cast<long>(bad_ptr)));
        int v = 0;
        ZT_STEP(r, a.ioctl(s, FIONREAD, &v));
        r.value("fionread", v);
        ZT_STEP(r, a.ioctl(s, FIONREAD, bad_ptr));
        ZT_STEP(r, a.ioctl(s, FIONBIO, bad_ptr));
        v = 1;
        ZT_STEP(r, a.ioctl(s, FIONBIO, &v));
        ZT_STEP(r, a.fcntl(s, F_GETFL, 0));
        v = 0;
        ZT_STEP(r, a.ioctl(s, FIONBIO, &v));
        ZT_STEP(r, a.fcntl(s, F_GETFL, 0));
        ZT_STEP(r, a.ioctl(s, 0x7777, &v));
        ZT_STEP(r, a.ioctl(s, 3, &v));      // below 0x100: zsock's fcntl range for objects
        ZT_STEP(r, a.ioctl(s, 0x1000, &v)); // zsock's internal WAKE_BLOCKED number
        ZT_STEP(r, a.ioctl(s, SIOCGSTAMP, &v)); // no packet yet
        a.close(s);
    });
}

TEST_CASE("differential: poll and select argument errors") {
    differential([](const api &a, recorder &r) {
        int s = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        int gone = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_DGRAM, 0)));
        a.close(gone);
        pollfd p[3] = {{s, POLLOUT, 0}, {gone, POLLIN, 0}, {-1, POLLIN, 0}};
        ZT_STEP(r, a.poll(p, 3, 0));
        for (auto &e : p)
            r.value("revents", e.revents);
        ZT_STEP(r, a.poll(bad_ptr, 1, 0));
        ZT_STEP(r, a.poll(nullptr, 1, 0));
        ZT_STEP(r, a.poll(nullptr, 0, 0));
        ZT_STEP(r, a.poll(p, -1, 0));
        ZT_STEP(r, a.poll(p, 1L << 30, 0));

        fd_set rs, ws;
        FD_ZERO(&rs);
        FD_ZERO(&ws);
        FD_SET(s, &ws);
        timeval tv{0, 0};
        ZT_STEP(r, a.select(s + 1, &rs, &ws, nullptr, &tv));
        r.value("writable", FD_ISSET(s, &ws));
        FD_SET(gone, &rs);
        ZT_STEP(r, a.select(gone + 1, &rs, &ws, nullptr, &tv)); // EBADF
        FD_ZERO(&rs);
        ZT_STEP(r, a.select(-1, &rs, nullptr, nullptr, &tv));
        ZT_STEP(r, a.select(s + 1, bad_ptr, nullptr, nullptr, &tv));
        FD_SET(s, &rs);
        ZT_STEP(r, a.select(s + 1, &rs, nullptr, nullptr, bad_ptr));
        timeval neg{-1, 0};
        ZT_STEP(r, a.select(s + 1, &rs, nullptr, nullptr, &neg));
        a.close(s);
    });
}

TEST_CASE("differential: socketpair errors") {
    differential([](const api &a, recorder &r) {
        int sv[2] = {-1, -1};
        ZT_STEP(r, a.socketpair(AF_INET, SOCK_STREAM, 0, sv));
        ZT_STEP(r, a.socketpair(AF_INET6, SOCK_DGRAM, 0, sv));
        ZT_STEP(r, a.socketpair(4242, SOCK_STREAM, 0, sv));
        ZT_STEP(r, a.socketpair(AF_UNIX, 42, 0, sv));
        ZT_STEP(r, a.socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
        ZT_STEP(r, a.socketpair(AF_UNIX, SOCK_STREAM | 0x40000000, 0, sv));
        ZT_STEP(r, a.socketpair(AF_UNIX, SOCK_STREAM, 0, static_cast<int *>(bad_ptr)));
        ZT_STEP(r, a.socketpair(AF_UNIX, SOCK_STREAM, 0, nullptr));
        r.fd("socketpair", a.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv));
        char b[4];
        ZT_STEP(r, a.recv(sv[0], b, 4, 0));
        ZT_STEP(r, a.send(sv[1], "pair", 4, 0));
        ZT_STEP(r, a.recv(sv[0], b, 2, 0)); // a record: the rest is dropped
        ZT_STEP(r, a.recv(sv[0], b, 4, 0));
        a.close(sv[0]);
        a.close(sv[1]);
    });
}

TEST_CASE("differential: TCP urgent data (MSG_OOB) with SO_OOBINLINE off and on") {
    const int inline_oob = GENERATE(0, 1);
    INFO("SO_OOBINLINE " << inline_oob);
    differential([inline_oob](const api &a, recorder &r) {
        ref_listener l(a, r);
        int c = static_cast<int>(ZT_FD(r, a.socket(AF_INET, SOCK_STREAM, 0)));
        ZT_STEP(r, a.connect(c, sa(&l.addr), sizeof l.addr));
        int acc = static_cast<int>(ZT_FD(r, a.accept4(l.fd, nullptr, nullptr, 0)));
        ZT_STEP(r, a.setsockopt(acc, SOL_SOCKET, SO_OOBINLINE, &inline_oob, sizeof inline_oob));
        char b[16] = {};
        ZT_STEP(r, a.recv(acc, b, 1, MSG_OOB | MSG_DONTWAIT)); // none yet: EINVAL
        ZT_STEP(r, a.send(c, "abc", 3, 0));
        ZT_STEP(r, a.send(c, "!", 1, MSG_OOB));
        ZT_STEP(r, a.send(c, "def", 3, 0));

        // Urgent data shows as POLLPRI (waited for, so that loopback's timing cannot differ).
        pollfd p{acc, POLLIN | POLLPRI, 0};
        ZT_STEP(r, a.poll(&p, 1, 2000));
        r.value("revents", p.revents);

        // Out of line: MSG_OOB takes the urgent byte (peek first); inline: it is EINVAL.
        ZT_STEP(r, a.recv(acc, b, sizeof b, MSG_OOB | MSG_PEEK));
        r.value("peeked", b[0]);
        ZT_STEP(r, a.recv(acc, b, sizeof b, MSG_OOB));
        r.value("oob byte", b[0]);
        ZT_STEP(r, a.recv(acc, b, sizeof b, MSG_OOB)); // taken already, or inline: EINVAL

        // The ordinary stream stops at the mark; every read and every byte is compared.
        for (int i = 0; i < 4; ++i) {
            std::memset(b, 0, sizeof b);
            long n = r("recv", a.recv(acc, b, sizeof b, MSG_DONTWAIT));
            for (long k = 0; k < n; ++k)
                r.value("byte", b[k]);
            if (n <= 0) break;
        }

        // The other direction, and sendmsg: a second urgent byte replaces nothing already read.
        iovec iov{const_cast<char *>("XY"), 2};
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        ZT_STEP(r, a.sendmsg(acc, &m, MSG_OOB)); // the last byte ('Y') is urgent
        pollfd q{c, POLLPRI, 0};
        ZT_STEP(r, a.poll(&q, 1, 2000));
        ZT_STEP(r, a.recv(c, b, 1, MSG_OOB));
        r.value("oob byte", b[0]);
        ZT_STEP(r, a.recv(c, b, sizeof b, MSG_DONTWAIT));
        r.value("byte", b[0]);
        a.close(acc);
        a.close(c);
    });
}
