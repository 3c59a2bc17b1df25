// TLS credentials: the store's API and errors (Zephyr's tests/net/lib/tls_credentials), its
// copies, zeroizing, capacity, and validation at TLS_SEC_TAG_LIST time.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include <zsock/posix.h>
#include <zsock/tls_credentials.h>

#include "support/zsock_test.hpp"
#include "tls/credentials.hpp"
#include "tls_support.hpp"

using namespace zsock_test;

namespace {
// Tags 100+ are this file's own; each test removes what it added.
struct cleanup {
    std::vector<std::pair<sec_tag_t, tls_credential_type>> items;
    ~cleanup() {
        for (auto &[t, ty] : items)
            zsock_tls_credential_delete(t, ty);
    }
};
} // namespace

TEST_CASE("credentials: add, get, delete, and Zephyr's error codes") {
    cleanup c;
    const char cert[] = "not really a certificate";
    REQUIRE(tls_credential_add(100, TLS_CREDENTIAL_CA_CERTIFICATE, cert, sizeof cert) == 0);
    c.items.push_back({100, TLS_CREDENTIAL_CA_CERTIFICATE});
    CHECK(tls_credential_add(100, TLS_CREDENTIAL_CA_CERTIFICATE, cert, sizeof cert) == -EEXIST);
    // Another type under the same tag is a different credential.
    REQUIRE(tls_credential_add(100, TLS_CREDENTIAL_PSK_ID, "id", 2) == 0);
    c.items.push_back({100, TLS_CREDENTIAL_PSK_ID});

    char buf[64];
    size_t len = sizeof buf;
    REQUIRE(tls_credential_get(100, TLS_CREDENTIAL_CA_CERTIFICATE, buf, &len) == 0);
    CHECK(len == sizeof cert);
    CHECK(std::memcmp(buf, cert, sizeof cert) == 0);

    len = 4;
    CHECK(tls_credential_get(100, TLS_CREDENTIAL_CA_CERTIFICATE, buf, &len) == -EFBIG);
    CHECK(len == sizeof cert); // the size needed
    len = 0;
    CHECK(tls_credential_get(100, TLS_CREDENTIAL_CA_CERTIFICATE, nullptr, &len) == -EFBIG);
    CHECK(len == sizeof cert);

    len = sizeof buf;
    CHECK(tls_credential_get(101, TLS_CREDENTIAL_CA_CERTIFICATE, buf, &len) == -ENOENT);
    CHECK(tls_credential_get(100, TLS_CREDENTIAL_PRIVATE_KEY, buf, &len) == -ENOENT);
    CHECK(tls_credential_get(100, TLS_CREDENTIAL_CA_CERTIFICATE, buf, nullptr) == -EINVAL);

    REQUIRE(tls_credential_delete(100, TLS_CREDENTIAL_CA_CERTIFICATE) == 0);
    CHECK(tls_credential_get(100, TLS_CREDENTIAL_CA_CERTIFICATE, buf, &len) == -ENOENT);
    CHECK(tls_credential_delete(100, TLS_CREDENTIAL_CA_CERTIFICATE) == -ENOENT);
    CHECK(tls_credential_delete(555, TLS_CREDENTIAL_PSK) == -ENOENT);
}

TEST_CASE("credentials: bad arguments give EINVAL") {
    const char x[] = "x";
    CHECK(zsock_tls_credential_add(-1, TLS_CREDENTIAL_PSK, x, 1) == -EINVAL);
    CHECK(zsock_tls_credential_add(100, TLS_CREDENTIAL_NONE, x, 1) == -EINVAL);
    CHECK(zsock_tls_credential_add(100, static_cast<tls_credential_type>(6), x, 1) == -EINVAL);
    CHECK(zsock_tls_credential_add(100, TLS_CREDENTIAL_PSK, nullptr, 1) == -EINVAL);
    CHECK(zsock_tls_credential_add(100, TLS_CREDENTIAL_PSK, x, 0) == -EINVAL);
}

TEST_CASE("credentials: the store keeps its own copy") {
    cleanup c;
    std::string data = "original bytes";
    REQUIRE(zsock_tls_credential_add(102, TLS_CREDENTIAL_PSK_ID, data.data(), data.size()) == 0);
    c.items.push_back({102, TLS_CREDENTIAL_PSK_ID});
    data.assign(data.size(), 'X'); // the caller reuses its buffer
    char buf[32];
    size_t len = sizeof buf;
    REQUIRE(zsock_tls_credential_get(102, TLS_CREDENTIAL_PSK_ID, buf, &len) == 0);
    CHECK(std::string(buf, len) == "original bytes");
}

TEST_CASE("credentials: key material is zeroized on delete") {
    const unsigned char key[] = {0xde, 0xad, 0xbe, 0xef, 0x11, 0x22};
    REQUIRE(zsock_tls_credential_add(103, TLS_CREDENTIAL_PSK, key, sizeof key) == 0);
    // Keep the stored blob alive past the delete to look at its bytes afterwards.
    auto blob = zsock::tls::cred_find_stored(103, TLS_CREDENTIAL_PSK);
    REQUIRE(blob);
    REQUIRE(blob->bytes().size() == sizeof key);
    CHECK(std::memcmp(blob->bytes().data(), key, sizeof key) == 0);
    REQUIRE(zsock_tls_credential_delete(103, TLS_CREDENTIAL_PSK) == 0);
    for (unsigned char b : blob->bytes())
        CHECK(b == 0);
}

TEST_CASE("credentials: the capacity is configurable and a full store gives ENOMEM") {
    size_t old = zsock_tls_credential_capacity();
    CHECK(old == ZSOCK_TLS_DEFAULT_MAX_CREDENTIALS);
    CHECK(zsock_tls_credential_set_capacity(0) == -EINVAL);
    REQUIRE(zsock_tls_credential_set_capacity(3) == 0);
    cleanup c;
    const char x[] = "x";
    for (sec_tag_t t = 110; t < 113; ++t) {
        REQUIRE(zsock_tls_credential_add(t, TLS_CREDENTIAL_PSK_ID, x, 1) == 0);
        c.items.push_back({t, TLS_CREDENTIAL_PSK_ID});
    }
    CHECK(zsock_tls_credential_add(113, TLS_CREDENTIAL_PSK_ID, x, 1) == -ENOMEM);
    CHECK(zsock_tls_credential_set_capacity(2) == -EBUSY); // more are stored than that
    REQUIRE(zsock_tls_credential_delete(110, TLS_CREDENTIAL_PSK_ID) == 0);
    CHECK(zsock_tls_credential_add(113, TLS_CREDENTIAL_PSK_ID, x, 1) == 0);
    c.items.push_back({113, TLS_CREDENTIAL_PSK_ID});
    REQUIRE(zsock_tls_credential_set_capacity(old) == 0);
}

TEST_CASE("credentials: validated when TLS_SEC_TAG_LIST is set") {
    tls_test::add_standard_credentials();
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2));
    REQUIRE(fd >= 0);
    auto set = [&](std::vector<sec_tag_t> tags) {
        int r = zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                                 static_cast<socklen_t>(tags.size() * sizeof(sec_tag_t)));
        return r == 0 ? 0 : errno;
    };
    // PEM and DER, certificates, keys and PSKs all parse.
    CHECK(set({tls_test::tag_ca, tls_test::tag_server, tls_test::tag_ca_der,
               tls_test::tag_server_der, tls_test::tag_psk}) == 0);
    CHECK(set({tls_test::tag_ca, 4242}) == ENOENT);

    cleanup c;
    const char garbage[] =
        "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    REQUIRE(zsock_tls_credential_add(120, TLS_CREDENTIAL_CA_CERTIFICATE, garbage, sizeof garbage) ==
            0);
    c.items.push_back({120, TLS_CREDENTIAL_CA_CERTIFICATE});
    CHECK(set({120}) == EINVAL);

    const unsigned char der_garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    REQUIRE(zsock_tls_credential_add(121, TLS_CREDENTIAL_CA_CERTIFICATE, der_garbage,
                                     sizeof der_garbage) == 0);
    c.items.push_back({121, TLS_CREDENTIAL_CA_CERTIFICATE});
    CHECK(set({121}) == EINVAL);

    // A PSK without its identity, and a certificate without its key.
    REQUIRE(zsock_tls_credential_add(122, TLS_CREDENTIAL_PSK, "k", 1) == 0);
    c.items.push_back({122, TLS_CREDENTIAL_PSK});
    CHECK(set({122}) == EINVAL);
    auto cert = tls_test::the_pki().pem("server.pem");
    REQUIRE(zsock_tls_credential_add(123, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, cert.data(),
                                     cert.size()) == 0);
    c.items.push_back({123, TLS_CREDENTIAL_PUBLIC_CERTIFICATE});
    CHECK(set({123}) == EINVAL);

    // PEM passed with strlen() (no NUL) is accepted too.
    auto ca = tls_test::the_pki().pem("ca.pem");
    REQUIRE(zsock_tls_credential_add(124, TLS_CREDENTIAL_CA_CERTIFICATE, ca.data(),
                                     ca.size() - 1) == 0);
    c.items.push_back({124, TLS_CREDENTIAL_CA_CERTIFICATE});
    CHECK(set({124}) == 0);

    // Length rules.
    sec_tag_t t = tls_test::tag_ca;
    CHECK(zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, &t, 3) == -1);
    CHECK(errno == EINVAL);
    std::vector<sec_tag_t> many(ZSOCK_TLS_MAX_SEC_TAGS + 1, tls_test::tag_ca);
    CHECK(set(many) == EINVAL);
}
