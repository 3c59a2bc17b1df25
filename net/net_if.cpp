// net/net_if.cpp - the interface table: name -> offload socket creator.
//
// A fixed array that only grows: entries are never removed, so a handle stays valid and a lookup
// needs no lock (it reads `count` with acquire and the entries below it). Adding takes a mutex.
#include "net/net_if.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

struct zsock_net_if {
    char name[ZSOCK_IFNAMSIZ];
    std::atomic<zsock_create_fn> create{nullptr};
    std::atomic<zsock_is_supported_fn> filter{nullptr};
};

namespace zsock::net {
namespace {

zsock_net_if g_ifaces[ZSOCK_NET_IF_MAX];
std::atomic<int> g_count{0};
std::mutex g_add_mutex;

bool valid_name(const char *name) {
    return name && name[0] != '\0' && strnlen(name, ZSOCK_IFNAMSIZ) < ZSOCK_IFNAMSIZ;
}

zsock_net_if *find(const char *name) {
    int n = g_count.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i)
        if (std::strncmp(g_ifaces[i].name, name, ZSOCK_IFNAMSIZ) == 0) return &g_ifaces[i];
    return nullptr;
}

} // namespace

bool net_if_lookup(const char *name, net_if_info *out) noexcept {
    if (!valid_name(name)) return false;
    zsock_net_if *i = find(name);
    if (!i) return false;
    if (out) {
        out->name = i->name;
        out->create = i->create.load(std::memory_order_acquire);
        out->filter = i->filter.load(std::memory_order_acquire);
    }
    return true;
}

} // namespace zsock::net

using namespace zsock::net;

extern "C" {

zsock_net_if *zsock_net_if_add(const char *name) {
    if (!valid_name(name)) {
        errno = EINVAL;
        return nullptr;
    }
    std::lock_guard lock(g_add_mutex);
    if (zsock_net_if *i = find(name)) return i;
    int n = g_count.load(std::memory_order_relaxed);
    if (n == ZSOCK_NET_IF_MAX) {
        errno = ENOMEM;
        return nullptr;
    }
    std::strncpy(g_ifaces[n].name, name, ZSOCK_IFNAMSIZ - 1);
    g_count.store(n + 1, std::memory_order_release);
    return &g_ifaces[n];
}

zsock_net_if *zsock_net_if_get_by_name(const char *name) {
    zsock_net_if *i = valid_name(name) ? find(name) : nullptr;
    if (!i) errno = ENODEV;
    return i;
}

zsock_net_if *zsock_net_if_get_by_index(int index) {
    if (index < 1 || index > g_count.load(std::memory_order_acquire)) return nullptr;
    return &g_ifaces[index - 1];
}

int zsock_net_if_get_index(const zsock_net_if *iface) {
    return iface ? static_cast<int>(iface - g_ifaces) + 1 : -EINVAL;
}

const char *zsock_net_if_name(const zsock_net_if *iface) {
    return iface ? iface->name : nullptr;
}

void zsock_net_if_socket_offload_set(zsock_net_if *iface, zsock_create_fn create) {
    if (!iface) return;
    iface->filter.store(nullptr, std::memory_order_release);
    iface->create.store(create, std::memory_order_release);
}

void zsock_net_if_socket_offload_set_filter(zsock_net_if *iface, zsock_is_supported_fn fn) {
    if (iface) iface->filter.store(fn, std::memory_order_release);
}

zsock_create_fn zsock_net_if_socket_offload(const zsock_net_if *iface) {
    return iface ? iface->create.load(std::memory_order_acquire) : nullptr;
}

} // extern "C"
