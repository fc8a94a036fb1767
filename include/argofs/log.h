/*
 * log.h - the daemon's log: stderr in the foreground, syslog in the background.
 *
 * One process-wide logger, safe to call from any thread. Messages are plain
 * text; callers must never pass a token or a secret in them. The logger owns
 * no caller memory.
 *
 * On stderr each message is one line, written with a single write():
 *   argofs[PID]: warn: message
 * Through syslog the ident is "argofs" with LOG_PID, facility LOG_DAEMON, and
 * the levels map to LOG_ERR, LOG_WARNING, LOG_INFO and LOG_DEBUG. Control
 * characters in a message become spaces; a message over 4 KiB is cut and
 * ends in "...". Until log_init() is called: warn and above, to stderr.
 */
#ifndef ARGOFS_LOG_H
#define ARGOFS_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Log messages at @level and more severe, to syslog when @use_syslog, else
 * to stderr. May be called again to switch (e.g. after daemonizing). */
void log_init(enum log_level level, bool use_syslog);

/* Parse "error", "warn", "info" or "debug" into *ret_level.
 * Returns 0, or -EINVAL for any other string (ret_level untouched). */
int log_level_parse(const char *name, enum log_level *ret_level);

/* Whether a message at @level would be written. */
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
