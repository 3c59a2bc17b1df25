/*
 * <zephyr/net/tls_credentials.h> for Linux: sec_tag_t, enum tls_credential_type and
 * tls_credential_add/get/delete, from zsock's credential store (<zsock/tls_credentials.h>; the
 * calls return 0 or a negative errno, as Zephyr's do).
 *
 * A zsock built without its TLS layer has no credential store: then only sec_tag_t and
 * TLS_SEC_TAG_NONE are defined here, and code that stores credentials does not compile.
 */
#ifndef ZEPHYR_INCLUDE_NET_TLS_CREDENTIALS_H_
#define ZEPHYR_INCLUDE_NET_TLS_CREDENTIALS_H_

#include <zsock/posix.h> /* tls_credential_add & co. name the zsock_ calls */

#if defined(__has_include)
#if __has_include(<zsock/tls_credentials.h>)
#include <zsock/tls_credentials.h>
#define ZSOCK_HAVE_TLS_CREDENTIALS 1
#endif
#endif

#ifndef ZSOCK_HAVE_TLS_CREDENTIALS
#define ZSOCK_HAVE_TLS_CREDENTIALS 0
typedef int sec_tag_t;
#define TLS_SEC_TAG_NONE -1
#endif

#endif /* ZEPHYR_INCLUDE_NET_TLS_CREDENTIALS_H_ */
