/*
 * test_errlog.c - the failure ring (order, wrap-around, truncation,
 * one line per failure, clear, threads) and, through it, the logger
 * (line format on stderr, level filter, level names).
 *
 * stderr is redirected into a temporary file around the calls whose log
 * output is checked.
 */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "argofs/errlog.h"
#include "argofs/log.h"

/* ---- helpers ---- */

static char *render(size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(errlog_render(&text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	if (ret_len)
		*ret_len = len;
	return text;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The @i-th line (0-based) of @text, malloc'd, without its newline. */
static char *line_at(const char *text, size_t i)
{
	while (i-- > 0) {
		text = strchr(text, '\n');
		assert_non_null(text);
		text++;
	}
	return strndup(text, strcspn(text, "\n"));
}

/* The part of a rendered line after the time stamp. */
static const char *after_time(const char *line)
{
	const char *sp = strchr(line, ' ');

	assert_non_null(sp);
	return sp + 1;
}

static void assert_matches(const char *s, const char *pattern)
{
	regex_t re;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, s, 0, NULL, 0) != 0)
		fail_msg("'%s' does not match /%s/", s, pattern);
	regfree(&re);
}

struct captured {
	FILE *file;
	int saved_fd;
};

static void capture_start(struct captured *c)
{
	c->file = tmpfile();
	assert_non_null(c->file);
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* Restore stderr; returns what was written meanwhile (malloc'd). */
static char *capture_end(struct captured *c)
{
	long size;
	char *buf;

	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	size = ftell(c->file);
	assert_true(size >= 0);
	buf = calloc(1, (size_t)size + 1);
	assert_non_null(buf);
	rewind(c->file);
	assert_int_equal(fread(buf, 1, (size_t)size, c->file), (size_t)size);
	fclose(c->file);
	return buf;
}

/* Errors only, so the many records below do not flood the test's output;
 * the tests of the log itself choose their level. */
static int setup(void **state)
{
	(void)state;
	log_init(LOG_LEVEL_ERROR, false);
	errlog_clear();
	return 0;
}

/* ---- the ring ---- */

static void test_empty(void **state)
{
	size_t len = 1;
	char *text;

	(void)state;
	text = render(&len);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
}

static void test_line_format_and_utc_time(void **state)
{
	time_t before, after, stamp;
	struct tm tm = { 0 };
	char *text, *line;
	const char *rest;

	(void)state;
	/* A zone far from UTC (POSIX form, no tzdata needed): the stamp must
	 * not follow it. */
	setenv("TZ", "XYZ-5:30", 1);
	tzset();
	before = time(NULL);
	errlog_record("create", "/argo/workflow-templates/x.yaml", 409, -EEXIST,
		      "workflowtemplates.argoproj.io \"x\" already exists");
	after = time(NULL);

	text = render(NULL);
	assert_int_equal(count_lines(text), 1);
	assert_true(text[strlen(text) - 1] == '\n');
	line = line_at(text, 0);
	assert_matches(line, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ");
	assert_string_equal(after_time(line),
			    "create /argo/workflow-templates/x.yaml 409 EEXIST: "
			    "workflowtemplates.argoproj.io \"x\" already exists");

	/* The stamp is UTC: read back with timegm() it lies in [before, after]. */
	rest = strptime(line, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(rest);
	stamp = timegm(&tm);
	assert_true(stamp >= before && stamp <= after);
	free(line);
	free(text);
}

static void test_no_status_no_strings(void **state)
{
	char *text, *line;

	(void)state;
	errlog_record("list", "/argo", 0, -ECONNREFUSED, "Failed to connect to localhost port 1");
	errlog_record(NULL, NULL, 0, 0, NULL);
	errlog_record("", "", 503, -EAGAIN, "");

	text = render(NULL);
	assert_int_equal(count_lines(text), 3);
	line = line_at(text, 0);
	assert_string_equal(after_time(line),
			    "list /argo - ECONNREFUSED: Failed to connect to localhost port 1");
	free(line);
	line = line_at(text, 1);
	assert_string_equal(after_time(line), "- - - -: ");
	free(line);
	line = line_at(text, 2);
	assert_string_equal(after_time(line), "- - 503 EAGAIN: ");
	free(line);
	free(text);
}

static void test_order_oldest_first(void **state)
{
	char msg[32], want[64], *text, *line;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "failure %d", i);
		errlog_record("update", "/p", 400, -EINVAL, msg);
	}
	text = render(NULL);
	assert_int_equal(count_lines(text), 10);
	for (int i = 0; i < 10; i++) {
		line = line_at(text, (size_t)i);
		snprintf(want, sizeof(want), "update /p 400 EINVAL: failure %d", i);
		assert_string_equal(after_time(line), want);
		free(line);
	}
	free(text);
}

static void test_wraps_around_keeping_newest(void **state)
{
	const int total = ERRLOG_CAPACITY * 2 + 5;
	char msg[32], want[64], *text, *line;

	(void)state;
	for (int i = 0; i < total; i++) {
		snprintf(msg, sizeof(msg), "failure %d", i);
		errlog_record("delete", "/q", 404, -ENOENT, msg);
	}
	text = render(NULL);
	assert_int_equal(count_lines(text), ERRLOG_CAPACITY);
	for (int i = 0; i < ERRLOG_CAPACITY; i++) {
		line = line_at(text, (size_t)i);
		snprintf(want, sizeof(want), "delete /q 404 ENOENT: failure %d",
			 total - ERRLOG_CAPACITY + i);
		assert_string_equal(after_time(line), want);
		free(line);
	}
	free(text);
}

static void test_huge_message_truncated(void **state)
{
	size_t big = 1 << 20;
	char *msg = malloc(big + 1), *text, *line;
	const char *rest;

	(void)state;
	assert_non_null(msg);
	memset(msg, 'm', big);
	msg[big] = '\0';
	errlog_record("create", "/big", 413, -EFBIG, msg);

	text = render(NULL);
	assert_int_equal(count_lines(text), 1);
	assert_true(strlen(text) < 8192);
	line = line_at(text, 0);
	rest = after_time(line);
	assert_true(strncmp(rest, "create /big 413 EFBIG: mmmm", 26) == 0);
	assert_string_equal(rest + strlen(rest) - 4, "m...");
	free(line);
	free(text);
	free(msg);
}

/* A cut never leaves half a UTF-8 character behind, whichever byte of a
 * two-byte character the limit falls on. */
static void test_truncation_keeps_utf8_whole(void **state)
{
	size_t n = 5000;
	char *msg = malloc(2 * n + 2), *text, *line;
	size_t len;

	(void)state;
	assert_non_null(msg);
	msg[0] = 'x';
	for (size_t i = 0; i < n; i++)
		memcpy(msg + 1 + 2 * i, "\xc3\xa9", 2); /* e acute */
	msg[2 * n + 1] = '\0';
	errlog_record("a", "b", 400, -EINVAL, msg + 1); /* even offset */
	errlog_record("a", "b", 400, -EINVAL, msg);     /* odd offset */

	text = render(NULL);
	assert_int_equal(count_lines(text), 2);
	for (size_t i = 0; i < 2; i++) {
		line = line_at(text, i);
		len = strlen(line);
		assert_string_equal(line + len - 3, "...");
		/* Before "..." comes a whole character. */
		assert_int_equal((unsigned char)line[len - 4], 0xa9);
		assert_int_equal((unsigned char)line[len - 5], 0xc3);
		free(line);
	}
	free(text);
	free(msg);
}

static void test_control_chars_become_spaces(void **state)
{
	char *text, *line;

	(void)state;
	errlog_record("up\ndate", "/a\rb", 400, -EINVAL,
		      "line one\nline two\r\n\tend\x1b[31m\x7f");
	text = render(NULL);
	assert_int_equal(count_lines(text), 1);
	line = line_at(text, 0);
	assert_string_equal(after_time(line), "up date /a b 400 EINVAL: line one line two   end [31m ");
	free(line);
	free(text);
}

static void test_clear(void **state)
{
	size_t len;
	char *text;

	(void)state;
	for (int i = 0; i < ERRLOG_CAPACITY + 3; i++)
		errlog_record("x", "/y", 500, -EIO, "boom");
	errlog_clear();
	text = render(&len);
	assert_int_equal(len, 0);
	free(text);

	errlog_record("after", "/z", 500, -EIO, "again");
	text = render(NULL);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, " after /z 500 EIO: again\n"));
	free(text);
}

#define N_THREADS 8
#define PER_THREAD 200

static void *record_many(void *arg)
{
	char msg[32];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(msg, sizeof(msg), "t%d-%d", (int)(intptr_t)arg, i);
		errlog_record("read", "/t", 503, -EAGAIN, msg);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t threads[N_THREADS];
	char *text, *line;

	(void)state;
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, record_many, (void *)(intptr_t)i), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(threads[i], NULL);
	text = render(NULL);
	assert_int_equal(count_lines(text), ERRLOG_CAPACITY);
	for (size_t i = 0; i < ERRLOG_CAPACITY; i++) {
		line = line_at(text, i);
		assert_matches(after_time(line), "^read /t 503 EAGAIN: t[0-7]-[0-9]+$");
		free(line);
	}
	free(text);
}

/* ---- the logger, seen through errlog and directly ---- */

static void test_record_logs_once_at_warn(void **state)
{
	struct captured c;
	char want[512], *out;

	(void)state;
	log_init(LOG_LEVEL_WARN, false);
	capture_start(&c);
	errlog_record("update", "/ns/workflow-templates/t.yaml", 409, -ESTALE,
		      "the object has been modified\nplease retry");
	errlog_record("list", "/ns", 0, -ETIMEDOUT, "Operation timed out");
	out = capture_end(&c);

	snprintf(want, sizeof(want),
		 "argofs[%ld]: warn: update /ns/workflow-templates/t.yaml: 409 ESTALE: "
		 "the object has been modified please retry\n"
		 "argofs[%ld]: warn: list /ns: ETIMEDOUT: Operation timed out\n",
		 (long)getpid(), (long)getpid());
	assert_string_equal(out, want);
	free(out);
}

static void test_log_level_filter(void **state)
{
	struct captured c;
	char want[512], *out;

	(void)state;
	log_init(LOG_LEVEL_WARN, false);
	assert_false(log_enabled(LOG_LEVEL_INFO));
	assert_true(log_enabled(LOG_LEVEL_WARN));

	capture_start(&c);
	log_debug("hidden %d", 1);
	log_info("hidden %d", 2);
	log_warn("shown %d", 3);
	log_error("shown %d", 4);
	log_init(LOG_LEVEL_DEBUG, false);
	log_debug("now %s", "visible");
	log_init(LOG_LEVEL_ERROR, false);
	log_warn("hidden again");
	errlog_record("x", "/y", 500, -EIO, "recorded but not logged");
	out = capture_end(&c);

	snprintf(want, sizeof(want),
		 "argofs[%ld]: warn: shown 3\n"
		 "argofs[%ld]: error: shown 4\n"
		 "argofs[%ld]: debug: now visible\n",
		 (long)getpid(), (long)getpid(), (long)getpid());
	assert_string_equal(out, want);
	free(out);
}

static void test_log_long_message_is_one_line(void **state)
{
	size_t big = 100000;
	struct captured c;
	char *msg = malloc(big + 1), *out;

	(void)state;
	assert_non_null(msg);
	memset(msg, 'z', big);
	msg[big] = '\0';
	msg[10] = '\n';
	capture_start(&c);
	log_error("%s", msg);
	out = capture_end(&c);
	assert_int_equal(count_lines(out), 1);
	assert_true(strlen(out) < 8192);
	assert_string_equal(out + strlen(out) - 5, "z...\n");
	free(out);
	free(msg);
}

static void test_log_level_parse(void **state)
{
	enum log_level level = LOG_LEVEL_INFO;

	(void)state;
	assert_int_equal(log_level_parse("error", &level), 0);
	assert_int_equal(level, LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("warn", &level), 0);
	assert_int_equal(level, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("info", &level), 0);
	assert_int_equal(level, LOG_LEVEL_INFO);
	assert_int_equal(log_level_parse("debug", &level), 0);
	assert_int_equal(level, LOG_LEVEL_DEBUG);

	assert_int_equal(log_level_parse("DEBUG", &level), -EINVAL);
	assert_int_equal(log_level_parse("warning", &level), -EINVAL);
	assert_int_equal(log_level_parse("", &level), -EINVAL);
	assert_int_equal(log_level_parse(NULL, &level), -EINVAL);
	assert_int_equal(level, LOG_LEVEL_DEBUG); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup(test_line_format_and_utc_time, setup),
		cmocka_unit_test_setup(test_no_status_no_strings, setup),
		cmocka_unit_test_setup(test_order_oldest_first, setup),
		cmocka_unit_test_setup(test_wraps_around_keeping_newest, setup),
		cmocka_unit_test_setup(test_huge_message_truncated, setup),
		cmocka_unit_test_setup(test_truncation_keeps_utf8_whole, setup),
		cmocka_unit_test_setup(test_control_chars_become_spaces, setup),
		cmocka_unit_test_setup(test_clear, setup),
		cmocka_unit_test_setup(test_threads, setup),
		cmocka_unit_test_setup(test_record_logs_once_at_warn, setup),
		cmocka_unit_test_setup(test_log_level_filter, setup),
		cmocka_unit_test_setup(test_log_long_message_is_one_line, setup),
		cmocka_unit_test_setup(test_log_level_parse, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
