// tls/dtls.cpp - DTLS (temporary: not yet implemented).
#include <cerrno>

#include "tls/tls_socket.hpp"

namespace zsock::tls {
ssize_t dtls_sendto(tls_socket &, const void *, size_t, int, const sockaddr *, socklen_t) { return -EOPNOTSUPP; }
ssize_t dtls_recvfrom(tls_socket &, void *, size_t, int, sockaddr *, socklen_t *) { return -EOPNOTSUPP; }
ssize_t dtls_sendmsg(tls_socket &, const msghdr *, int) { return -EOPNOTSUPP; }
int dtls_connect(tls_socket &, const sockaddr *, socklen_t) { return -EOPNOTSUPP; }
int dtls_poll_prepare(tls_socket &, short, short *) { return -EOPNOTSUPP; }
int dtls_poll_update(tls_socket &, short, short, short *) { return -EOPNOTSUPP; }
} // namespace zsock::tls
