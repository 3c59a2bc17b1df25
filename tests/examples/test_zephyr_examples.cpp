// The Zephyr-style example programs (examples/zephyr), run as real processes and checked byte
// for byte over loopback, with curl and openssl as the peers where they apply.
#include "sample_process.hpp"

#include <future>
#include <memory>
#include <sys/stat.h>

using namespace sample_test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> env_for(uint16_t port, int connections) {
    return {"ZSOCK_SAMPLE_PORT=" + std::to_string(port),
            "ZSOCK_SAMPLE_CONNECTIONS=" + std::to_string(connections)};
}

bool have_program(const char *name) {
    std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

std::string run_capture(const std::string &cmd) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    pclose(p);
    return out;
}

const std::string page_body = "<html><head><title>zsock</title></head><body><h1>Hello from "
                              "zsock</h1><p>Zephyr sockets, on Linux.</p></body></html>\n";

} // namespace

TEST_CASE("zephyr example: blocking echo server, one client after another") {
    uint16_t port = free_port();
    child server(ZEPHYR_ECHO_BLOCKING, env_for(port, 3));
    const size_t sizes[] = {1, 1000, 300000};
    for (unsigned k = 0; k < 3; ++k) {
        int fd = connect_retry4(port);
        REQUIRE(fd >= 0);
        CHECK(echo_exchange(fd, sizes[k], k));
        zsock_close(fd);
    }
    CHECK(server.wait(10s) == 0);
    std::string out = server.output();
    CHECK(out.find("Connection #2 from 127.0.0.1") != std::string::npos);
}

TEST_CASE("zephyr example: poll echo server, IPv4 and IPv6 clients at once") {
    uint16_t port = free_port();
    const bool v6 = kernel_has_ipv6();
    if (!v6) WARN("the kernel has no ::1 here: IPv4 clients only");
    child server(ZEPHYR_ECHO_POLL, env_for(port, 6));
    std::vector<std::future<bool>> clients;
    for (unsigned k = 0; k < 6; ++k) {
        clients.push_back(std::async(std::launch::async, [port, k, v6] {
            int fd = (v6 && k % 2) ? connect_retry(lo6(port)) : connect_retry4(port);
            if (fd < 0) return false;
            bool ok = echo_exchange(fd, 200000 + k * 777, k);
            zsock_close(fd);
            return ok;
        }));
    }
    for (auto &c : clients)
        CHECK(c.get());
    CHECK(server.wait(20s) == 0);
    if (v6) CHECK(server.output().find("Connection from ::1") != std::string::npos);
}

TEST_CASE("zephyr example: select echo server with read/write, clients at once") {
    uint16_t port = free_port();
    child server(ZEPHYR_ECHO_SELECT, env_for(port, 5));
    std::vector<std::future<bool>> clients;
    for (unsigned k = 0; k < 5; ++k) {
        clients.push_back(std::async(std::launch::async, [port, k] {
            int fd = connect_retry4(port);
            if (fd < 0) return false;
            bool ok = echo_exchange(fd, 150000 + k * 1000, k + 10);
            zsock_close(fd);
            return ok;
        }));
    }
    for (auto &c : clients)
        CHECK(c.get());
    CHECK(server.wait(20s) == 0);
}

TEST_CASE("zephyr example: HTTP server answers curl and a raw client with the page") {
    uint16_t port = free_port();
    child server(ZEPHYR_HTTP_SERVER, env_for(port, 3));
    int probe = connect_retry4(port); // waits for the server; counts as one connection
    REQUIRE(probe >= 0);
    const char req[] = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    // The request in two pieces: the server reads up to the blank line.
    REQUIRE(zsock_send(probe, req, 10, 0) == 10);
    std::this_thread::sleep_for(20ms);
    REQUIRE(zsock_send(probe, req + 10, sizeof req - 11, 0) ==
            static_cast<ssize_t>(sizeof req - 11));
    std::string resp;
    char buf[512];
    ssize_t n;
    while ((n = zsock_recv(probe, buf, sizeof buf, 0)) > 0)
        resp.append(buf, static_cast<size_t>(n));
    zsock_close(probe);
    CHECK(resp.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(resp.find("Content-Length: " + std::to_string(page_body.size()) + "\r\n") !=
          std::string::npos);
    REQUIRE(resp.size() > page_body.size());
    CHECK(resp.substr(resp.size() - page_body.size()) == page_body);

    if (have_program("curl")) {
        std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
        for (int i = 0; i < 2; ++i) {
            std::string body = run_capture("curl -s --max-time 10 " + url);
            CHECK(body == page_body);
        }
    } else {
        WARN("curl not found: two raw clients instead");
        for (int i = 0; i < 2; ++i) {
            int fd = connect_retry4(port);
            REQUIRE(zsock_send(fd, req, sizeof req - 1, 0) > 0);
            while (zsock_recv(fd, buf, sizeof buf, 0) > 0) {
            }
            zsock_close(fd);
        }
    }
    CHECK(server.wait(10s) == 0);
}

TEST_CASE("zephyr example: socketpair with writer threads and a polling reader") {
    child prog(ZEPHYR_SOCKETPAIR, {});
    CHECK(prog.wait(20s) == 0);
    CHECK(prog.output().find("3 writers, 200 messages each: all received in order") !=
          std::string::npos);
}

#ifdef ZEPHYR_HTTP_GET_TLS
TEST_CASE("zephyr example: HTTPS GET with IPPROTO_TLS_1_2, TLS_SEC_TAG_LIST, TLS_HOSTNAME") {
    // openssl is the peer, and scripts/install-deps.sh installs it: without it this is a broken
    // setup, not a pass.
    if (!have_program("openssl")) FAIL("openssl not found (scripts/install-deps.sh installs it)");
    char dir_tmpl[] = "/tmp/zsock-tls-XXXXXX";
    REQUIRE(mkdtemp(dir_tmpl));
    std::string dir = dir_tmpl;
    // A self-signed certificate for "localhost", made for this run.
    std::string gen = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                      "-nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
                      "-keyout " +
                      dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
    REQUIRE(std::system(gen.c_str()) == 0);
    uint16_t port = free_port();
    child server("/usr/bin/env", {},
                 {"openssl", "s_server", "-www", "-tls1_2", "-accept",
                  "127.0.0.1:" + std::to_string(port), "-cert", dir + "/cert.pem", "-key",
                  dir + "/key.pem", "-naccept", "1"});
    int probe = -1;
    for (int i = 0; i < 250 && probe < 0; ++i) { // wait for it to listen (not a TLS peer yet)
        std::this_thread::sleep_for(20ms);
        std::string ss = run_capture("ss -Hltn sport = :" + std::to_string(port));
        if (!ss.empty()) probe = 0;
    }
    child client(ZEPHYR_HTTP_GET_TLS,
                 {"ZSOCK_SAMPLE_HOST=127.0.0.1", "ZSOCK_SAMPLE_PORT=" + std::to_string(port),
                  "ZSOCK_SAMPLE_CA=" + dir + "/cert.pem"});
    CHECK(client.wait(20s) == 0);
    std::string out = client.output();
    CHECK(out.find("HTTP/1.0 200 ok") != std::string::npos);
    CHECK(out.find("Ciphers supported in s_server binary") != std::string::npos);
    server.wait(5s);
    std::system(("rm -rf " + dir).c_str());
}
#endif
