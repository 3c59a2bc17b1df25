// tls/global.hpp - process-wide mbedTLS state shared by every TLS socket: the random generator,
// the DTLS cookie key, and the server-side session cache.
#pragma once

#include <cstddef>

#include "tls/mbedtls_compat.hpp"

namespace zsock::tls {

/// The DTLS HelloVerifyRequest cookie context (keyed once from the RNG). Null if setup failed.
void *cookie_ctx();

/// Server session cache callbacks for mbedtls_ssl_conf_session_cache (p_cache is ignored). 3.x
/// passes the session id separately.
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
int server_cache_get(void *, const unsigned char *id, std::size_t id_len,
                     mbedtls_ssl_session *session);
int server_cache_set(void *, const unsigned char *id, std::size_t id_len,
                     const mbedtls_ssl_session *session);
#else
int server_cache_get(void *, mbedtls_ssl_session *session);
int server_cache_set(void *, const mbedtls_ssl_session *session);
#endif

/// Forgets every cached server session.
void server_cache_purge();

} // namespace zsock::tls
