/*
 * zsock/tls_credentials.h - the TLS credential store (Zephyr's tls_credentials.h) and the types
 * that SOL_TLS options take.
 *
 * A credential is a blob (certificate, key, pre-shared key or identity) stored under a security
 * tag. One tag groups credentials of different types; there is at most one credential per
 * (tag, type) pair. Sockets name the tags they use with setsockopt(SOL_TLS, TLS_SEC_TAG_LIST).
 *
 * Differences from Zephyr's volatile backend, all safer for the same calls:
 *  - the store COPIES the credential: the caller's buffer may be freed right after add();
 *  - private keys and pre-shared keys are zeroized when deleted;
 *  - the capacity is set at run time (zsock_tls_credential_set_capacity), default
 *    ZSOCK_TLS_DEFAULT_MAX_CREDENTIALS.
 *
 * Formats: certificates and keys are PEM when the buffer contains "-----BEGIN" (Zephyr wants the
 * terminating NUL counted in credlen, i.e. sizeof(pem); zsock also accepts strlen(pem)), else DER.
 * Several PEM certificates may be concatenated in one CA credential.
 *
 * All functions return 0 or a NEGATIVE errno value; they never set errno.
 */
#ifndef ZSOCK_TLS_CREDENTIALS_H
#define ZSOCK_TLS_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include <zsock/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A security tag. Negative values are reserved. */
typedef int sec_tag_t;
#define TLS_SEC_TAG_NONE -1

enum tls_credential_type {
    TLS_CREDENTIAL_NONE = 0,
    TLS_CREDENTIAL_CA_CERTIFICATE = 1,
    TLS_CREDENTIAL_PUBLIC_CERTIFICATE = 2,
    TLS_CREDENTIAL_SERVER_CERTIFICATE = 2, /* Zephyr's older, deprecated name */
    TLS_CREDENTIAL_PRIVATE_KEY = 3,
    TLS_CREDENTIAL_PSK = 4,
    TLS_CREDENTIAL_PSK_ID = 5,
};

/** Default number of credentials the store holds (Zephyr's default is 4). */
#define ZSOCK_TLS_DEFAULT_MAX_CREDENTIALS 64

/* Per-socket limits of the SOL_TLS list options (Zephyr's Kconfig defaults are 4, 4 and 2). */
#define ZSOCK_TLS_MAX_SEC_TAGS 16     /**< TLS_SEC_TAG_LIST entries */
#define ZSOCK_TLS_MAX_CIPHERSUITES 64 /**< TLS_CIPHERSUITE_LIST entries */
#define ZSOCK_TLS_MAX_ALPN 8          /**< TLS_ALPN_LIST entries */

/**
 * zsock_tls_credential_add - store a copy of a credential under (tag, type).
 * Returns 0; -EEXIST when (tag, type) already holds one; -ENOMEM when the store is full (or out
 * of memory); -EINVAL for a negative tag, an unknown type, a NULL cred or a zero credlen.
 */
ZSOCK_API int zsock_tls_credential_add(sec_tag_t tag, enum tls_credential_type type,
                                       const void *cred, size_t credlen);

/**
 * zsock_tls_credential_get - copy the credential stored under (tag, type) into cred.
 * On entry *credlen is the size of cred; on success it is the credential's length.
 * Returns 0; -ENOENT when there is none; -EFBIG when cred is too small (or NULL), with *credlen
 * set to the length needed; -EINVAL when credlen is NULL.
 */
ZSOCK_API int zsock_tls_credential_get(sec_tag_t tag, enum tls_credential_type type, void *cred,
                                       size_t *credlen);

/**
 * zsock_tls_credential_delete - remove the credential stored under (tag, type). Key material
 * (private keys, PSKs) is overwritten with zeros. Sockets that already loaded the credential
 * keep working. Returns 0 or -ENOENT.
 */
ZSOCK_API int zsock_tls_credential_delete(sec_tag_t tag, enum tls_credential_type type);

/**
 * zsock_tls_credential_set_capacity - the number of credentials the store may hold.
 * Returns 0; -EINVAL for 0; -EBUSY when more than max credentials are stored now.
 */
ZSOCK_API int zsock_tls_credential_set_capacity(size_t max);

/** zsock_tls_credential_capacity - the current capacity of the store. */
ZSOCK_API size_t zsock_tls_credential_capacity(void);

/* ---- zsock's own SOL_TLS options (a private range: Zephyr stops at 20) ------------------- */

/** get: char[], the protocol ALPN agreed on, NUL-terminated; optlen 0 when none was agreed.
 * ENOTCONN before the handshake. */
#define ZSOCK_TLS_ALPN_USED 1001
/** get: int, 1 when the last handshake resumed a cached session. ENOTCONN before it. */
#define ZSOCK_TLS_SESSION_REUSED 1002
/** set/get: uint32_t milliseconds that a blocking handshake (connect, accept, DTLS) may take
 * before it fails with ETIMEDOUT; 0 = no bound. Default ZSOCK_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS. */
#define ZSOCK_TLS_HANDSHAKE_TIMEOUT 1003
#define ZSOCK_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000
/** set/get: uint32_t milliseconds after which a DTLS server drops a peer's session that has been
 * silent (Zephyr's CONFIG_NET_SOCKETS_DTLS_TIMEOUT); 0 = never. Default 5000. */
#define ZSOCK_TLS_DTLS_SESSION_TIMEOUT 1004
#define ZSOCK_TLS_DEFAULT_DTLS_SESSION_TIMEOUT_MS 5000
/** Peers a DTLS server keeps sessions for at once; ClientHellos beyond it are ignored. */
#define ZSOCK_TLS_MAX_DTLS_PEERS 64

/* ---- Types of SOL_TLS option values ------------------------------------------------------ */

struct mbedtls_x509_crt;

/**
 * The TLS_CERT_VERIFY_CALLBACK value (Zephyr's struct tls_cert_verify_cb). cb is called for each
 * certificate of the peer's chain with mbedTLS's verify-callback contract: it may add or clear
 * MBEDTLS_X509_BADCERT_ bits in *flags; a non-zero return aborts the handshake (ECONNABORTED).
 */
typedef int (*tls_cert_verify_cb_t)(void *ctx, struct mbedtls_x509_crt *crt, int depth,
                                    uint32_t *flags);
struct tls_cert_verify_cb {
    tls_cert_verify_cb_t cb;
    void *ctx;
};

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_TLS_CREDENTIALS_H */
