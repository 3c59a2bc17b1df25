// Differential: the same scenario through the standard names (zsock) and through glibc's own
// functions gives the same results and errno values. The kernel is the oracle.
#include <catch2/catch.hpp>

#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <string>
#include <termios.h>
#include <vector>

#include "support/libc_ref.hpp"
#include "support/posix_test.hpp"

// Bad pointers and counts are passed on purpose: the kernel must reject them.
#pragma GCC diagnostic ignored "-Wnonnull"
#pragma GCC diagnostic ignored "-Wstringop-overflow"

using namespace zsock_test;

namespace {

// In a sanitizer build the sanitizer runtime comes first in the link map, so its interceptors
// (poll, read, recv...) run before the names reach zsock; they check memory themselves and
// report deliberately bad pointers and counts before the kernel can reject them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

/// The standard names as this program resolves them: libzsock-posix's.
const libc_functions &names() {
    static const libc_functions f = [] {
        libc_functions x{};
        x.socket = &::socket, x.socketpair = &::socketpair, x.bind = &::bind;
        x.connect = &::connect, x.listen = &::listen, x.accept = &::accept;
        x.accept4 = &::accept4, x.shutdown = &::shutdown, x.send = &::send;
        x.sendto = &::sendto, x.sendmsg = &::sendmsg, x.recv = &::recv;
        x.recvfrom = &::recvfrom, x.recvmsg = &::recvmsg, x.getsockopt = &::getsockopt;
        x.setsockopt = &::setsockopt, x.getpeername = &::getpeername;
        x.getsockname = &::getsockname, x.gethostname = &::gethostname;
        x.inet_pton = &::inet_pton, x.inet_ntop = &::inet_ntop, x.getaddrinfo = &::getaddrinfo;
        x.freeaddrinfo = &::freeaddrinfo, x.gai_strerror = &::gai_strerror;
        x.getnameinfo = &::getnameinfo, x.close = &::close, x.read = &::read;
        x.write = &::write, x.readv = &::readv, x.writev = &::writev, x.poll = &::poll;
        x.select = &::select, x.fcntl = &::fcntl, x.ioctl = &::ioctl;
        return x;
    }();
    return f;
}

using scenario = std::function<std::vector<outcome>(const libc_functions &)>;

/// Runs the scenario through zsock and through glibc; the outcomes must be identical.
void same(const char *what, const scenario &s) {
    INFO(what);
    std::vector<outcome> z = s(names());
    std::vector<outcome> k = s(libc());
    CHECK(z == k);
}

struct ignore_sigpipe {
    ignore_sigpipe() { old = std::signal(SIGPIPE, SIG_IGN); }
    ~ignore_sigpipe() { std::signal(SIGPIPE, old); }
    void (*old)(int);
};

sockaddr *sa(sockaddr_in *a) {
    return reinterpret_cast<sockaddr *>(a);
}

} // namespace

TEST_CASE("socket() errors equal glibc's") {
    same("families, types, protocols", [](const libc_functions &f) {
        std::vector<outcome> o;
        for (int fam : std::initializer_list<int>{AF_INET, AF_INET6, AF_UNIX, 12345, -1})
            for (int type : std::initializer_list<int>{SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, 99,
                                                       SOCK_STREAM | 0x40000})
                for (int proto : std::initializer_list<int>{0, IPPROTO_TCP, IPPROTO_UDP, 999}) {
                    int fd = -1;
                    o.push_back(
                        run([&] { return (fd = f.socket(fam, type, proto)) < 0 ? -1 : 0; }));
                    if (fd >= 0) f.close(fd);
                }
        return o;
    });
}

TEST_CASE("calls on a bad fd, a closed fd, a pipe and a file fail as glibc's do") {
    ignore_sigpipe quiet;
    int p[2];
    REQUIRE(::pipe(p) == 0);
    posix_fd pr(p[0]), pw(p[1]);
    posix_fd file(::open("/dev/null", O_RDWR | O_CLOEXEC));
    int closed = ::dup(pr);
    ::close(closed);

    for (int fd : {-1, 99999, closed, static_cast<int>(pr), static_cast<int>(file)}) {
        same(("socket calls on fd " + std::to_string(fd)).c_str(), [fd](const libc_functions &f) {
            std::vector<outcome> o;
            sockaddr_in a = loopback(9);
            socklen_t len = sizeof a;
            char buf[8] = {};
            int v = 1;
            socklen_t vl = sizeof v;
            msghdr m{};
            iovec iov{buf, sizeof buf};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            o.push_back(run([&] { return f.bind(fd, sa(&a), sizeof a); }));
            o.push_back(run([&] { return f.connect(fd, sa(&a), sizeof a); }));
            o.push_back(run([&] { return f.listen(fd, 1); }));
            o.push_back(run([&] { return f.accept(fd, sa(&a), &len); }));
            o.push_back(run([&] { return f.accept4(fd, nullptr, nullptr, SOCK_CLOEXEC); }));
            o.push_back(run([&] { return f.shutdown(fd, SHUT_RDWR); }));
            o.push_back(run([&] { return f.send(fd, buf, 1, MSG_DONTWAIT); }));
            o.push_back(run([&] { return f.sendto(fd, buf, 1, 0, sa(&a), sizeof a); }));
            o.push_back(run([&] { return f.sendmsg(fd, &m, MSG_DONTWAIT); }));
            o.push_back(run([&] { return f.recv(fd, buf, 1, MSG_DONTWAIT); }));
            o.push_back(
                run([&] { return f.recvfrom(fd, buf, 1, MSG_DONTWAIT, nullptr, nullptr); }));
            o.push_back(run([&] { return f.recvmsg(fd, &m, MSG_DONTWAIT); }));
            o.push_back(run([&] { return f.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl); }));
            o.push_back(
                run([&] { return f.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v); }));
            o.push_back(run([&] { return f.getpeername(fd, sa(&a), &len); }));
            o.push_back(run([&] { return f.getsockname(fd, sa(&a), &len); }));
            return o;
        });
    }
    for (int fd : {-1, 99999, closed}) {
        same(("fd calls on fd " + std::to_string(fd)).c_str(), [fd](const libc_functions &f) {
            std::vector<outcome> o;
            char buf[4];
            iovec iov{buf, sizeof buf};
            int n = 0;
            o.push_back(run([&] { return f.read(fd, buf, sizeof buf); }));
            o.push_back(run([&] { return f.write(fd, buf, sizeof buf); }));
            o.push_back(run([&] { return f.readv(fd, &iov, 1); }));
            o.push_back(run([&] { return f.writev(fd, &iov, 1); }));
            o.push_back(run([&] { return f.fcntl(fd, F_GETFL); }));
            o.push_back(run([&] { return f.ioctl(fd, FIONREAD, &n); }));
            o.push_back(run([&] { return f.close(fd); }));
            return o;
        });
    }
}

TEST_CASE("socket calls on live sockets give glibc's results") {
    ignore_sigpipe quiet;
    // A bound but not listening port: connecting to it is refused.
    posix_fd parked(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in refused = loopback();
    socklen_t rl = sizeof refused;
    REQUIRE(::bind(parked, sa(&refused), sizeof refused) == 0);
    REQUIRE(::getsockname(parked, sa(&refused), &rl) == 0);

    same("unconnected TCP", [&](const libc_functions &f) {
        std::vector<outcome> o;
        int fd = f.socket(AF_INET, SOCK_STREAM, 0);
        char buf[8] = {};
        sockaddr_in a{};
        socklen_t len = sizeof a;
        int v = -1;
        socklen_t vl = sizeof v;
        o.push_back(run([&] { return f.recv(fd, buf, sizeof buf, MSG_DONTWAIT); }));
        o.push_back(run([&] { return f.send(fd, buf, 1, 0); })); // EPIPE (SIGPIPE ignored)
        o.push_back(run([&] { return f.getpeername(fd, sa(&a), &len); }));
        o.push_back(run([&] { return f.shutdown(fd, SHUT_WR); }));
        o.push_back(run([&] { return f.accept(fd, nullptr, nullptr); }));
        o.push_back(run([&] { return f.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl); }));
        o.push_back({v, static_cast<int>(vl)});
        o.push_back(run([&] { return f.getsockopt(fd, SOL_SOCKET, 9999, &v, &vl); }));
        o.push_back(run([&] { return f.getsockopt(fd, 12345, 1, &v, &vl); }));
        o.push_back(run([&] {
            return f.getsockopt(fd, SOL_SOCKET, SO_TYPE, reinterpret_cast<void *>(8), &vl);
        }));
        o.push_back(run([&] { return f.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 1); }));
        o.push_back(run([&] { return f.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, nullptr, 4); }));
        sockaddr_in bad = loopback();
        bad.sin_family = AF_INET6;
        o.push_back(run([&] { return f.bind(fd, sa(&bad), sizeof bad); }));
        o.push_back(run([&] { return f.bind(fd, sa(&bad), 0); }));
        o.push_back(run([&] { return f.connect(fd, sa(&refused), sizeof refused); }));
        o.push_back(run([&] { return f.connect(fd, reinterpret_cast<sockaddr *>(8), 16); }));
        f.close(fd);
        return o;
    });

    same("UDP", [](const libc_functions &f) {
        std::vector<outcome> o;
        int fd = f.socket(AF_INET, SOCK_DGRAM, 0);
        char buf[8] = {};
        o.push_back(run([&] { return f.recv(fd, buf, sizeof buf, MSG_DONTWAIT); }));
        o.push_back(run([&] { return f.send(fd, buf, 1, 0); })); // EDESTADDRREQ
        o.push_back(run([&] { return f.listen(fd, 1); }));       // EOPNOTSUPP
        sockaddr_in a = loopback();
        o.push_back(run([&] { return f.bind(fd, sa(&a), sizeof a); }));
        o.push_back(run([&] { return f.bind(fd, sa(&a), sizeof a); })); // EINVAL: bound
        f.close(fd);
        return o;
    });

    same("socketpair", [](const libc_functions &f) {
        std::vector<outcome> o;
        int sv[2] = {-1, -1};
        o.push_back(run([&] { return f.socketpair(AF_INET, SOCK_STREAM, 0, sv); }));
        o.push_back(
            run([&] { return f.socketpair(AF_UNIX, SOCK_STREAM, 0, reinterpret_cast<int *>(8)); }));
        o.push_back(run([&] { return f.socketpair(AF_UNIX, SOCK_DGRAM, 0, sv); }));
        char buf[4];
        o.push_back(run([&] { return f.send(sv[0], "abcd", 4, 0); }));
        o.push_back(run([&] { return f.recv(sv[1], buf, 2, 0); })); // datagram truncated: 2
        o.push_back(run([&] { return f.recv(sv[1], buf, 2, MSG_DONTWAIT); }));
        int n = -1;
        o.push_back(run([&] { return f.ioctl(sv[1], FIONREAD, &n); }));
        o.push_back({n, 0});
        f.close(sv[0]);
        f.close(sv[1]);
        return o;
    });
}

TEST_CASE("fcntl and ioctl give glibc's results on sockets and pipes") {
    same("fcntl/ioctl on a socket", [](const libc_functions &f) {
        std::vector<outcome> o;
        int fd = f.socket(AF_INET, SOCK_STREAM, 0);
        o.push_back(run([&] { return f.fcntl(fd, F_GETFL); }));
        o.push_back(run([&] { return f.fcntl(fd, F_SETFL, O_NONBLOCK); }));
        o.push_back(run([&] { return f.fcntl(fd, F_GETFL); }));
        o.push_back(run([&] { return f.fcntl(fd, F_GETFD); }));
        o.push_back(run([&] { return f.fcntl(fd, F_SETFD, FD_CLOEXEC); }));
        o.push_back(run([&] { return f.fcntl(fd, F_GETFD); }));
        o.push_back(run([&] { return f.fcntl(fd, 9999); }));
        int d = f.fcntl(fd, F_DUPFD_CLOEXEC, 200);
        o.push_back({d >= 200 ? 0 : -1, d >= 200 ? 0 : errno});
        if (d >= 0) {
            o.push_back(run([&] { return f.fcntl(d, F_GETFD); }));
            f.close(d);
        }
        int on = 0, n = -1;
        o.push_back(run([&] { return f.ioctl(fd, FIONBIO, &on); }));
        o.push_back(run([&] { return f.fcntl(fd, F_GETFL); }));
        o.push_back(run([&] { return f.ioctl(fd, FIONREAD, &n); })); // EINVAL: not connected
        termios t;
        o.push_back(run([&] { return f.ioctl(fd, TCGETS, &t); }));
        o.push_back(run([&] { return f.ioctl(fd, 5ul, &n); }));
        o.push_back(run([&] { return f.ioctl(fd, 0x1000ul, &n); }));
        f.close(fd);
        return o;
    });
    same("fcntl/ioctl on a pipe", [](const libc_functions &f) {
        std::vector<outcome> o;
        int p[2];
        if (::pipe(p) != 0) return o;
        o.push_back(run([&] { return f.fcntl(p[0], F_GETFL); }));
        o.push_back(run([&] { return f.fcntl(p[0], F_SETFL, O_NONBLOCK); }));
        o.push_back(run([&] { return f.fcntl(p[0], F_GETFL); }));
        o.push_back(run([&] { return f.fcntl(p[0], F_GETPIPE_SZ); }));
        o.push_back(run([&] { return f.write(p[1], "xyz", 3); }));
        int n = -1;
        o.push_back(run([&] { return f.ioctl(p[0], FIONREAD, &n); }));
        o.push_back({n, 0});
        char buf[8];
        o.push_back(run([&] { return f.read(p[0], buf, sizeof buf); }));
        o.push_back(run([&] { return f.read(p[0], buf, sizeof buf); }));    // EAGAIN
        o.push_back(run([&] { return f.recv(p[0], buf, sizeof buf, 0); })); // ENOTSOCK
        o.push_back(run([&] { return f.close(p[0]); }));
        o.push_back(run([&] { return f.close(p[1]); }));
        return o;
    });
}

TEST_CASE("poll and select give glibc's results") {
    same("poll", [](const libc_functions &f) {
        std::vector<outcome> o;
        int sv[2];
        f.socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        int p[2];
        if (::pipe(p) != 0) return o;
        int closed = ::dup(p[0]);
        ::close(closed);
        pollfd fds[4] = {
            {sv[0], POLLIN | POLLOUT, 0}, {p[0], POLLIN, 0}, {closed, POLLIN, 0}, {-1, POLLIN, 0}};
        o.push_back(run([&] { return f.poll(fds, 4, 0); }));
        for (auto &x : fds)
            o.push_back({x.revents, 0});
        f.write(p[1], "x", 1);
        f.send(sv[1], "y", 1, 0);
        f.shutdown(sv[1], SHUT_WR);
        o.push_back(run([&] { return f.poll(fds, 2, 1000); }));
        for (auto &x : fds)
            o.push_back({x.revents, 0});
        o.push_back(run([&] { return f.poll(nullptr, 0, 0); }));
        if (!sanitized) { // the sanitizers' poll interceptor reads the array before the kernel
            o.push_back(run([&] { return f.poll(reinterpret_cast<pollfd *>(8), 1, 0); }));
            o.push_back(run([&] { return f.poll(fds, static_cast<nfds_t>(INT_MAX) + 2, 0); }));
            o.push_back(run([&] { return f.poll(fds, 1u << 30, 0); })); // beyond RLIMIT_NOFILE
        }
        for (int fd : {sv[0], sv[1], p[0], p[1]})
            f.close(fd);
        return o;
    });
    same("select", [](const libc_functions &f) {
        std::vector<outcome> o;
        int sv[2];
        f.socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        int p[2];
        if (::pipe(p) != 0) return o;
        int nfds = std::max({sv[0], sv[1], p[0], p[1]}) + 1;
        fd_set r, w;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_SET(sv[0], &r);
        FD_SET(p[0], &r);
        FD_SET(sv[0], &w);
        timeval tv{0, 0};
        o.push_back(run([&] { return f.select(nfds, &r, &w, nullptr, &tv); }));
        o.push_back({FD_ISSET(sv[0], &r) + 2 * FD_ISSET(p[0], &r) + 4 * FD_ISSET(sv[0], &w), 0});
        f.write(p[1], "x", 1);
        FD_ZERO(&r);
        FD_SET(sv[0], &r);
        FD_SET(p[0], &r);
        tv = {1, 0};
        o.push_back(run([&] { return f.select(nfds, &r, nullptr, nullptr, &tv); }));
        o.push_back({FD_ISSET(sv[0], &r) + 2 * FD_ISSET(p[0], &r), 0});
        int closed = ::dup(p[0]);
        ::close(closed);
        FD_ZERO(&r);
        FD_SET(closed, &r);
        tv = {0, 0};
        o.push_back(run([&] { return f.select(closed + 1, &r, nullptr, nullptr, &tv); })); // EBADF
        o.push_back(run([&] { return f.select(-1, nullptr, nullptr, nullptr, &tv); }));    // EINVAL
        tv = {0, -1};
        o.push_back(run([&] { return f.select(0, nullptr, nullptr, nullptr, &tv); })); // EINVAL
        tv = {0, 1000};
        o.push_back(run([&] { return f.select(0, nullptr, nullptr, nullptr, &tv); })); // timeout
        o.push_back({tv.tv_sec, static_cast<int>(tv.tv_usec)});
        for (int fd : {sv[0], sv[1], p[0], p[1]})
            f.close(fd);
        return o;
    });
}

TEST_CASE("names and addresses equal glibc's") {
    same("gethostname", [](const libc_functions &f) {
        std::vector<outcome> o;
        char full[256] = {}, tiny[2] = {'?', '?'};
        o.push_back(run([&] { return f.gethostname(full, sizeof full); }));
        o.push_back({static_cast<long>(std::hash<std::string>{}(full)&0x7fffffff), 0});
        o.push_back(run([&] { return f.gethostname(tiny, 1); }));
        o.push_back({tiny[0], tiny[1]});
        return o;
    });

    same("inet_pton/inet_ntop", [](const libc_functions &f) {
        std::vector<outcome> o;
        const char *v4[] = {"127.0.0.1", "0.0.0.0",  "255.255.255.255", "256.1.1.1",
                            "1.2.3",     "01.2.3.4", "1.2.3.4.5",       " 1.2.3.4",
                            "1.2.3.4 ",  "",         "a.b.c.d"};
        const char *v6[] = {"::",
                            "::1",
                            "fe80::1",
                            "2001:db8::ff00:42:8329",
                            "::ffff:1.2.3.4",
                            "1:2:3:4:5:6:7:8",
                            "1:2:3:4:5:6:7:8:9",
                            "1::2::3",
                            ":::",
                            "12345::",
                            "::1.2.3",
                            "[::1]",
                            "fe80::1%lo",
                            "::FFFF:1.2.3.4"};
        for (const char *s : v4) {
            unsigned char buf[16] = {};
            o.push_back(run([&] { return f.inet_pton(AF_INET, s, buf); }));
            o.push_back({buf[0] | buf[1] << 8 | buf[2] << 16 | static_cast<long>(buf[3]) << 24, 0});
        }
        for (const char *s : v6) {
            unsigned char buf[16] = {};
            char text[INET6_ADDRSTRLEN] = {};
            int r = f.inet_pton(AF_INET6, s, buf);
            o.push_back({r, 0});
            if (r == 1) {
                f.inet_ntop(AF_INET6, buf, text, sizeof text);
                o.push_back({static_cast<long>(std::hash<std::string>{}(text)&0x7fffffff), 0});
            }
        }
        unsigned char a[16] = {1, 2, 3, 4};
        char small[4];
        o.push_back(run([&] { return f.inet_pton(12345, "1.2.3.4", a); }));
        o.push_back(run([&] { return f.inet_ntop(AF_INET, a, small, sizeof small) ? 0 : -1; }));
        o.push_back(run([&] { return f.inet_ntop(12345, a, small, sizeof small) ? 0 : -1; }));
        return o;
    });

    same("getaddrinfo/getnameinfo/gai_strerror", [](const libc_functions &f) {
        std::vector<outcome> o;
        struct q {
            const char *host, *serv;
            int family, socktype, flags;
        };
        q queries[] = {{"127.0.0.1", "80", AF_UNSPEC, SOCK_STREAM, AI_NUMERICHOST},
                       {"::1", "443", AF_INET6, 0, AI_NUMERICHOST | AI_NUMERICSERV},
                       {"localhost", "http", AF_INET, SOCK_STREAM, 0},
                       {nullptr, "7", AF_INET, SOCK_DGRAM, AI_PASSIVE},
                       {"1.2.3.4", nullptr, AF_INET6, 0, AI_NUMERICHOST},
                       {"127.0.0.1", "nosuchservice", AF_UNSPEC, 0, 0},
                       {"127.0.0.1", "80", AF_UNSPEC, 0, 0x7fff0000},
                       {"127.0.0.1", "80", 12345, 0, 0},
                       {nullptr, nullptr, AF_UNSPEC, 0, 0}};
        for (const q &x : queries) {
            addrinfo hints{};
            hints.ai_family = x.family;
            hints.ai_socktype = x.socktype;
            hints.ai_flags = x.flags;
            addrinfo *res = nullptr;
            int rc = f.getaddrinfo(x.host, x.serv, &hints, &res);
            o.push_back({rc, 0});
            for (addrinfo *ai = res; ai; ai = ai->ai_next) {
                char host[NI_MAXHOST] = {}, serv[NI_MAXSERV] = {};
                int r = f.getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv,
                                      sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
                o.push_back({r, ai->ai_family * 1000 + ai->ai_socktype * 10 + ai->ai_protocol});
                o.push_back(
                    {static_cast<long>(std::hash<std::string>{}(std::string(host) + "|" + serv) &
                                       0x7fffffff),
                     0});
            }
            if (res) f.freeaddrinfo(res);
        }
        for (int code = -12; code <= 0; ++code)
            o.push_back(
                {static_cast<long>(std::hash<std::string>{}(f.gai_strerror(code)) & 0x7fffffff),
                 code});
        sockaddr_in a = loopback(80);
        char host[4];
        o.push_back({f.getnameinfo(sa(&a), sizeof a, host, sizeof host, nullptr, 0, NI_NUMERICHOST),
                     0}); // EAI_OVERFLOW
        o.push_back({f.getnameinfo(sa(&a), 3, host, sizeof host, nullptr, 0, 0), 0});
        return o;
    });
}
