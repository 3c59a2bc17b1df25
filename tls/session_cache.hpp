// tls/session_cache.hpp - TLS_SESSION_CACHE on clients: sessions kept per peer address.
//
// After a full handshake with TLS_SESSION_CACHE enabled, a client saves its session (master
// secret, ticket) under the peer's address; the next handshake to that address offers it. The
// cache is process-wide, least-recently-used, ZSOCK_TLS_CLIENT_SESSIONS entries. Servers use the
// mbedTLS cache in global.hpp instead.
#pragma once

#include <sys/socket.h>

#include <mbedtls/ssl.h>

namespace zsock::tls {

inline constexpr size_t client_session_capacity = 64;

/// Stores a copy of ssl's current session under peer. Best effort: failures are ignored.
void client_cache_save(const sockaddr_storage &peer, socklen_t len, const mbedtls_ssl_context *ssl);

/// Offers the session saved for peer to ssl (before its handshake). True when one was found.
bool client_cache_load(const sockaddr_storage &peer, socklen_t len, mbedtls_ssl_context *ssl);

/// Drops every saved client session.
void client_cache_purge();

} // namespace zsock::tls
