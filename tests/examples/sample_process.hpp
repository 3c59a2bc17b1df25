// tests/examples/sample_process.hpp - run an example program as a child process, bounded in
// time, with its output captured; pick free loopback ports for it; talk to it over loopback.
#pragma once

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zsock/socket.h>

extern char **environ;

namespace sample_test {

class child {
public:
    child(const std::string &path, const std::vector<std::string> &env_extra,
          const std::vector<std::string> &args = {}) {
        char tmpl[] = "/tmp/zsock-sample-XXXXXX";
        out_fd_ = mkstemp(tmpl);
        REQUIRE(out_fd_ >= 0);
        out_path_ = tmpl;
        std::vector<std::string> env;
        for (char **e = environ; *e; ++e)
            env.emplace_back(*e);
        env.insert(env.end(), env_extra.begin(), env_extra.end());
        std::vector<char *> envp, argv;
        for (auto &s : env)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        std::vector<std::string> all_args{path};
        all_args.insert(all_args.end(), args.begin(), args.end());
        for (auto &s : all_args)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out_fd_, 1);
        posix_spawn_file_actions_adddup2(&fa, out_fd_, 2);
        int r = posix_spawn(&pid_, path.c_str(), &fa, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE(r == 0);
    }
    child(const child &) = delete;
    child &operator=(const child &) = delete;
    ~child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_fd_);
        ::unlink(out_path_.c_str());
    }

    /// The exit status, or -1 if it did not exit in time (then it is killed), -2 on a signal.
    int wait(std::chrono::milliseconds limit) {
        auto end = std::chrono::steady_clock::now() + limit;
        int status = 0;
        for (;;) {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) break;
            if (std::chrono::steady_clock::now() > end) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
                pid_ = -1;
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
    }

    std::string output() const {
        std::string s;
        char buf[4096];
        ssize_t n;
        off_t off = 0;
        while ((n = ::pread(out_fd_, buf, sizeof buf, off)) > 0) {
            s.append(buf, static_cast<size_t>(n));
            off += n;
        }
        return s;
    }

private:
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::string out_path_;
};

inline sockaddr_in lo4(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline sockaddr_in6 lo6(uint16_t port) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    return a;
}

/// Whether the kernel has ::1 (containers often run without IPv6).
inline bool kernel_has_ipv6() {
    int s = zsock_socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 b = lo6(0);
    bool ok = s >= 0 && zsock_bind(s, reinterpret_cast<sockaddr *>(&b), sizeof b) == 0;
    if (s >= 0) zsock_close(s);
    return ok;
}

/// A port free on 127.0.0.1 (and on ::1 when there is one) right now.
inline uint16_t free_port() {
    const bool v6 = kernel_has_ipv6();
    for (int attempt = 0; attempt < 50; ++attempt) {
        int s4 = zsock_socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = lo4(0);
        socklen_t len = sizeof a;
        REQUIRE(zsock_bind(s4, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
        REQUIRE(zsock_getsockname(s4, reinterpret_cast<sockaddr *>(&a), &len) == 0);
        int s6 = zsock_socket(AF_INET6, SOCK_STREAM, 0);
        sockaddr_in6 b = lo6(ntohs(a.sin_port));
        bool ok6 = !v6 || zsock_bind(s6, reinterpret_cast<sockaddr *>(&b), sizeof b) == 0;
        zsock_close(s6);
        zsock_close(s4);
        if (ok6) return ntohs(a.sin_port);
    }
    FAIL("no free port");
    return 0;
}

/// Connects to the port, retrying while the program starts (up to `limit`). -1 on failure.
template <class Addr>
inline int connect_retry(Addr addr, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        int s = zsock_socket(reinterpret_cast<sockaddr *>(&addr)->sa_family, SOCK_STREAM, 0);
        if (zsock_connect(s, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) return s;
        zsock_close(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
}

inline int connect_retry4(uint16_t port) {
    return connect_retry(lo4(port));
}

/// Sends `total` pattern bytes (seed) while reading the echo; true when every byte came back.
inline bool echo_exchange(int fd, size_t total, unsigned seed) {
    auto pat = [seed](size_t i) {
        return static_cast<char>((i * 7 + seed * 13 + (i >> 8)) & 0xff);
    };
    std::thread writer([&] {
        std::vector<char> buf(3000);
        size_t off = 0;
        while (off < total) {
            size_t n = std::min(buf.size(), total - off);
            for (size_t i = 0; i < n; ++i)
                buf[i] = pat(off + i);
            ssize_t w = zsock_send(fd, buf.data(), n, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += static_cast<size_t>(w);
        }
        zsock_shutdown(fd, SHUT_WR);
    });
    std::vector<char> buf(5000);
    size_t got = 0;
    bool same = true;
    for (;;) {
        ssize_t n = zsock_recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i)
            same = same && buf[i] == pat(got + i);
        got += static_cast<size_t>(n);
    }
    writer.join();
    return same && got == total;
}

} // namespace sample_test
