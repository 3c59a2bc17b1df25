// tls/mbedtls_compat.hpp - the few places where mbedTLS 2.28 and 3.x differ, in one header.
//
// zsock builds against Debian's 2.28. The 3.x spellings are here so that a port is a rebuild and a
// test run, not a hunt: private struct fields, the version setters, pk_parse_key's RNG arguments.
#pragma once

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <mbedtls/build_info.h>
#else
#include <mbedtls/config.h>
#endif
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>

namespace zsock::tls {

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define ZSOCK_SSL_FIELD(ptr, field) ((ptr)->MBEDTLS_PRIVATE(field))
#else
#define ZSOCK_SSL_FIELD(ptr, field) ((ptr)->field)
#endif

/// Bytes of an encrypted record still waiting to go out to the transport.
inline size_t ssl_out_pending(const mbedtls_ssl_context *ssl) noexcept {
    return ZSOCK_SSL_FIELD(ssl, out_left);
}

/// The handshake state machine's position (MBEDTLS_SSL_HELLO_REQUEST ... HANDSHAKE_OVER).
inline int ssl_state(const mbedtls_ssl_context *ssl) noexcept {
    return static_cast<int>(ZSOCK_SSL_FIELD(ssl, state));
}

inline bool ssl_handshake_over(const mbedtls_ssl_context *ssl) noexcept {
    return ssl_state(ssl) == MBEDTLS_SSL_HANDSHAKE_OVER;
}

/// Lowest protocol minor version (TLS 1.x: 1 = 1.0, 2 = 1.1, 3 = 1.2) this build can speak.
constexpr int lowest_tls_minor() noexcept {
#if MBEDTLS_VERSION_NUMBER < 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1)
    return MBEDTLS_SSL_MINOR_VERSION_1;
#elif MBEDTLS_VERSION_NUMBER < 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_1)
    return MBEDTLS_SSL_MINOR_VERSION_2;
#else
    return 3;
#endif
}

/// Lowest DTLS minor version (TLS numbering: 2 = DTLS 1.0, 3 = DTLS 1.2) this build can speak.
constexpr int lowest_dtls_minor() noexcept {
#if MBEDTLS_VERSION_NUMBER < 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_1)
    return MBEDTLS_SSL_MINOR_VERSION_2;
#else
    return 3;
#endif
}

/// Whether this build can speak TLS 1.3 through the classic ssl API (2.28: no).
constexpr bool has_tls13() noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
    return true;
#else
    return false;
#endif
}

/// Whether DTLS Connection IDs (RFC 9146) are compiled in (Debian's 2.28: no).
constexpr bool has_dtls_cid() noexcept {
#if defined(MBEDTLS_SSL_DTLS_CONNECTION_ID)
    return true;
#else
    return false;
#endif
}

inline void conf_min_minor(mbedtls_ssl_config *conf, int minor) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(conf,
                                     static_cast<mbedtls_ssl_protocol_version>(0x0300 | minor));
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, minor);
#endif
}

inline void conf_max_minor(mbedtls_ssl_config *conf, int minor) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_max_tls_version(conf,
                                     static_cast<mbedtls_ssl_protocol_version>(0x0300 | minor));
#else
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, minor);
#endif
}

/// The global random generator (one CTR-DRBG, thread safe through MBEDTLS_THREADING_C).
int rng(void *, unsigned char *out, size_t len);
/// Its context, for APIs that take f_rng/p_rng.
void *rng_ctx();

inline int pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_key(pk, key, len, nullptr, 0, rng, rng_ctx());
#else
    return mbedtls_pk_parse_key(pk, key, len, nullptr, 0);
#endif
}

/// Whether ret is mbedTLS's answer to a malformed or unwelcome handshake message after the
/// handshake (a renegotiation attempt, a bad version): a protocol violation by the peer. 2.28 has
/// the BAD_HS_ range; 3.x replaced it with codes named after the alert they send.
constexpr bool is_bad_handshake_message(int ret) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return ret == MBEDTLS_ERR_SSL_DECODE_ERROR || ret == MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER ||
           ret == MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE ||
           ret == MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION ||
           ret == MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION || ret == MBEDTLS_ERR_SSL_BAD_CERTIFICATE ||
           ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE;
#else
    return ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION ||
           ret == MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED ||
           (ret <= MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO && ret >= MBEDTLS_ERR_SSL_BAD_HS_FINISHED);
#endif
}

inline int ciphersuite_id_used(const mbedtls_ssl_context *ssl) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_ssl_get_ciphersuite_id_from_ssl(ssl);
#else
    const char *name = mbedtls_ssl_get_ciphersuite(ssl);
    return name ? mbedtls_ssl_get_ciphersuite_id(name) : 0;
#endif
}

} // namespace zsock::tls
