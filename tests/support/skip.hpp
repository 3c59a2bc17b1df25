// tests/support/skip.hpp - a test case that cannot run on this machine says so instead of passing.
//
// Catch2 v2 has no skip. ZT_SKIP(why) records the reason and leaves the test case; the runner
// (catch_main.cpp) then exits 77, which CTest reports as "Skipped" (SKIP_RETURN_CODE 77), unless
// something failed, which still fails. Test cases that may skip carry a tag of their own, and
// zsock_add_test(... MAY_SKIP tag) runs them as a separate CTest entry, so that one skipped case
// does not hide the result of the others.
#pragma once

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace zsock_test {

inline std::vector<std::string> &skipped_cases() {
    static std::vector<std::string> reasons;
    return reasons;
}

} // namespace zsock_test

#define ZT_SKIP(why)                                                                               \
    do {                                                                                           \
        std::ostringstream zt_skip_why_;                                                           \
        zt_skip_why_ << why;                                                                       \
        WARN("SKIP: " << zt_skip_why_.str());                                                      \
        ::zsock_test::skipped_cases().push_back(zt_skip_why_.str());                               \
        return;                                                                                    \
    } while (0)
