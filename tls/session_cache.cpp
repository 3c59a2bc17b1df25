// tls/session_cache.cpp - the client session cache: a small LRU list keyed by peer address.
#include "tls/session_cache.hpp"

#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include <netinet/in.h>

namespace zsock::tls {
namespace {

// The key is family + port + address bytes: the parts of a sockaddr that name a peer.
std::string peer_key(const sockaddr_storage &peer, socklen_t len) {
    std::string k;
    if (peer.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
        const auto &a = reinterpret_cast<const sockaddr_in &>(peer);
        k.append(reinterpret_cast<const char *>(&a.sin_family), sizeof a.sin_family);
        k.append(reinterpret_cast<const char *>(&a.sin_port), sizeof a.sin_port);
        k.append(reinterpret_cast<const char *>(&a.sin_addr), sizeof a.sin_addr);
    } else if (peer.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        const auto &a = reinterpret_cast<const sockaddr_in6 &>(peer);
        k.append(reinterpret_cast<const char *>(&a.sin6_family), sizeof a.sin6_family);
        k.append(reinterpret_cast<const char *>(&a.sin6_port), sizeof a.sin6_port);
        k.append(reinterpret_cast<const char *>(&a.sin6_addr), sizeof a.sin6_addr);
    }
    return k;
}

struct entry {
    std::string key;
    mbedtls_ssl_session session;
    entry() { mbedtls_ssl_session_init(&session); }
    ~entry() { mbedtls_ssl_session_free(&session); }
    entry(const entry &) = delete;
    entry &operator=(const entry &) = delete;
};

struct cache {
    std::mutex mu;
    std::list<std::unique_ptr<entry>> lru; // most recently used first
};

cache &the_cache() {
    static cache *c = new cache; // never destroyed: sockets may close during exit
    return *c;
}

} // namespace

void client_cache_save(const sockaddr_storage &peer, socklen_t len,
                       const mbedtls_ssl_context *ssl) {
    std::string key = peer_key(peer, len);
    if (key.empty()) return;
    auto e = std::make_unique<entry>();
    e->key = key;
    if (mbedtls_ssl_get_session(ssl, &e->session) != 0) return;
    cache &c = the_cache();
    std::lock_guard lock(c.mu);
    c.lru.remove_if([&](const auto &x) { return x->key == key; });
    c.lru.push_front(std::move(e));
    while (c.lru.size() > client_session_capacity)
        c.lru.pop_back();
}

bool client_cache_load(const sockaddr_storage &peer, socklen_t len, mbedtls_ssl_context *ssl) {
    std::string key = peer_key(peer, len);
    if (key.empty()) return false;
    cache &c = the_cache();
    std::lock_guard lock(c.mu);
    for (auto it = c.lru.begin(); it != c.lru.end(); ++it) {
        if ((*it)->key != key) continue;
        c.lru.splice(c.lru.begin(), c.lru, it);
        return mbedtls_ssl_set_session(ssl, &c.lru.front()->session) == 0;
    }
    return false;
}

void client_cache_purge() {
    cache &c = the_cache();
    std::lock_guard lock(c.mu);
    c.lru.clear();
}

} // namespace zsock::tls
