// zsock/endpoint.hpp - a socket address (IPv4 or IPv6, or any sockaddr) as a value type.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <zsock/detail/config.hpp>
#include <zsock/result.hpp>

namespace zsock {

class ZSOCK_API endpoint {
public:
    /// An empty endpoint (AF_UNSPEC, size 0).
    endpoint() noexcept { std::memset(&ss_, 0, sizeof ss_); }
    /// Copies len bytes of sa (at most sizeof(sockaddr_storage)).
    endpoint(const sockaddr *sa, socklen_t len) noexcept;

    /// Parses a numeric "a.b.c.d:port" or "[v6]:port". EINVAL if it is neither.
    static result<endpoint> parse(std::string_view text);
    /// A numeric address ("127.0.0.1", "::1") and a port. EINVAL if the address is not numeric.
    static result<endpoint> from(std::string_view address, uint16_t port);
    static endpoint loopback_v4(uint16_t port = 0) noexcept;
    static endpoint loopback_v6(uint16_t port = 0) noexcept;
    static endpoint any_v4(uint16_t port = 0) noexcept;
    static endpoint any_v6(uint16_t port = 0) noexcept;

    int family() const noexcept { return ss_.ss_family; }
    uint16_t port() const noexcept;
    void set_port(uint16_t port) noexcept;

    const sockaddr *data() const noexcept { return reinterpret_cast<const sockaddr *>(&ss_); }
    sockaddr *data() noexcept { return reinterpret_cast<sockaddr *>(&ss_); }
    socklen_t size() const noexcept { return len_; }
    /// For filling in by the kernel: data() holds capacity() bytes; then resize() to the length.
    static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }
    void resize(socklen_t len) noexcept { len_ = len > capacity() ? capacity() : len; }

    /// "127.0.0.1:8080", "[::1]:8080"; other families: "family N".
    std::string to_string() const;

    friend bool operator==(const endpoint &a, const endpoint &b) noexcept {
        return a.len_ == b.len_ && std::memcmp(&a.ss_, &b.ss_, a.len_) == 0;
    }

private:
    sockaddr_storage ss_;
    socklen_t len_ = 0;
};

} // namespace zsock
