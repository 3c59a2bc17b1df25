// The offload API: registry priorities, NET_SOCKET_OFFLOAD_REGISTER from C, the interface table.
#include "net/stack_fixture.hpp"

#include <string>
#include <utility>

#include <zsock/offload.h>

using namespace stack_test;

extern "C" int c_offload_created(void);
extern "C" int c_net_if_steps(void);

namespace {

// Zephyr's macro from C++ (offload_api_c.c does the same from C): a load-time registration with
// named functions, for a protocol number nobody else uses (252), making sim0 sockets.
constexpr int cpp_test_proto = 252;
int cpp_created = 0;

bool cpp_is_supported(int family, int type, int proto) {
    return family == AF_INET && (type & 0xf) == SOCK_STREAM && proto == cpp_test_proto;
}

int cpp_create(int family, int type, int) {
    ++cpp_created;
    return zsock_simnet_create(family, type, 0);
}

NET_SOCKET_OFFLOAD_REGISTER(cpp_offload, 31, AF_INET, cpp_is_supported, cpp_create)

} // namespace

TEST_CASE("registry: the default priorities, and the ones the built-in stacks register at") {
    // Zephyr's order: dispatcher 0, offloaded stacks 40, TLS 45, native 50.
    CHECK(ZSOCK_PRIORITY_DISPATCHER == 0);
    CHECK(ZSOCK_PRIORITY_OFFLOAD_DEFAULT == 40);
    CHECK(ZSOCK_PRIORITY_TLS_DEFAULT == 45);
    CHECK(ZSOCK_PRIORITY_NATIVE == 50);
    // The two configurable ones are what this build's CMake cache says (tests/net/CMakeLists.txt
    // passes the cache values), and with an untouched cache they are the defaults.
    CHECK(ZSOCK_PRIORITY_OFFLOAD == ZSOCK_TEST_CACHE_OFFLOAD_PRIORITY);
    CHECK(ZSOCK_PRIORITY_TLS == ZSOCK_TEST_CACHE_TLS_PRIORITY);
    if (ZSOCK_TEST_CACHE_OFFLOAD_PRIORITY_IS_DEFAULT) CHECK(ZSOCK_PRIORITY_OFFLOAD == 40);
    if (ZSOCK_TEST_CACHE_TLS_PRIORITY_IS_DEFAULT) CHECK(ZSOCK_PRIORITY_TLS == 45);

    // What the registry really holds: native sockets at 50 ...
    zsock_socket_impl found{};
    for (int family : {AF_INET, AF_INET6, AF_UNIX}) {
        INFO("family " << family);
        REQUIRE(zsock_find_socket_impl(family, SOCK_STREAM, 0, INT32_MIN, true, &found) == 0);
        CHECK(std::string(found.name) == "native");
        CHECK(found.priority == ZSOCK_PRIORITY_NATIVE);
        CHECK(found.flags == 0u);
    }
#if __has_include(<zsock/tls_credentials.h>)
    // ... zsock's TLS and DTLS at the TLS priority, ahead of native ...
    for (auto [type, proto] : {std::pair{SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2},
                               std::pair{SOCK_DGRAM, ZSOCK_IPPROTO_DTLS_1_2}}) {
        INFO("proto " << proto);
        REQUIRE(zsock_find_socket_impl(AF_INET, type, proto, INT32_MIN, false, &found) == 0);
        CHECK(std::string(found.name) == "tls");
        CHECK(found.priority == ZSOCK_PRIORITY_TLS);
        CHECK(found.flags == 0u);
    }
    // (and nothing else takes TLS: above the TLS entry, no implementation accepts it).
    CHECK(zsock_find_socket_impl(AF_INET, SOCK_STREAM, ZSOCK_IPPROTO_TLS_1_2,
                                 ZSOCK_PRIORITY_TLS + 1, false, &found) == -EAFNOSUPPORT);
#endif
#if ZSOCK_TEST_WITH_DISPATCHER
    // ... and the dispatcher, once enabled, at 0, ahead of everything.
    REQUIRE(zsock_dispatcher_enable() == 0);
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, INT32_MIN, false, &found) == 0);
    CHECK(std::string(found.name) == "dispatcher");
    CHECK(found.priority == ZSOCK_PRIORITY_DISPATCHER);
    REQUIRE(zsock_dispatcher_disable() == 0);
#endif
    // Offloaded stacks register at the offload priority (sim0 here, with its flag).
    REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_DGRAM, 0, INT32_MIN, false, &found) == 0);
    CHECK(std::string(found.name) == "simnet");
    CHECK(found.priority == ZSOCK_PRIORITY_OFFLOAD);
    CHECK(found.flags == ZSOCK_IMPL_OFFLOADED);
    REQUIRE(zsock_simnet_unregister() == 0);
}

TEST_CASE("registry: an offloaded stack at priority 40 takes the sockets it supports") {
    fd_guard before(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK_FALSE(zsock_simnet_owns(before));

    REQUIRE(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == 0);
    CHECK(zsock_simnet_register(ZSOCK_PRIORITY_OFFLOAD) == -EEXIST);
    zsock_socket_impl found{};
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, INT32_MIN, false, &found) == 0);
    CHECK(std::string(found.name) == "simnet");
    CHECK(found.flags == ZSOCK_IMPL_OFFLOADED);
    // native_only skips it; a higher min_priority too.
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, INT32_MIN, true, &found) == 0);
    CHECK(std::string(found.name) == "native");
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, 0, 41, false, &found) == 0);
    CHECK(std::string(found.name) == "native");

    fd_guard tcp(zsock_socket(AF_INET, SOCK_STREAM, 0));
    fd_guard udp(zsock_socket(AF_INET6, SOCK_DGRAM, 0));
    fd_guard unix_sock(zsock_socket(AF_UNIX, SOCK_STREAM, 0)); // sim0 declines: native
    CHECK(zsock_simnet_owns(tcp));
    CHECK(zsock_simnet_owns(udp));
    CHECK(unix_sock >= 0);
    CHECK_FALSE(zsock_simnet_owns(unix_sock));

    // A whole conversation through plain zsock_socket() calls now runs on sim0.
    listening l = listen4(native_stack); // native_stack.make is zsock_socket: sim0 now
    CHECK(zsock_simnet_owns(l.fd));
    fd_guard c(zsock_socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(zsock_connect(c, sa(&l.addr), sizeof l.addr) == 0);
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(srv >= 0);
    CHECK(zsock_simnet_owns(srv));

    REQUIRE(zsock_simnet_unregister() == 0);
    CHECK(zsock_simnet_unregister() == -ENOENT);
    fd_guard after(zsock_socket(AF_INET, SOCK_STREAM, 0));
    CHECK_FALSE(zsock_simnet_owns(after));
    // Sockets made while it was registered keep working.
    REQUIRE(zsock_send(c, "still", 5, 0) == 5);
    char buf[5];
    CHECK(zsock_recv(srv, buf, 5, MSG_WAITALL) == 5);
}

TEST_CASE("registry: the lowest priority number wins; a failing create is final") {
    static int calls_a = 0, calls_b = 0;
    auto sup = [](int f, int t, int p) {
        return f == AF_INET && (t & 0xf) == SOCK_DGRAM && p == 254;
    };
    zsock_socket_impl a{"test_a",
                        35,
                        AF_INET,
                        sup,
                        [](int f, int t, int) {
                            ++calls_a;
                            return zsock_simnet_create(f, t, 0);
                        },
                        ZSOCK_IMPL_OFFLOADED};
    zsock_socket_impl b{"test_b",
                        20,
                        AF_INET,
                        sup,
                        [](int, int, int) {
                            ++calls_b;
                            return -ENOBUFS;
                        },
                        ZSOCK_IMPL_OFFLOADED};
    REQUIRE(zsock_register_socket_impl(&a) == 0);
    REQUIRE(zsock_register_socket_impl(&b) == 0);
    CHECK(zsock_socket(AF_INET, SOCK_DGRAM, 254) == -1);
    CHECK(errno == ENOBUFS);
    CHECK(calls_b == 1);
    CHECK(calls_a == 0);
    REQUIRE(zsock_unregister_socket_impl("test_b") == 0);
    fd_guard fd(zsock_socket(AF_INET, SOCK_DGRAM, 254));
    CHECK(fd >= 0);
    CHECK(calls_a == 1);
    CHECK(zsock_simnet_owns(fd));
    REQUIRE(zsock_unregister_socket_impl("test_a") == 0);
    CHECK(zsock_register_socket_impl(nullptr) == -EINVAL);
}

TEST_CASE("registry: NET_SOCKET_OFFLOAD_REGISTER works from C") {
    int before = c_offload_created();
    fd_guard fd(zsock_socket(AF_INET, SOCK_DGRAM, 253));
    REQUIRE(fd >= 0);
    CHECK(c_offload_created() == before + 1);
    CHECK(zsock_simnet_owns(fd));
    zsock_socket_impl found{};
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_DGRAM, 253, INT32_MIN, false, &found) == 0);
    CHECK(std::string(found.name) == "c_offload");
    CHECK(found.priority == 30);
}

TEST_CASE("registry: NET_SOCKET_OFFLOAD_REGISTER works from C++") {
    zsock_socket_impl found{};
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_STREAM, cpp_test_proto, INT32_MIN, false,
                                   &found) == 0);
    CHECK(std::string(found.name) == "cpp_offload");
    CHECK(found.priority == 31);
    CHECK(found.family == AF_INET);
    CHECK(found.flags == ZSOCK_IMPL_OFFLOADED);
    // It declines what it does not support: those go on down the list.
    REQUIRE(zsock_find_socket_impl(AF_INET, SOCK_DGRAM, cpp_test_proto, INT32_MIN, false, &found) ==
            0);
    CHECK(std::string(found.name) != "cpp_offload");

    const int before = cpp_created;
    fd_guard fd(zsock_socket(AF_INET, SOCK_STREAM, cpp_test_proto));
    REQUIRE(fd >= 0);
    CHECK(cpp_created == before + 1);
    CHECK(zsock_simnet_owns(fd));
    // The socket is a working sim0 stream.
    listening l = listen4(sim_stack);
    REQUIRE(zsock_connect(fd, sa(&l.addr), sizeof l.addr) == 0);
    fd_guard srv(zsock_accept(l.fd, nullptr, nullptr));
    REQUIRE(srv >= 0);
    REQUIRE(zsock_send(fd, "c++", 3, 0) == 3);
    char buf[3];
    CHECK(zsock_recv(srv, buf, 3, MSG_WAITALL) == 3);
    CHECK(std::memcmp(buf, "c++", 3) == 0);
}

TEST_CASE("interfaces: sim0 is there; names are checked; the table is shared with C") {
    // sim0 appears once zsock has initialised its built-in implementations.
    fd_guard any(zsock_socket(AF_INET, SOCK_DGRAM, 0));
    zsock_net_if *sim = zsock_net_if_get_by_name(ZSOCK_SIMNET_IFNAME);
    REQUIRE(sim != nullptr);
    CHECK(zsock_net_if_socket_offload(sim) == zsock_simnet_create);
    CHECK(zsock_net_if_get_index(sim) >= 1);

    CHECK(c_net_if_steps() == 0);
    CHECK(zsock_net_if_add("ctest0") == zsock_net_if_get_by_name("ctest0")); // finds, no dup
    errno = 0;
    CHECK(zsock_net_if_add("") == nullptr);
    CHECK(errno == EINVAL);
    CHECK(zsock_net_if_add("sixteen-chars-xx") == nullptr); // needs 17 bytes with its NUL
    CHECK(zsock_net_if_add(nullptr) == nullptr);
    CHECK(zsock_net_if_get_by_index(0) == nullptr);
    CHECK(zsock_net_if_get_by_index(ZSOCK_NET_IF_MAX + 1) == nullptr);

    // Fill the table: the next new name is refused with ENOMEM.
    int added = 0;
    for (int i = 0; i < ZSOCK_NET_IF_MAX + 2; ++i) {
        std::string name = "fill" + std::to_string(i);
        errno = 0;
        if (zsock_net_if_add(name.c_str()))
            ++added;
        else
            CHECK(errno == ENOMEM);
    }
    CHECK(added < ZSOCK_NET_IF_MAX);
    CHECK(zsock_net_if_get_by_name(ZSOCK_SIMNET_IFNAME) == sim); // handles stay valid
}
