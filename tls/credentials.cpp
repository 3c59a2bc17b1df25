// tls/credentials.cpp - the credential store: owned copies behind a mutex.
//
// Zephyr's volatile backend stores the caller's pointer; zsock stores a copy, which correct
// callers cannot tell apart and which makes a freed or reused buffer harmless. Key material is
// zeroized on delete; every blob is zeroized when its memory is released.
#include "tls/credentials.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <utility>

#include <mbedtls/platform_util.h>

namespace zsock::tls {
namespace {

struct store {
    std::mutex mu;
    std::map<std::pair<sec_tag_t, int>, std::shared_ptr<cred_blob>> items;
    size_t capacity = ZSOCK_TLS_DEFAULT_MAX_CREDENTIALS;
};

store &the_store() {
    static store s; // constructed on first use: safe from other constructors
    return s;
}

bool valid_type(int type) noexcept {
    return type >= TLS_CREDENTIAL_CA_CERTIFICATE && type <= TLS_CREDENTIAL_PSK_ID;
}

bool is_key_material(int type) noexcept {
    return type == TLS_CREDENTIAL_PRIVATE_KEY || type == TLS_CREDENTIAL_PSK;
}

} // namespace

cred_blob::~cred_blob() {
    zeroize();
}

void cred_blob::zeroize() noexcept {
    if (!data_.empty()) mbedtls_platform_zeroize(data_.data(), data_.size());
}

cred_ref cred_find(sec_tag_t tag, tls_credential_type type) {
    store &s = the_store();
    std::lock_guard lock(s.mu);
    auto it = s.items.find({tag, type});
    if (it == s.items.end()) return nullptr;
    if (is_key_material(type)) return std::make_shared<const cred_blob>(it->second->bytes());
    return it->second;
}

cred_ref cred_find_stored(sec_tag_t tag, tls_credential_type type) {
    store &s = the_store();
    std::lock_guard lock(s.mu);
    auto it = s.items.find({tag, type});
    return it == s.items.end() ? nullptr : it->second;
}

bool cred_tag_exists(sec_tag_t tag) {
    store &s = the_store();
    std::lock_guard lock(s.mu);
    auto it = s.items.lower_bound({tag, 0});
    return it != s.items.end() && it->first.first == tag;
}

bool cred_is_pem(std::span<const unsigned char> bytes) noexcept {
    static constexpr char marker[] = "-----BEGIN";
    constexpr size_t n = sizeof marker - 1;
    return std::search(bytes.begin(), bytes.end(), marker, marker + n) != bytes.end();
}

pem_input::pem_input(std::span<const unsigned char> bytes) {
    if (!bytes.empty() && bytes.back() == 0) {
        view_ = bytes;
        return;
    }
    copy_.reserve(bytes.size() + 1);
    copy_.assign(bytes.begin(), bytes.end());
    copy_.push_back(0);
    view_ = copy_;
}

pem_input::~pem_input() {
    if (!copy_.empty()) mbedtls_platform_zeroize(copy_.data(), copy_.size());
}

} // namespace zsock::tls

using namespace zsock::tls;

extern "C" {

int zsock_tls_credential_add(sec_tag_t tag, enum tls_credential_type type, const void *cred,
                             size_t credlen) {
    if (tag < 0 || !valid_type(type) || !cred || credlen == 0) return -EINVAL;
    store &s = the_store();
    try {
        auto blob = std::make_shared<cred_blob>(
            std::span<const unsigned char>(static_cast<const unsigned char *>(cred), credlen));
        std::lock_guard lock(s.mu);
        if (s.items.count({tag, type})) return -EEXIST;
        if (s.items.size() >= s.capacity) return -ENOMEM;
        s.items.emplace(std::make_pair(tag, static_cast<int>(type)), std::move(blob));
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    return 0;
}

int zsock_tls_credential_get(sec_tag_t tag, enum tls_credential_type type, void *cred,
                             size_t *credlen) {
    if (!credlen) return -EINVAL;
    store &s = the_store();
    std::lock_guard lock(s.mu);
    auto it = s.items.find({tag, type});
    if (it == s.items.end()) return -ENOENT;
    auto bytes = it->second->bytes();
    if (!cred || *credlen < bytes.size()) {
        *credlen = bytes.size();
        return -EFBIG;
    }
    std::memcpy(cred, bytes.data(), bytes.size());
    *credlen = bytes.size();
    return 0;
}

int zsock_tls_credential_delete(sec_tag_t tag, enum tls_credential_type type) {
    store &s = the_store();
    std::shared_ptr<cred_blob> victim;
    {
        std::lock_guard lock(s.mu);
        auto it = s.items.find({tag, type});
        if (it == s.items.end()) return -ENOENT;
        victim = std::move(it->second);
        s.items.erase(it);
        // Key material never leaves the store by reference (cred_find copies it), so nobody
        // else can be reading these bytes: wipe them now, not when the last reference goes.
        if (is_key_material(type)) victim->zeroize();
    }
    return 0;
}

int zsock_tls_credential_set_capacity(size_t max) {
    if (max == 0) return -EINVAL;
    store &s = the_store();
    std::lock_guard lock(s.mu);
    if (s.items.size() > max) return -EBUSY;
    s.capacity = max;
    return 0;
}

size_t zsock_tls_credential_capacity(void) {
    store &s = the_store();
    std::lock_guard lock(s.mu);
    return s.capacity;
}

} // extern "C"
