// coro/error.cpp - zsock::error_category.
#include <string>

#include <zsock/error.hpp>

namespace zsock {
namespace {

class category final : public std::error_category {
public:
    const char *name() const noexcept override { return "zsock"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
        case errc::eof: return "end of stream";
        case errc::host_not_found: return "host not found";
        case errc::host_not_found_try_again: return "host not found (temporary failure, try again)";
        case errc::service_not_found: return "service not found";
        case errc::resolver_failed: return "name resolution failed";
        }
        return "unknown zsock error";
    }
};

} // namespace

const std::error_category &error_category() noexcept {
    static const category c;
    return c;
}

} // namespace zsock
