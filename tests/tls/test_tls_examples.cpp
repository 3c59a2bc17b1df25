// The TLS examples, run as their users would run them, against openssl.
#include <catch2/catch.hpp>

#include <string>

#include "tls_support.hpp"

using namespace tls_test;

TEST_CASE("example tls_get against openssl s_server -www") {
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key"), "-www"});
    child get({TLS_GET_BIN, "127.0.0.1", std::to_string(srv.port), p.path("ca.pem"), "localhost"});
    REQUIRE(get.wait_exit() == 0);
    std::string out = get.output();
    CHECK(out.rfind("HTTP/1.0 200 ok", 0) == 0);
    CHECK(out.find("TLSv1.2") != std::string::npos);
}

TEST_CASE("example tls_get reports a certificate it cannot trust") {
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("rogue.pem"), "-key", p.path("rogue.key"), "-www"});
    child get({TLS_GET_BIN, "127.0.0.1", std::to_string(srv.port), p.path("ca.pem"), "localhost"});
    CHECK(get.wait_exit() == 1);
    CHECK(get.output().find("Software caused connection abort") != std::string::npos);
}

TEST_CASE("example tls_echo_server with openssl s_client") {
    const pki &p = the_pki();
    uint16_t port = free_port();
    child srv({TLS_ECHO_SERVER_BIN, std::to_string(port), p.path("server.pem"),
               p.path("server.key"), "1"});
    REQUIRE(srv.wait_output("listening"));
    child c({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
             p.path("ca.pem"), "-servername", "localhost", "-verify_return_error"});
    c.write_stdin("echo me\n");
    CHECK(c.wait_output("Verify return code: 0 (ok)"));
    // s_client prints what it receives (and never its own input): this is the echo.
    CHECK(c.wait_output("echo me"));
    c.close_stdin(); // close_notify: the server's only connection ends, and so does the server
    CHECK(srv.wait_exit() == 0);
}

TEST_CASE("example dtls_client against openssl s_server -dtls1_2") {
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key")}, "", true);
    child cl({DTLS_CLIENT_BIN, "127.0.0.1", std::to_string(srv.port), p.path("ca.pem"),
              "datagram hello", "localhost"});
    REQUIRE(srv.proc.wait_output("datagram hello"));
    srv.proc.write_stdin("datagram answer\n");
    REQUIRE(cl.wait_exit() == 0);
    CHECK(cl.output().find("reply: datagram answer") != std::string::npos);
}
