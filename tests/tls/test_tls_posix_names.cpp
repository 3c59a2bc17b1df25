// Unchanged-style C code (posix_names_client.c, linked against libzsock-posix alone) speaking
// TLS 1.2 through the standard names and <zsock/posix.h>, against `openssl s_server -www`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "tls_support.hpp"

TEST_CASE("posix names: a Zephyr-style HTTPS GET in C, through libzsock-posix") {
    using namespace tls_test;
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key"), "-www"});
    std::string cmd = std::string(TLS_POSIX_NAMES_GET_BIN) + " " + std::to_string(srv.port) + " " +
                      p.path("ca.pem");
    FILE *out = ::popen(cmd.c_str(), "r");
    REQUIRE(out != nullptr);
    std::string page;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, out)) > 0;) page.append(buf, n);
    int status = ::pclose(out);
    CHECK(status == 0);
    CHECK(page.rfind("HTTP/1.0 200 ok", 0) == 0);
    CHECK(page.find("TLSv1.2") != std::string::npos);
}
