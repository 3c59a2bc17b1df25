// tls/tls_config.hpp - a socket's TLS options, and the mbedTLS configuration built from them.
//
// Options are stored as given (copied) and turned into an mbedtls_ssl_config when a session
// starts: at connect() for clients, at listen() (or the first accept) for servers, whose accepted
// sockets all share the listener's configuration. A configuration is immutable once built, so
// sharing it across threads is safe (mbedTLS only reads it during handshakes).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <zsock/tls_credentials.h>

#include "tls/credentials.hpp"
#include "tls/mbedtls_compat.hpp"

namespace zsock::tls {

/// What setsockopt(SOL_TLS, ...) stored; copied to accepted sockets.
struct tls_options {
    std::vector<sec_tag_t> sec_tags;
    bool hostname_set = false;     // TLS_HOSTNAME was called (with NULL: no name check, no SNI)
    std::string hostname;          // empty when set with NULL
    std::vector<int> ciphersuites; // empty: the library's defaults
    int peer_verify = -1;          // -1: mbedTLS's default (REQUIRED for clients, NONE for servers)
    int dtls_role = ZSOCK_TLS_DTLS_ROLE_CLIENT;
    std::vector<std::string> alpn;
    std::vector<const char *> alpn_ptrs; // into alpn, for TLS_ALPN_LIST get
    uint32_t dtls_hs_min_ms = 1000;
    uint32_t dtls_hs_max_ms = 60000;
    int cert_nocopy = ZSOCK_TLS_CERT_NOCOPY_NONE;
    int native = 0;
    int session_cache = ZSOCK_TLS_SESSION_CACHE_DISABLED;
    int dtls_hs_on_connect = 1;
    tls_cert_verify_cb verify_cb{};
    uint32_t handshake_timeout_ms = ZSOCK_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
    uint32_t dtls_session_timeout_ms = ZSOCK_TLS_DEFAULT_DTLS_SESSION_TIMEOUT_MS;

    void set_alpn(std::vector<std::string> list);
};

/// An mbedTLS configuration with everything it points to.
class tls_conf {
public:
    tls_conf();
    ~tls_conf();
    tls_conf(const tls_conf &) = delete;
    tls_conf &operator=(const tls_conf &) = delete;

    mbedtls_ssl_config conf;
    bool require_hostname = false; // a client that never set TLS_HOSTNAME: the name check fails
    tls_cert_verify_cb verify_cb{};

    struct own_cert {
        mbedtls_x509_crt crt;
        mbedtls_pk_context key;
        own_cert();
        ~own_cert();
    };
    struct psk {
        std::vector<unsigned char> identity;
        std::vector<unsigned char> key;
        ~psk();
    };

    mbedtls_x509_crt ca;
    bool has_ca = false;
    std::vector<std::unique_ptr<own_cert>> own;
    std::vector<psk> psks;
    std::vector<int> suites;       // 0-terminated
    std::vector<std::string> alpn; // copies; alpn_ptrs points into them, NULL-terminated
    std::vector<const char *> alpn_ptrs;
    std::vector<cred_ref> pinned; // DER blobs parsed without a copy (TLS_CERT_NOCOPY)
};

struct conf_params {
    int endpoint;  // MBEDTLS_SSL_IS_CLIENT / _SERVER
    int transport; // MBEDTLS_SSL_TRANSPORT_STREAM / _DATAGRAM
    int min_minor; // lowest protocol minor version
};

/// Checks the credentials behind tags: -ENOENT for a tag with none, -EINVAL for one that does
/// not parse, a certificate without its key (or the reverse), or a PSK without its identity.
int validate_sec_tags(std::span<const sec_tag_t> tags);

/// Builds the configuration. Returns 0, or -ENOENT/-EINVAL (credentials), -ENOMEM.
int build_conf(const tls_options &opts, const conf_params &p, std::shared_ptr<const tls_conf> *out);

} // namespace zsock::tls
