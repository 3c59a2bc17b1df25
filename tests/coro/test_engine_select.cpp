// Engine selection: ZSOCK_BACKEND, the event_loop option, and the fallback to epoll when the
// kernel refuses io_uring. The refusal is real: a seccomp filter in a child process makes
// io_uring_setup fail with ENOSYS, EPERM or EINVAL, exactly as a locked-down container would.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro_test.hpp"

using zsock::task;

namespace {

/// Makes io_uring_setup fail with `err` in this process, for good.
bool refuse_io_uring(int err) {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

task<int> echo_roundtrip() {
    auto l = coro_test::listen_local();
    auto ep = zsock::endpoint::loopback_v4(coro_test::port_of(l));
    auto server = [](zsock::tcp_listener &lis) -> task<int> {
        auto s = co_await lis.accept();
        if (!s) co_return -1;
        char buf[8];
        auto n = co_await s->recv(buf, sizeof buf);
        if (!n) co_return -1;
        auto w = co_await s->send(buf, *n);
        co_return w ? 0 : -1;
    };
    auto client = [](zsock::endpoint e) -> task<int> {
        auto c = co_await zsock::tcp_stream::connect(e);
        if (!c) co_return -1;
        (void)co_await c->send("ping", 4);
        char buf[8];
        auto n = co_await c->recv(buf, sizeof buf);
        co_return (n && *n == 4 && std::memcmp(buf, "ping", 4) == 0) ? 0 : -1;
    };
    auto [a, b] = co_await zsock::when_all(server(l), client(ep));
    co_return a == 0 && b == 0 ? 0 : 1;
}

struct child_result {
    int status = -1;
    std::string log;
};

/// Runs body in a forked child with stderr captured; returns its exit status and stderr.
template <class Fn>
child_result in_child(Fn body) {
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], 2);
        _exit(body());
    }
    close(pipefd[1]);
    child_result r;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) r.log.append(buf, static_cast<std::size_t>(n));
    close(pipefd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

} // namespace

TEST_CASE("auto falls back to epoll when io_uring_setup is refused, and says why") {
    for (int err : {ENOSYS, EPERM, EINVAL}) {
        INFO("io_uring_setup refused with " << strerrorname_np(err));
        auto r = in_child([err] {
            if (!refuse_io_uring(err)) return 3;
            unsetenv("ZSOCK_BACKEND");
            setenv("ZSOCK_LOG", "info", 1);
            zsock::event_loop loop; // automatic
            if (loop.backend() != zsock::backend::epoll) return 4;
            if (zsock::io_uring_available()) return 5;
            return zsock::sync_wait(loop, echo_roundtrip()); // and epoll really serves
        });
        INFO(r.log);
        CHECK(r.status == 0);
        CHECK(r.log.find("engine: epoll (io_uring refused") != std::string::npos);
        CHECK(r.log.find(strerror(err)) != std::string::npos);
    }
}

TEST_CASE("a forced io_uring that the kernel refuses is an error, not a silent fallback") {
    auto r = in_child([] {
        if (!refuse_io_uring(EPERM)) return 3;
        setenv("ZSOCK_BACKEND", "io_uring", 1);
        try {
            zsock::event_loop loop;
            return 4;
        } catch (const std::system_error &e) {
            return e.code() == std::errc::operation_not_permitted ? 0 : 5;
        }
    });
    INFO(r.log);
    CHECK(r.status == 0);
}

TEST_CASE("ZSOCK_BACKEND and the event_loop option choose the engine") {
    auto r = in_child([] {
        setenv("ZSOCK_BACKEND", "epoll", 1);
        zsock::event_loop a;
        if (a.backend() != zsock::backend::epoll) return 1;
        if (a.backend_reason().find("ZSOCK_BACKEND") == std::string::npos) return 2;
        if (!zsock::io_uring_available()) return 0; // nothing more to check here
        zsock::event_loop::options o;
        o.backend = zsock::backend::io_uring; // the option wins over the environment
        zsock::event_loop b(o);
        if (b.backend() != zsock::backend::io_uring) return 3;
        setenv("ZSOCK_BACKEND", "auto", 1);
        zsock::event_loop c;
        if (c.backend() != zsock::backend::io_uring) return 4; // the probe passes here
        return zsock::sync_wait(b, echo_roundtrip()) == 0 ? 0 : 5;
    });
    INFO(r.log);
    CHECK(r.status == 0);
}
