// The Zephyr compatibility headers (<zephyr/...>): from C++ with zsock_ names, and from C with the
// POSIX names (zephyr_headers_c.c).
#include <catch2/catch.hpp>

#include <cstring>

#include <zephyr/kernel.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/socket.h>
#include <zephyr/net/socket_offload.h>
#include <zephyr/net/tls_credentials.h>
#include <zsock/simnet.h>

extern "C" int zephyr_posix_names_roundtrip(void);
extern "C" int zephyr_c_sec_tag_size(void);

TEST_CASE("zephyr headers: Zephyr's numbers for its own extensions, Linux's for the rest") {
    CHECK(SOL_TLS == 282);
    CHECK(TLS_SEC_TAG_LIST == 1);
    CHECK(TLS_HOSTNAME == 2);
    CHECK(TLS_PEER_VERIFY == 5);
    CHECK(TLS_NATIVE == 11);
    CHECK(IPPROTO_TLS_1_2 == 258);
    CHECK(IPPROTO_DTLS_1_2 == 273);
    CHECK(ZSOCK_AF_INET6 == AF_INET6);
    CHECK(ZSOCK_POLLIN == POLLIN);
    CHECK(sizeof(sec_tag_t) == sizeof(int));
    CHECK(zephyr_c_sec_tag_size() == sizeof(int));
    CHECK(TLS_SEC_TAG_NONE == -1);
}

TEST_CASE("zephyr headers: POSIX names from C reach zsock") {
    CHECK(zephyr_posix_names_roundtrip() == 0);
}

TEST_CASE("zephyr headers: net_addr_pton/ntop, k_uptime_get, k_msleep") {
    in_addr a{};
    CHECK(net_addr_pton(AF_INET, "192.0.2.7", &a) == 0);
    CHECK(net_addr_pton(AF_INET, "no", &a) == -EINVAL);
    char buf[INET_ADDRSTRLEN];
    CHECK(std::string(net_addr_ntop(AF_INET, &a, buf, sizeof buf)) == "192.0.2.7");
    int64_t t0 = k_uptime_get();
    k_msleep(20);
    k_sleep(K_MSEC(10));
    CHECK(k_uptime_get() - t0 >= 29);
}

TEST_CASE("zephyr headers: net_if from an offload driver's point of view") {
    zsock_socket_impl any{};
    zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, INT32_MIN, false, &any); // built-ins ready
    int idx = net_if_get_by_name("sim0");
    REQUIRE(idx >= 1);
    net_if *iface = net_if_get_by_index(idx);
    REQUIRE(iface != nullptr);
    CHECK(net_if_get_by_name("nosuch0") == -ENOENT);
    CHECK(zsock_net_if_socket_offload(reinterpret_cast<zsock_net_if *>(iface)) ==
          zsock_simnet_create);
    net_socket_create_t create = zsock_simnet_create;
    net_if_socket_offload_set(iface, create);
    CHECK(zsock_net_if_socket_offload(reinterpret_cast<zsock_net_if *>(iface)) == create);
}
