/*
 * zsock/socket.h - Zephyr's BSD sockets API (zsock_ names) on Linux.
 *
 * Usable from C and C++. Every ZSOCK_ constant equals the Linux constant of the same name, and
 * every structure has the Linux layout (struct sockaddr, sockaddr_in, msghdr, pollfd, fd_set,
 * timeval, addrinfo), so unchanged Linux code keeps its meaning. Only Zephyr's own extensions
 * (SOL_TLS, the TLS_ options and the IPPROTO_TLS_/IPPROTO_DTLS_ protocols) use Zephyr's numbers.
 *
 * Return convention: as POSIX. Functions return -1 (or NULL) and set errno on failure.
 * A zsock fd is a kernel fd number; fds that zsock did not create (files, pipes, stdin) are
 * accepted by zsock_read/write/close/poll/select/fcntl/ioctl and passed to the kernel.
 */
#ifndef ZSOCK_SOCKET_H
#define ZSOCK_SOCKET_H

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <zsock/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ZSOCK_API __attribute__((visibility("default")))
#else
#define ZSOCK_API
#endif

/* ---- Address families, types, protocols (Linux values) ---------------------------------- */
#define ZSOCK_AF_UNSPEC AF_UNSPEC
#define ZSOCK_AF_INET AF_INET
#define ZSOCK_AF_INET6 AF_INET6
#define ZSOCK_AF_UNIX AF_UNIX
#define ZSOCK_AF_LOCAL AF_LOCAL
#define ZSOCK_AF_PACKET AF_PACKET
#define ZSOCK_PF_UNSPEC PF_UNSPEC
#define ZSOCK_PF_INET PF_INET
#define ZSOCK_PF_INET6 PF_INET6
#define ZSOCK_PF_UNIX PF_UNIX
#define ZSOCK_PF_LOCAL PF_LOCAL

#define ZSOCK_SOCK_STREAM SOCK_STREAM
#define ZSOCK_SOCK_DGRAM SOCK_DGRAM
#define ZSOCK_SOCK_RAW SOCK_RAW
#define ZSOCK_SOCK_NONBLOCK SOCK_NONBLOCK
#define ZSOCK_SOCK_CLOEXEC SOCK_CLOEXEC

#define ZSOCK_IPPROTO_IP IPPROTO_IP
#define ZSOCK_IPPROTO_ICMP IPPROTO_ICMP
#define ZSOCK_IPPROTO_TCP IPPROTO_TCP
#define ZSOCK_IPPROTO_UDP IPPROTO_UDP
#define ZSOCK_IPPROTO_IPV6 IPPROTO_IPV6
#define ZSOCK_IPPROTO_ICMPV6 IPPROTO_ICMPV6
#define ZSOCK_IPPROTO_RAW IPPROTO_RAW

/* Zephyr's secure-socket protocols (Zephyr numbers: Linux has no such protocols). */
#define ZSOCK_IPPROTO_TLS_1_0 256
#define ZSOCK_IPPROTO_TLS_1_1 257
#define ZSOCK_IPPROTO_TLS_1_2 258
#define ZSOCK_IPPROTO_TLS_1_3 259
#define ZSOCK_IPPROTO_DTLS_1_0 272
#define ZSOCK_IPPROTO_DTLS_1_2 273

/* ---- Flags ------------------------------------------------------------------------------ */
#define ZSOCK_MSG_OOB MSG_OOB
#define ZSOCK_MSG_PEEK MSG_PEEK
#define ZSOCK_MSG_CTRUNC MSG_CTRUNC
#define ZSOCK_MSG_TRUNC MSG_TRUNC
#define ZSOCK_MSG_DONTWAIT MSG_DONTWAIT
#define ZSOCK_MSG_EOR MSG_EOR
#define ZSOCK_MSG_WAITALL MSG_WAITALL
#define ZSOCK_MSG_NOSIGNAL MSG_NOSIGNAL

#define ZSOCK_SHUT_RD SHUT_RD
#define ZSOCK_SHUT_WR SHUT_WR
#define ZSOCK_SHUT_RDWR SHUT_RDWR
#define ZSOCK_SOMAXCONN SOMAXCONN

/* ---- poll ------------------------------------------------------------------------------- */
#define ZSOCK_POLLIN POLLIN
#define ZSOCK_POLLPRI POLLPRI
#define ZSOCK_POLLOUT POLLOUT
#define ZSOCK_POLLERR POLLERR
#define ZSOCK_POLLHUP POLLHUP
#define ZSOCK_POLLNVAL POLLNVAL

/** Same layout as struct pollfd. */
struct zsock_pollfd {
    int fd;
    short events;
    short revents;
};
typedef unsigned long zsock_nfds_t;

/* ---- select ----------------------------------------------------------------------------- */
/** Bits in a zsock_fd_set; equal to the kernel's FD_SETSIZE, so the layouts match. */
#define ZSOCK_FD_SETSIZE 1024
/** fd N is bit N%32 of word N/32 (Zephyr's layout; identical bytes to glibc's fd_set). */
typedef struct zsock_fd_set {
    uint32_t bitset[ZSOCK_FD_SETSIZE / 32];
} zsock_fd_set;

/** Same layout as struct timeval. */
struct zsock_timeval {
    time_t tv_sec;
    suseconds_t tv_usec;
};

/* The FD macros ignore fds outside 0..ZSOCK_FD_SETSIZE-1, as Zephyr's do. */
ZSOCK_API void zsock_fd_zero(zsock_fd_set *set);
ZSOCK_API void zsock_fd_set_bit(int fd, zsock_fd_set *set);
ZSOCK_API void zsock_fd_clr(int fd, zsock_fd_set *set);
ZSOCK_API int zsock_fd_isset(int fd, const zsock_fd_set *set);
#define ZSOCK_FD_ZERO(set) zsock_fd_zero(set)
#define ZSOCK_FD_SET(fd, set) zsock_fd_set_bit(fd, set)
#define ZSOCK_FD_CLR(fd, set) zsock_fd_clr(fd, set)
#define ZSOCK_FD_ISSET(fd, set) zsock_fd_isset(fd, set)

/* ---- Socket options (Linux values) ------------------------------------------------------ */
#define ZSOCK_SOL_SOCKET SOL_SOCKET
#define ZSOCK_SO_DEBUG SO_DEBUG
#define ZSOCK_SO_REUSEADDR SO_REUSEADDR
#define ZSOCK_SO_TYPE SO_TYPE
#define ZSOCK_SO_ERROR SO_ERROR
#define ZSOCK_SO_DONTROUTE SO_DONTROUTE
#define ZSOCK_SO_BROADCAST SO_BROADCAST
#define ZSOCK_SO_SNDBUF SO_SNDBUF
#define ZSOCK_SO_RCVBUF SO_RCVBUF
#define ZSOCK_SO_KEEPALIVE SO_KEEPALIVE
#define ZSOCK_SO_OOBINLINE SO_OOBINLINE
/* The five below are numbers because glibc shows them only under _DEFAULT_SOURCE/_GNU_SOURCE. */
#define ZSOCK_SO_PRIORITY 12
#define ZSOCK_SO_LINGER SO_LINGER
#define ZSOCK_SO_REUSEPORT 15
#define ZSOCK_SO_RCVLOWAT SO_RCVLOWAT
#define ZSOCK_SO_SNDLOWAT SO_SNDLOWAT
#define ZSOCK_SO_RCVTIMEO SO_RCVTIMEO
#define ZSOCK_SO_SNDTIMEO SO_SNDTIMEO
#define ZSOCK_SO_BINDTODEVICE 25
#define ZSOCK_SO_ACCEPTCONN SO_ACCEPTCONN
#define ZSOCK_SO_TIMESTAMPING SO_TIMESTAMPING
#define ZSOCK_SO_PROTOCOL 38
#define ZSOCK_SO_DOMAIN 39
/* SO_TXTIME takes Linux's struct sock_txtime (<linux/net_tstamp.h>), as the kernel does; a plain
 * int, as Zephyr's native stack takes, is the kernel's EINVAL. */
#define ZSOCK_SO_TXTIME 61
#define ZSOCK_SCM_TXTIME ZSOCK_SO_TXTIME
/* SO_SOCKS5 is Zephyr's own option, and zsock has no SOCKS5 client: every socket refuses it with
 * ENOPROTOOPT. Zephyr numbers it 60, which on Linux is SO_ZEROCOPY, so Zephyr's number would
 * silently turn on zero-copy sends instead of failing. zsock gives it a number from its own
 * range, 0x7a000000 and up ('z'), far above Linux's SOL_SOCKET options (below 100 in 6.x). */
#define ZSOCK_SO_SOCKS5 0x7a000060

/* SO_TIMESTAMPING flags: Linux's values (<linux/net_tstamp.h>). Zephyr numbers them 1 and 2. */
#define ZSOCK_SOF_TIMESTAMPING_TX_HARDWARE (1 << 0)
#define ZSOCK_SOF_TIMESTAMPING_RX_HARDWARE (1 << 2)

#define ZSOCK_TCP_NODELAY TCP_NODELAY
#define ZSOCK_TCP_KEEPIDLE TCP_KEEPIDLE
#define ZSOCK_TCP_KEEPINTVL TCP_KEEPINTVL
#define ZSOCK_TCP_KEEPCNT TCP_KEEPCNT

#define ZSOCK_IP_TOS IP_TOS
#define ZSOCK_IP_TTL IP_TTL
#define ZSOCK_IP_PKTINFO IP_PKTINFO
#define ZSOCK_IP_RECVTTL IP_RECVTTL
#define ZSOCK_IP_MTU IP_MTU
#define ZSOCK_IP_MULTICAST_IF IP_MULTICAST_IF
#define ZSOCK_IP_MULTICAST_TTL IP_MULTICAST_TTL
#define ZSOCK_IP_MULTICAST_LOOP IP_MULTICAST_LOOP
#define ZSOCK_IP_ADD_MEMBERSHIP IP_ADD_MEMBERSHIP
#define ZSOCK_IP_DROP_MEMBERSHIP IP_DROP_MEMBERSHIP

#define ZSOCK_IPV6_UNICAST_HOPS IPV6_UNICAST_HOPS
#define ZSOCK_IPV6_MULTICAST_IF IPV6_MULTICAST_IF
#define ZSOCK_IPV6_MULTICAST_HOPS IPV6_MULTICAST_HOPS
#define ZSOCK_IPV6_MULTICAST_LOOP IPV6_MULTICAST_LOOP
#define ZSOCK_IPV6_ADD_MEMBERSHIP IPV6_ADD_MEMBERSHIP
#define ZSOCK_IPV6_DROP_MEMBERSHIP IPV6_DROP_MEMBERSHIP
#define ZSOCK_IPV6_MTU IPV6_MTU
#define ZSOCK_IPV6_V6ONLY IPV6_V6ONLY
#define ZSOCK_IPV6_RECVPKTINFO IPV6_RECVPKTINFO
#define ZSOCK_IPV6_PKTINFO IPV6_PKTINFO
#define ZSOCK_IPV6_RECVHOPLIMIT IPV6_RECVHOPLIMIT
#define ZSOCK_IPV6_HOPLIMIT IPV6_HOPLIMIT
#define ZSOCK_IPV6_TCLASS IPV6_TCLASS
/* RFC 5014 source address selection; numbers because glibc has only the option, and the flags
 * only in <linux/in6.h>. */
#define ZSOCK_IPV6_ADDR_PREFERENCES 72
#define ZSOCK_IPV6_PREFER_SRC_TMP 0x0001
#define ZSOCK_IPV6_PREFER_SRC_PUBLIC 0x0002
#define ZSOCK_IPV6_PREFER_SRC_PUBTMP_DEFAULT 0x0100
#define ZSOCK_IPV6_PREFER_SRC_COA 0x0004
#define ZSOCK_IPV6_PREFER_SRC_HOME 0x0400
#define ZSOCK_IPV6_PREFER_SRC_CGA 0x0008
#define ZSOCK_IPV6_PREFER_SRC_NONCGA 0x0800

/* ---- Secure sockets: SOL_TLS options (Zephyr's numbers; see <zsock/tls_credentials.h>) --- */
#define ZSOCK_SOL_TLS 282
#define ZSOCK_TLS_SEC_TAG_LIST 1
#define ZSOCK_TLS_HOSTNAME 2
#define ZSOCK_TLS_CIPHERSUITE_LIST 3
#define ZSOCK_TLS_CIPHERSUITE_USED 4
#define ZSOCK_TLS_PEER_VERIFY 5
#define ZSOCK_TLS_DTLS_ROLE 6
#define ZSOCK_TLS_ALPN_LIST 7
#define ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MIN 8
#define ZSOCK_TLS_DTLS_HANDSHAKE_TIMEOUT_MAX 9
#define ZSOCK_TLS_CERT_NOCOPY 10
#define ZSOCK_TLS_NATIVE 11
#define ZSOCK_TLS_SESSION_CACHE 12
#define ZSOCK_TLS_SESSION_CACHE_PURGE 13
#define ZSOCK_TLS_DTLS_CID 14
#define ZSOCK_TLS_DTLS_CID_STATUS 15
#define ZSOCK_TLS_DTLS_CID_VALUE 16
#define ZSOCK_TLS_DTLS_PEER_CID_VALUE 17
#define ZSOCK_TLS_DTLS_HANDSHAKE_ON_CONNECT 18
#define ZSOCK_TLS_CERT_VERIFY_RESULT 19
#define ZSOCK_TLS_CERT_VERIFY_CALLBACK 20

#define ZSOCK_TLS_PEER_VERIFY_NONE 0
#define ZSOCK_TLS_PEER_VERIFY_OPTIONAL 1
#define ZSOCK_TLS_PEER_VERIFY_REQUIRED 2
#define ZSOCK_TLS_DTLS_ROLE_CLIENT 0
#define ZSOCK_TLS_DTLS_ROLE_SERVER 1
#define ZSOCK_TLS_CERT_NOCOPY_NONE 0
#define ZSOCK_TLS_CERT_NOCOPY_OPTIONAL 1
#define ZSOCK_TLS_SESSION_CACHE_DISABLED 0
#define ZSOCK_TLS_SESSION_CACHE_ENABLED 1
#define ZSOCK_TLS_DTLS_CID_DISABLED 0
#define ZSOCK_TLS_DTLS_CID_SUPPORTED 1
#define ZSOCK_TLS_DTLS_CID_ENABLED 2
#define ZSOCK_TLS_DTLS_CID_STATUS_DISABLED 0
#define ZSOCK_TLS_DTLS_CID_STATUS_DOWNLINK 1
#define ZSOCK_TLS_DTLS_CID_STATUS_UPLINK 2
#define ZSOCK_TLS_DTLS_CID_STATUS_BIDIRECTIONAL 3

/* ---- fcntl / ioctl ---------------------------------------------------------------------- */
#define ZSOCK_F_GETFL 3
#define ZSOCK_F_SETFL 4
/** Linux's O_NONBLOCK (04000); Zephyr's libc uses 0x4000, which zsock does not. */
#define ZSOCK_O_NONBLOCK 04000
#define ZSOCK_FIONREAD FIONREAD
#define ZSOCK_FIONBIO FIONBIO

/* ---- Name resolution (glibc layouts and values) ----------------------------------------- */
/* Numbers, not glibc's names: <netdb.h> hides AI_, NI_ and EAI_ in strict ISO C (-std=c11 without
 * _POSIX_C_SOURCE), and these must work there too. tests/api checks every ZSOCK_ constant against
 * glibc's at build time. */
#define ZSOCK_AI_PASSIVE 0x0001
#define ZSOCK_AI_CANONNAME 0x0002
#define ZSOCK_AI_NUMERICHOST 0x0004
#define ZSOCK_AI_V4MAPPED 0x0008
#define ZSOCK_AI_ALL 0x0010
#define ZSOCK_AI_ADDRCONFIG 0x0020
#define ZSOCK_AI_NUMERICSERV 0x0400
/* RFC 5014's "extended flags present", Zephyr's value. glibc has no such flag and refuses it with
 * EAI_BADFLAGS; zsock's getaddrinfo is glibc's, so it does too. */
#define ZSOCK_AI_EXTFLAGS 0x0800
#define ZSOCK_NI_NUMERICHOST 1
#define ZSOCK_NI_NUMERICSERV 2
#define ZSOCK_NI_NOFQDN 4
#define ZSOCK_NI_NAMEREQD 8
#define ZSOCK_NI_DGRAM 16
#define ZSOCK_NI_MAXHOST 1025
#define ZSOCK_NI_MAXSERV 32

#define DNS_EAI_BADFLAGS (-1)
#define DNS_EAI_NONAME (-2)
#define DNS_EAI_AGAIN (-3)
#define DNS_EAI_FAIL (-4)
#define DNS_EAI_NODATA (-5)
#define DNS_EAI_FAMILY (-6)
#define DNS_EAI_SOCKTYPE (-7)
#define DNS_EAI_SERVICE (-8)
#define DNS_EAI_MEMORY (-10)
#define DNS_EAI_SYSTEM (-11)
#define DNS_EAI_OVERFLOW (-12)

/** Same layout and field order as glibc's struct addrinfo. */
struct zsock_addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct zsock_addrinfo *ai_next;
};

/* ---- Sockets ---------------------------------------------------------------------------- */
ZSOCK_API int zsock_socket(int family, int type, int proto);
ZSOCK_API int zsock_socketpair(int family, int type, int proto, int sv[2]);
ZSOCK_API int zsock_close(int fd);
ZSOCK_API int zsock_shutdown(int fd, int how);
ZSOCK_API int zsock_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);
ZSOCK_API int zsock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
ZSOCK_API int zsock_listen(int fd, int backlog);
ZSOCK_API int zsock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
ZSOCK_API int zsock_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
ZSOCK_API ssize_t zsock_send(int fd, const void *buf, size_t len, int flags);
ZSOCK_API ssize_t zsock_recv(int fd, void *buf, size_t max_len, int flags);
ZSOCK_API ssize_t zsock_sendto(int fd, const void *buf, size_t len, int flags,
                               const struct sockaddr *dest_addr, socklen_t addrlen);
ZSOCK_API ssize_t zsock_recvfrom(int fd, void *buf, size_t max_len, int flags,
                                 struct sockaddr *src_addr, socklen_t *addrlen);
ZSOCK_API ssize_t zsock_sendmsg(int fd, const struct msghdr *msg, int flags);
ZSOCK_API ssize_t zsock_recvmsg(int fd, struct msghdr *msg, int flags);
ZSOCK_API int zsock_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
ZSOCK_API int zsock_setsockopt(int fd, int level, int optname, const void *optval,
                               socklen_t optlen);
ZSOCK_API int zsock_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen);
ZSOCK_API int zsock_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen);
ZSOCK_API int zsock_gethostname(char *buf, size_t len);
/**
 * Zephyr's handle for granting other threads access to a socket (k_object_access_grant). Linux
 * has no kernel-object permissions and zsock no net_context, so there is nothing to return:
 * always NULL, with errno EOPNOTSUPP for a socket, ENOTSOCK for another fd, EBADF for a closed one.
 */
ZSOCK_API void *zsock_get_context_object(int sock);

/* ---- File-descriptor operations (any fd) ----------------------------------------------- */
ZSOCK_API ssize_t zsock_read(int fd, void *buf, size_t len);
ZSOCK_API ssize_t zsock_write(int fd, const void *buf, size_t len);
ZSOCK_API ssize_t zsock_readv(int fd, const struct iovec *iov, int iovcnt);
ZSOCK_API ssize_t zsock_writev(int fd, const struct iovec *iov, int iovcnt);
ZSOCK_API int zsock_poll(struct zsock_pollfd *fds, int nfds, int timeout_ms);
ZSOCK_API int zsock_select(int nfds, zsock_fd_set *readfds, zsock_fd_set *writefds,
                           zsock_fd_set *exceptfds, struct zsock_timeval *timeout);
/** fcntl; the third argument is an int (F_SETFL) or ignored. */
ZSOCK_API int zsock_fcntl(int fd, int cmd, ...);
/** ioctl; FIONBIO and FIONREAD take an int *. */
ZSOCK_API int zsock_ioctl(int fd, unsigned long request, ...);

/* ---- Addresses and names ---------------------------------------------------------------- */
ZSOCK_API int zsock_inet_pton(int family, const char *src, void *dst);
ZSOCK_API const char *zsock_inet_ntop(int family, const void *src, char *dst, socklen_t size);
ZSOCK_API int zsock_getaddrinfo(const char *host, const char *service,
                                const struct zsock_addrinfo *hints, struct zsock_addrinfo **res);
ZSOCK_API void zsock_freeaddrinfo(struct zsock_addrinfo *ai);
ZSOCK_API const char *zsock_gai_strerror(int errcode);
ZSOCK_API int zsock_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                                socklen_t hostlen, char *serv, socklen_t servlen, int flags);

#ifdef __cplusplus
}
#endif

#endif /* ZSOCK_SOCKET_H */
