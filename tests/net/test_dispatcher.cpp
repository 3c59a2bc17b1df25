// The socket dispatcher: every rule of ZEPHYR_NOTES §5.2, and where zsock improves on it.
#include "net/stack_fixture.hpp"

#include <csignal>
#include <future>
#include <net/if.h>
#include <zsock/offload.h>

#include "core/sys.hpp"
#include "net/layered_fake.hpp"
#include "net/native_socket.hpp"

using namespace stack_test;

namespace {

bool is_native(int fd) {
    return zsock_fd_get_obj(fd, &zsock::net::native_vtable, ENOTSOCK) == zsock::net::native_obj(fd);
}
bool is_layered(int fd) {
    return zsock_fd_get_obj(fd, &layered_fake::wrap_vtable, ENOTSOCK) != nullptr;
}
/// Neither a native, sim0 nor layered socket yet: the dispatcher still holds it.
bool undispatched(int fd) {
    return !is_native(fd) && !zsock_simnet_owns(fd) && !is_layered(fd);
}

int proto_of(int fd) {
    int p = -1;
    socklen_t len = sizeof p;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) == 0);
    return p;
}

struct enabled {
    enabled() {
        int r = zsock_dispatcher_enable();
        REQUIRE((r == 0 || r == -EALREADY));
    }
};

/// sim0 registered as the priority-40 offload for one test.
struct sim_registered {
    sim_registered() { REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0); }
    ~sim_registered() { zsock_simnet_unregister(); }
};

int bind_dev(int fd, const char *name) {
    return zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                            static_cast<socklen_t>(std::strlen(name)));
}

} // namespace

TEST_CASE("dispatcher: off, it is not in the registry and sockets are created directly") {
    zsock_dispatcher_disable();
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK(is_native(fd)); // no dispatcher object in between
    zsock_socket_impl first{};
    REQUIRE(zsock_find_socket_impl(AF_UNSPEC, SOCK_STREAM, 0, INT32_MIN, false, &first) == 0);
    CHECK(std::string(first.name) != "dispatcher");
    REQUIRE(zsock_dispatcher_enable() == 0);
    CHECK(zsock_dispatcher_enable() == -EALREADY);
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, INT32_MIN, false, &first) == 0);
    CHECK(std::string(first.name) == "dispatcher");
    CHECK(first.priority == ZSOCK_PRIORITY_DISPATCHER);
    // Disabling leaves existing dispatcher sockets working.
    fd_guard pending(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(undispatched(pending));
    REQUIRE(zsock_dispatcher_disable() == 0);
    CHECK(zsock_dispatcher_disable() == -ENOENT);
    fd_guard after(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(is_native(after));
    sockaddr_in addr = lo4();
    CHECK(zsock_bind(pending, sa(&addr), sizeof addr) == 0);
    CHECK(is_native(pending));
}

TEST_CASE("dispatcher: socket() makes nothing real; the kernel still checks the arguments") {
    enabled on;
    long sims = zsock_simnet_socket_count();
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(fd >= 0);
    CHECK(undispatched(fd));
    CHECK(zsock_simnet_socket_count() == sims);
    // Same errors as without the dispatcher, at socket() time.
    CHECK(zsock_socket(AF_INET, SOCK_STREAM, 99) == -1);
    CHECK(errno == EPROTONOSUPPORT);
    CHECK(zsock_socket(4242, SOCK_STREAM, 0) == -1);
    CHECK(errno == EAFNOSUPPORT);
    // Answered without choosing.
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0);
    CHECK(v == SOCK_STREAM);
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0);
    CHECK(v == AF_INET);
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0);
    CHECK(v == IPPROTO_TCP);
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) == 0);
    CHECK(v == 0);
    CHECK(zsock_fcntl(fd, F_GETFL, 0) == O_RDWR);
    CHECK(undispatched(fd));
    // A fresh socket polls like one.
    CHECK(poll1(fd, POLLIN | POLLOUT, 0) == (POLLOUT | POLLHUP));
    CHECK(undispatched(fd));
}

TEST_CASE("dispatcher: the first operation reaches the highest-priority implementation") {
    enabled on;
    sim_registered sim;
    // write() on an unconnected stream socket fails with EPIPE and, as on Linux, raises SIGPIPE;
    // this case only checks where the call went, so the signal is ignored while it runs.
    struct sigpipe_ignored {
        void (*old)(int) = std::signal(SIGPIPE, SIG_IGN);
        ~sigpipe_ignored() { std::signal(SIGPIPE, old); }
    } no_sigpipe;
    using op_fn = int (*)(int fd);
    struct op {
        const char *name;
        int type;
        op_fn run;
    };
    static const op ops[] = {
        {"bind", SOCK_STREAM,
         [](int fd) {
             sockaddr_in a = lo4();
             return zsock_bind(fd, sa(&a), sizeof a);
         }},
        {"listen", SOCK_STREAM, [](int fd) { return zsock_listen(fd, 1); }},
        {"connect", SOCK_STREAM,
         [](int fd) {
             sockaddr_in a = lo4(1);
             return zsock_connect(fd, sa(&a), sizeof a);
         }},
        {"accept", SOCK_STREAM, [](int fd) { return zsock_accept(fd, nullptr, nullptr); }},
        {"sendto", SOCK_DGRAM,
         [](int fd) {
             sockaddr_in a = lo4(9);
             return static_cast<int>(zsock_sendto(fd, "x", 1, 0, sa(&a), sizeof a));
         }},
        {"recvfrom", SOCK_DGRAM,
         [](int fd) {
             char b;
             return static_cast<int>(zsock_recvfrom(fd, &b, 1, MSG_DONTWAIT, nullptr, nullptr));
         }},
        {"recvmsg", SOCK_DGRAM,
         [](int fd) {
             msghdr m{};
             return static_cast<int>(zsock_recvmsg(fd, &m, MSG_DONTWAIT));
         }},
        {"write", SOCK_STREAM, [](int fd) { return static_cast<int>(zsock_write(fd, "x", 1)); }},
        {"read", SOCK_STREAM,
         [](int fd) {
             char b;
             return static_cast<int>(zsock_read(fd, &b, 1));
         }},
        {"getsockopt", SOCK_STREAM,
         [](int fd) {
             int v;
             socklen_t l = sizeof v;
             return zsock_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l);
         }},
        {"setsockopt", SOCK_STREAM,
         [](int fd) {
             int one = 1;
             return zsock_setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
         }},
        {"getsockname", SOCK_STREAM,
         [](int fd) {
             sockaddr_in a;
             socklen_t l = sizeof a;
             return zsock_getsockname(fd, sa(&a), &l);
         }},
        {"getpeername", SOCK_STREAM,
         [](int fd) {
             sockaddr_in a;
             socklen_t l = sizeof a;
             return zsock_getpeername(fd, sa(&a), &l);
         }},
        {"shutdown", SOCK_STREAM, [](int fd) { return zsock_shutdown(fd, SHUT_RDWR); }},
        {"ioctl", SOCK_STREAM,
         [](int fd) {
             int n;
             return zsock_ioctl(fd, FIONREAD, &n);
         }},
    };
    for (const op &o : ops) {
        CAPTURE(o.name);
        fd_guard fd(zsock_socket(AF_INET, o.type, 0));
        int number = fd;
        REQUIRE(undispatched(fd));
        o.run(fd); // whatever it answers, the socket now exists
        CHECK(zsock_simnet_owns(fd));
        CHECK(fd == number);
    }
}

TEST_CASE("dispatcher: by default, native when no offload claims the socket; same fd number") {
    enabled on;
    listening l = listen4(native_stack);
    CHECK(is_native(l.fd));
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int number = c;
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    CHECK(c == number);
    CHECK(is_native(c));
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    CHECK(is_native(srv)); // accepted sockets come from the real implementation
    REQUIRE(zsock_send(c, "ok", 2, 0) == 2);
    char buf[2];
    CHECK(zsock_recv(srv, buf, 2, MSG_WAITALL) == 2);
}

TEST_CASE("dispatcher: SO_BINDTODEVICE sim0 picks sim0, on the same fd number") {
    enabled on;
    long sims = zsock_simnet_socket_count();
    fd_guard l(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int number = l;
    REQUIRE(bind_dev(l, "sim0") == 0);
    CHECK(l == number);
    CHECK(zsock_simnet_owns(l));
    CHECK(zsock_simnet_socket_count() == sims + 1);
    char name[IFNAMSIZ] = {};
    socklen_t len = sizeof name;
    REQUIRE(zsock_getsockopt(l, SOL_SOCKET, SO_BINDTODEVICE, name, &len) == 0);
    CHECK(std::string(name) == "sim0");

    // Zephyr's form: a struct ifreq and its size.
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "sim0");
    REQUIRE(zsock_setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, &ifr, sizeof ifr) == 0);
    CHECK(zsock_simnet_owns(c));

    // They talk over sim0 with ordinary calls.
    sockaddr_in addr = lo4();
    REQUIRE(zsock_bind(l, sa(&addr), sizeof addr) == 0);
    REQUIRE(zsock_listen(l, 4) == 0);
    len = sizeof addr;
    REQUIRE(zsock_getsockname(l, sa(&addr), &len) == 0);
    REQUIRE(zsock_connect(c, sa(&addr), sizeof addr) == 0);
    fd_guard srv(zsock_accept(l, nullptr, nullptr));
    CHECK(zsock_simnet_owns(srv));
    REQUIRE(zsock_send(c, "via sim0", 8, 0) == 8);
    char buf[8];
    CHECK(zsock_recv(srv, buf, 8, MSG_WAITALL) == 8);
    CHECK(std::string(buf, 8) == "via sim0");
    // After dispatch the option goes to sim0, which cannot move to another stack.
    CHECK(bind_dev(c, "lo") == -1);
    CHECK(errno == ENODEV);
}

TEST_CASE(
    "dispatcher: SO_BINDTODEVICE of a kernel interface picks native, with the kernel's rules") {
    enabled on;
    sim_registered sim; // even with an offload ahead of native by priority
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK(bind_dev(fd, "zsock-nope0") == -1);
    CHECK(errno == ENODEV); // unknown to zsock and to the kernel: nothing happened
    CHECK(undispatched(fd));
    errno = 0;
    int r = bind_dev(fd, "lo");
    if (r == -1 && errno == EPERM) {
        WARN("SO_BINDTODEVICE on lo needs CAP_NET_RAW here; checking the choice only");
    } else {
        REQUIRE(r == 0);
        char name[IFNAMSIZ] = {};
        socklen_t len = sizeof name;
        REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) == 0);
        CHECK(std::string(name) == "lo"); // the kernel's answer
        CHECK(is_native(fd));
    }
}

TEST_CASE("dispatcher: SO_BINDTODEVICE argument checks") {
    enabled on;
    fd_guard fd(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "sim0", static_cast<socklen_t>(-1)) ==
          -1);
    CHECK(errno == EINVAL);
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, nullptr, 4) == -1);
    CHECK(errno == EFAULT);
    CHECK(undispatched(fd));
    // An empty name means no device: the default choice, and the kernel's "unbind" (0).
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0) == 0);
    CHECK(is_native(fd));
}

TEST_CASE("dispatcher: an interface registered with net_if_socket_offload_set") {
    enabled on;
    static std::atomic<int> made{0};
    zsock_net_if *iface = zsock_net_if_add("test9");
    REQUIRE(iface);
    zsock_net_if_socket_offload_set(iface, [](int f, int t, int p) {
        ++made;
        return zsock_simnet_create(f, t, p);
    });
    fd_guard fd(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    REQUIRE(bind_dev(fd, "test9") == -1); // sim0 refuses a device name that is not its own...
    CHECK(errno == ENODEV);
    CHECK(made == 1);
    CHECK(undispatched(fd)); // ...so the choice was undone: the socket is still free
    REQUIRE(bind_dev(fd, "sim0") == 0);
    CHECK(zsock_simnet_owns(fd));
    // With no creator, the interface is the native stack's.
    zsock_net_if_socket_offload_set(iface, nullptr);
    fd_guard n(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    CHECK(bind_dev(n, "test9") == -1);
    CHECK(errno == ENODEV); // the kernel does not know test9
    CHECK(made == 1);
}

TEST_CASE("dispatcher: harmless options wait for the choice and are replayed on it") {
    enabled on;
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int one = 1, rcv = 8192;
    timeval tv{0, 250000};
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) == 0);
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    REQUIRE(zsock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    REQUIRE(zsock_fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    CHECK(zsock_fcntl(fd, F_GETFL, 0) == (O_RDWR | O_NONBLOCK));
    // Checked now, as the kernel would.
    timeval bad{0, 2000000};
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bad, sizeof bad) == -1);
    CHECK(errno == EDOM);
    CHECK(zsock_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, 2) == -1);
    CHECK(errno == EINVAL);
    CHECK(undispatched(fd)); // none of that chose a stack
    REQUIRE(bind_dev(fd, "sim0") == 0);
    REQUIRE(zsock_simnet_owns(fd));
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0);
    CHECK(v == 1);
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0);
    CHECK(v == 16384);
    REQUIRE(zsock_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0);
    CHECK(v == 1);
    timeval back{};
    len = sizeof back;
    REQUIRE(zsock_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0);
    CHECK(back.tv_usec == 250000);
    CHECK((zsock_fcntl(fd, F_GETFL, 0) & O_NONBLOCK) != 0);
}

TEST_CASE("dispatcher: a kept option the chosen stack refuses fails the choice, which is undone") {
    enabled on;
    fd_guard fd(zsock_socket(AF_INET6, SOCK_STREAM, 0));
    int off = 0;
    REQUIRE(zsock_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0);
    CHECK(bind_dev(fd, "sim0") == -1);
    CHECK(errno == EOPNOTSUPP); // sim0 is IPv6-only
    CHECK(undispatched(fd));
    // The default choice (native, by this getsockopt) takes it.
    int v = 1;
    socklen_t len = sizeof v;
    REQUIRE(zsock_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0);
    CHECK(is_native(fd));
    CHECK(v == 0);
}

TEST_CASE("dispatcher: another option chooses at once (Zephyr's rule); the choice is final") {
    enabled on;
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int one = 1;
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one) == 0);
    CHECK(is_native(fd));
    CHECK(bind_dev(fd, "sim0") == -1); // now the kernel's option: sim0 is unknown to it
    CHECK(errno == ENODEV);
    CHECK(is_native(fd));
}

TEST_CASE("dispatcher: close before dispatch frees everything") {
    enabled on;
    long sims = zsock_simnet_socket_count();
    int fd = zsock_socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    REQUIRE(zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    REQUIRE(zsock_close(fd) == 0);
    CHECK(zsock::sys::fcntl(fd, F_GETFD, 0) == -EBADF); // the placeholder is gone
    CHECK(zsock_close(fd) == -1);
    CHECK(errno == EBADF);
    CHECK(zsock_simnet_socket_count() == sims);
    int again = zsock_socket(AF_INET, SOCK_STREAM, 0); // lowest free number: the same one
    CHECK(again == fd);
    zsock_close(again);
    // A TLS-protocol socket holds an eventfd: freed the same way.
    layered_fake::register_all();
    int tls = zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2);
    REQUIRE(tls >= 0);
    CHECK(undispatched(tls));
    REQUIRE(zsock_close(tls) == 0);
    CHECK(zsock::sys::fcntl(tls, F_GETFD, 0) == -EBADF);
}

TEST_CASE("dispatcher: two threads racing on the first operation make one socket") {
    enabled on;
    sim_registered sim;
    for (int round = 0; round < 20; ++round) {
        long sims = zsock_simnet_socket_count();
        fd_guard fd(zsock_socket(AF_INET, SOCK_DGRAM, 0));
        int f = fd;
        auto a = std::async(std::launch::async, [f] {
            int v;
            socklen_t l = sizeof v;
            return zsock_getsockopt(f, SOL_SOCKET, SO_RCVBUF, &v, &l);
        });
        auto b = std::async(std::launch::async, [f] {
            sockaddr_in x = lo4();
            return zsock_bind(f, sa(&x), sizeof x);
        });
        CHECK(a.get() == 0);
        CHECK(b.get() == 0);
        CHECK(zsock_simnet_owns(fd));
        CHECK(zsock_simnet_socket_count() == sims + 1);
    }
}

TEST_CASE("dispatcher: close wakes a call blocked on the real socket (EINTR)") {
    enabled on;
    auto [c, srv] = pair4(sim_stack);
    fd_guard fd(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(bind_dev(fd, "sim0") == 0);
    int f = fd.release();
    std::atomic<pid_t> tid{0};
    auto blocked = std::async(std::launch::async, [f, &tid] {
        tid = gettid();
        char b;
        long r = zsock_recv(f, &b, 1, 0);
        return r < 0 ? errno : 0;
    });
    while (!tid) std::this_thread::yield();
    wait_blocked(tid);
    REQUIRE(zsock_close(f) == 0);
    REQUIRE(blocked.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(blocked.get() == EINTR);
}

TEST_CASE("dispatcher: one poll over native, sim0, dispatched and undispatched sockets") {
    enabled on;
    // native pair through the dispatcher (default), sim0 pair through SO_BINDTODEVICE.
    listening nl = listen4(native_stack);
    fd_guard nc(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(nc, sa(&nl.addr), sizeof nl.addr) == 0);
    fd_guard ns(zsock_accept(nl.fd, nullptr, nullptr));
    fd_guard sl(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(bind_dev(sl, "sim0") == 0);
    sockaddr_in sa4 = lo4();
    REQUIRE(zsock_bind(sl, sa(&sa4), sizeof sa4) == 0);
    REQUIRE(zsock_listen(sl, 4) == 0);
    socklen_t len = sizeof sa4;
    REQUIRE(zsock_getsockname(sl, sa(&sa4), &len) == 0);
    fd_guard sc(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(bind_dev(sc, "sim0") == 0);
    REQUIRE(zsock_connect(sc, sa(&sa4), sizeof sa4) == 0);
    fd_guard ss(zsock_accept(sl, nullptr, nullptr));
    fd_guard pending(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(undispatched(pending));
    REQUIRE(zsock_simnet_owns(ss));
    REQUIRE(is_native(ns));

    zsock_pollfd fds[4] = {
        {ns, POLLIN, 0}, {ss, POLLIN, 0}, {sl, POLLIN, 0}, {pending, POLLOUT, 0}};
    REQUIRE(zsock_poll(fds, 4, 0) == 1);
    CHECK(fds[3].revents == POLLOUT); // a fresh UDP socket is writable
    CHECK(fds[0].revents == 0);
    CHECK(fds[1].revents == 0);
    REQUIRE(zsock_send(nc, "n", 1, 0) == 1);
    REQUIRE(zsock_send(sc, "s", 1, 0) == 1);
    fd_guard sc2(zsock_simnet_create(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(sc2, sa(&sa4), sizeof sa4) == 0);
    int got = 0;
    for (int i = 0; i < 10 && got < 4; ++i) {
        for (auto &f : fds)
            f.revents = 0;
        got = zsock_poll(fds, 4, 2000);
    }
    CHECK(got == 4);
    CHECK(fds[0].revents == POLLIN);
    CHECK(fds[1].revents == POLLIN);
    CHECK(fds[2].revents == POLLIN);
}

TEST_CASE("dispatcher: TLS_NATIVE on a non-TLS socket is ENOPROTOOPT; 0 chooses nothing") {
    enabled on;
    layered_fake::register_all();
    fd_guard plain(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int one = 1, zero = 0;
    CHECK(zsock_setsockopt(plain, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, sizeof one) == -1);
    CHECK(errno == ENOPROTOOPT);
    CHECK(undispatched(plain));
    fd_guard tls(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    CHECK(zsock_setsockopt(tls, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &zero, sizeof zero) == 0);
    CHECK(undispatched(tls));
    CHECK(zsock_setsockopt(tls, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, 2) == -1);
    CHECK(errno == EINVAL);
}

TEST_CASE(
    "dispatcher: TLS sockets: an offload that does TLS wins by priority, TLS_NATIVE overrides") {
    enabled on;
    layered_fake::register_all();
    zsock_socket_impl modem{"fake_modem",
                            ZSOCK_PRIORITY_OFFLOAD,
                            AF_INET,
                            layered_fake::supported,
                            layered_fake::modem_create,
                            ZSOCK_IMPL_OFFLOADED};
    REQUIRE(zsock_register_socket_impl(&modem) == 0);
    int modems = layered_fake::modem_created, natives = layered_fake::created;

    fd_guard by_default(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    listening l = listen4(sim_stack);
    REQUIRE(zsock_connect(by_default, sa(&l.addr), sizeof l.addr) == 0);
    CHECK(layered_fake::modem_created == modems + 1);
    CHECK(proto_of(by_default) == ZSOCK_IPPROTO_TLS_1_2);

    fd_guard native_tls(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    int number = native_tls;
    int one = 1;
    REQUIRE(zsock_setsockopt(native_tls, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, sizeof one) == 0);
    listening nl = listen4(native_stack);
    REQUIRE(zsock_connect(native_tls, sa(&nl.addr), sizeof nl.addr) == 0);
    CHECK(layered_fake::created == natives + 1);
    CHECK(layered_fake::modem_created == modems + 1);
    CHECK(native_tls == number);
    CHECK(is_layered(native_tls));
    // Its transport is native, and it moved with the fd (ZSOCK_IOCTL_FD_MOVED went through).
    fd_guard srv(zsock_accept(nl.fd, nullptr, nullptr));
    REQUIRE(zsock_send(native_tls, "moved", 5, 0) == 5);
    char buf[5];
    CHECK(zsock_recv(srv, buf, 5, MSG_WAITALL) == 5);
    REQUIRE(zsock_unregister_socket_impl("fake_modem") == 0);
}

TEST_CASE("dispatcher: TLS over sim0: TLS_NATIVE then SO_BINDTODEVICE, or SO_BINDTODEVICE alone") {
    enabled on;
    layered_fake::register_all();
    listening l = listen4(sim_stack);
    for (bool tls_native_first : {true, false}) {
        CAPTURE(tls_native_first);
        int made = layered_fake::created;
        long sims = zsock_simnet_socket_count();
        fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
        int number = fd;
        int one = 1;
        if (tls_native_first)
            REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, sizeof one) == 0);
        CHECK(undispatched(fd));
        REQUIRE(bind_dev(fd, "sim0") == 0); // the transport goes on sim0
        CHECK(layered_fake::created == made + 1);
        CHECK(is_layered(fd));
        CHECK(fd == number);
        CHECK(zsock_simnet_socket_count() == sims + 1);
        REQUIRE(zsock_connect(fd, sa(&l.addr), sizeof l.addr) == 0);
        fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
        REQUIRE(srv >= 0);
        REQUIRE(zsock_send(fd, "tls?", 4, 0) == 4);
        char buf[4];
        CHECK(zsock_recv(srv, buf, 4, MSG_WAITALL) == 4);
        // The sim0 transport's readiness survived the move to the dispatcher's number.
        REQUIRE(zsock_send(srv, "!", 1, 0) == 1);
        CHECK(poll1(fd, POLLIN, 2000) == POLLIN);
    }
}
