// core/log.cpp - level selection and the stderr sink.
#include "core/log.hpp"

#include <cstdlib>
#include <cstring>

#include "core/sys.hpp"

namespace zsock::core {

log_level current_log_level() noexcept {
    static const log_level level = [] {
        const char *v = std::getenv("ZSOCK_LOG");
        if (!v) return log_level::warn;
        if (!std::strcmp(v, "debug")) return log_level::debug;
        if (!std::strcmp(v, "info")) return log_level::info;
        if (!std::strcmp(v, "off")) return log_level::off;
        return log_level::warn;
    }();
    return level;
}

void log_write(log_level level, fmt::string_view text) noexcept {
    static constexpr const char *names[] = {"debug", "info", "warn", "off"};
    try {
        std::string line = fmt::format("zsock: {}: {}\n", names[static_cast<int>(level)], text);
        // One raw write per line: never through stdio, which may be ours under LD_PRELOAD.
        sys::write(2, line.data(), line.size());
    } catch (...) {
    }
}

} // namespace zsock::core
