// Unchanged-style C code (posix_names_client.c and posix_names_server.c, linked against
// libzsock-posix alone) speaking TLS 1.2 through the standard names and <zsock/posix.h>: a client
// against `openssl s_server -www`, a server against `openssl s_client`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
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
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, out)) > 0;)
        page.append(buf, n);
    int status = ::pclose(out);
    CHECK(status == 0);
    CHECK(page.rfind("HTTP/1.0 200 ok", 0) == 0);
    CHECK(page.find("TLSv1.2") != std::string::npos);
}

TEST_CASE("posix names: a Zephyr-style TLS echo server in C, through libzsock-posix") {
    using namespace tls_test;
    const pki &p = the_pki();
    child srv({TLS_POSIX_NAMES_ECHO_BIN, p.path("server.pem"), p.path("server.key")});
    REQUIRE(srv.wait_output("PORT "));
    const std::string announce = srv.output();
    const int port = std::atoi(announce.c_str() + announce.find("PORT ") + 5);
    REQUIRE(port > 0);
    child c({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
             p.path("ca.pem"), "-servername", "localhost", "-verify_return_error", "-tls1_2"});
    c.write_stdin("hello from s_client\n");
    CHECK(c.wait_output("echo: hello from s_client"));
    CHECK(c.output().find("Verify return code: 0 (ok)") != std::string::npos);
    c.close_stdin(); // s_client sends close_notify; the server's recv returns 0 and it closes
    CHECK(srv.wait_exit() == 0);
    INFO(srv.output());
    CHECK(srv.output().find("served") != std::string::npos);
    CHECK(c.wait_exit() == 0);
}
