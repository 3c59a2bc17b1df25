/*
 * <zephyr/logging/log.h> for Linux: LOG_MODULE_REGISTER and LOG_ERR/WRN/INF/DBG print one line
 * each to stderr ("<inf> module: text"), filtered by the level given at registration. Deferred
 * logging, backends and hexdumps are not provided.
 */
#ifndef ZEPHYR_INCLUDE_LOGGING_LOG_H_
#define ZEPHYR_INCLUDE_LOGGING_LOG_H_

#include <stdio.h>

#define LOG_LEVEL_NONE 0
#define LOG_LEVEL_ERR 1
#define LOG_LEVEL_WRN 2
#define LOG_LEVEL_INF 3
#define LOG_LEVEL_DBG 4

/* LOG_MODULE_REGISTER(name) or LOG_MODULE_REGISTER(name, level); the default level is INF. */
#define LOG_MODULE_REGISTER(...) ZSOCK_LOG_REGISTER(__VA_ARGS__, LOG_LEVEL_INF, ~)
#define LOG_MODULE_DECLARE(...) ZSOCK_LOG_REGISTER(__VA_ARGS__, LOG_LEVEL_INF, ~)
#define ZSOCK_LOG_REGISTER(name, level, ...)                                                       \
    __attribute__((unused)) static const char zsock_log_module_name[] = #name;                     \
    __attribute__((unused)) static const int zsock_log_module_level = (level)

#define ZSOCK_LOG_AT(lvl, tag, fmt, ...)                                                           \
    do {                                                                                           \
        if ((lvl) <= zsock_log_module_level)                                                       \
            fprintf(stderr, "<" tag "> %s: " fmt "\n", zsock_log_module_name, ##__VA_ARGS__);      \
    } while (0)
#define LOG_ERR(fmt, ...) ZSOCK_LOG_AT(LOG_LEVEL_ERR, "err", fmt, ##__VA_ARGS__)
#define LOG_WRN(fmt, ...) ZSOCK_LOG_AT(LOG_LEVEL_WRN, "wrn", fmt, ##__VA_ARGS__)
#define LOG_INF(fmt, ...) ZSOCK_LOG_AT(LOG_LEVEL_INF, "inf", fmt, ##__VA_ARGS__)
#define LOG_DBG(fmt, ...) ZSOCK_LOG_AT(LOG_LEVEL_DBG, "dbg", fmt, ##__VA_ARGS__)

#endif /* ZEPHYR_INCLUDE_LOGGING_LOG_H_ */
