// tls/tls_options.cpp - setsockopt/getsockopt on TLS sockets (ZEPHYR_NOTES 3.3).
//
// SOL_TLS options are stored here and applied when a session starts. SOL_SOCKET's SO_RCVTIMEO and
// SO_SNDTIMEO are passed to the transport (so the kernel validates them, with its errnos) and also
// kept here, because TLS does its own waiting; SO_PROTOCOL answers the TLS protocol; SO_ERROR
// reports a latched TLS error first. Everything else goes to the transport.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/time.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "tls/global.hpp"
#include "tls/session_cache.hpp"
#include "tls/tls_socket.hpp"

namespace zsock::tls {
namespace {

constexpr size_t max_hostname = 255;
constexpr size_t max_alpn_name = 255;

int get_int(const void *val, socklen_t len, int *out) {
    if (!val || len != sizeof(int)) return -EINVAL;
    std::memcpy(out, val, sizeof(int));
    return 0;
}

int get_u32(const void *val, socklen_t len, uint32_t *out) {
    if (!val || len != sizeof(uint32_t)) return -EINVAL;
    std::memcpy(out, val, sizeof(uint32_t));
    return 0;
}

int put_exact(void *val, socklen_t *len, const void *src, size_t n) {
    if (*len != n) return -EINVAL;
    std::memcpy(val, src, n);
    return 0;
}

// Copies as many whole items as fit; *len becomes what was copied.
template <class T>
int put_list(void *val, socklen_t *len, const T *items, size_t count) {
    if (*len == 0 || *len % sizeof(T) != 0) return -EINVAL;
    size_t n = std::min<size_t>(count, *len / sizeof(T));
    if (n) std::memcpy(val, items, n * sizeof(T));
    *len = static_cast<socklen_t>(n * sizeof(T));
    return 0;
}

// The session whose results (suite, verify flags, ALPN) getsockopt reports.
const tls_session *result_session(const tls_socket &t) {
    if (t.sess) return t.sess.get();
    return t.current_peer;
}

int set_tls(tls_socket &t, int name, const void *val, socklen_t len) {
    tls_options &o = t.opts;
    int v = 0;
    switch (name) {
    case ZSOCK_TLS_SEC_TAG_LIST: {
        if (len % sizeof(sec_tag_t) != 0 || (len && !val)) return -EINVAL;
        size_t n = len / sizeof(sec_tag_t);
        if (n > ZSOCK_TLS_MAX_SEC_TAGS) return -EINVAL;
        std::vector<sec_tag_t> tags(n);
        if (n) std::memcpy(tags.data(), val, len);
        if (int r = validate_sec_tags(tags); r < 0) return r;
        o.sec_tags = std::move(tags);
        return 0;
    }
    case ZSOCK_TLS_HOSTNAME: {
        if (!val) { // NULL: no name check and no SNI
            o.hostname_set = true;
            o.hostname.clear();
            return 0;
        }
        const char *name_str = static_cast<const char *>(val);
        size_t n = len ? strnlen(name_str, len) : strnlen(name_str, max_hostname + 1);
        if (n == 0 || n > max_hostname) return -EINVAL;
        o.hostname.assign(name_str, n);
        o.hostname_set = true;
        return 0;
    }
    case ZSOCK_TLS_CIPHERSUITE_LIST: {
        if (len % sizeof(int) != 0 || (len && !val)) return -EINVAL;
        size_t n = len / sizeof(int);
        if (n > ZSOCK_TLS_MAX_CIPHERSUITES) return -EINVAL;
        std::vector<int> ids(n);
        if (n) std::memcpy(ids.data(), val, len);
        for (int id : ids)
            if (id == 0 || !mbedtls_ssl_ciphersuite_from_id(id)) return -EINVAL;
        o.ciphersuites = std::move(ids);
        return 0;
    }
    case ZSOCK_TLS_PEER_VERIFY:
        if (int r = get_int(val, len, &v); r < 0) return r;
        if (v < ZSOCK_TLS_PEER_VERIFY_NONE || v > ZSOCK_TLS_PEER_VERIFY_REQUIRED) return -EINVAL;
        o.peer_verify = v;
        return 0;
    case ZSOCK_TLS_DTLS_ROLE:
        if (int r = get_int(val, len, &v); r < 0) return r;
        if (v != ZSOCK_TLS_DTLS_ROLE_CLIENT && v != ZSOCK_TLS_DTLS_ROLE_SERVER) return -EINVAL;
        o.dtls_role = v;
        return 0;
    case ZSOCK_TLS_ALPN_LIST: {
        if (len % sizeof(const char *) != 0 || (len && !val)) return -EINVAL;
        size_t n = len / sizeof(const char *);
        std::vector<const char *> in(n);
        if (n) std::memcpy(in.data(), val, len);
        std::vector<std::string> list;
        for (const char *p : in) {
            if (!p) break; // a NULL-terminated array passed with its terminator
            size_t k = strnlen(p, max_alpn_name + 1);
            if (k == 0 || k > max_alpn_name) return -EINVAL;
            list.emplace_back(p, k);
        }
        if (list.size() > ZSOCK_TLS_MAX_ALPN) return -EINVAL;
        o.set_alpn(std::move(list));
        return 0;
    }
    case ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN:
    case ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX: {
        uint32_t ms;
        if (int r = get_u32(val, len, &ms); r < 0) return r;
        if (ms == 0) return -EINVAL;
        (name == ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN ? o.dtls_hs_min_ms : o.dtls_hs_max_ms) = ms;
        return 0;
    }
    case ZSOCK_TLS_CERT_NOCOPY:
        if (int r = get_int(val, len, &v); r < 0) return r;
        if (v != ZSOCK_TLS_CERT_NOCOPY_NONE && v != ZSOCK_TLS_CERT_NOCOPY_OPTIONAL) return -EINVAL;
        o.cert_nocopy = v;
        return 0;
    case ZSOCK_TLS_NATIVE:
        // Meant for the dispatcher (it picks zsock's TLS over an offloaded one); TLS keeps it.
        if (int r = get_int(val, len, &v); r < 0) return r;
        o.native = v != 0;
        return 0;
    case ZSOCK_TLS_SESSION_CACHE:
        if (int r = get_int(val, len, &v); r < 0) return r;
        if (v != ZSOCK_TLS_SESSION_CACHE_DISABLED && v != ZSOCK_TLS_SESSION_CACHE_ENABLED)
            return -EINVAL;
        o.session_cache = v;
        return 0;
    case ZSOCK_TLS_SESSION_CACHE_PURGE:
        client_cache_purge();
        server_cache_purge();
        return 0;
    case ZSOCK_TLS_DTLS_CID:
    case ZSOCK_TLS_DTLS_CID_VALUE:
        // MBEDTLS_SSL_DTLS_CONNECTION_ID is off in Debian's mbedTLS 2.28: no CID to offer.
        return -ENOPROTOOPT;
    case ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT:
        if (int r = get_int(val, len, &v); r < 0) return r;
        o.dtls_hs_on_connect = v != 0;
        return 0;
    case ZSOCK_TLS_CERT_VERIFY_CALLBACK: {
        if (!val || len != sizeof(tls_cert_verify_cb)) return -EINVAL;
        tls_cert_verify_cb cb;
        std::memcpy(&cb, val, sizeof cb);
        if (!cb.cb) return -EINVAL;
        o.verify_cb = cb;
        return 0;
    }
    case ZSOCK_TLS_HANDSHAKE_TIMEOUT:
    case ZSOCK_TLS_DTLS_SESSION_TIMEOUT: {
        uint32_t ms;
        if (int r = get_u32(val, len, &ms); r < 0) return r;
        (name == ZSOCK_TLS_HANDSHAKE_TIMEOUT ? o.handshake_timeout_ms : o.dtls_session_timeout_ms) =
            ms;
        return 0;
    }
    default:
        return -ENOPROTOOPT; // unknown, or read-only
    }
}

int get_tls(tls_socket &t, int name, void *val, socklen_t *len) {
    const tls_options &o = t.opts;
    const tls_session *s = result_session(t);
    switch (name) {
    case ZSOCK_TLS_SEC_TAG_LIST:
        return put_list(val, len, o.sec_tags.data(), o.sec_tags.size());
    case ZSOCK_TLS_CIPHERSUITE_LIST: {
        if (!o.ciphersuites.empty())
            return put_list(val, len, o.ciphersuites.data(), o.ciphersuites.size());
        const int *all = mbedtls_ssl_list_ciphersuites();
        size_t n = 0;
        while (all[n])
            ++n;
        return put_list(val, len, all, n);
    }
    case ZSOCK_TLS_CIPHERSUITE_USED: {
        if (*len != sizeof(int)) return -EINVAL;
        if (!s || !s->hs_done_once) return -ENOTCONN;
        int id = ciphersuite_id_used(&s->ssl);
        return put_exact(val, len, &id, sizeof id);
    }
    case ZSOCK_TLS_ALPN_LIST:
        return put_list(val, len, o.alpn_ptrs.data(), o.alpn_ptrs.size());
    case ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN:
        return put_exact(val, len, &o.dtls_hs_min_ms, sizeof(uint32_t));
    case ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX:
        return put_exact(val, len, &o.dtls_hs_max_ms, sizeof(uint32_t));
    case ZSOCK_TLS_SESSION_CACHE:
        return put_exact(val, len, &o.session_cache, sizeof(int));
    case ZSOCK_TLS_DTLS_CID:
    case ZSOCK_TLS_DTLS_CID_STATUS:
    case ZSOCK_TLS_DTLS_CID_VALUE:
    case ZSOCK_TLS_DTLS_PEER_CID_VALUE:
        return -ENOPROTOOPT; // see set_tls
    case ZSOCK_TLS_CERT_VERIFY_RESULT: {
        if (*len != sizeof(uint32_t)) return -EINVAL;
        if (!s || !s->hs_attempted) return -ENOTCONN;
        return put_exact(val, len, &s->verify_result, sizeof(uint32_t));
    }
    case ZSOCK_TLS_ALPN_USED: {
        if (!s || !s->hs_done_once) return -ENOTCONN;
        const char *p = mbedtls_ssl_get_alpn_protocol(&s->ssl);
        if (!p) {
            *len = 0;
            return 0;
        }
        size_t n = std::strlen(p) + 1;
        if (*len < n) return -EINVAL;
        std::memcpy(val, p, n);
        *len = static_cast<socklen_t>(n);
        return 0;
    }
    case ZSOCK_TLS_SESSION_REUSED: {
        if (*len != sizeof(int)) return -EINVAL;
        if (!s || !s->hs_done_once) return -ENOTCONN;
        int v = s->resumed ? 1 : 0;
        return put_exact(val, len, &v, sizeof v);
    }
    case ZSOCK_TLS_HANDSHAKE_TIMEOUT:
        return put_exact(val, len, &o.handshake_timeout_ms, sizeof(uint32_t));
    case ZSOCK_TLS_DTLS_SESSION_TIMEOUT:
        return put_exact(val, len, &o.dtls_session_timeout_ms, sizeof(uint32_t));
    default:
        return -ENOPROTOOPT; // unknown, or write-only
    }
}

std::optional<std::chrono::milliseconds> timeout_of(const timeval &tv) {
    if (tv.tv_sec == 0 && tv.tv_usec == 0) return std::nullopt; // {0,0}: wait forever
    return std::chrono::milliseconds(static_cast<int64_t>(tv.tv_sec) * 1000 +
                                     (tv.tv_usec + 999) / 1000);
}

} // namespace

int tls_setsockopt(void *obj, int level, int name, const void *val, socklen_t len) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (level == ZSOCK_SOL_TLS) {
        try {
            std::lock_guard lock(t.mu);
            int r = set_tls(t, name, val, len);
            if (r == 0) t.listen_conf.reset(); // the next accept() builds a fresh configuration
            return r;
        } catch (const std::bad_alloc &) {
            return -ENOMEM;
        }
    }
    if (!t.ivt->setsockopt) return -ENOPROTOOPT;
    int r = t.ivt->setsockopt(t.inner, level, name, val, len);
    if (r == 0 && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        // Read back what the transport stored: the kernel rounds and normalises the value.
        timeval tv{};
        socklen_t tl = sizeof tv;
        if (t.ivt->getsockopt && t.ivt->getsockopt(t.inner, level, name, &tv, &tl) == 0) {
            std::lock_guard lock(t.mu);
            (name == SO_RCVTIMEO ? t.rcvtimeo : t.sndtimeo) = timeout_of(tv);
        }
    }
    return r;
}

int tls_getsockopt(void *obj, int level, int name, void *val, socklen_t *len) {
    auto &t = *static_cast<tls_socket *>(obj);
    if (level == ZSOCK_SOL_TLS) {
        if (!val || !len) return -EINVAL;
        std::lock_guard lock(t.mu);
        return get_tls(t, name, val, len);
    }
    if (level == SOL_SOCKET && (name == SO_PROTOCOL || name == SO_ERROR)) {
        if (!val || !len) return -EFAULT;
        int v;
        {
            std::lock_guard lock(t.mu);
            v = name == SO_PROTOCOL ? t.proto : t.error;
        }
        if (name == SO_ERROR && v == 0 && t.ivt->getsockopt)
            return t.ivt->getsockopt(t.inner, level, name, val, len);
        socklen_t n = std::min<socklen_t>(*len, sizeof(int)); // as the kernel does
        std::memcpy(val, &v, n);
        *len = n;
        return 0;
    }
    if (!t.ivt->getsockopt) return -ENOPROTOOPT;
    return t.ivt->getsockopt(t.inner, level, name, val, len);
}

} // namespace zsock::tls
