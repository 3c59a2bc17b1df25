// Unchanged-style C code (posix_names_client.c) speaking TLS 1.2 through the <zsock/posix.h>
// names, against `openssl s_server -www`.
#include <catch2/catch.hpp>

#include <string>

#include "tls_support.hpp"

extern "C" int posix_names_https_get(const char *port, const unsigned char *ca, size_t ca_len,
                                     char *out, size_t out_len);

TEST_CASE("posix names: a Zephyr-style HTTPS GET in C") {
    using namespace tls_test;
    const pki &p = the_pki();
    s_server srv({"-cert", p.path("server.pem"), "-key", p.path("server.key"), "-www"});
    std::string ca = p.pem("ca.pem"); // with its NUL, as sizeof(pem) would count it
    std::string port = std::to_string(srv.port);
    std::string page(65536, '\0');
    int n = posix_names_https_get(port.c_str(), reinterpret_cast<const unsigned char *>(ca.data()),
                                  ca.size(), page.data(), page.size());
    REQUIRE(n > 0);
    page.resize(static_cast<size_t>(n));
    CHECK(page.rfind("HTTP/1.0 200 ok", 0) == 0);
    CHECK(page.find("TLSv1.2") != std::string::npos);
}
