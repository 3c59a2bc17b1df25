// coro/tls_setup.cpp - SOL_TLS options and the TLS-socket check shared by tls_stream and
// tls_listener.
#include "coro/tls_setup.hpp"

#include <cerrno>

#include "net/socket_ops.hpp"

namespace zsock::detail {

int tls_set_common(int fd, const std::vector<sec_tag_t> &tags, int peer_verify,
                   const std::vector<std::string> &alpn) noexcept {
    if (!tags.empty()) {
        long r = net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_SEC_TAG_LIST, tags.data(),
                                 static_cast<socklen_t>(tags.size() * sizeof(sec_tag_t)));
        if (r < 0) return static_cast<int>(r);
    }
    long r =
        net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_PEER_VERIFY, &peer_verify, sizeof peer_verify);
    if (r < 0) return static_cast<int>(r);
    if (!alpn.empty()) {
        // The option takes an array of C strings; the TLS layer copies them.
        try {
            std::vector<const char *> names;
            names.reserve(alpn.size());
            for (const auto &a : alpn)
                names.push_back(a.c_str());
            r = net::setsockopt(fd, ZSOCK_SOL_TLS, ZSOCK_TLS_ALPN_LIST, names.data(),
                                static_cast<socklen_t>(names.size() * sizeof(const char *)));
        } catch (const std::bad_alloc &) {
            return -ENOMEM;
        }
        if (r < 0) return static_cast<int>(r);
    }
    return 0;
}

int tls_check_stream(int fd) noexcept {
    int proto = 0, type = 0;
    socklen_t len = sizeof proto;
    long r = net::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
    if (r < 0) return static_cast<int>(r);
    len = sizeof type;
    r = net::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
    if (r < 0) return static_cast<int>(r);
    bool tls = proto >= ZSOCK_IPPROTO_TLS_1_0 && proto <= ZSOCK_IPPROTO_TLS_1_3;
    return tls && type == SOCK_STREAM ? 0 : -EPROTOTYPE;
}

} // namespace zsock::detail
