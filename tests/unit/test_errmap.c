/*
 * test_errmap.c - every row of the errno table (HTTP and curl) and the
 * names of every errno argofs can return.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "argofs/errmap.h"

#define N_OPS 5
static const enum errmap_op all_ops[N_OPS] = {
	ERRMAP_OP_READ, ERRMAP_OP_CREATE, ERRMAP_OP_UPDATE, ERRMAP_OP_DELETE, ERRMAP_OP_ACTION,
};

struct http_row {
	long status;
	int err; /* the same for every op */
};

static const struct http_row http_rows[] = {
	{ 200, 0 }, { 201, 0 }, { 204, 0 }, { 299, 0 },
	{ 301, 0 }, { 304, 0 }, { 307, 0 }, { 399, 0 },
	{ 400, -EINVAL }, { 401, -EACCES }, { 403, -EACCES }, { 404, -ENOENT },
	{ 405, -EOPNOTSUPP }, { 408, -ETIMEDOUT }, { 410, -ENOENT }, { 413, -EFBIG },
	{ 422, -EINVAL }, { 429, -EAGAIN },
	/* other 4xx */
	{ 402, -EINVAL }, { 406, -EINVAL }, { 411, -EINVAL }, { 415, -EINVAL },
	{ 418, -EINVAL }, { 451, -EINVAL }, { 499, -EINVAL },
	{ 500, -EIO }, { 501, -EOPNOTSUPP }, { 502, -EIO }, { 503, -EAGAIN },
	{ 504, -ETIMEDOUT },
	/* other 5xx */
	{ 505, -EIO }, { 507, -EIO }, { 599, -EIO },
	/* no status a server should send */
	{ 0, -EIO }, { 100, -EIO }, { 199, -EIO }, { 600, -EIO }, { -1, -EIO },
};

static void test_http_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(http_rows) / sizeof(http_rows[0]); i++) {
		for (size_t o = 0; o < N_OPS; o++) {
			int got = errmap_http_status(http_rows[i].status, all_ops[o]);
			if (got != http_rows[i].err)
				fail_msg("status %ld op %d: got %d (%s), want %d (%s)",
					 http_rows[i].status, (int)all_ops[o], got, errmap_name(got),
					 http_rows[i].err, errmap_name(http_rows[i].err));
		}
	}
}

static void test_http_409_depends_on_op(void **state)
{
	(void)state;
	assert_int_equal(errmap_http_status(409, ERRMAP_OP_CREATE), -EEXIST);
	assert_int_equal(errmap_http_status(409, ERRMAP_OP_UPDATE), -ESTALE);
	assert_int_equal(errmap_http_status(409, ERRMAP_OP_READ), -EBUSY);
	assert_int_equal(errmap_http_status(409, ERRMAP_OP_DELETE), -EBUSY);
	assert_int_equal(errmap_http_status(409, ERRMAP_OP_ACTION), -EBUSY);
}

struct curl_row {
	CURLcode code;
	int err;
};

static const struct curl_row curl_rows[] = {
	{ CURLE_OK, 0 },
	{ CURLE_COULDNT_CONNECT, -ECONNREFUSED },
	{ CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT },
	{ CURLE_COULDNT_RESOLVE_HOST, -EHOSTUNREACH },
	{ CURLE_COULDNT_RESOLVE_PROXY, -EHOSTUNREACH },
	{ CURLE_SSL_CONNECT_ERROR, -EPROTO },
	{ CURLE_PEER_FAILED_VERIFICATION, -EPROTO },
	{ CURLE_SSL_CACERT, -EPROTO },
	{ CURLE_SSL_CERTPROBLEM, -EPROTO },
	{ CURLE_SSL_CACERT_BADFILE, -EPROTO },
	{ CURLE_SSL_CIPHER, -EPROTO },
	{ CURLE_SSL_ISSUER_ERROR, -EPROTO },
	{ CURLE_SSL_CRL_BADFILE, -EPROTO },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, -EPROTO },
	{ CURLE_RECV_ERROR, -ECONNRESET },
	{ CURLE_SEND_ERROR, -ECONNRESET },
	{ CURLE_GOT_NOTHING, -ECONNRESET },
	{ CURLE_PARTIAL_FILE, -ECONNRESET },
	{ CURLE_HTTP2, -ECONNRESET },
	{ CURLE_HTTP2_STREAM, -ECONNRESET },
	{ CURLE_FILESIZE_EXCEEDED, -EFBIG },
	{ CURLE_WRITE_ERROR, -EFBIG },
	{ CURLE_OUT_OF_MEMORY, -ENOMEM },
	{ CURLE_URL_MALFORMAT, -EINVAL },
	{ CURLE_UNSUPPORTED_PROTOCOL, -EINVAL },
	{ CURLE_ABORTED_BY_CALLBACK, -ECANCELED },
	/* anything else */
	{ CURLE_FAILED_INIT, -EIO },
	{ CURLE_READ_ERROR, -EIO },
	{ CURLE_HTTP_RETURNED_ERROR, -EIO },
	{ CURLE_TOO_MANY_REDIRECTS, -EIO },
	{ CURLE_BAD_CONTENT_ENCODING, -EIO },
	{ CURLE_SSL_ENGINE_NOTFOUND, -EIO },
};

static void test_curl_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(curl_rows) / sizeof(curl_rows[0]); i++) {
		int got = errmap_curl(curl_rows[i].code);
		if (got != curl_rows[i].err)
			fail_msg("curl code %d: got %d (%s), want %d (%s)", (int)curl_rows[i].code,
				 got, errmap_name(got), curl_rows[i].err,
				 errmap_name(curl_rows[i].err));
	}
}

struct name_row {
	int err;
	const char *name;
};

static const struct name_row name_rows[] = {
	{ EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { ENOENT, "ENOENT" },
	{ EEXIST, "EEXIST" }, { ESTALE, "ESTALE" }, { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { ETIMEDOUT, "ETIMEDOUT" }, { ECONNREFUSED, "ECONNREFUSED" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { EPROTO, "EPROTO" }, { ECONNRESET, "ECONNRESET" },
	{ EFBIG, "EFBIG" }, { ENOMEM, "ENOMEM" }, { EIO, "EIO" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ECANCELED, "ECANCELED" }, { EROFS, "EROFS" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
	{ EPERM, "EPERM" }, { ENOTEMPTY, "ENOTEMPTY" }, { ENOSPC, "ENOSPC" },
	{ EXDEV, "EXDEV" }, { ENOSYS, "ENOSYS" },
};

static void test_names_both_signs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(name_rows) / sizeof(name_rows[0]); i++) {
		assert_string_equal(errmap_name(name_rows[i].err), name_rows[i].name);
		assert_string_equal(errmap_name(-name_rows[i].err), name_rows[i].name);
	}
}

static void test_unknown_names(void **state)
{
	(void)state;
	assert_string_equal(errmap_name(0), "E?");
	assert_string_equal(errmap_name(-EDOM), "E?");
	assert_string_equal(errmap_name(100000), "E?");
	assert_string_equal(errmap_name(INT32_MIN), "E?");
}

/* Every errno the two tables can produce has a name. */
static void test_every_mapped_errno_named(void **state)
{
	(void)state;
	for (long status = -1; status < 700; status++)
		for (size_t o = 0; o < N_OPS; o++) {
			int err = errmap_http_status(status, all_ops[o]);
			if (err != 0 && strcmp(errmap_name(err), "E?") == 0)
				fail_msg("status %ld gives an unnamed errno %d", status, err);
		}
	for (int code = 0; code < CURL_LAST; code++) {
		int err = errmap_curl((CURLcode)code);
		if (err != 0 && strcmp(errmap_name(err), "E?") == 0)
			fail_msg("curl code %d gives an unnamed errno %d", code, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_table),
		cmocka_unit_test(test_http_409_depends_on_op),
		cmocka_unit_test(test_curl_table),
		cmocka_unit_test(test_names_both_signs),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_every_mapped_errno_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
