// The dispatcher with zsock's real TLS layer: TLS over sim0 (the transport on the in-process
// network), TLS_NATIVE, and one poll over native, sim0 and TLS sockets. Built only when the TLS
// layer is (tests/net/CMakeLists.txt checks for <zsock/tls_credentials.h>).
//
// Both ends are zsock TLS sockets in this process, on threads (each handshake blocks in connect
// or accept). The certificate is made for the run with openssl.
#include "net/stack_fixture.hpp"

#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>

#include <zsock/offload.h>
#include <zsock/tls_credentials.h>

using namespace stack_test;

namespace {

constexpr sec_tag_t server_tag = 4101;
constexpr sec_tag_t ca_tag = 4102;

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// Loads a self-signed "localhost" certificate once: server credentials and the client's CA.
bool load_credentials() {
    static int state = 0; // 0 not tried, 1 ok, -1 failed
    if (state) return state > 0;
    state = -1;
    char dir[] = "/tmp/zsock-dtls-XXXXXX";
    if (!mkdtemp(dir)) return false;
    std::string d = dir;
    std::string gen = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                      "-nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
                      "-keyout " + d + "/key.pem -out " + d + "/cert.pem >/dev/null 2>&1";
    if (std::system(gen.c_str()) != 0) return false;
    static std::string cert = slurp(d + "/cert.pem"), key = slurp(d + "/key.pem");
    std::system(("rm -rf " + d).c_str());
    // Zephyr's convention: PEM with its terminating NUL counted.
    if (zsock_tls_credential_add(server_tag, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, cert.c_str(),
                                 cert.size() + 1) < 0 ||
        zsock_tls_credential_add(server_tag, TLS_CREDENTIAL_PRIVATE_KEY, key.c_str(),
                                 key.size() + 1) < 0 ||
        zsock_tls_credential_add(ca_tag, TLS_CREDENTIAL_CA_CERTIFICATE, cert.c_str(),
                                 cert.size() + 1) < 0)
        return false;
    state = 1;
    return true;
}

int bind_dev(int fd, const char *name) {
    return zsock_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                            static_cast<socklen_t>(std::strlen(name)));
}

/// A TLS server socket listening on 127.0.0.1, on sim0 or native.
listening tls_listener(bool on_sim) {
    listening l;
    l.fd = fd_guard(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    REQUIRE(l.fd >= 0);
    if (on_sim) REQUIRE(bind_dev(l.fd, "sim0") == 0);
    sec_tag_t tags[] = {server_tag};
    REQUIRE(zsock_setsockopt(l.fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    l.addr = lo4();
    socklen_t len = sizeof l.addr;
    REQUIRE(zsock_bind(l.fd, sa(&l.addr), sizeof l.addr) == 0);
    REQUIRE(zsock_listen(l.fd, 4) == 0);
    REQUIRE(zsock_getsockname(l.fd, sa(&l.addr), &len) == 0);
    return l;
}

void client_options(int fd) {
    sec_tag_t tags[] = {ca_tag};
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, tags, sizeof tags) == 0);
    REQUIRE(zsock_setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_HOSTNAME, "localhost",
                             sizeof "localhost") == 0);
}

/// connect (client thread) and accept (this thread); then bytes both ways, checked.
void handshake_and_talk(int client, listening &l) {
    auto connected = std::async(std::launch::async, [&] {
        return zsock_connect(client, sa(&l.addr), sizeof l.addr) == 0 ? 0 : errno;
    });
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(srv >= 0);
    REQUIRE(connected.get() == 0);
    std::string msg(20000, 'x');
    for (size_t i = 0; i < msg.size(); ++i) msg[i] = pattern(i, 5);
    auto sent = std::async(std::launch::async, [&] {
        size_t off = 0;
        while (off < msg.size()) {
            ssize_t n = zsock_send(client, msg.data() + off, msg.size() - off, 0);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        return off;
    });
    std::string got(msg.size(), '\0');
    REQUIRE(zsock_recv(srv, got.data(), got.size(), MSG_WAITALL) ==
            static_cast<ssize_t>(got.size()));
    CHECK(sent.get() == msg.size());
    CHECK(got == msg);
    REQUIRE(zsock_send(srv, "done", 4, 0) == 4);
    char buf[4];
    CHECK(zsock_recv(client, buf, 4, MSG_WAITALL) == 4);
}

struct enabled {
    enabled() {
        int r = zsock_dispatcher_enable();
        REQUIRE((r == 0 || r == -EALREADY));
    }
};

} // namespace

TEST_CASE("dispatcher+TLS: SO_BINDTODEVICE sim0 on a TLS socket: zsock TLS over sim0") {
    enabled on;
    // The certificate comes from openssl, which scripts/install-deps.sh installs: without it
    // the test has not run, which must not look like a pass.
    if (!load_credentials()) FAIL("openssl could not make a certificate");
    long sims = zsock_simnet_socket_count();
    listening l = tls_listener(true);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    REQUIRE(bind_dev(c, "sim0") == 0); // sim0 does no TLS: zsock's TLS, transport on sim0
    client_options(c);
    CHECK(zsock_simnet_socket_count() == sims + 2);
    int proto = 0;
    socklen_t len = sizeof proto;
    REQUIRE(zsock_getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0);
    CHECK(proto == ZSOCK_IPPROTO_TLS_1_2);
    handshake_and_talk(c, l);
    // The listener is on sim0 only: the kernel has nothing on that port.
    fd_guard k(zsock_socket(AF_INET, SOCK_STREAM, 0));
    int r = bind_dev(k, "lo"); // the native stack, by choice
    REQUIRE((r == 0 || errno == EPERM));
    CHECK(zsock_connect(k, sa(&l.addr), sizeof l.addr) == -1);
    CHECK(errno == ECONNREFUSED);
}

TEST_CASE("dispatcher+TLS: TLS_NATIVE, then SO_BINDTODEVICE picks the transport's interface") {
    enabled on;
    if (!load_credentials()) return;
    listening l = tls_listener(true);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    int one = 1;
    REQUIRE(zsock_setsockopt(c, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, sizeof one) == 0);
    REQUIRE(bind_dev(c, "sim0") == 0);
    client_options(c);
    handshake_and_talk(c, l);
}

TEST_CASE("dispatcher+TLS: TLS_NATIVE alone: zsock TLS over the kernel's TCP") {
    enabled on;
    if (!load_credentials()) return;
    listening l = tls_listener(false);
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    int number = c;
    int one = 1;
    REQUIRE(zsock_setsockopt(c, ZSOCK_SOL_TLS, ZSOCK_TLS_NATIVE, &one, sizeof one) == 0);
    client_options(c);
    CHECK(c == number);
    handshake_and_talk(c, l);
}

TEST_CASE("dispatcher+TLS: one poll over native, sim0 and TLS sockets (over both)") {
    enabled on;
    if (!load_credentials()) return;
    auto [nc, ns] = pair4(native_stack);
    auto [sc, ss] = pair4(sim_stack);
    listening tl_sim = tls_listener(true), tl_nat = tls_listener(false);
    fd_guard t_sim(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    REQUIRE(bind_dev(t_sim, "sim0") == 0);
    client_options(t_sim);
    fd_guard t_nat(zsock_socket(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2));
    client_options(t_nat);
    auto c1 = std::async(std::launch::async, [&] {
        return zsock_connect(t_sim, sa(&tl_sim.addr), sizeof tl_sim.addr);
    });
    fd_guard s1(zsock_accept(tl_sim.fd, nullptr, nullptr));
    auto c2 = std::async(std::launch::async, [&] {
        return zsock_connect(t_nat, sa(&tl_nat.addr), sizeof tl_nat.addr);
    });
    fd_guard s2(zsock_accept(tl_nat.fd, nullptr, nullptr));
    REQUIRE(c1.get() == 0);
    REQUIRE(c2.get() == 0);

    zsock_pollfd fds[4] = {{ns, POLLIN, 0}, {ss, POLLIN, 0}, {t_sim, POLLIN, 0}, {t_nat, POLLIN, 0}};
    CHECK(zsock_poll(fds, 4, 50) == 0);
    REQUIRE(zsock_send(nc, "a", 1, 0) == 1);
    REQUIRE(zsock_send(sc, "b", 1, 0) == 1);
    REQUIRE(zsock_send(s1, "c", 1, 0) == 1);
    REQUIRE(zsock_send(s2, "d", 1, 0) == 1);
    int ready = 0;
    for (int i = 0; i < 20 && ready < 4; ++i) {
        for (auto &f : fds) f.revents = 0;
        ready = zsock_poll(fds, 4, 2000);
    }
    CHECK(ready == 4);
    char b;
    CHECK(zsock_recv(t_sim, &b, 1, 0) == 1);
    CHECK(b == 'c');
    CHECK(zsock_recv(t_nat, &b, 1, 0) == 1);
    CHECK(b == 'd');
}
