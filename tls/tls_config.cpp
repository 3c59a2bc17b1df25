// tls/tls_config.cpp - from SOL_TLS options and stored credentials to an mbedtls_ssl_config.
#include "tls/tls_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/x509_crt.h>

#include "tls/global.hpp"

namespace zsock::tls {
namespace {

// Parses one certificate credential (PEM, possibly several, or DER) into chain.
int parse_cert(mbedtls_x509_crt *chain, const cred_ref &blob, bool nocopy,
               std::vector<cred_ref> *pinned) {
    auto bytes = blob->bytes();
    int r;
    if (cred_is_pem(bytes)) {
        pem_input in(bytes);
        r = mbedtls_x509_crt_parse(chain, in.data(), in.size());
        // With several PEM certificates mbedTLS returns how many failed; any failure is EINVAL.
    } else if (nocopy && pinned) {
        r = mbedtls_x509_crt_parse_der_nocopy(chain, bytes.data(), bytes.size());
        if (r == 0) pinned->push_back(blob);
    } else {
        r = mbedtls_x509_crt_parse_der(chain, bytes.data(), bytes.size());
    }
    if (r == MBEDTLS_ERR_X509_ALLOC_FAILED) return -ENOMEM;
    return r == 0 ? 0 : -EINVAL;
}

int parse_key(mbedtls_pk_context *pk, const cred_ref &blob) {
    auto bytes = blob->bytes();
    int r;
    if (cred_is_pem(bytes)) {
        pem_input in(bytes);
        r = pk_parse_key(pk, in.data(), in.size());
    } else {
        r = pk_parse_key(pk, bytes.data(), bytes.size());
    }
    if (r == MBEDTLS_ERR_PK_ALLOC_FAILED) return -ENOMEM;
    return r == 0 ? 0 : -EINVAL;
}

// Everything one tag holds, loaded into conf (or, with conf == nullptr, only checked).
int load_tag(sec_tag_t tag, bool nocopy, tls_conf *conf) {
    if (!cred_tag_exists(tag)) return -ENOENT;
    cred_ref ca = cred_find(tag, TLS_CREDENTIAL_CA_CERTIFICATE);
    cred_ref cert = cred_find(tag, TLS_CREDENTIAL_PUBLIC_CERTIFICATE);
    cred_ref key = cred_find(tag, TLS_CREDENTIAL_PRIVATE_KEY);
    cred_ref psk = cred_find(tag, TLS_CREDENTIAL_PSK);
    cred_ref psk_id = cred_find(tag, TLS_CREDENTIAL_PSK_ID);
    if (!cert != !key || !psk != !psk_id) return -EINVAL;

    if (ca) {
        if (conf) {
            if (int r = parse_cert(&conf->ca, ca, nocopy, &conf->pinned); r < 0) return r;
            conf->has_ca = true;
        } else {
            mbedtls_x509_crt tmp;
            mbedtls_x509_crt_init(&tmp);
            int r = parse_cert(&tmp, ca, false, nullptr);
            mbedtls_x509_crt_free(&tmp);
            if (r < 0) return r;
        }
    }
    if (cert) {
        auto own = std::make_unique<tls_conf::own_cert>();
        if (int r = parse_cert(&own->crt, cert, nocopy && conf, conf ? &conf->pinned : nullptr);
            r < 0)
            return r;
        if (int r = parse_key(&own->key, key); r < 0) return r;
        if (conf) conf->own.push_back(std::move(own));
    }
    if (psk && conf) {
        tls_conf::psk p;
        p.identity.assign(psk_id->bytes().begin(), psk_id->bytes().end());
        p.key.assign(psk->bytes().begin(), psk->bytes().end());
        conf->psks.push_back(std::move(p));
    }
    return 0;
}

int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
    const auto *c = static_cast<const tls_conf *>(ctx);
    // Zephyr's rule: a client that never named the server cannot have its name checked, so the
    // check fails (set TLS_HOSTNAME to NULL to turn it off explicitly).
    if (depth == 0 && c->require_hostname) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    if (c->verify_cb.cb) return c->verify_cb.cb(c->verify_cb.ctx, crt, depth, flags);
    return 0;
}

// Server side: pick the PSK by the identity the client sent.
int psk_cb(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *id, size_t id_len) {
    const auto *c = static_cast<const tls_conf *>(ctx);
    for (const auto &p : c->psks) {
        if (p.identity.size() == id_len && std::equal(p.identity.begin(), p.identity.end(), id))
            return mbedtls_ssl_set_hs_psk(ssl, p.key.data(), p.key.size());
    }
    return -1; // unknown identity: mbedTLS sends the matching alert
}

int max_minor() noexcept {
    return MBEDTLS_SSL_MINOR_VERSION_3;
}

} // namespace

void tls_options::set_alpn(std::vector<std::string> list) {
    alpn = std::move(list);
    alpn_ptrs.clear();
    for (const auto &s : alpn)
        alpn_ptrs.push_back(s.c_str());
}

tls_conf::tls_conf() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
}

tls_conf::~tls_conf() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
}

tls_conf::own_cert::own_cert() {
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
}

tls_conf::own_cert::~own_cert() {
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&key);
}

tls_conf::psk::~psk() {
    if (!key.empty()) mbedtls_platform_zeroize(key.data(), key.size());
}

int validate_sec_tags(std::span<const sec_tag_t> tags) {
    try {
        for (sec_tag_t t : tags)
            if (int r = load_tag(t, false, nullptr); r < 0) return r;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    return 0;
}

int build_conf(const tls_options &opts, const conf_params &p,
               std::shared_ptr<const tls_conf> *out) {
    try {
        auto c = std::make_shared<tls_conf>();
        mbedtls_ssl_config *conf = &c->conf;
        if (mbedtls_ssl_config_defaults(conf, p.endpoint, p.transport, MBEDTLS_SSL_PRESET_DEFAULT))
            return -ENOMEM;
        mbedtls_ssl_conf_rng(conf, rng, rng_ctx());
        conf_min_minor(conf, p.min_minor);
        conf_max_minor(conf, max_minor());

        bool nocopy = opts.cert_nocopy == ZSOCK_TLS_CERT_NOCOPY_OPTIONAL;
        for (sec_tag_t t : opts.sec_tags)
            if (int r = load_tag(t, nocopy, c.get()); r < 0) return r;

        if (opts.peer_verify >= 0) mbedtls_ssl_conf_authmode(conf, opts.peer_verify);
        c->verify_cb = opts.verify_cb;
        c->require_hostname = p.endpoint == MBEDTLS_SSL_IS_CLIENT && !opts.hostname_set;
        mbedtls_ssl_conf_verify(conf, verify_cb, c.get());
        if (c->has_ca) mbedtls_ssl_conf_ca_chain(conf, &c->ca, nullptr);
        for (auto &o : c->own)
            if (mbedtls_ssl_conf_own_cert(conf, &o->crt, &o->key) != 0) return -ENOMEM;

        if (!c->psks.empty()) {
            if (p.endpoint == MBEDTLS_SSL_IS_CLIENT) {
                const auto &k = c->psks.front();
                if (mbedtls_ssl_conf_psk(conf, k.key.data(), k.key.size(), k.identity.data(),
                                         k.identity.size()) != 0)
                    return -EINVAL;
            } else {
                mbedtls_ssl_conf_psk_cb(conf, psk_cb, c.get());
            }
        }

        if (!opts.ciphersuites.empty()) {
            c->suites = opts.ciphersuites;
            c->suites.push_back(0);
            mbedtls_ssl_conf_ciphersuites(conf, c->suites.data());
        }
        if (!opts.alpn.empty()) {
            c->alpn = opts.alpn;
            for (const auto &s : c->alpn)
                c->alpn_ptrs.push_back(s.c_str());
            c->alpn_ptrs.push_back(nullptr);
            if (mbedtls_ssl_conf_alpn_protocols(conf, c->alpn_ptrs.data()) != 0) return -EINVAL;
        }

        bool cache = opts.session_cache == ZSOCK_TLS_SESSION_CACHE_ENABLED;
        if (p.endpoint == MBEDTLS_SSL_IS_SERVER) {
            if (cache)
                mbedtls_ssl_conf_session_cache(conf, nullptr, server_cache_get, server_cache_set);
        } else {
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
            // A ticket is only worth asking for when the session will be kept.
            mbedtls_ssl_conf_session_tickets(conf, cache ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                         : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif
        }

        if (p.transport == MBEDTLS_SSL_TRANSPORT_DATAGRAM) {
            mbedtls_ssl_conf_handshake_timeout(conf, opts.dtls_hs_min_ms, opts.dtls_hs_max_ms);
            if (p.endpoint == MBEDTLS_SSL_IS_SERVER) {
                void *cookies = cookie_ctx();
                if (!cookies) return -ENOMEM;
                mbedtls_ssl_conf_dtls_cookies(conf, mbedtls_ssl_cookie_write,
                                              mbedtls_ssl_cookie_check, cookies);
            }
        }
        *out = std::move(c);
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
}

} // namespace zsock::tls
