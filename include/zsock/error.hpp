// zsock/error.hpp - zsock's own error codes (the ones errno has no value for).
//
// Every other failure of the C++ API is an errno value in std::system_category(), so
// `ec == std::errc::connection_reset` and friends work as usual. Cancellation is
// std::errc::operation_canceled (ECANCELED), a deadline that expired is std::errc::timed_out.
#pragma once

#include <system_error>
#include <type_traits>

#include <zsock/detail/config.hpp>

namespace zsock {

enum class errc {
    /// The peer closed the stream before recv_exact() got all the bytes it asked for.
    eof = 1,
    /// resolve(): the name does not exist (EAI_NONAME, EAI_NODATA).
    host_not_found = 2,
    /// resolve(): temporary failure in name resolution (EAI_AGAIN).
    host_not_found_try_again = 3,
    /// resolve(): the service is not known for this socket type (EAI_SERVICE).
    service_not_found = 4,
    /// resolve(): any other resolver failure (EAI_FAIL, EAI_FAMILY...).
    resolver_failed = 5,
};

/// The category of zsock::errc values (one instance, exported by libzsock).
ZSOCK_API const std::error_category &error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

namespace detail {
/// An internal result (>= 0, or a negative errno) as an error_code; 0 when r >= 0.
inline std::error_code errno_code(long r) noexcept {
    return r < 0 ? std::error_code(static_cast<int>(-r), std::system_category()) : std::error_code();
}
} // namespace detail

} // namespace zsock

template <>
struct std::is_error_code_enum<zsock::errc> : std::true_type {};
