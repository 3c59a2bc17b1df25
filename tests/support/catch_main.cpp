// The one translation unit that compiles Catch2's runner. A run in which a test case could not
// run here (ZT_SKIP, support/skip.hpp) and nothing failed exits 77: CTest's "Skipped", not a pass.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "skip.hpp"

int main(int argc, char **argv) {
    const int failed = Catch::Session().run(argc, argv);
    if (failed != 0 || zsock_test::skipped_cases().empty()) return failed;
    for (const auto &why : zsock_test::skipped_cases())
        std::fprintf(stderr, "SKIP: %s\n", why.c_str());
    return 77;
}
