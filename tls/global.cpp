// tls/global.cpp - the random generator, the cookie key and the server session cache.
//
// All three are created on first use (never from a static constructor, whose order relative to
// the TLS registration is unspecified) and live until exit.
#include "tls/global.hpp"

#include <memory>
#include <mutex>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_cookie.h>

#include "core/log.hpp"
#include "tls/mbedtls_compat.hpp"

namespace zsock::tls {
namespace {

struct drbg_state {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool ok = false;
    drbg_state() {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        static const unsigned char personal[] = "zsock-tls";
        int r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, personal,
                                      sizeof personal - 1);
        ok = r == 0;
        if (!ok) core::log_warn("tls: seeding the random generator failed (-0x{:x})", -r);
    }
    // Never destroyed: sockets may still be closing (and drawing random bytes) during exit.
};

drbg_state &drbg() {
    static drbg_state *s = new drbg_state;
    return *s;
}

struct cookie_state {
    mbedtls_ssl_cookie_ctx ctx;
    bool ok = false;
    cookie_state() {
        mbedtls_ssl_cookie_init(&ctx);
        ok = mbedtls_ssl_cookie_setup(&ctx, rng, rng_ctx()) == 0;
    }
};

// The server cache: an mbedTLS cache behind our own mutex, so that a purge can replace it.
struct server_cache {
    std::mutex mu;
    std::unique_ptr<mbedtls_ssl_cache_context> cache;
    server_cache() { reset(); }
    void reset() {
        if (cache) mbedtls_ssl_cache_free(cache.get());
        cache = std::make_unique<mbedtls_ssl_cache_context>();
        mbedtls_ssl_cache_init(cache.get());
    }
};

server_cache &scache() {
    static server_cache *c = new server_cache;
    return *c;
}

} // namespace

int rng(void *, unsigned char *out, size_t len) {
    drbg_state &s = drbg();
    if (!s.ok) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    return mbedtls_ctr_drbg_random(&s.drbg, out, len);
}

void *rng_ctx() {
    return &drbg().drbg;
}

void *cookie_ctx() {
    static cookie_state *c = new cookie_state;
    return c->ok ? &c->ctx : nullptr;
}

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
int server_cache_get(void *, const unsigned char *id, std::size_t id_len,
                     mbedtls_ssl_session *session) {
    server_cache &c = scache();
    std::lock_guard lock(c.mu);
    return mbedtls_ssl_cache_get(c.cache.get(), id, id_len, session);
}

int server_cache_set(void *, const unsigned char *id, std::size_t id_len,
                     const mbedtls_ssl_session *session) {
    server_cache &c = scache();
    std::lock_guard lock(c.mu);
    return mbedtls_ssl_cache_set(c.cache.get(), id, id_len, session);
}
#else
int server_cache_get(void *, mbedtls_ssl_session *session) {
    server_cache &c = scache();
    std::lock_guard lock(c.mu);
    return mbedtls_ssl_cache_get(c.cache.get(), session);
}

int server_cache_set(void *, const mbedtls_ssl_session *session) {
    server_cache &c = scache();
    std::lock_guard lock(c.mu);
    return mbedtls_ssl_cache_set(c.cache.get(), session);
}
#endif

void server_cache_purge() {
    server_cache &c = scache();
    std::lock_guard lock(c.mu);
    c.reset();
}

} // namespace zsock::tls
