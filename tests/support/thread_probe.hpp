// tests/support/thread_probe.hpp - knowing that another thread is blocked in a system call.
//
// A test that closes an fd "while another thread is blocked in recv" must know the other thread
// got there: /proc/self/task/<tid>/syscall names the system call a thread sits in.
#pragma once

#include <chrono>
#include <cstdio>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace zsock_test {

inline long this_tid() {
    return static_cast<long>(::syscall(SYS_gettid));
}

/// The system call thread `tid` of this process is in, -1 if running, -2 if unknown.
inline long current_syscall(long tid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
    FILE *f = std::fopen(path, "r");
    if (!f) return -2;
    char word[32] = {};
    int n = std::fscanf(f, "%31s", word);
    std::fclose(f);
    if (n != 1) return -2;
    if (word[0] == 'r') return -1; // "running"
    return std::strtol(word, nullptr, 10);
}

/// Waits (up to timeout_ms) until thread `tid` is blocked in system call `nr`. Where /proc does
/// not tell, it waits a fixed 200 ms and hopes. Returns false on timeout.
inline bool wait_blocked_in(long tid, long nr, int timeout_ms = 5000) {
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        long cur = current_syscall(tid);
        if (cur == -2) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            return true;
        }
        if (cur == nr) {
            // In the call; give it a moment to actually go to sleep in the kernel.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (current_syscall(tid) == nr) return true;
        }
        if (std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(timeout_ms))
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

} // namespace zsock_test
