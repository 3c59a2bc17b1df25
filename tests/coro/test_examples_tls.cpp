// The TLS modes of the coroutine examples, run as users run them: echo_server --tls CERT KEY
// against openssl s_client and against echo_client --tls --ca FILE, and against a coroutine TLS
// client in this process. ZSOCK_BACKEND (inherited) picks the engine of every program.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "coro_test.hpp"
#include "tls_coro_test.hpp"

using namespace std::chrono_literals;
using namespace tls_coro_test;
using zsock::task;

extern char **environ;

namespace {

std::string example_path(const char *name) {
    const char *dir = std::getenv("ZSOCK_EXAMPLES_DIR");
    return std::string(dir ? dir : ".") + "/" + name;
}

/// echo_server --port 0 --tls with the test server certificate, spawned directly (not under
/// timeout(1), which would pass a SIGTERM on twice: once to it, once to its process group, and the
/// second may land after the server restored the default action on its way out).
struct tls_echo_server {
    pid_t pid = -1;
    uint16_t port = 0;
    FILE *out = nullptr;
    tls_echo_server() {
        std::vector<std::string> args = {example_path("echo_server"),
                                         "--port",
                                         "0",
                                         "--threads",
                                         "2",
                                         "--tls",
                                         the_pki().path("server.pem"),
                                         the_pki().path("server.key")};
        int p[2];
        REQUIRE(pipe2(p, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        ::close(p[1]);
        out = fdopen(p[0], "r");
        char line[256] = {};
        REQUIRE(fgets(line, sizeof line, out) != nullptr); // "listening on 127.0.0.1:PORT"
        std::string l(line);
        INFO(l);
        REQUIRE(l.rfind("listening on 127.0.0.1:", 0) == 0);
        port = static_cast<uint16_t>(std::stoi(l.substr(l.rfind(':') + 1)));
    }
    ~tls_echo_server() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        if (out) fclose(out);
    }
    /// SIGTERM; the exit status (128 + signal if it died of one; -1 after 10 s).
    int stop() {
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 1000; ++i) {
            int st = 0;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                pid = -1;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }
};

} // namespace

TEST_CASE("echo_server --tls against openssl s_client: 1.5 MiB echoed, every byte") {
    tls_echo_server srv;
    const std::size_t n = 1536 * 1024;
    const std::string data = random_bytes(n, 81);
    child c = s_client(srv.port);
    REQUIRE(c.wait_output("Verify return code: 0 (ok)"));
    c.write_stdin(data); // s_client sends it as it reads, and prints what comes back
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string out;
    std::size_t at = std::string::npos;
    while (std::chrono::steady_clock::now() < deadline) {
        out = c.output();
        at = out.find(data.substr(0, 64));
        if (at != std::string::npos && out.size() - at >= n) break;
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE(at != std::string::npos);
    REQUIRE(out.size() - at >= n);
    CHECK(fnv1a(std::string_view(out).substr(at, n)) == fnv1a(data));
    c.close_stdin(); // close_notify; the server answers with its own
    CHECK(c.wait_exit() == 0);
    CHECK(srv.stop() == 0);
}

TEST_CASE("echo_server --tls against echo_client --tls --ca, 64 KiB messages") {
    tls_echo_server srv;
    child cl({example_path("echo_client"), "--port", std::to_string(srv.port), "--connections", "4",
              "--size", "65536", "--seconds", "1", "--tls", "--ca", the_pki().path("ca.pem")});
    REQUIRE(cl.wait_exit(30s) == 0);
    std::string out = cl.output();
    INFO(out);
    CHECK(out.find(" 0 mismatches, 0 errors") != std::string::npos);
    CHECK(out.find("TLS") != std::string::npos);
    // At least 16 round trips of 64 KiB: 1 MiB each way.
    CHECK(std::stoul(out) >= 16);
    // A name the certificate does not carry: every connection is refused by the client.
    child bad({example_path("echo_client"), "--port", std::to_string(srv.port), "--connections",
               "2", "--seconds", "1", "--tls", "--ca", the_pki().path("ca.pem"), "--hostname",
               "other.example"});
    CHECK(bad.wait_exit(30s) == 1);
    CHECK(bad.output().find("connect: Software caused connection abort") != std::string::npos);
    CHECK(srv.stop() == 0);
}

TEST_CASE("echo_server --tls against a coroutine tls_stream in this process") {
    tls_echo_server srv;
    zsock::event_loop loop;
    const auto data = coro_test::pattern_bytes(82, 1u << 20);
    std::vector<char> back;
    zsock::sync_wait(loop, [&]() -> task<void> {
        auto c = co_await zsock::tls_stream::connect(zsock::endpoint::loopback_v4(srv.port),
                                                     client_options())
                     .with_timeout(5s);
        INFO(c.error().message());
        REQUIRE(c.has_value());
        auto writer = [&]() -> task<void> {
            auto w = co_await c->send_all(data.data(), data.size());
            REQUIRE(w.ok());
            auto sh = co_await c->shutdown();
            REQUIRE(sh.has_value());
        };
        auto reader = [&]() -> task<void> {
            std::vector<char> buf(32768);
            for (;;) {
                auto r = co_await c->recv(std::span<char>(buf)).with_timeout(20s);
                REQUIRE(r.has_value());
                if (*r == 0) break; // the server's close_notify, after the echo of everything
                back.insert(back.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
        };
        co_await zsock::when_all(writer(), reader());
    }());
    CHECK(first_difference(back, data) == "equal");
    CHECK(srv.stop() == 0);
}

TEST_CASE("echo_server --tls with a missing key file fails at start") {
    child bad({example_path("echo_server"), "--port", "0", "--tls", the_pki().path("server.pem"),
               the_pki().path("no-such.key")});
    CHECK(bad.wait_exit() == 1);
    CHECK(bad.output().find("cannot open") != std::string::npos);
}
