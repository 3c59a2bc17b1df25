// libc_ref.hpp - glibc's own socket and fd functions, for differential tests of the POSIX names.
//
// A test linked against libzsock-posix resolves socket, recv, poll... to zsock. glibc's versions
// are reached through a handle on libc.so.6 (dlsym on a handle searches that library, not the
// global scope), so the same scenario can run through both and the results be compared.
#pragma once

#include <arpa/inet.h>
#include <cerrno>
#include <dlfcn.h>
#include <netdb.h>
#include <ostream>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace zsock_test {

struct libc_functions {
    decltype(&::socket) socket;
    decltype(&::socketpair) socketpair;
    decltype(&::bind) bind;
    decltype(&::connect) connect;
    decltype(&::listen) listen;
    decltype(&::accept) accept;
    decltype(&::accept4) accept4;
    decltype(&::shutdown) shutdown;
    decltype(&::send) send;
    decltype(&::sendto) sendto;
    decltype(&::sendmsg) sendmsg;
    decltype(&::recv) recv;
    decltype(&::recvfrom) recvfrom;
    decltype(&::recvmsg) recvmsg;
    decltype(&::getsockopt) getsockopt;
    decltype(&::setsockopt) setsockopt;
    decltype(&::getpeername) getpeername;
    decltype(&::getsockname) getsockname;
    decltype(&::gethostname) gethostname;
    decltype(&::inet_pton) inet_pton;
    decltype(&::inet_ntop) inet_ntop;
    decltype(&::getaddrinfo) getaddrinfo;
    decltype(&::freeaddrinfo) freeaddrinfo;
    decltype(&::gai_strerror) gai_strerror;
    decltype(&::getnameinfo) getnameinfo;
    decltype(&::close) close;
    decltype(&::read) read;
    decltype(&::write) write;
    decltype(&::readv) readv;
    decltype(&::writev) writev;
    decltype(&::poll) poll;
    decltype(&::select) select;
    int (*fcntl)(int, int, ...);
    int (*ioctl)(int, unsigned long, ...);
};

template <class T>
inline void load(void *h, T &fn, const char *name) {
    fn = reinterpret_cast<T>(dlsym(h, name));
    if (!fn) throw std::runtime_error(std::string("libc has no ") + name);
}

/// glibc's functions (loaded once).
inline const libc_functions &libc() {
    static const libc_functions f = [] {
        libc_functions x{};
        void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        if (!h) throw std::runtime_error("libc.so.6 is not loaded");
#define ZSOCK_LOAD(name) load(h, x.name, #name)
        ZSOCK_LOAD(socket), ZSOCK_LOAD(socketpair), ZSOCK_LOAD(bind), ZSOCK_LOAD(connect);
        ZSOCK_LOAD(listen), ZSOCK_LOAD(accept), ZSOCK_LOAD(accept4), ZSOCK_LOAD(shutdown);
        ZSOCK_LOAD(send), ZSOCK_LOAD(sendto), ZSOCK_LOAD(sendmsg), ZSOCK_LOAD(recv);
        ZSOCK_LOAD(recvfrom), ZSOCK_LOAD(recvmsg), ZSOCK_LOAD(getsockopt), ZSOCK_LOAD(setsockopt);
        ZSOCK_LOAD(getpeername), ZSOCK_LOAD(getsockname), ZSOCK_LOAD(gethostname);
        ZSOCK_LOAD(inet_pton), ZSOCK_LOAD(inet_ntop), ZSOCK_LOAD(getaddrinfo);
        ZSOCK_LOAD(freeaddrinfo), ZSOCK_LOAD(gai_strerror), ZSOCK_LOAD(getnameinfo);
        ZSOCK_LOAD(close), ZSOCK_LOAD(read), ZSOCK_LOAD(write), ZSOCK_LOAD(readv);
        ZSOCK_LOAD(writev), ZSOCK_LOAD(poll), ZSOCK_LOAD(select), ZSOCK_LOAD(fcntl);
        ZSOCK_LOAD(ioctl);
#undef ZSOCK_LOAD
        dlclose(h);
        return x;
    }();
    return f;
}

/// A call's result and, when it failed, its errno.
struct outcome {
    long ret;
    int err;
    bool operator==(const outcome &) const = default;
};

template <class F>
outcome run(F &&f) {
    errno = 0;
    long r = static_cast<long>(f());
    return {r, r < 0 ? errno : 0};
}

inline std::ostream &operator<<(std::ostream &os, const outcome &o) {
    return os << "{ret " << o.ret << ", errno " << o.err << "}";
}

} // namespace zsock_test
