// coro/endpoint.cpp - endpoint parsing and formatting (numeric only; see resolve.hpp for names).
#include <zsock/endpoint.hpp>

#include <arpa/inet.h>
#include <charconv>
#include <fmt/format.h>

namespace zsock {

endpoint::endpoint(const sockaddr *sa, socklen_t len) noexcept {
    std::memset(&ss_, 0, sizeof ss_);
    if (!sa) return;
    len_ = len > capacity() ? capacity() : len;
    std::memcpy(&ss_, sa, len_);
}

result<endpoint> endpoint::from(std::string_view address, uint16_t port) {
    char buf[INET6_ADDRSTRLEN + 1];
    if (address.empty() || address.size() >= sizeof buf) return std::errc::invalid_argument;
    std::memcpy(buf, address.data(), address.size());
    buf[address.size()] = '\0';
    endpoint e;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&e.ss_);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&e.ss_);
    if (zsock_inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        e.len_ = sizeof(sockaddr_in);
        return e;
    }
    if (zsock_inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        e.len_ = sizeof(sockaddr_in6);
        return e;
    }
    return std::errc::invalid_argument;
}

result<endpoint> endpoint::parse(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::errc::invalid_argument;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::errc::invalid_argument;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535 || port.empty())
        return std::errc::invalid_argument;
    return from(host, static_cast<uint16_t>(p));
}

endpoint endpoint::loopback_v4(uint16_t port) noexcept {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return endpoint(reinterpret_cast<sockaddr *>(&a), sizeof a);
}

endpoint endpoint::loopback_v6(uint16_t port) noexcept {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    return endpoint(reinterpret_cast<sockaddr *>(&a), sizeof a);
}

endpoint endpoint::any_v4(uint16_t port) noexcept {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    return endpoint(reinterpret_cast<sockaddr *>(&a), sizeof a);
}

endpoint endpoint::any_v6(uint16_t port) noexcept {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_any;
    return endpoint(reinterpret_cast<sockaddr *>(&a), sizeof a);
}

uint16_t endpoint::port() const noexcept {
    if (ss_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(&ss_)->sin_port);
    if (ss_.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6 *>(&ss_)->sin6_port);
    return 0;
}

void endpoint::set_port(uint16_t port) noexcept {
    if (ss_.ss_family == AF_INET) reinterpret_cast<sockaddr_in *>(&ss_)->sin_port = htons(port);
    else if (ss_.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6 *>(&ss_)->sin6_port = htons(port);
}

std::string endpoint::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (ss_.ss_family == AF_INET) {
        zsock_inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(&ss_)->sin_addr, buf, sizeof buf);
        return fmt::format("{}:{}", buf, port());
    }
    if (ss_.ss_family == AF_INET6) {
        zsock_inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(&ss_)->sin6_addr, buf, sizeof buf);
        return fmt::format("[{}]:{}", buf, port());
    }
    return fmt::format("family {}", ss_.ss_family);
}

} // namespace zsock
