// TLS and DTLS over an offloaded transport, without the dispatcher: sim0 (the in-process network)
// registered as the offload at ZSOCK_PRIORITY_OFFLOAD (40), ahead of TLS (45), so that every
// TCP/UDP socket of this process, and with it every TLS socket's transport, is made on sim0, as
// a Zephyr application with an offloaded stack gets TLS over it. Both ends are zsock sockets in
// this process; the kernel carries none of the traffic (one test shows it has nothing on the
// port). Catch assertions stay on the main thread (TSan); other threads report values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <zsock/offload.h>
#include <zsock/posix.h>
#include <zsock/simnet.h>

#include "net/stack_fixture.hpp" // wait_blocked
#include "support/zsock_test.hpp"
#include "tls_support.hpp"

using namespace tls_test;
using namespace std::chrono_literals;
using zsock_test::fd_guard;

namespace {

/// sim0 is the priority-40 offload for one test, and the dispatcher is off.
struct sim_offload {
    long sims_before;
    sim_offload() {
        REQUIRE(zsock_dispatcher_disable() == -ENOENT); // never enabled in this program
        REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
        sims_before = zsock_simnet_socket_count();
    }
    ~sim_offload() { zsock_simnet_unregister(); }
};

sockaddr *sa(sockaddr_in *a) {
    return reinterpret_cast<sockaddr *>(a);
}

int proto_of(int fd) {
    int p = 0;
    socklen_t l = sizeof p;
    return zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l) == 0 ? p : -errno;
}

/// A blocking TLS 1.2 listener with the server credentials, bound to 127.0.0.1:port.
int tls_listener_on(uint16_t port, int flags = 0) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM | flags, IPPROTO_TLS_1_2);
    REQUIRE(fd >= 0);
    sec_tag_t tags[] = {tag_server};
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    sockaddr_in a = zsock_test::loopback4(port);
    REQUIRE(zsock_bind(fd, sa(&a), sizeof a) == 0);
    REQUIRE(zsock_listen(fd, 8) == 0);
    return fd;
}

uint16_t port_of(int fd) {
    sockaddr_in a{};
    socklen_t l = sizeof a;
    REQUIRE(zsock_getsockname(fd, sa(&a), &l) == 0);
    return ntohs(a.sin_port);
}

/// A TLS client socket with the CA and the host name set, not connected.
int tls_client_socket(int flags = 0) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM | flags, IPPROTO_TLS_1_2);
    REQUIRE(fd >= 0);
    sec_tag_t tags[] = {tag_ca};
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", sizeof "localhost") == 0);
    return fd;
}

/// {client, accepted} TLS sockets over sim0, both handshaken (accept runs on a thread).
std::pair<fd_guard, fd_guard> tls_pair_on_sim(fd_guard &listener) {
    uint16_t port = port_of(listener);
    int lfd = listener;
    auto acc = std::async(std::launch::async, [lfd] {
        int s = zsock_accept(lfd, nullptr, nullptr);
        return s >= 0 ? s : -errno;
    });
    fd_guard c(tls_client_socket());
    sockaddr_in a = zsock_test::loopback4(port);
    int cr = zsock_connect(c, sa(&a), sizeof a) == 0 ? 0 : errno;
    int s = acc.get();
    REQUIRE(cr == 0);
    REQUIRE(s >= 0);
    return {std::move(c), fd_guard(s)};
}

/// A port the kernel holds for this process (bound, not listening): the kernel refuses
/// connections to it, and nobody else can listen there while `holder` lives.
uint16_t kernel_refused_port(int *holder) {
    int k = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(k >= 0);
    sockaddr_in a = zsock_test::loopback4();
    socklen_t l = sizeof a;
    REQUIRE(::bind(k, sa(&a), sizeof a) == 0);
    REQUIRE(::getsockname(k, sa(&a), &l) == 0);
    *holder = k;
    return ntohs(a.sin_port);
}

} // namespace

TEST_CASE("tls over sim0 at priority 40: handshake, 1 MiB echo with checksum, close_notify") {
    add_standard_credentials();
    sim_offload sim;
    int holder = -1;
    const uint16_t port = kernel_refused_port(&holder);

    fd_guard l(tls_listener_on(port));
    CHECK(zsock_simnet_socket_count() == sim.sims_before + 1); // its transport is on sim0
    CHECK(proto_of(l) == IPPROTO_TLS_1_2);

    struct echo_result {
        size_t bytes = 0;
        ssize_t last = -1; // the recv that ended the loop: 0 for the peer's close_notify
        int err = 0;
    };
    int lfd = l;
    auto server = std::async(std::launch::async, [lfd] {
        echo_result r;
        int s = zsock_accept(lfd, nullptr, nullptr);
        if (s < 0) {
            r.err = errno;
            return r;
        }
        char buf[16384];
        for (;;) {
            ssize_t n = zsock_recv(s, buf, sizeof buf, 0);
            if (n <= 0) {
                r.last = n;
                r.err = n < 0 ? errno : 0;
                break;
            }
            if (!send_all(s, std::string_view(buf, static_cast<size_t>(n)))) {
                r.err = errno;
                break;
            }
            r.bytes += static_cast<size_t>(n);
        }
        zsock_close(s); // sends our close_notify: the client's recv gets 0 next
        return r;
    });

    fd_guard c(tls_client_socket());
    CHECK(zsock_simnet_socket_count() == sim.sims_before + 2);
    sockaddr_in a = zsock_test::loopback4(port);
    REQUIRE(zsock_connect(c, sa(&a), sizeof a) == 0);
    int suite = 0;
    socklen_t sl = sizeof suite;
    REQUIRE(zsock_getsockopt(c, SOL_TLS, TLS_CIPHERSUITE_USED, &suite, &sl) == 0);
    CHECK(suite != 0);

    // The kernel has nothing listening there: the whole exchange ran on sim0.
    int k = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(k >= 0);
    CHECK(::connect(k, sa(&a), sizeof a) == -1);
    CHECK(errno == ECONNREFUSED);
    ::close(k);

    const std::string data = random_bytes(1u << 20, 40);
    int cfd = c;
    auto sender = std::async(std::launch::async, [cfd, &data] {
        bool ok = send_all(cfd, data);
        // close_notify, and the transport's FIN; our read side stays open for the echo.
        int sh = zsock_shutdown(cfd, SHUT_WR);
        return ok && sh == 0;
    });
    std::string got = recv_n(c, data.size());
    CHECK(sender.get());
    REQUIRE(got.size() == data.size());
    CHECK(fnv1a(got) == fnv1a(data));
    echo_result r = server.get();
    CHECK(r.err == 0);
    CHECK(r.last == 0);
    CHECK(r.bytes == data.size());
    char b;
    CHECK(zsock_recv(c, &b, 1, 0) == 0); // the server's close_notify
    c.reset();
    l.reset();
    CHECK(zsock_simnet_socket_count() == sim.sims_before);
    ::close(holder);
}

TEST_CASE("tls over sim0: nonblocking handshakes on both ends, driven by zsock_poll") {
    add_standard_credentials();
    sim_offload sim;
    fd_guard l(tls_listener_on(0, SOCK_NONBLOCK));
    const uint16_t port = port_of(l);
    fd_guard c(tls_client_socket(SOCK_NONBLOCK));
    sockaddr_in a = zsock_test::loopback4(port);
    REQUIRE(zsock_connect(c, sa(&a), sizeof a) == -1);
    CHECK(errno == EINPROGRESS); // sim0 connected at once; the ClientHello is on its way

    zsock_pollfd lp{l, POLLIN, 0};
    REQUIRE(zsock_poll(&lp, 1, 5000) == 1);
    CHECK(lp.revents == POLLIN);
    fd_guard s(zsock_accept(l, nullptr, nullptr)); // a nonblocking listener hands it out now
    REQUIRE(s >= 0);

    // The client waits for POLLOUT (established); the server's poll moves its handshake on and
    // reports nothing, since no application data comes.
    bool established = false;
    int rounds = 0;
    for (; rounds < 50 && !established; ++rounds) {
        zsock_pollfd fds[2] = {{c, POLLOUT, 0}, {s, POLLIN, 0}};
        int n = zsock_poll(fds, 2, 2000);
        REQUIRE(n >= 0);
        CHECK(fds[1].revents == 0);
        established = (fds[0].revents & POLLOUT) != 0;
    }
    REQUIRE(established);
    CHECK(rounds <= 10);
    CHECK(zsock_connect(c, sa(&a), sizeof a) == 0); // Linux: the first connect after completion

    zsock_pollfd sp{s, POLLIN, 0};
    CHECK(zsock_poll(&sp, 1, 50) == 0); // idle: no spurious POLLIN from the transport
    REQUIRE(zsock_send(c, "ping", 4, 0) == 4);
    REQUIRE(zsock_poll(&sp, 1, 5000) == 1);
    CHECK(sp.revents == POLLIN);
    // select reads the same hooks: s readable (decrypted bytes held), c writable and not
    // readable.
    zsock_fd_set r, w;
    ZSOCK_FD_ZERO(&r);
    ZSOCK_FD_ZERO(&w);
    ZSOCK_FD_SET(s, &r);
    ZSOCK_FD_SET(c, &r);
    ZSOCK_FD_SET(c, &w);
    zsock_timeval tv{2, 0};
    CHECK(zsock_select(std::max(int(s), int(c)) + 1, &r, &w, nullptr, &tv) == 2);
    CHECK(ZSOCK_FD_ISSET(s, &r));
    CHECK_FALSE(ZSOCK_FD_ISSET(c, &r));
    CHECK(ZSOCK_FD_ISSET(c, &w));
    char buf[8];
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_DONTWAIT) == 4);
    CHECK(std::string(buf, 4) == "ping");
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);

    // close_notify: POLLIN|POLLHUP, then recv 0.
    c.reset();
    sp.revents = 0;
    REQUIRE(zsock_poll(&sp, 1, 5000) == 1);
    CHECK((sp.revents & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP));
    CHECK(zsock_recv(s, buf, sizeof buf, MSG_DONTWAIT) == 0);
}

TEST_CASE("tls over sim0: close() from another thread wakes a blocked recv or send (EINTR)") {
    add_standard_credentials();
    const bool in_send = GENERATE(false, true);
    CAPTURE(in_send);
    sim_offload sim;
    fd_guard l(tls_listener_on(0));
    auto [c, s] = tls_pair_on_sim(l);
    int f = in_send ? s.release() : c.release();
    std::atomic<pid_t> tid{0};
    auto blocked = std::async(std::launch::async, [f, in_send, &tid] {
        tid = gettid();
        if (in_send) { // nobody reads: the sim0 window fills and send blocks
            std::string chunk(16384, 'x');
            for (int i = 0; i < 4096; ++i)
                if (zsock_send(f, chunk.data(), chunk.size(), 0) < 0) return errno;
            return 0;
        }
        char b;
        return zsock_recv(f, &b, 1, 0) < 0 ? errno : 0;
    });
    while (!tid)
        std::this_thread::yield();
    stack_test::wait_blocked(tid);
    REQUIRE(zsock_close(f) == 0);
    REQUIRE(blocked.wait_for(5s) == std::future_status::ready);
    CHECK(blocked.get() == EINTR);
}

TEST_CASE("tls over sim0: SO_RCVTIMEO and SO_SNDTIMEO go to the transport and bound TLS's waits") {
    add_standard_credentials();
    sim_offload sim;
    fd_guard l(tls_listener_on(0));
    auto [c, s] = tls_pair_on_sim(l);
    timeval tv{0, 100000};
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    timeval back{};
    socklen_t bl = sizeof back;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &back, &bl) == 0); // sim0's answer
    CHECK(back.tv_sec == 0);
    CHECK(back.tv_usec == 100000);
    char b;
    auto t0 = std::chrono::steady_clock::now();
    CHECK(zsock_recv(c, &b, 1, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(std::chrono::steady_clock::now() - t0 >= 90ms);
    // A full sim0 window: send gives up after SO_SNDTIMEO with what it took (or EAGAIN).
    REQUIRE(zsock_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
    std::string chunk(16384, 'y');
    ssize_t r = 0;
    for (int i = 0; i < 4096 && r >= 0; ++i)
        r = zsock_send(s, chunk.data(), chunk.size(), 0);
    CHECK(r == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("tls over sim0: closing the listener ends a handshake blocked inside accept (EINTR)") {
    add_standard_credentials();
    sim_offload sim;
    fd_guard l(tls_listener_on(0));
    sockaddr_in a = zsock_test::loopback4(port_of(l));
    // A sim0 peer that connects and never says a word of TLS: accept() blocks in the handshake.
    fd_guard mute(zsock_simnet_create(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(mute, sa(&a), sizeof a) == 0);
    int lfd = l.release();
    std::atomic<pid_t> tid{0};
    auto acc = std::async(std::launch::async, [lfd, &tid] {
        tid = gettid();
        int s = zsock_accept(lfd, nullptr, nullptr);
        if (s >= 0) {
            zsock_close(s);
            return 0;
        }
        return errno;
    });
    while (!tid)
        std::this_thread::yield();
    stack_test::wait_blocked(tid);
    REQUIRE(zsock_close(lfd) == 0);
    REQUIRE(acc.wait_for(5s) == std::future_status::ready);
    CHECK(acc.get() == EINTR);
    // The half-made connection was closed: the mute peer sees its end.
    char b;
    CHECK(zsock_recv(mute, &b, 1, 0) == 0);
    mute.reset();
    CHECK(zsock_simnet_socket_count() == sim.sims_before);
}

namespace {

int dtls_socket(int role, sec_tag_t tag) {
    int fd = zsock_socket(AF_INET, SOCK_DGRAM, IPPROTO_DTLS_1_2);
    REQUIRE(fd >= 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_DTLS_ROLE, &role, sizeof role) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &tag, sizeof tag) == 0);
    if (role == TLS_DTLS_ROLE_CLIENT)
        REQUIRE(zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, "localhost", 10) == 0);
    return fd;
}

} // namespace

TEST_CASE("dtls over sim0: a nonblocking server driven by zsock_poll alone, and a reply") {
    add_standard_credentials();
    sim_offload sim;
    fd_guard s(dtls_socket(TLS_DTLS_ROLE_SERVER, tag_server));
    sockaddr_in a = zsock_test::loopback4();
    REQUIRE(zsock_bind(s, sa(&a), sizeof a) == 0);
    a = zsock_test::loopback4(port_of(s));
    CHECK(zsock_simnet_socket_count() == sim.sims_before + 1);
    REQUIRE(zsock_fcntl(s, F_SETFL, zsock_fcntl(s, F_GETFL) | O_NONBLOCK) == 0);

    fd_guard c(dtls_socket(TLS_DTLS_ROLE_CLIENT, tag_ca));
    int cfd = c;
    auto client = std::async(std::launch::async, [cfd, a]() mutable {
        // Its handshake needs the server's poll to make progress.
        if (zsock_connect(cfd, sa(&a), sizeof a) != 0)
            return std::string("connect: ") + strerror(errno);
        if (zsock_send(cfd, "over sim0", 9, 0) != 9) return std::string("send: ") + strerror(errno);
        char buf[32];
        ssize_t n = zsock_recv(cfd, buf, sizeof buf, 0);
        if (n < 0) return std::string("recv: ") + strerror(errno);
        return std::string(buf, static_cast<size_t>(n));
    });
    char buf[32];
    int wakeups = 0;
    for (;;) {
        zsock_pollfd p{s, POLLIN, 0};
        int n = zsock_poll(&p, 1, 5000);
        REQUIRE(n == 1); // handshake datagrams are handled inside poll and do not wake it
        ++wakeups;
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t r = zsock_recvfrom(s, buf, sizeof buf, 0, sa(&from), &fl);
        if (r > 0) {
            CHECK(std::string(buf, static_cast<size_t>(r)) == "over sim0");
            REQUIRE(zsock_sendto(s, "back", 4, 0, sa(&from), fl) == 4);
            break;
        }
        REQUIRE(errno == EAGAIN);
        REQUIRE(wakeups < 20);
    }
    REQUIRE(client.wait_for(10s) == std::future_status::ready);
    CHECK(client.get() == "back");
    CHECK(wakeups == 1);
}
