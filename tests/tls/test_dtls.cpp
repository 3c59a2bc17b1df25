// DTLS 1.2: zsock client against `openssl s_server -dtls1_2`, zsock server against `openssl
// s_client -dtls1_2` (cookie exchange included), zsock on both ends for several peers, idle
// expiry, retransmission timing, MSG_TRUNC and the sendmsg EMSGSIZE rule; timers that run under
// poll(-1) alone (a lost flight resent, an idle session expired); hostile datagrams that a server
// must drop (the asan preset checks that nothing leaks on these paths).
#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <zsock/posix.h>

#include "lossy_relay.hpp"
#include "support/zsock_test.hpp"
#include "tls/tls_socket.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using zsock_test::fd_guard;

namespace {

int dtls_socket(int role, std::vector<sec_tag_t> tags) {
    int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
    REQUIRE(fd >= 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof role) == 0);
    if (!tags.empty())
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                                 tags.size() * sizeof(sec_tag_t)) == 0);
    if (role == TLS_DTLS_ROLE_CLIENT)
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    return fd;
}

// A DTLS server socket bound to 127.0.0.1 (kernel-chosen port).
int dtls_server(uint16_t *port) {
    int fd = dtls_socket(TLS_DTLS_ROLE_SERVER, {tag_server});
    sockaddr_in a = zsock_test::loopback4();
    socklen_t len = sizeof a;
    REQUIRE(zsock_bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(zsock_getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

int connect_to(int fd, uint16_t port) {
    sockaddr_in a = zsock_test::loopback4(port);
    return zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 ? 0 : errno;
}

// Serves echo on a zsock DTLS server until `stop`: every datagram goes back to its sender.
struct echo_server {
    uint16_t port = 0;
    fd_guard fd;
    std::atomic<bool> stop{false};
    std::atomic<int> served{0};
    std::thread th;
    echo_server() : fd(dtls_server(&port)) {
        timeval tv{0, 50000};
        REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
        th = std::thread([this] {
            char buf[2048];
            while (!stop) {
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                ssize_t n = zsock_recvfrom(fd, buf, sizeof buf, 0,
                                           reinterpret_cast<sockaddr *>(&from), &fl);
                if (n < 0) continue;
                ++served;
                zsock_sendto(fd, buf, static_cast<size_t>(n), 0,
                             reinterpret_cast<sockaddr *>(&from), fl);
            }
        });
    }
    ~echo_server() {
        stop = true;
        th.join();
    }
};

// A pipe whose read end, added to a poll set, lets the test end a poll(-1) that would otherwise
// never return (the failure these tests look for), so that they stay bounded in time.
struct stop_pipe {
    int fds[2] = {-1, -1};
    stop_pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
    ~stop_pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    void fire() { REQUIRE(::write(fds[1], "x", 1) == 1); }
};

} // namespace

TEST_CASE("dtls: client against openssl s_server -dtls1_2") {
    add_standard_credentials();
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key")}, "", true);
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    REQUIRE(connect_to(fd, srv.port) == 0);
    int proto = 0;
    socklen_t len = sizeof proto;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == IPPROTO_DTLS_1_2);
    REQUIRE(zsock_send(fd, "ping over dtls\n", 15, 0) == 15);
    REQUIRE(srv.proc.wait_output("ping over dtls"));
    srv.proc.write_stdin("pong\n");
    char buf[64];
    ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
    REQUIRE(n == 5);
    CHECK(std::string(buf, 5) == "pong\n");
    uint32_t flags = 1;
    len = sizeof flags;
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CERT_VERIFY_RESULT, &flags, &len) == 0);
    CHECK(flags == 0);
    // One recv is one datagram: a short buffer drops the rest, MSG_TRUNC tells the real size.
    srv.proc.write_stdin("0123456789\n");
    n = zsock_recv(fd, buf, 4, MSG_TRUNC);
    CHECK(n == 11);
    CHECK(std::string(buf, 4) == "0123");
    srv.proc.write_stdin("next\n");
    n = zsock_recv(fd, buf, sizeof buf, 0);
    REQUIRE(n == 5);
    CHECK(std::string(buf, 5) == "next\n");
}

TEST_CASE("dtls: server against openssl s_client -dtls1_2, with the cookie exchange") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    const pki &p = the_pki();
    // -trace names the handshake messages that s_client sends and receives.
    child c({"openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(port),
             "-CAfile", p.path("ca.pem"), "-servername", "localhost", "-verify_return_error",
             "-trace"});
    c.write_stdin("hello dtls server\n");
    char buf[256];
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    timeval tv{10, 0};
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    ssize_t n = zsock_recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &fl);
    REQUIRE(n == 18);
    CHECK(std::string(buf, 18) == "hello dtls server\n");
    CHECK(fl == sizeof(sockaddr_in));
    CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(c.wait_output("Verify return code: 0 (ok)"));
    // The cookie exchange happened: the first ClientHello got a HelloVerifyRequest, and the
    // handshake went on with a second ClientHello (the one carrying the cookie).
    const std::string out = c.output();
    auto count = [&](std::string_view what) {
        int k = 0;
        for (size_t at = out.find(what); at != std::string::npos; at = out.find(what, at + 1))
            ++k;
        return k;
    };
    CHECK(count("HelloVerifyRequest") == 1);
    CHECK(count("ClientHello") == 2);
    CHECK(out.find("HelloVerifyRequest") < out.find("ServerHello,"));
    REQUIRE(zsock_sendto(s, "reply\n", 6, 0, reinterpret_cast<sockaddr *>(&from), fl) == 6);
    CHECK(c.wait_output("reply"));
    // send() without an address answers the peer of the last datagram.
    REQUIRE(zsock_send(s, "again\n", 6, 0) == 6);
    CHECK(c.wait_output("again"));
    // An address with no session.
    sockaddr_in other = zsock_test::loopback4(9);
    CHECK(zsock_sendto(s, "x", 1, 0, reinterpret_cast<sockaddr *>(&other), sizeof other) == -1);
    CHECK(errno == ENOTCONN);
}

TEST_CASE("dtls: one server, several zsock clients, one session each") {
    add_standard_credentials();
    echo_server srv;
    fd_guard a(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    fd_guard b(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    REQUIRE(connect_to(a, srv.port) == 0);
    REQUIRE(connect_to(b, srv.port) == 0);
    char buf[64];
    for (int i = 0; i < 5; ++i) {
        std::string ma = "from a " + std::to_string(i), mb = "from b " + std::to_string(i);
        REQUIRE(zsock_send(a, ma.data(), ma.size(), 0) == static_cast<ssize_t>(ma.size()));
        REQUIRE(zsock_send(b, mb.data(), mb.size(), 0) == static_cast<ssize_t>(mb.size()));
        ssize_t n = zsock_recv(b, buf, sizeof buf, 0);
        REQUIRE(n > 0);
        CHECK(std::string(buf, static_cast<size_t>(n)) == mb);
        n = zsock_recv(a, buf, sizeof buf, 0);
        REQUIRE(n > 0);
        CHECK(std::string(buf, static_cast<size_t>(n)) == ma);
    }
}

TEST_CASE("dtls: client rules: EISCONN, EDESTADDRREQ, ENOTCONN, EMSGSIZE") {
    add_standard_credentials();
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    char buf[8];
    CHECK(zsock_send(fd, "x", 1, 0) == -1);
    CHECK(errno == EDESTADDRREQ);
    CHECK(zsock_recv(fd, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == ENOTCONN);
    CHECK(zsock_listen(fd, 1) == -1); // no listen/accept model for DTLS
    echo_server srv;
    REQUIRE(connect_to(fd, srv.port) == 0);
    sockaddr_in other = zsock_test::loopback4(9);
    CHECK(zsock_sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr *>(&other), sizeof other) == -1);
    CHECK(errno == EISCONN);
    std::string big(20000, 'b');
    CHECK(zsock_send(fd, big.data(), big.size(), 0) == -1);
    CHECK(errno == EMSGSIZE);
    // sendmsg: several iovecs are gathered into one record...
    iovec iov[3] = {{const_cast<char *>("one "), 4},
                    {const_cast<char *>("two "), 4},
                    {const_cast<char *>("three"), 5}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 3;
    REQUIRE(zsock_sendmsg(fd, &msg, 0) == 13);
    char reply[32];
    REQUIRE(zsock_recv(fd, reply, sizeof reply, 0) == 13);
    CHECK(std::string(reply, 13) == "one two three");
    // ... unless they cannot fit in one.
    iovec huge[2] = {{big.data(), 10000}, {big.data(), 10000}};
    msg.msg_iov = huge;
    msg.msg_iovlen = 2;
    CHECK(zsock_sendmsg(fd, &msg, 0) == -1);
    CHECK(errno == EMSGSIZE);
    // recvmsg reports truncation in msg_flags.
    REQUIRE(zsock_send(fd, "0123456789", 10, 0) == 10);
    char small[4];
    iovec riov{small, sizeof small};
    msghdr rmsg{};
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    CHECK(zsock_recvmsg(fd, &rmsg, 0) == 4);
    CHECK((rmsg.msg_flags & MSG_TRUNC) != 0);
}

TEST_CASE(
    "dtls: TLS_DTLS_HANDSHAKE_ON_CONNECT 0 handshakes on first use; MSG_PEEK keeps the datagram") {
    add_standard_credentials();
    echo_server srv;
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    int off = 0;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_ON_CONNECT, &off, sizeof off) == 0);
    REQUIRE(connect_to(fd, srv.port) == 0);
    int suite = 0;
    socklen_t len = sizeof suite;
    CHECK(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) ==
          -1); // no handshake yet
    CHECK(errno == ENOTCONN);
    REQUIRE(zsock_send(fd, "lazy", 4, 0) == 4);
    REQUIRE(zsock_getsockopt(fd, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &len) == 0);
    char buf[16];
    CHECK(zsock_recv(fd, buf, sizeof buf, MSG_PEEK) == 4);
    CHECK(zsock_recv(fd, buf, 2, MSG_PEEK) == 2);
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 4);
    CHECK(std::string(buf, 4) == "lazy");
    CHECK(zsock_recv(fd, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("dtls: a nonblocking client driven by zsock_poll") {
    add_standard_credentials();
    echo_server srv;
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    REQUIRE(zsock_fcntl(fd, F_SETFL, zsock_fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    CHECK(connect_to(fd, srv.port) == EINPROGRESS);
    CHECK(zsock_send(fd, "x", 1, 0) == -1);
    CHECK(errno == EAGAIN);
    int wakeups = 0;
    for (;;) {
        zsock_pollfd p{fd, POLLOUT, 0};
        REQUIRE(zsock_poll(&p, 1, 5000) == 1);
        if (p.revents & POLLOUT) break;
        REQUIRE(++wakeups < 50);
    }
    REQUIRE(zsock_send(fd, "nb dtls", 7, 0) == 7);
    zsock_pollfd p{fd, POLLIN, 0};
    REQUIRE(zsock_poll(&p, 1, 5000) == 1);
    CHECK(p.revents == POLLIN);
    char buf[16];
    CHECK(zsock_recv(fd, buf, sizeof buf, 0) == 7);
}

TEST_CASE("dtls: a server drops silent sessions; the client then sees the end") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    uint32_t idle = 300;
    REQUIRE(zsock_setsockopt(s, SOL_TLS, ZSOCK_TLS_DTLS_SESSION_TIMEOUT, &idle, sizeof idle) == 0);
    timeval tv{5, 0};
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    fd_guard c(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    int cr = -1;
    std::thread t([&] {
        cr = connect_to(c, port);
        if (cr == 0) zsock_send(c, "hi", 2, 0);
    });
    char buf[16];
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    REQUIRE(zsock_recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &fl) == 2);
    t.join();
    REQUIRE(cr == 0);
    // Silence for longer than the timeout: the server's next look at its sessions drops it.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    zsock_pollfd p{s, POLLIN, 0};
    CHECK(zsock_poll(&p, 1, 100) == 0);
    CHECK(zsock_sendto(s, "x", 1, 0, reinterpret_cast<sockaddr *>(&from), fl) == -1);
    CHECK(errno == ENOTCONN);
    // It said goodbye with close_notify.
    zsock_pollfd cp{c, POLLIN, 0};
    REQUIRE(zsock_poll(&cp, 1, 2000) == 1);
    CHECK((cp.revents & POLLHUP) != 0);
    CHECK(zsock_recv(c, buf, sizeof buf, 0) == -1);
    CHECK(errno == ENOTCONN);
}

TEST_CASE("dtls: retransmission follows the handshake timeouts, then ETIMEDOUT") {
    add_standard_credentials();
    // A UDP peer that counts ClientHellos and never answers.
    int raw = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = zsock_test::loopback4();
    socklen_t len = sizeof a;
    REQUIRE(::bind(raw, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(raw, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    uint32_t lo = 100, hi = 400;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &lo, sizeof lo) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &hi, sizeof hi) == 0);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(connect_to(fd, ntohs(a.sin_port)) == ETIMEDOUT);
    auto took = std::chrono::steady_clock::now() - t0;
    // 100 + 200 + 400 ms of waiting: three sends of the ClientHello and a final wait.
    CHECK(took >= std::chrono::milliseconds(600));
    CHECK(took < std::chrono::milliseconds(5000));
    int hellos = 0;
    char buf[2048];
    while (::recv(raw, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ++hellos;
    CHECK(hellos >= 3);
    ::close(raw);
}

TEST_CASE("dtls: a nonblocking server driven by zsock_poll alone") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    REQUIRE(zsock_fcntl(s, F_SETFL, zsock_fcntl(s, F_GETFL) | O_NONBLOCK) == 0);
    char buf[32];
    CHECK(zsock_recvfrom(s, buf, sizeof buf, 0, nullptr, nullptr) == -1);
    CHECK(errno == EAGAIN);
    fd_guard c(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    std::atomic<int> cr{-1};
    std::thread t([&] {
        cr = connect_to(c, port); // its handshake needs the server's poll to make progress
        if (cr == 0) zsock_send(c, "polled", 6, 0);
    });
    int wakeups = 0;
    for (;;) {
        zsock_pollfd p{s, POLLIN, 0};
        int n = zsock_poll(&p, 1, 5000);
        REQUIRE(n == 1); // handshake datagrams are handled inside poll and do not wake it
        ++wakeups;
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t r = zsock_recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &fl);
        if (r > 0) {
            CHECK(std::string(buf, static_cast<size_t>(r)) == "polled");
            break;
        }
        REQUIRE(errno == EAGAIN);
        REQUIRE(wakeups < 20);
    }
    t.join();
    CHECK(cr == 0);
    CHECK(wakeups == 1);
}

TEST_CASE("dtls: under poll(-1) alone, a client resends when the server's flight is lost") {
    bool by_select = false;
    SECTION("zsock_poll") {}
    SECTION("zsock_select, no timeout") {
        by_select = true;
    }
    add_standard_credentials();
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key")}, "", true);
    // openssl answers the first ClientHello with a HelloVerifyRequest and keeps no state: once
    // that is lost, only the client's retransmission moves the handshake on.
    lossy_relay relay(srv.port, 1);
    fd_guard fd(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    uint32_t lo = 100, hi = 3200;
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, &lo, sizeof lo) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, &hi, sizeof hi) == 0);
    REQUIRE(zsock_fcntl(fd, F_SETFL, zsock_fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    REQUIRE(connect_to(fd, relay.port) == EINPROGRESS);
    stop_pipe stop;
    // The handshake is driven by poll(-1) and nothing else: no send, no recv, no timeout.
    auto driven = std::async(std::launch::async, [&] {
        for (int rounds = 0; rounds < 100; ++rounds) {
            zsock_pollfd pf[2] = {{fd, POLLOUT, 0}, {stop.fds[0], POLLIN, 0}};
            if (by_select) {
                zsock_fd_set rd, wr;
                zsock_fd_zero(&rd);
                zsock_fd_zero(&wr);
                zsock_fd_set_bit(stop.fds[0], &rd);
                zsock_fd_set_bit(fd, &wr);
                int nfds = std::max<int>(fd, stop.fds[0]) + 1;
                if (zsock_select(nfds, &rd, &wr, nullptr, nullptr) < 0)
                    return std::string("select: ") + strerror(errno);
                pf[1].revents = zsock_fd_isset(stop.fds[0], &rd) ? POLLIN : 0;
                // select cannot tell POLLERR from POLLOUT: the send below tells.
                pf[0].revents = zsock_fd_isset(fd, &wr) ? POLLOUT : 0;
            } else if (zsock_poll(pf, 2, -1) < 0) {
                return std::string("poll: ") + strerror(errno);
            }
            if (pf[1].revents) return std::string("the wait never returned on its own");
            if (pf[0].revents & POLLERR) return std::string("POLLERR");
            if (pf[0].revents & POLLOUT) return std::string("established");
        }
        return std::string("too many wake-ups");
    });
    if (driven.wait_for(std::chrono::seconds(10)) != std::future_status::ready) stop.fire();
    CHECK(driven.get() == "established");
    CHECK(relay.dropped == 1);
    CHECK(relay.from_client >= 3); // the ClientHello, its resend, the one with the cookie, ...
    REQUIRE(zsock_send(fd, "after a loss\n", 13, 0) == 13);
    CHECK(srv.proc.wait_output("after a loss"));
}

TEST_CASE("dtls: under poll(-1) alone, a server expires an idle session") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    uint32_t idle = 300;
    REQUIRE(zsock_setsockopt(s, SOL_TLS, ZSOCK_TLS_DTLS_SESSION_TIMEOUT, &idle, sizeof idle) == 0);
    REQUIRE(zsock_fcntl(s, F_SETFL, zsock_fcntl(s, F_GETFL) | O_NONBLOCK) == 0);
    const pki &p = the_pki();
    child c({"openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(port),
             "-CAfile", p.path("ca.pem"), "-servername", "localhost", "-verify_return_error"});
    c.write_stdin("idle soon\n");
    stop_pipe stop;
    std::atomic<bool> got{false};
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    // The server's only calls: poll(-1), and recvfrom when poll says so.
    auto served = std::async(std::launch::async, [&] {
        for (int rounds = 0; rounds < 100; ++rounds) {
            zsock_pollfd pf[2] = {{s, POLLIN, 0}, {stop.fds[0], POLLIN, 0}};
            if (zsock_poll(pf, 2, -1) < 0) return std::string("poll: ") + strerror(errno);
            if (pf[1].revents) return std::string("stopped");
            char buf[64];
            ssize_t n =
                zsock_recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&from), &fl);
            if (n == 10 && std::string(buf, 10) == "idle soon\n") got = true;
        }
        return std::string("too many wake-ups");
    });
    // The session is dropped 300 ms after its last datagram, with a close_notify that makes
    // s_client print "closed" and exit; nothing but the server's poll can do that.
    int status = c.wait_exit(std::chrono::seconds(10));
    stop.fire();
    CHECK(served.get() == "stopped");
    CHECK(got);
    CHECK(status == 0);
    CHECK(c.output().find("closed") != std::string::npos);
    CHECK(zsock_sendto(s, "x", 1, 0, reinterpret_cast<sockaddr *>(&from), fl) == -1);
    CHECK(errno == ENOTCONN);
}

namespace {

// How many peer sessions a DTLS server holds (handshaking or established).
size_t server_sessions(int fd) {
    auto *t =
        static_cast<zsock::tls::tls_socket *>(zsock_fd_get_obj(fd, &zsock::tls::tls_vtable, 0));
    REQUIRE(t != nullptr);
    std::lock_guard lock(t->mu);
    return t->peers.size();
}

std::string bytes(std::initializer_list<int> b, size_t pad = 0, int fill = 0x41) {
    std::string s;
    for (int x : b)
        s.push_back(static_cast<char>(x));
    s.append(pad, static_cast<char>(fill));
    return s;
}

// A plain kernel UDP socket on 127.0.0.1:port (0: any), SO_REUSEPORT when asked.
int raw_udp(uint16_t port = 0, bool reuse = false) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    if (reuse) REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0);
    sockaddr_in a = zsock_test::loopback4(port);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    return fd;
}

} // namespace

TEST_CASE("dtls: hostile datagrams from a stranger open no session; the server works on") {
    add_standard_credentials();
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    fd_guard evil(raw_udp());
    sockaddr_in to = zsock_test::loopback4(port), me{};
    socklen_t ml = sizeof me;
    REQUIRE(::getsockname(evil, reinterpret_cast<sockaddr *>(&me), &ml) == 0);
    // DTLS 1.2 record header: type, version fe fd, epoch (2), sequence (6), length (2).
    const std::string hostile[] = {
        "garbage instead of a ClientHello",
        std::string(),
        // a handshake record header alone, claiming 16 KiB
        bytes({22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00}),
        // a ClientHello record cut short: the header claims 0xc0 bytes, 16 follow
        bytes({22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0,    0,    0,    0xc0, 1, 0,
               0,  0xb4, 0,    0, 0, 0, 0, 0, 0, 0xb4, 0xfe, 0xfd, 0,    0}),
        // a whole record holding a ClientHello fragment that claims more than it carries
        bytes({22, 0xfe, 0xfd, 0, 0, 0, 0, 0,    0,    0,    0, 0, 20, 1, 0, 0, 0xb4,
               0,  0,    0,    0, 0, 0, 0, 0xb4, 0xfe, 0xfd, 0, 0, 0,  0, 0, 0}),
        // a ClientHello whose body is noise
        bytes(
            {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 1, 0, 0, 88, 0, 0, 0, 0, 0, 0, 0, 88},
            88, 0xee),
        // application data and an alert from an address that never handshook
        bytes({23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 32}, 32),
        bytes({21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40}),
        // the largest datagram, starting like a handshake record
        bytes({22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 65000, 0x16),
    };
    int i = 0;
    for (const std::string &d : hostile) {
        INFO("hostile datagram " << i++);
        REQUIRE(::sendto(evil, d.data(), d.size(), 0, reinterpret_cast<sockaddr *>(&to),
                         sizeof to) == static_cast<ssize_t>(d.size()));
        zsock_pollfd p{s, POLLIN, 0};
        CHECK(zsock_poll(&p, 1, 50) == 0); // handled inside poll; nothing for the user
        char buf[64];
        CHECK(zsock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, nullptr, nullptr) == -1);
        CHECK(errno == EAGAIN);
        CHECK(server_sessions(s) == 0);
        CHECK(zsock_sendto(s, "x", 1, 0, reinterpret_cast<sockaddr *>(&me), ml) == -1);
        CHECK(errno == ENOTCONN);
    }
    // A real client is served as if nothing happened.
    const pki &p = the_pki();
    child c({"openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(port),
             "-CAfile", p.path("ca.pem"), "-servername", "localhost", "-verify_return_error"});
    c.write_stdin("after the noise\n");
    timeval tv{10, 0};
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    char buf[64];
    ssize_t n = zsock_recvfrom(s, buf, sizeof buf, 0, nullptr, nullptr);
    REQUIRE(n == 16);
    CHECK(std::string(buf, 16) == "after the noise\n");
    CHECK(server_sessions(s) == 1);
}

TEST_CASE("dtls: hostile datagrams from an established peer's address leave its session alone") {
    add_standard_credentials();
    echo_server srv;
    // The client's transport and the hostile socket share one address (SO_REUSEPORT): the
    // server cannot tell their datagrams apart by sender. The kernel delivers the server's
    // replies to the connected socket (the client's).
    const uint16_t shared = free_port(SOCK_DGRAM);
    fd_guard c(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    int one = 1;
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0);
    sockaddr_in mine = zsock_test::loopback4(shared);
    REQUIRE(zsock_bind(c, reinterpret_cast<sockaddr *>(&mine), sizeof mine) == 0);
    REQUIRE(connect_to(c, srv.port) == 0);
    timeval tv{5, 0}; // a broken session fails the test instead of hanging it
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    char buf[64];
    REQUIRE(zsock_send(c, "one", 3, 0) == 3);
    REQUIRE(zsock_recv(c, buf, sizeof buf, 0) == 3);
    fd_guard evil(raw_udp(shared, true));
    sockaddr_in to = zsock_test::loopback4(srv.port);
    const std::string hostile[] = {
        "garbage from the peer's address",
        std::string(),
        // an application record header claiming more than follows
        bytes({23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 1, 0}, 10),
        // a whole application record in the current epoch with a bad MAC
        bytes({23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0x10, 0, 0, 48}, 48, 0x5a),
        // a fatal alert in the clear, in the current epoch (no MAC)
        bytes({21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0x10, 1, 0, 2, 2, 20}),
    };
    for (const std::string &d : hostile)
        REQUIRE(::sendto(evil, d.data(), d.size(), 0, reinterpret_cast<sockaddr *>(&to),
                         sizeof to) == static_cast<ssize_t>(d.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the server reads them all
    REQUIRE(zsock_send(c, "two", 3, 0) == 3);
    ssize_t n = zsock_recv(c, buf, sizeof buf, 0);
    REQUIRE(n == 3);
    CHECK(std::string(buf, 3) == "two");
    CHECK(srv.served == 2);
}

TEST_CASE("dtls: a ClientHello without a cookie gets a HelloVerifyRequest and leaves no state") {
    add_standard_credentials();
    // A real ClientHello, caught from a zsock client that talks to a silent UDP socket.
    fd_guard sink(raw_udp());
    sockaddr_in sa{};
    socklen_t sl = sizeof sa;
    REQUIRE(::getsockname(sink, reinterpret_cast<sockaddr *>(&sa), &sl) == 0);
    fd_guard cl(dtls_socket(TLS_DTLS_ROLE_CLIENT, {tag_ca}));
    REQUIRE(zsock_fcntl(cl, F_SETFL, zsock_fcntl(cl, F_GETFL) | O_NONBLOCK) == 0);
    REQUIRE(connect_to(cl, ntohs(sa.sin_port)) == EINPROGRESS);
    std::string hello(2048, '\0');
    pollfd pf{sink, POLLIN, 0};
    REQUIRE(::poll(&pf, 1, 5000) == 1);
    ssize_t hn = ::recv(sink, hello.data(), hello.size(), 0);
    REQUIRE(hn > 25);
    hello.resize(static_cast<size_t>(hn));
    REQUIRE(hello[0] == 22); // handshake record
    REQUIRE(hello[13] == 1); // ClientHello
    // Replayed from an address the server has never seen, it is answered statelessly.
    uint16_t port = 0;
    fd_guard s(dtls_server(&port));
    fd_guard peer(raw_udp());
    sockaddr_in to = zsock_test::loopback4(port);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(::sendto(peer, hello.data(), hello.size(), 0, reinterpret_cast<sockaddr *>(&to),
                         sizeof to) == hn);
        zsock_pollfd zp{s, POLLIN, 0};
        CHECK(zsock_poll(&zp, 1, 100) == 0); // handled inside poll, nothing for the user
        CHECK(server_sessions(s) == 0);
        std::string reply(2048, '\0');
        pollfd rp{peer, POLLIN, 0};
        REQUIRE(::poll(&rp, 1, 2000) == 1);
        ssize_t rn = ::recv(peer, reply.data(), reply.size(), 0);
        REQUIRE(rn > 25);
        CHECK(reply[0] == 22);                             // a handshake record
        CHECK(static_cast<unsigned char>(reply[13]) == 3); // HelloVerifyRequest
    }
}
