// net/registry.cpp - implementations ordered by priority, lowest number first.
//
// Registration is rare and creation is not a per-message path, so a shared mutex is plenty.
// Entries with equal priority keep their registration order.
#include "net/registry.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "net/native_socket.hpp"
#if ZSOCK_CONFIG_SIMNET
#include "net/simnet/simnet.hpp"
#endif

namespace zsock::net {
namespace {

struct entry {
    std::string name;
    zsock_socket_impl impl;
};

std::shared_mutex g_mutex;
std::vector<entry> &entries() {
    static std::vector<entry> v;
    return v;
}

thread_local const zsock_socket_impl *t_transport = nullptr;

bool matches(const zsock_socket_impl &impl, int family, int type, int proto) {
    if (impl.family != AF_UNSPEC && impl.family != family) return false;
    return impl.is_supported == nullptr || impl.is_supported(family, type, proto);
}

} // namespace

void ensure_builtin_impls() noexcept {
    static std::once_flag once;
    std::call_once(once, [] {
        register_native_impl();
#if ZSOCK_CONFIG_SIMNET
        simnet::register_iface();
#endif
    });
}

bool is_secure_proto(int proto) noexcept {
    return (proto >= ZSOCK_IPPROTO_TLS_1_0 && proto <= ZSOCK_IPPROTO_TLS_1_3) ||
           proto == ZSOCK_IPPROTO_DTLS_1_0 || proto == ZSOCK_IPPROTO_DTLS_1_2;
}

transport_override::transport_override(const zsock_socket_impl &impl) noexcept
    : prev_(t_transport), impl_(impl) {
    t_transport = &impl_;
}

transport_override::~transport_override() {
    t_transport = prev_;
}

int registry_create(int family, int type, int proto) noexcept {
    ensure_builtin_impls();
    zsock_socket_impl chosen{};
    if (int r = zsock_find_socket_impl(family, type, proto, INT32_MIN, false, &chosen); r < 0)
        return r;
    return zsock_socket_impl_create(&chosen, family, type, proto);
}

} // namespace zsock::net

using namespace zsock::net;

extern "C" {

int zsock_register_socket_impl(const struct zsock_socket_impl *impl) {
    if (!impl || !impl->name || !impl->create) return -EINVAL;
    try {
        std::unique_lock lock(g_mutex);
        auto &v = entries();
        for (const auto &e : v)
            if (e.name == impl->name) return -EEXIST;
        entry e{impl->name, *impl};
        auto pos = std::upper_bound(v.begin(), v.end(), impl->priority,
                                    [](int p, const entry &x) { return p < x.impl.priority; });
        pos = v.insert(pos, std::move(e));
        pos->impl.name = pos->name.c_str();
        // Inserting may have moved the strings of later entries (SSO): refresh every name.
        for (auto &x : v) x.impl.name = x.name.c_str();
    } catch (...) {
        return -ENOMEM;
    }
    return 0;
}

int zsock_unregister_socket_impl(const char *name) {
    if (!name) return -ENOENT;
    std::unique_lock lock(g_mutex);
    auto &v = entries();
    auto it = std::find_if(v.begin(), v.end(), [&](const entry &e) { return e.name == name; });
    if (it == v.end()) return -ENOENT;
    v.erase(it);
    for (auto &x : v) x.impl.name = x.name.c_str();
    return 0;
}

int zsock_socket_impl_create(const struct zsock_socket_impl *impl, int family, int type,
                             int proto) {
    if (!impl || !impl->create) return -EINVAL;
    // Zephyr's handlers fail with -1 and errno, zsock's with a negative errno; -1 is also -EPERM,
    // so errno decides. It is cleared first so that a stale value cannot pass for the handler's.
    const int saved = errno;
    errno = 0;
    int r = impl->create(family, type, proto);
    if (r == -1 && errno != 0) r = -errno;
    errno = saved;
    return r;
}

int zsock_find_socket_impl(int family, int type, int proto, int min_priority, bool native_only,
                           struct zsock_socket_impl *out) {
    ensure_builtin_impls();
    if (t_transport && !is_secure_proto(proto)) {
        if (out) *out = *t_transport;
        return 0;
    }
    std::shared_lock lock(g_mutex);
    for (const auto &e : entries()) {
        if (e.impl.priority < min_priority) continue;
        if (native_only && (e.impl.flags & ZSOCK_IMPL_OFFLOADED)) continue;
        if (!matches(e.impl, family, type, proto)) continue;
        if (out) *out = e.impl;
        return 0;
    }
    return -EAFNOSUPPORT;
}

} // extern "C"
