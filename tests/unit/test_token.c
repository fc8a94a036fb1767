/*
 * test_token.c - token normalisation, and file sources re-reading the token
 * as Kubernetes rotates it (plain rewrite, `..data` symlink swap), after
 * token_source_invalidate(), and once a missing file appears.
 *
 * Each test works in its own temporary directory, removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "argofs/token.h"

/* ---- helpers ---- */

struct tmp {
	char dir[256];
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/argofs-token-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	int r = nftw(t->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return r;
}

/* "@dir/@name" into @buf. */
static void path_in(char *buf, size_t size, const struct tmp *t, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", t->dir, name);

	assert_true(n > 0 && (size_t)n < size);
}

/* Write @text to @path in place (same inode when it exists). */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* The source's value must be @want. */
static void assert_auth(struct token_source *src, const char *want)
{
	char *value = NULL;
	int r = token_source_authorization(src, &value);

	if (r != 0)
		fail_msg("token_source_authorization: %d (%s), want \"%s\"", r, strerror(-r), want);
	assert_string_equal(value, want);
	token_value_free(value);
}

static void assert_auth_fails(struct token_source *src, int want)
{
	char *value = NULL;

	assert_int_equal(token_source_authorization(src, &value), want);
	assert_null(value);
}

/* ---- normalisation ---- */

struct norm_row {
	const char *raw;
	size_t len;      /* 0: strlen(raw) */
	const char *want; /* NULL: -EINVAL */
};

static const struct norm_row norm_rows[] = {
	{ "abc", 0, "Bearer abc" },
	{ "abc\n", 0, "Bearer abc" },
	{ " \t abc \r\n\n", 0, "Bearer abc" },
	{ "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", 0,
	  "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" },
	{ "Bearer abc", 0, "Bearer abc" },
	{ "Bearer abc\n", 0, "Bearer abc" },
	{ "  Bearer v2:sso-token  ", 0, "Bearer v2:sso-token" },
	{ "Basic dXNlcjpwYXNz", 0, "Basic dXNlcjpwYXNz" },
	{ "Basic dXNlcjpwYXNz\r\n", 0, "Basic dXNlcjpwYXNz" },
	/* the prefixes are case-sensitive and include the space */
	{ "bearer abc", 0, "Bearer bearer abc" },
	{ "BEARER abc", 0, "Bearer BEARER abc" },
	{ "Bearerabc", 0, "Bearer Bearerabc" },
	{ "basic abc", 0, "Bearer basic abc" },
	{ "Basicabc", 0, "Bearer Basicabc" },
	/* spaces inside are the token's business */
	{ "a b", 0, "Bearer a b" },
	/* only @len bytes count */
	{ "abcdef", 3, "Bearer abc" },
	/* empty */
	{ "", 0, NULL },
	{ " \t\r\n ", 0, NULL },
	{ "Bearer", 0, NULL },
	{ "Bearer \n", 0, NULL },
	{ "Basic   ", 0, NULL },
	/* control characters inside */
	{ "ab\ncd", 0, NULL },
	{ "ab\rcd", 0, NULL },
	{ "ab\r\ncd", 0, NULL },
	{ "ab\tcd", 0, NULL },
	{ "Bearer a\x01" "b", 0, NULL },
	{ "ab\x7f", 0, NULL },
};

static void test_normalisation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm_rows) / sizeof(norm_rows[0]); i++) {
		const struct norm_row *row = &norm_rows[i];
		size_t len = row->len ? row->len : strlen(row->raw);
		char *value = NULL;
		int r = token_to_authorization(row->raw, len, &value);

		if (!row->want) {
			if (r != -EINVAL)
				fail_msg("row %zu: got %d, want -EINVAL", i, r);
			assert_null(value);
			continue;
		}
		if (r != 0)
			fail_msg("row %zu: got %d, want \"%s\"", i, r, row->want);
		assert_string_equal(value, row->want);
		token_value_free(value);
	}
}

/* NUL is a control character, not whitespace: refused wherever it is. */
static void test_nul_is_rejected_anywhere(void **state)
{
	char *value = NULL;

	(void)state;
	assert_int_equal(token_to_authorization("\0abc", 4, &value), -EINVAL);
	assert_int_equal(token_to_authorization("ab\0c", 4, &value), -EINVAL);
	assert_int_equal(token_to_authorization("abc\0", 4, &value), -EINVAL);
	assert_int_equal(token_to_authorization("abc\n\0", 5, &value), -EINVAL);
	assert_null(value);
}

/* ---- fixed values ---- */

static void test_value_source(void **state)
{
	struct token_source *src = NULL;

	(void)state;
	assert_int_equal(token_source_new_value("  secret\n", &src), 0);
	assert_auth(src, "Bearer secret");
	token_source_invalidate(src);
	assert_auth(src, "Bearer secret");
	token_source_free(src);

	assert_int_equal(token_source_new_value("Basic Zm9vOmJhcg==", &src), 0);
	assert_auth(src, "Basic Zm9vOmJhcg==");
	token_source_free(src);

	src = NULL;
	assert_int_equal(token_source_new_value("", &src), -EINVAL);
	assert_int_equal(token_source_new_value("a\nb", &src), -EINVAL);
	assert_int_equal(token_source_new_value(NULL, &src), -EINVAL);
	assert_null(src);
	token_source_free(NULL);
	token_value_free(NULL);
}

/* ---- files ---- */

static void test_file_read_and_reread_on_change(void **state)
{
	struct tmp *t = *state;
	struct token_source *src;
	char path[512], tmp[512];

	path_in(path, sizeof(path), t, "token");
	path_in(tmp, sizeof(tmp), t, "token.new");
	write_file(path, "first\n");
	assert_int_equal(token_source_new_file(path, &src), 0);
	assert_auth(src, "Bearer first");
	assert_auth(src, "Bearer first");

	/* Rewritten in place with another size. */
	write_file(path, "second-token\n");
	assert_auth(src, "Bearer second-token");

	/* Replaced by rename: a new inode. */
	write_file(tmp, "Bearer third\n");
	assert_int_equal(rename(tmp, path), 0);
	assert_auth(src, "Bearer third");
	token_source_free(src);
}

/* What the kubelet does: ..2026_x/token, ..data -> ..2026_x, token ->
 * ..data/token; a rotation writes ..2026_y and renames a new symlink over
 * ..data in one step. */
static void test_kubernetes_symlink_swap(void **state)
{
	struct tmp *t = *state;
	struct token_source *src;
	char p[512], q[512];

	path_in(p, sizeof(p), t, "..2026_x");
	assert_int_equal(mkdir(p, 0700), 0);
	path_in(p, sizeof(p), t, "..2026_x/token");
	write_file(p, "token-x");
	path_in(p, sizeof(p), t, "..data");
	assert_int_equal(symlink("..2026_x", p), 0);
	path_in(p, sizeof(p), t, "token");
	assert_int_equal(symlink("..data/token", p), 0);

	assert_int_equal(token_source_new_file(p, &src), 0);
	assert_auth(src, "Bearer token-x");

	/* Same size, so only the inode tells the new file apart. */
	path_in(p, sizeof(p), t, "..2026_y");
	assert_int_equal(mkdir(p, 0700), 0);
	path_in(p, sizeof(p), t, "..2026_y/token");
	write_file(p, "token-y");
	path_in(p, sizeof(p), t, "..data_tmp");
	assert_int_equal(symlink("..2026_y", p), 0);
	path_in(q, sizeof(q), t, "..data");
	assert_int_equal(rename(p, q), 0);
	assert_auth(src, "Bearer token-y");

	/* The kubelet then removes the old directory; nothing changes. */
	path_in(p, sizeof(p), t, "..2026_x/token");
	assert_int_equal(unlink(p), 0);
	path_in(p, sizeof(p), t, "..2026_x");
	assert_int_equal(rmdir(p), 0);
	assert_auth(src, "Bearer token-y");
	token_source_free(src);
}

/* Same inode, same size, same mtime: only invalidate() makes it re-read. */
static void test_invalidate_forces_reread(void **state)
{
	struct tmp *t = *state;
	struct token_source *src;
	struct timespec times[2];
	struct stat st;
	char path[512];
	int fd;

	path_in(path, sizeof(path), t, "token");
	write_file(path, "aaaa");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(token_source_new_file(path, &src), 0);
	assert_auth(src, "Bearer aaaa");

	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "bbbb", 4, 0), 4);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(futimens(fd, times), 0);
	assert_int_equal(close(fd), 0);

	/* The cached value is served while the identity is unchanged... */
	assert_auth(src, "Bearer aaaa");
	/* ...until the caller says it is no good (a 401). */
	token_source_invalidate(src);
	assert_auth(src, "Bearer bbbb");

	/* One re-read per invalidate: cached again afterwards. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "cccc", 4, 0), 4);
	assert_int_equal(futimens(fd, times), 0);
	assert_int_equal(close(fd), 0);
	assert_auth(src, "Bearer bbbb");

	/* A new size is noticed even when the mtime is put back (coarse
	 * timestamps). */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "dddddd", 6, 0), 6);
	assert_int_equal(futimens(fd, times), 0);
	assert_int_equal(close(fd), 0);
	assert_auth(src, "Bearer dddddd");

	/* Same size, same inode: a new mtime, even a nanosecond on, is noticed. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "eeeeee", 6, 0), 6);
	times[1].tv_nsec = (times[1].tv_nsec + 1) % 1000000000;
	assert_int_equal(futimens(fd, times), 0);
	assert_int_equal(close(fd), 0);
	assert_auth(src, "Bearer eeeeee");
	token_source_free(src);
}

static void test_missing_file_then_appears(void **state)
{
	struct tmp *t = *state;
	struct token_source *src;
	char path[512];

	path_in(path, sizeof(path), t, "later");
	assert_int_equal(token_source_new_file(path, &src), 0);
	assert_auth_fails(src, -ENOENT);
	assert_auth_fails(src, -ENOENT);
	write_file(path, "arrived\n");
	assert_auth(src, "Bearer arrived");

	/* Gone again: the old token is not served. */
	assert_int_equal(unlink(path), 0);
	assert_auth_fails(src, -ENOENT);
	write_file(path, "back");
	assert_auth(src, "Bearer back");
	token_source_free(src);
}

static void test_bad_files(void **state)
{
	struct tmp *t = *state;
	struct token_source *src;
	char path[512], *big;
	size_t big_len = 64 * 1024 + 1;

	path_in(path, sizeof(path), t, "token");
	assert_int_equal(token_source_new_file(path, &src), 0);

	write_file(path, "");
	assert_auth_fails(src, -EINVAL);
	write_file(path, " \n");
	assert_auth_fails(src, -EINVAL);
	write_file(path, "two\nlines\n");
	assert_auth_fails(src, -EINVAL);

	big = malloc(big_len + 1);
	assert_non_null(big);
	memset(big, 'k', big_len);
	big[big_len] = '\0';
	write_file(path, big);
	assert_auth_fails(src, -EFBIG);
	big[big_len - 1] = '\0'; /* exactly 64 KiB is fine */
	write_file(path, big);
	{
		char *value = NULL;
		assert_int_equal(token_source_authorization(src, &value), 0);
		assert_int_equal(strlen(value), strlen("Bearer ") + big_len - 1);
		token_value_free(value);
	}
	free(big);

	/* Fixed once good again. */
	write_file(path, "good");
	assert_auth(src, "Bearer good");

	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0), 0);
		assert_auth_fails(src, -EACCES);
		assert_int_equal(chmod(path, 0600), 0);
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_auth_fails(src, -EISDIR);
	token_source_free(src);

	src = NULL;
	assert_int_equal(token_source_new_file("", &src), -EINVAL);
	assert_int_equal(token_source_new_file(NULL, &src), -EINVAL);
	assert_null(src);
}

/* Readers in several threads while the token rotates: each sees a whole
 * token, old or new, never a failure. */
#define N_READERS 4

struct reader {
	struct token_source *src;
	atomic_bool *stop;
	int failures;
	unsigned long reads;
};

static void *read_loop(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(rd->stop)) {
		char *value = NULL;
		int r = token_source_authorization(rd->src, &value);

		if (r != 0 || (strcmp(value, "Bearer even") != 0 && strcmp(value, "Bearer odd-token") != 0))
			rd->failures++;
		token_value_free(value);
		rd->reads++;
	}
	return NULL;
}

static void test_threads_during_rotation(void **state)
{
	struct tmp *t = *state;
	struct reader readers[N_READERS];
	pthread_t threads[N_READERS];
	atomic_bool stop = false;
	struct token_source *src;
	char path[512], tmp[512];

	path_in(path, sizeof(path), t, "token");
	path_in(tmp, sizeof(tmp), t, "token.tmp");
	write_file(path, "even");
	assert_int_equal(token_source_new_file(path, &src), 0);
	for (int i = 0; i < N_READERS; i++) {
		readers[i] = (struct reader){ .src = src, .stop = &stop };
		assert_int_equal(pthread_create(&threads[i], NULL, read_loop, &readers[i]), 0);
	}
	for (int i = 0; i < 200; i++) {
		write_file(tmp, i % 2 ? "odd-token\n" : "even\n");
		assert_int_equal(rename(tmp, path), 0);
		if (i % 50 == 0)
			token_source_invalidate(src);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < N_READERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(readers[i].failures, 0);
	}
	assert_auth(src, "Bearer odd-token");
	token_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_nul_is_rejected_anywhere),
		cmocka_unit_test(test_value_source),
		cmocka_unit_test_setup_teardown(test_file_read_and_reread_on_change, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_kubernetes_symlink_swap, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_invalidate_forces_reread, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_missing_file_then_appears, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bad_files, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_threads_during_rotation, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
