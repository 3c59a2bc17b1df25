// tls/global.hpp - process-wide mbedTLS state shared by every TLS socket: the random generator,
// the DTLS cookie key, and the server-side session cache.
#pragma once

#include <mbedtls/ssl.h>

namespace zsock::tls {

/// The DTLS HelloVerifyRequest cookie context (keyed once from the RNG). Null if setup failed.
void *cookie_ctx();

/// Server session cache callbacks for mbedtls_ssl_conf_session_cache (p_cache is ignored).
int server_cache_get(void *, mbedtls_ssl_session *session);
int server_cache_set(void *, const mbedtls_ssl_session *session);

/// Forgets every cached server session.
void server_cache_purge();

} // namespace zsock::tls
