/*
 * net/posix/resolver_names.c - addresses and names: inet_pton, inet_ntop, getaddrinfo,
 * freeaddrinfo, gai_strerror, getnameinfo, gethostname.
 *
 * zsock's resolver calls are glibc's own (reached through a libc handle, never by symbol name, so
 * these exports cannot recurse), and struct addrinfo has zsock_addrinfo's layout: results,
 * EAI_ codes and errno (EAI_SYSTEM) are glibc's, and a list from getaddrinfo is freed by
 * freeaddrinfo whichever of the two names the program used.
 */
#include "posix_names.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stddef.h>
#include <unistd.h>

ZSOCK_POSIX_ANCHOR(resolver_names);

_Static_assert(sizeof(struct addrinfo) == sizeof(struct zsock_addrinfo), "addrinfo layout");
_Static_assert(offsetof(struct addrinfo, ai_addr) == offsetof(struct zsock_addrinfo, ai_addr),
               "addrinfo layout");
_Static_assert(offsetof(struct addrinfo, ai_canonname) ==
                   offsetof(struct zsock_addrinfo, ai_canonname),
               "addrinfo layout");
_Static_assert(offsetof(struct addrinfo, ai_next) == offsetof(struct zsock_addrinfo, ai_next),
               "addrinfo layout");

ZSOCK_POSIX_EXPORT int inet_pton(int family, const char *src, void *dst) {
    ZSOCK_POSIX_RETURN(int, zsock_inet_pton(family, src, dst));
}

ZSOCK_POSIX_EXPORT const char *inet_ntop(int family, const void *src, char *dst, socklen_t size) {
    int saved_errno = errno;
    const char *r = zsock_inet_ntop(family, src, dst, size);
    if (r) errno = saved_errno;
    return r;
}

ZSOCK_POSIX_EXPORT int getaddrinfo(const char *host, const char *service,
                                   const struct addrinfo *hints, struct addrinfo **res) {
    return zsock_getaddrinfo(host, service, (const struct zsock_addrinfo *)hints,
                             (struct zsock_addrinfo **)res);
}

ZSOCK_POSIX_EXPORT void freeaddrinfo(struct addrinfo *ai) {
    zsock_freeaddrinfo((struct zsock_addrinfo *)ai);
}

ZSOCK_POSIX_EXPORT const char *gai_strerror(int errcode) {
    return zsock_gai_strerror(errcode);
}

ZSOCK_POSIX_EXPORT int getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                                   socklen_t hostlen, char *serv, socklen_t servlen, int flags) {
    return zsock_getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
}

ZSOCK_POSIX_EXPORT int gethostname(char *name, size_t len) {
    ZSOCK_POSIX_RETURN(int, zsock_gethostname(name, len));
}
