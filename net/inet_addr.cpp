// net/inet_addr.cpp - zsock_inet_pton and zsock_inet_ntop, written to give glibc's results:
// dotted quads without leading zeros, RFC 4291 text forms for IPv6 (with an embedded IPv4 tail),
// and on output the longest run of two or more zero groups compressed, leftmost on a tie,
// lower-case hex, and the IPv4 tail for mapped (::ffff:a.b.c.d) and compatible addresses.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>

#include <zsock/socket.h>

namespace {

int pton4(const char *src, unsigned char *dst) {
    unsigned char tmp[4] = {};
    int octets = 0;
    bool saw_digit = false;
    unsigned char *tp = tmp;
    for (char ch; (ch = *src++) != '\0';) {
        if (ch >= '0' && ch <= '9') {
            unsigned v = *tp * 10u + static_cast<unsigned>(ch - '0');
            if (saw_digit && *tp == 0) return 0; // no leading zeros
            if (v > 255) return 0;
            *tp = static_cast<unsigned char>(v);
            if (!saw_digit) {
                if (++octets > 4) return 0;
                saw_digit = true;
            }
        } else if (ch == '.' && saw_digit) {
            if (octets == 4) return 0;
            *++tp = 0;
            saw_digit = false;
        } else {
            return 0;
        }
    }
    if (octets < 4) return 0;
    std::memcpy(dst, tmp, 4);
    return 1;
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int pton6(const char *src, unsigned char *dst) {
    unsigned char tmp[16] = {};
    unsigned char *tp = tmp, *endp = tmp + 16, *colonp = nullptr;
    if (*src == ':' && *++src != ':') return 0;
    const char *curtok = src;
    bool saw_xdigit = false;
    unsigned val = 0;
    int digits = 0;
    for (char ch; (ch = *src++) != '\0';) {
        int h = hexval(ch);
        if (h >= 0) {
            if (++digits > 4) return 0;
            val = (val << 4) | static_cast<unsigned>(h);
            saw_xdigit = true;
            continue;
        }
        if (ch == ':') {
            curtok = src;
            if (!saw_xdigit) {
                if (colonp) return 0;
                colonp = tp;
                continue;
            }
            if (*src == '\0') return 0;
            if (tp + 2 > endp) return 0;
            *tp++ = static_cast<unsigned char>(val >> 8);
            *tp++ = static_cast<unsigned char>(val);
            saw_xdigit = false;
            digits = 0;
            val = 0;
            continue;
        }
        if (ch == '.' && tp + 4 <= endp && pton4(curtok, tp) > 0) {
            tp += 4;
            saw_xdigit = false;
            break; // the IPv4 tail ends the text
        }
        return 0;
    }
    if (saw_xdigit) {
        if (tp + 2 > endp) return 0;
        *tp++ = static_cast<unsigned char>(val >> 8);
        *tp++ = static_cast<unsigned char>(val);
    }
    if (colonp) {
        if (tp == endp) return 0; // "::" must stand for at least one group
        long n = tp - colonp;
        std::memmove(endp - n, colonp, static_cast<size_t>(n));
        std::memset(colonp, 0, static_cast<size_t>(endp - n - colonp));
        tp = endp;
    }
    if (tp != endp) return 0;
    std::memcpy(dst, tmp, 16);
    return 1;
}

const char *ntop4(const unsigned char *src, char *dst, socklen_t size) {
    char tmp[sizeof "255.255.255.255"];
    int n = std::snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", src[0], src[1], src[2], src[3]);
    if (n < 0 || static_cast<socklen_t>(n) >= size) {
        errno = ENOSPC;
        return nullptr;
    }
    std::memcpy(dst, tmp, static_cast<size_t>(n) + 1);
    return dst;
}

const char *ntop6(const unsigned char *src, char *dst, socklen_t size) {
    unsigned words[8];
    for (int i = 0; i < 8; ++i) words[i] = (src[2 * i] << 8) | src[2 * i + 1];
    int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
    for (int i = 0; i < 8; ++i) {
        if (words[i] == 0) {
            if (cur_base == -1) cur_base = i, cur_len = 1;
            else ++cur_len;
        } else if (cur_base != -1) {
            if (best_base == -1 || cur_len > best_len) best_base = cur_base, best_len = cur_len;
            cur_base = -1;
        }
    }
    if (cur_base != -1 && (best_base == -1 || cur_len > best_len))
        best_base = cur_base, best_len = cur_len;
    if (best_base != -1 && best_len < 2) best_base = -1;

    char tmp[sizeof "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"];
    char *tp = tmp;
    for (int i = 0; i < 8; ++i) {
        if (best_base != -1 && i >= best_base && i < best_base + best_len) {
            if (i == best_base) *tp++ = ':';
            continue;
        }
        if (i != 0) *tp++ = ':';
        if (i == 6 && best_base == 0 &&
            (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            if (!ntop4(src + 12, tp, static_cast<socklen_t>(sizeof tmp - (tp - tmp)))) return nullptr;
            tp += std::strlen(tp);
            break;
        }
        tp += std::snprintf(tp, sizeof tmp - static_cast<size_t>(tp - tmp), "%x", words[i]);
    }
    if (best_base != -1 && best_base + best_len == 8) *tp++ = ':';
    *tp++ = '\0';
    if (static_cast<socklen_t>(tp - tmp) > size) {
        errno = ENOSPC;
        return nullptr;
    }
    std::memcpy(dst, tmp, static_cast<size_t>(tp - tmp));
    return dst;
}

} // namespace

extern "C" {

int zsock_inet_pton(int family, const char *src, void *dst) {
    switch (family) {
    case AF_INET: return pton4(src, static_cast<unsigned char *>(dst));
    case AF_INET6: return pton6(src, static_cast<unsigned char *>(dst));
    default: errno = EAFNOSUPPORT; return -1;
    }
}

const char *zsock_inet_ntop(int family, const void *src, char *dst, socklen_t size) {
    switch (family) {
    case AF_INET: return ntop4(static_cast<const unsigned char *>(src), dst, size);
    case AF_INET6: return ntop6(static_cast<const unsigned char *>(src), dst, size);
    default: errno = EAFNOSUPPORT; return nullptr;
    }
}

} // extern "C"
