// core/log.hpp - zsock's one-line diagnostics on stderr, formatted with fmt.
//
// ZSOCK_LOG=debug|info|warn|off selects the level (default: warn). Logging is for events that
// happen once (engine choice, a dropped stale fd), never for the per-message path.
#pragma once

#include <fmt/core.h>

namespace zsock::core {

enum class log_level { debug = 0, info = 1, warn = 2, off = 3 };

/// The level chosen by ZSOCK_LOG, read once.
log_level current_log_level() noexcept;
void log_write(log_level level, fmt::string_view text) noexcept;

template <class... Args>
void log_at(log_level level, fmt::format_string<Args...> f, Args &&...args) noexcept {
    if (level < current_log_level()) return;
    try {
        log_write(level, fmt::format(f, std::forward<Args>(args)...));
    } catch (...) {
    }
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args &&...args) noexcept {
    log_at(log_level::debug, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args &&...args) noexcept {
    log_at(log_level::info, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args &&...args) noexcept {
    log_at(log_level::warn, f, std::forward<Args>(args)...);
}

} // namespace zsock::core
