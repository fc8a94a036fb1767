/*
 * log.c - the process-wide logger behind log.h.
 *
 * Each message is formatted into a stack buffer and handed over in one
 * write(2) (stderr) or one syslog(3) call, so lines from different threads
 * never interleave. Control characters in a message (a server's reply may
 * hold newlines) become spaces: one message is always one line. Messages
 * longer than LOG_LINE_MAX are cut and end in "...". The level and the
 * destination are atomics; log_init() switches them under a mutex so that
 * openlog()/closelog() are not raced. Nothing here allocates or keeps caller
 * memory.
 */
#include "argofs/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int level_priorities[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

/* Until log_init() runs: warnings and errors to stderr. */
static atomic_int current_level = LOG_LEVEL_WARN;
static atomic_bool to_syslog = false;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(enum log_level level, bool use_syslog)
{
	pthread_mutex_lock(&init_lock);
	if (use_syslog && !atomic_load(&to_syslog))
		openlog("argofs", LOG_PID, LOG_DAEMON);
	atomic_store(&to_syslog, use_syslog);
	if (!use_syslog)
		closelog();
	atomic_store(&current_level, (int)level);
	pthread_mutex_unlock(&init_lock);
}

int log_level_parse(const char *name, enum log_level *ret_level)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret_level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&current_level);
}

/* Replace control characters in @s with spaces, in place. */
static void make_one_line(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			*s = ' ';
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	bool use_syslog = atomic_load(&to_syslog);
	size_t prefix = 0, len;
	va_list ap;
	int n;

	if ((int)level < (int)LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG || !log_enabled(level))
		return;

	if (!use_syslog) {
		n = snprintf(line, sizeof(line), "argofs[%ld]: %s: ", (long)getpid(),
			     level_names[level]);
		if (n > 0)
			prefix = (size_t)n;
	}

	va_start(ap, fmt);
	n = vsnprintf(line + prefix, sizeof(line) - prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	make_one_line(line + prefix);

	len = prefix + (size_t)n;
	if (len >= sizeof(line)) {
		/* Cut, leaving room for "...\n", and not inside a UTF-8 sequence. */
		len = sizeof(line) - 4;
		while (len > prefix && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
		memcpy(line + len, "...", 3);
		len += 3;
	}

	if (use_syslog) {
		line[len] = '\0';
		syslog(level_priorities[level], "%s", line);
		return;
	}
	line[len++] = '\n';
	/* One write per message; a short or failed write to stderr has
	 * nowhere better to be reported. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
