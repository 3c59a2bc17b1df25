// coro/tls_setup.hpp - what tls_stream and tls_listener share: making a TLS socket with the
// SOL_TLS options of their option structs, and checking that an adopted fd is a TLS stream socket.
#pragma once

#include <string>
#include <vector>

#include <zsock/tls_credentials.h>

namespace zsock::detail {

/// The SOL_TLS options both sides set: sec tags, peer verification, ALPN. 0 or -errno.
int tls_set_common(int fd, const std::vector<sec_tag_t> &tags, int peer_verify,
                   const std::vector<std::string> &alpn) noexcept;

/// Whether fd is a zsock TLS stream socket: 0, -EPROTOTYPE (another kind of socket: plain
/// TCP, DTLS), or the errno of the query (-ENOTSOCK, -EBADF).
int tls_check_stream(int fd) noexcept;

} // namespace zsock::detail
