// net/addrinfo.cpp - getaddrinfo, freeaddrinfo, gai_strerror, getnameinfo, gethostname.
//
// Name resolution follows Linux exactly (DESIGN: zsock follows Linux where Zephyr and Linux
// differ): service names, /etc/hosts, nsswitch and DNS are glibc's resolver. zsock_addrinfo has
// glibc's layout, so results pass through unchanged. glibc is reached through its own handle,
// never by symbol name: libzsock-posix exports getaddrinfo too, and a plain call could land there.
#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <netdb.h>
#include <sys/utsname.h>

#include <zsock/socket.h>

#include "core/sys.hpp"

static_assert(sizeof(zsock_addrinfo) == sizeof(addrinfo));
static_assert(offsetof(zsock_addrinfo, ai_next) == offsetof(addrinfo, ai_next));
static_assert(offsetof(zsock_addrinfo, ai_addr) == offsetof(addrinfo, ai_addr));

namespace {

struct libc_resolver {
    decltype(&::getaddrinfo) getaddrinfo = nullptr;
    decltype(&::freeaddrinfo) freeaddrinfo = nullptr;
    decltype(&::gai_strerror) gai_strerror = nullptr;
    decltype(&::getnameinfo) getnameinfo = nullptr;
};

const libc_resolver &libc() {
    static const libc_resolver r = [] {
        libc_resolver x;
        void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        if (!h) return x;
        x.getaddrinfo = reinterpret_cast<decltype(x.getaddrinfo)>(dlsym(h, "getaddrinfo"));
        x.freeaddrinfo = reinterpret_cast<decltype(x.freeaddrinfo)>(dlsym(h, "freeaddrinfo"));
        x.gai_strerror = reinterpret_cast<decltype(x.gai_strerror)>(dlsym(h, "gai_strerror"));
        x.getnameinfo = reinterpret_cast<decltype(x.getnameinfo)>(dlsym(h, "getnameinfo"));
        dlclose(h); // libc stays loaded; RTLD_NOLOAD only took a reference
        return x;
    }();
    return r;
}

} // namespace

extern "C" {

int zsock_getaddrinfo(const char *host, const char *service, const struct zsock_addrinfo *hints,
                      struct zsock_addrinfo **res) {
    if (!libc().getaddrinfo) {
        errno = ENOSYS;
        return EAI_SYSTEM;
    }
    return libc().getaddrinfo(host, service, reinterpret_cast<const addrinfo *>(hints),
                              reinterpret_cast<addrinfo **>(res));
}

void zsock_freeaddrinfo(struct zsock_addrinfo *ai) {
    if (ai && libc().freeaddrinfo) libc().freeaddrinfo(reinterpret_cast<addrinfo *>(ai));
}

const char *zsock_gai_strerror(int code) {
    return libc().gai_strerror ? libc().gai_strerror(code) : "Unknown error";
}

int zsock_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                      socklen_t hostlen, char *serv, socklen_t servlen, int flags) {
    if (!libc().getnameinfo) {
        errno = ENOSYS;
        return EAI_SYSTEM;
    }
    return libc().getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
}

int zsock_gethostname(char *buf, size_t len) {
    struct utsname u;
    long r = zsock::sys::call(SYS_uname, &u, 0, 0, 0, 0, 0);
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    size_t need = std::strlen(u.nodename) + 1;
    std::memcpy(buf, u.nodename, len < need ? len : need); // glibc copies what fits...
    if (need > len) {                                      // ...and then reports it
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

} // extern "C"
