// The example programs, run as users run them: started with --port 0, the printed port read
// back, driven over loopback (our own clients, curl, wrk when installed), stopped with SIGTERM
// or SIGINT, and their exit status checked. ZSOCK_BACKEND picks the engine, as for every test.
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "coro_test.hpp"

extern char **environ;

namespace {

std::string example_path(const char *name) {
    const char *dir = std::getenv("ZSOCK_EXAMPLES_DIR");
    return std::string(dir ? dir : ".") + "/" + name;
}

bool have_tool(const char *name) {
    std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

/// A running example: its pid, and its stdout as a pipe.
class child {
public:
    explicit child(std::vector<std::string> args) {
        int out[2];
        REQUIRE(pipe(out) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addclose(&fa, out[0]);
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        REQUIRE(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        out_ = fdopen(out[0], "r");
    }
    ~child() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_) fclose(out_);
    }
    /// The next line of stdout ("" at EOF).
    std::string line() {
        char buf[512];
        if (!fgets(buf, sizeof buf, out_)) return {};
        std::string s(buf);
        if (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    }
    /// Reads "listening on 127.0.0.1:PORT" and returns PORT.
    uint16_t port() {
        std::string l = line();
        INFO("first line: " << l);
        REQUIRE(l.rfind("listening on 127.0.0.1:", 0) == 0);
        return static_cast<uint16_t>(std::stoi(l.substr(l.rfind(':') + 1)));
    }
    /// Sends sig and returns the exit status (or 128 + signal), waiting at most 10 s.
    int stop(int sig) {
        kill(pid_, sig);
        return wait_exit();
    }
    int wait_exit() {
        for (int i = 0; i < 1000; ++i) {
            int st = 0;
            pid_t r = waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    FILE *out_ = nullptr;
};

/// TCP_NODELAY (0 or 1) of the socket in process pid whose peer is `peer`; -1 if the kernel
/// will not lend us the process's descriptors (pidfd_getfd needs Linux 5.6 and ptrace rights),
/// -2 if no such socket was found.
int server_nodelay(pid_t pid, const sockaddr_in &peer) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) return -1;
    int result = -2;
    for (int target = 3; target < 1024 && result == -2; ++target) {
        int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, target, 0));
        if (fd < 0) {
            if (errno == EPERM || errno == ENOSYS) result = -1;
            continue;
        }
        sockaddr_in a{};
        socklen_t len = sizeof a;
        if (getpeername(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0 &&
            a.sin_family == AF_INET && a.sin_port == peer.sin_port &&
            a.sin_addr.s_addr == peer.sin_addr.s_addr) {
            int v = 0;
            socklen_t vl = sizeof v;
            if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0) result = v ? 1 : 0;
        }
        close(fd);
    }
    close(pidfd);
    return result;
}

std::string recv_until_close(int fd) {
    std::string got;
    char buf[4096];
    for (;;) {
        ssize_t n = zsock_recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

std::size_t count(const std::string &hay, const std::string &needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        ++n;
    return n;
}

std::string run_capture(const std::string &cmd) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    pclose(p);
    return out;
}

} // namespace

TEST_CASE("echo_server: echoes every byte on 2 loops, exits 0 on SIGTERM; echo_client agrees") {
    child server({example_path("echo_server"), "--port", "0", "--threads", "2"});
    uint16_t port = server.port();
    for (int i = 0; i < 4; ++i) { // several connections: both loops serve
        auto c = coro_test::blocking_connect(port);
        REQUIRE(c >= 0);
        auto data = coro_test::pattern_bytes(static_cast<uint64_t>(i), 50000);
        std::thread w([&] {
            zsock_send(c, data.data(), data.size(), 0);
            zsock_shutdown(c, SHUT_WR);
        });
        std::string got = recv_until_close(c);
        w.join();
        CHECK(got == std::string(data.begin(), data.end()));
    }
    child client({example_path("echo_client"), "--port", std::to_string(port), "--connections", "8",
                  "--size", "100", "--seconds", "1"});
    CHECK(client.wait_exit() == 0);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("echo_server: --backend wins over ZSOCK_BACKEND, and connections get TCP_NODELAY") {
    // The flag names the other engine than the environment of this run, and the server must say
    // it serves on the flag's (io_uring only where the kernel allows it).
    const bool env_uring = coro_test::expected_backend() == zsock::backend::io_uring;
    if (!env_uring && !zsock::io_uring_available()) {
        WARN("io_uring refused by this kernel: only the epoll direction is checked");
        return;
    }
    const std::string flag = env_uring ? "epoll" : "io_uring";
    child server({example_path("echo_server"), "--port", "0", "--backend", flag});
    uint16_t port = server.port();
    CHECK(server.line() == "backend " + flag);
    auto c = coro_test::blocking_connect(port);
    REQUIRE(c >= 0);
    REQUIRE(zsock_send(c, "ping", 4, 0) == 4);
    char buf[4];
    REQUIRE(zsock_recv(c, buf, sizeof buf, MSG_WAITALL) == 4);
    CHECK(std::string(buf, 4) == "ping");
    // The server's end of this connection has TCP_NODELAY: take a copy of each of its fds
    // (pidfd_getfd) and ask the one whose peer is our client.
    sockaddr_in mine{};
    socklen_t len = sizeof mine;
    REQUIRE(zsock_getsockname(c, reinterpret_cast<sockaddr *>(&mine), &len) == 0);
    int nodelay = server_nodelay(server.pid(), mine);
    if (nodelay < 0)
        WARN("pidfd_getfd refused here: TCP_NODELAY not checked");
    else
        CHECK(nodelay == 1);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("echo_server: bad options exit 2") {
    // --tls takes CERT and KEY (the TLS mode itself: test_examples_tls).
    child tls({example_path("echo_server"), "--port", "0", "--tls", "cert.pem"});
    CHECK(tls.wait_exit() == 2);
    child bad({example_path("echo_server"), "--backend", "kqueue"});
    CHECK(bad.wait_exit() == 2);
}

TEST_CASE("http_server: keep-alive, pipelining, 404, Connection: close, SIGINT") {
    child server({example_path("http_server"), "--port", "0"});
    uint16_t port = server.port();
    {
        // Three pipelined requests in one write; the last asks to close.
        auto c = coro_test::blocking_connect(port);
        std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        REQUIRE(zsock_send(c, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
        std::string got = recv_until_close(c);
        CHECK(count(got, "HTTP/1.1 200 OK") == 2);
        CHECK(count(got, "HTTP/1.1 404 Not Found") == 1);
        CHECK(count(got, "Hello, World!") == 2);
        CHECK(count(got, "Content-Length: 13\r\n") == 2);
        CHECK(got.find("Date: ") != std::string::npos);
    }
    {
        // Keep-alive: two requests one after the other on one connection, byte by byte.
        auto c = coro_test::blocking_connect(port);
        for (int i = 0; i < 2; ++i) {
            std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
            for (char ch : req)
                REQUIRE(zsock_send(c, &ch, 1, 0) == 1);
            std::string got;
            char buf[1024];
            while (got.find("Hello, World!") == std::string::npos) {
                ssize_t n = zsock_recv(c, buf, sizeof buf, 0);
                REQUIRE(n > 0);
                got.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    {
        auto c = coro_test::blocking_connect(port);
        std::string bad = "NONSENSE\r\n\r\n";
        zsock_send(c, bad.data(), bad.size(), 0);
        CHECK(recv_until_close(c).rfind("HTTP/1.1 400 Bad Request", 0) == 0);
    }
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    if (have_tool("curl")) {
        CHECK(run_capture("curl -s --max-time 5 " + url) == "Hello, World!");
        std::string v = run_capture("curl -sv --max-time 5 " + url + " " + url + " 2>&1");
        CHECK(count(v, "Hello, World!") == 2);
        CHECK(v.find("Re-using existing connection") != std::string::npos); // keep-alive
    } else {
        WARN("curl not installed: skipped the curl checks");
    }
    if (have_tool("wrk")) {
        std::string w = run_capture("wrk -t1 -c16 -d1s " + url + " 2>&1");
        INFO(w);
        CHECK(w.find("Requests/sec") != std::string::npos);
        CHECK(w.find("Socket errors") == std::string::npos);
        CHECK(w.find("Non-2xx") == std::string::npos);
    } else {
        WARN("wrk not installed: skipped the wrk run");
    }
    CHECK(server.stop(SIGINT) == 0);
}

TEST_CASE("udp_echo: the ping client gets every datagram back") {
    child server({example_path("udp_echo"), "--port", "0"});
    uint16_t port = server.port();
    child ping({example_path("udp_echo"), "--ping", std::to_string(port), "--count", "200"});
    CHECK(ping.line() == "200/200 datagrams echoed");
    CHECK(ping.wait_exit() == 0);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("chat_server: broadcast to others, idle clients are disconnected") {
    child server({example_path("chat_server"), "--port", "0", "--idle", "1"});
    uint16_t port = server.port();
    auto a = coro_test::blocking_connect(port);
    auto b = coro_test::blocking_connect(port);
    auto read_line = [](int fd) {
        std::string l;
        char ch;
        while (zsock_recv(fd, &ch, 1, 0) == 1) {
            l += ch;
            if (ch == '\n') break;
        }
        return l;
    };
    CHECK(read_line(a).find(" joined\n") != std::string::npos); // b joined
    REQUIRE(zsock_send(a, "hello room\n", 11, 0) == 11);
    std::string got = read_line(b);
    CHECK(got.find(": hello room\n") != std::string::npos);
    // Nobody says anything for a second: both are told and disconnected.
    auto t0 = std::chrono::steady_clock::now();
    std::string rest = recv_until_close(b);
    CHECK(rest.find("idle timeout, bye\n") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    CHECK(server.stop(SIGTERM) == 0);
}
