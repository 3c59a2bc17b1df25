/*
 * <zephyr/net/socket.h> for Linux: Zephyr's BSD sockets header, over zsock.
 *
 * Zephyr application code that includes this header compiles unchanged against libzsock:
 *  - the zsock_ API (zsock_socket ... zsock_getaddrinfo, struct zsock_pollfd, zsock_fd_set,
 *    struct zsock_addrinfo) and every ZSOCK_ constant, from <zsock/socket.h>; ZSOCK_ constants
 *    have Linux's values, Zephyr-only ones (SOL_TLS, TLS_*, IPPROTO_TLS_*) Zephyr's;
 *  - the unprefixed secure-socket names (SOL_TLS, TLS_SEC_TAG_LIST, IPPROTO_TLS_1_2, ...) and
 *    sec_tag_t with the credential calls (<zephyr/net/tls_credentials.h>);
 *  - NET_SOCKET_REGISTER / NET_SOCKET_OFFLOAD_REGISTER (<zsock/offload.h>);
 *  - struct ifreq (for SO_BINDTODEVICE), from <net/if.h>.
 *
 * POSIX names. With CONFIG_NET_SOCKETS_POSIX_NAMES or CONFIG_POSIX_API defined (as a Zephyr
 * project's configuration would), socket(), bind(), poll(), select(), read(), close(), fcntl(),
 * getaddrinfo() ... name the zsock_ functions. They are function-like macros, defined after the
 * system headers that declare those names, so calls resolve to zsock while the declarations and
 * types (struct pollfd, fd_set, struct addrinfo: same layouts as zsock's) stay the system's.
 * C++ code whose own members are called read(), close()... should include this header last, or
 * define ZSOCK_POSIX_NAMES_BY_LINK and link libzsock-posix, which exports the real names instead.
 *
 * Differences from Zephyr that code can notice: constants are Linux's (AF_INET6 is 10, not 2;
 * O_NONBLOCK is 04000); plain-socket behaviour is Linux's where Zephyr and Linux differ
 * (IPV6_V6ONLY default, shutdown(SHUT_WR), getsockname before bind, select's nfds...).
 */
#ifndef ZEPHYR_INCLUDE_NET_SOCKET_H_
#define ZEPHYR_INCLUDE_NET_SOCKET_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zsock/offload.h>
#include <zsock/posix.h>
#include <zsock/socket.h>

#include <zephyr/net/net_ip.h>
#include <zephyr/net/tls_credentials.h>

/* SOF_TIMESTAMPING_* and struct sock_txtime (SO_TXTIME), with Linux's values. */
#include <linux/net_tstamp.h>

/* Names of Zephyr's that glibc lacks or hides (values and meaning: <zsock/socket.h>). */
#ifndef SO_TXTIME
#define SO_TXTIME ZSOCK_SO_TXTIME
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME ZSOCK_SCM_TXTIME
#endif
#ifndef SO_SOCKS5
#define SO_SOCKS5 ZSOCK_SO_SOCKS5
#endif
#ifndef AI_EXTFLAGS
#define AI_EXTFLAGS ZSOCK_AI_EXTFLAGS
#endif
#ifndef EAI_NODATA
#define EAI_NODATA DNS_EAI_NODATA
#endif
#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif
/* Spelled as <linux/in6.h> spells them, so that a file including both sees one definition. */
#ifndef IPV6_PREFER_SRC_TMP
#define IPV6_PREFER_SRC_TMP 0x0001
#define IPV6_PREFER_SRC_PUBLIC 0x0002
#define IPV6_PREFER_SRC_PUBTMP_DEFAULT 0x0100
#define IPV6_PREFER_SRC_COA 0x0004
#define IPV6_PREFER_SRC_HOME 0x0400
#define IPV6_PREFER_SRC_CGA 0x0008
#define IPV6_PREFER_SRC_NONCGA 0x0800
#endif

#if (defined(CONFIG_NET_SOCKETS_POSIX_NAMES) || defined(CONFIG_POSIX_API)) &&                     \
    !defined(ZSOCK_POSIX_NAMES_BY_LINK)
#define socket(family, type, proto) zsock_socket((family), (type), (proto))
#define socketpair(family, type, proto, sv) zsock_socketpair((family), (type), (proto), (sv))
#define close(fd) zsock_close(fd)
#define shutdown(fd, how) zsock_shutdown((fd), (how))
#define bind(fd, addr, len) zsock_bind((fd), (addr), (len))
#define connect(fd, addr, len) zsock_connect((fd), (addr), (len))
#define listen(fd, backlog) zsock_listen((fd), (backlog))
#define accept(fd, addr, len) zsock_accept((fd), (addr), (len))
#define send(fd, buf, len, flags) zsock_send((fd), (buf), (len), (flags))
#define recv(fd, buf, len, flags) zsock_recv((fd), (buf), (len), (flags))
#define sendto(fd, buf, len, flags, addr, alen)                                                    \
    zsock_sendto((fd), (buf), (len), (flags), (addr), (alen))
#define recvfrom(fd, buf, len, flags, addr, alen)                                                  \
    zsock_recvfrom((fd), (buf), (len), (flags), (addr), (alen))
#define sendmsg(fd, msg, flags) zsock_sendmsg((fd), (msg), (flags))
#define recvmsg(fd, msg, flags) zsock_recvmsg((fd), (msg), (flags))
#define getsockopt(fd, level, name, val, len) zsock_getsockopt((fd), (level), (name), (val), (len))
#define setsockopt(fd, level, name, val, len) zsock_setsockopt((fd), (level), (name), (val), (len))
#define getpeername(fd, addr, len) zsock_getpeername((fd), (addr), (len))
#define getsockname(fd, addr, len) zsock_getsockname((fd), (addr), (len))
#define read(fd, buf, len) zsock_read((fd), (buf), (len))
#define write(fd, buf, len) zsock_write((fd), (buf), (len))
#define poll(fds, nfds, timeout) zsock_poll((struct zsock_pollfd *)(fds), (int)(nfds), (timeout))
#define select(nfds, r, w, e, tv)                                                                  \
    zsock_select((nfds), (zsock_fd_set *)(r), (zsock_fd_set *)(w), (zsock_fd_set *)(e),          \
                 (struct zsock_timeval *)(tv))
#define fcntl(...) zsock_fcntl(__VA_ARGS__)
#define ioctl(...) zsock_ioctl(__VA_ARGS__)
#define getaddrinfo(host, service, hints, res)                                                     \
    zsock_getaddrinfo((host), (service), (const struct zsock_addrinfo *)(hints),                  \
                      (struct zsock_addrinfo **)(res))
#define freeaddrinfo(ai) zsock_freeaddrinfo((struct zsock_addrinfo *)(ai))
#define gai_strerror(code) zsock_gai_strerror(code)
#define getnameinfo(addr, alen, host, hlen, serv, slen, flags)                                     \
    zsock_getnameinfo((addr), (alen), (host), (hlen), (serv), (slen), (flags))
#define inet_pton(family, src, dst) zsock_inet_pton((family), (src), (dst))
#define inet_ntop(family, src, dst, size) zsock_inet_ntop((family), (src), (dst), (size))
#define gethostname(buf, len) zsock_gethostname((buf), (len))
#endif

#endif /* ZEPHYR_INCLUDE_NET_SOCKET_H_ */
