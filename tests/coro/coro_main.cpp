// Catch2 runner for the coroutine suite. Each test runs once per engine (CTest sets
// ZSOCK_BACKEND); an io_uring run skips (exit 77) when the kernel refuses io_uring.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <zsock/event_loop.hpp>

int main(int argc, char **argv) {
    const char *b = std::getenv("ZSOCK_BACKEND");
    if (b && !std::strcmp(b, "io_uring") && !zsock::io_uring_available()) {
        std::fprintf(stderr, "io_uring refused by this kernel: skipped\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
