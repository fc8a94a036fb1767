/*
 * test_options.c - the command line and environment parser: each option,
 * each environment fallback and its precedence, SERVER as a positional
 * argument, base URL building, bad values, --help/--version, and the FUSE
 * options that must be left for libfuse.
 *
 * Every test starts from an environment without the ARGO_* variables and
 * with ARGOFS_SA_TOKEN_FILE pointing at a file that does not exist, so the
 * machine's own settings never leak in.
 */
#include <errno.h>
#include <fuse_opt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "argofs/options.h"

static const char *const argo_env[] = {
	"ARGO_SERVER", "ARGO_BASE_HREF", "ARGO_SECURE", "ARGO_INSECURE_SKIP_VERIFY",
	"ARGO_NAMESPACE", "ARGO_TOKEN",
};

static char missing_sa[256];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(argo_env) / sizeof(argo_env[0]); i++)
		unsetenv(argo_env[i]);
	snprintf(missing_sa, sizeof(missing_sa), "/nonexistent-argofs-test-%ld/token", (long)getpid());
	setenv("ARGOFS_SA_TOKEN_FILE", missing_sa, 1);
	return 0;
}

/* One parse: the arguments, the result, and what is left for FUSE. */
struct run {
	struct fuse_args args;
	struct argofs_config cfg;
	char *msg;
	int r;
	char left[1024]; /* args after parsing, joined by ' ' */
};

/* Parse the NULL-terminated argument list (after "argofs"). */
static struct run *parse_argv(const char *first, ...)
{
	struct run *run = calloc(1, sizeof(*run));
	size_t pos = 0;
	va_list ap;

	assert_non_null(run);
	assert_int_equal(fuse_opt_add_arg(&run->args, "argofs"), 0);
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		assert_int_equal(fuse_opt_add_arg(&run->args, a), 0);
	va_end(ap);

	run->r = options_parse(&run->args, &run->cfg, &run->msg);
	for (int i = 0; i < run->args.argc; i++) {
		int n = snprintf(run->left + pos, sizeof(run->left) - pos, "%s%s", i ? " " : "",
				 run->args.argv[i]);
		assert_true(n > 0 && (size_t)n < sizeof(run->left) - pos);
		pos += (size_t)n;
	}
	if (run->r == 0)
		assert_null(run->msg);
	else
		assert_non_null(run->msg);
	return run;
}

#define PARSE(...) parse_argv(__VA_ARGS__, (const char *)NULL)

static void run_free(struct run *run)
{
	options_free(&run->cfg);
	fuse_opt_free_args(&run->args);
	free(run->msg);
	free(run);
}

/* Parse, expect success, check the base URL. */
static struct run *parse_ok(struct run *run, const char *base_url)
{
	if (run->r != 0)
		fail_msg("options_parse failed: %d %s", run->r, run->msg);
	assert_string_equal(run->cfg.base_url, base_url);
	return run;
}

/* Expect -EINVAL with exactly @msg (up to the length of @msg: a hint may follow). */
static void expect_error(struct run *run, const char *msg)
{
	if (run->r != -EINVAL)
		fail_msg("want -EINVAL \"%s\", got %d", msg, run->r);
	if (strncmp(run->msg, msg, strlen(msg)) != 0)
		fail_msg("want message \"%s...\", got \"%s\"", msg, run->msg);
	assert_null(strchr(run->msg, '\n'));
	/* Nothing to free in the config after a failure. */
	assert_null(run->cfg.base_url);
	assert_null(run->cfg.namespaces);
	run_free(run);
}

/* ---- SERVER, server=, ARGO_SERVER, the mountpoint ---- */

static void test_positional_server(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("localhost:2746", "/mnt/argo"), "https://localhost:2746");
	/* the mount is named after SERVER as given */
	assert_string_equal(run->left, "argofs -o fsname=localhost:2746,subtype=argofs /mnt/argo");
	assert_string_equal(run->cfg.mountpoint, "/mnt/argo");
	/* defaults */
	assert_null(run->cfg.token_file);
	assert_null(run->cfg.token_value);
	assert_null(run->cfg.ca_file);
	assert_null(run->cfg.log_level);
	assert_false(run->cfg.insecure);
	assert_false(run->cfg.read_only);
	assert_false(run->cfg.show_help);
	assert_false(run->cfg.show_version);
	assert_true(run->cfg.timeout == ARGOFS_DEFAULT_TIMEOUT);
	assert_true(run->cfg.cache_ttl == ARGOFS_DEFAULT_CACHE_TTL);
	assert_non_null(run->cfg.namespaces);
	assert_int_equal(run->cfg.n_namespaces, 0);
	assert_null(run->cfg.namespaces[0]);
	run_free(run);
}

static void test_server_option_with_one_positional(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("/mnt/argo", "-o", "server=http://argo.example:8080"),
		       "http://argo.example:8080");
	assert_string_equal(run->left,
			    "argofs -o fsname=http://argo.example:8080,subtype=argofs /mnt/argo");
	run_free(run);

	/* -oserver=... in one word, options before the mountpoint */
	run = parse_ok(PARSE("-oserver=argo:2746", "mnt"), "https://argo:2746");
	assert_string_equal(run->left, "argofs -o fsname=argo:2746,subtype=argofs mnt");
	run_free(run);

	/* a comma in the name is escaped for libfuse's -o parser */
	run = parse_ok(PARSE("argo:2746/a,b", "mnt"), "https://argo:2746/a,b");
	assert_string_equal(run->left, "argofs -o fsname=argo:2746/a\\,b,subtype=argofs mnt");
	run_free(run);
}

static void test_server_given_twice(void **state)
{
	(void)state;
	expect_error(PARSE("a:1", "/mnt", "-o", "server=b:2"), "argofs: server given twice");
}

static void test_argo_server_env(void **state)
{
	struct run *run;

	(void)state;
	setenv("ARGO_SERVER", "env-host:2746", 1);
	run = parse_ok(PARSE("/mnt"), "https://env-host:2746");
	run_free(run);
	/* the option and the positional beat the variable */
	run = parse_ok(PARSE("/mnt", "-o", "server=opt-host:1"), "https://opt-host:1");
	run_free(run);
	run = parse_ok(PARSE("pos-host:2", "/mnt"), "https://pos-host:2");
	run_free(run);
	/* empty counts as unset */
	setenv("ARGO_SERVER", "", 1);
	expect_error(PARSE("/mnt"), "argofs: no server given (use SERVER, -o server=URL or ARGO_SERVER)");
}

static void test_missing_server(void **state)
{
	(void)state;
	expect_error(PARSE("/mnt"), "argofs: no server given (use SERVER, -o server=URL or ARGO_SERVER)");
}

static void test_missing_mountpoint(void **state)
{
	(void)state;
	expect_error(PARSE("-o", "server=h:1"), "argofs: no mountpoint given");
}

static void test_too_many_arguments(void **state)
{
	(void)state;
	expect_error(PARSE("h:1", "/mnt", "extra"), "argofs: unexpected argument 'extra'");
}

/* ---- https, ARGO_SECURE, base href ---- */

static void test_secure(void **state)
{
	struct run *run;

	(void)state;
	setenv("ARGO_SECURE", "false", 1);
	run = parse_ok(PARSE("h:2746", "/mnt"), "http://h:2746");
	run_free(run);
	/* a scheme in the URL wins */
	run = parse_ok(PARSE("https://h:2746", "/mnt"), "https://h:2746");
	run_free(run);
	/* only "false" turns TLS off, as in the argo CLI */
	setenv("ARGO_SECURE", "true", 1);
	run = parse_ok(PARSE("h:2746", "/mnt"), "https://h:2746");
	run_free(run);
	setenv("ARGO_SECURE", "0", 1);
	run = parse_ok(PARSE("h:2746", "/mnt"), "https://h:2746");
	run_free(run);
}

static void test_base_href(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "base_href=/argo/"), "https://h:1/argo");
	run_free(run);
	setenv("ARGO_BASE_HREF", "from-env", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1/from-env");
	run_free(run);
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "base_href=opt"), "https://h:1/opt");
	run_free(run);
	expect_error(PARSE("h:1", "/mnt", "-o", "base_href=/a b"), "argofs: invalid base_href '/a b'");
}

struct url_row {
	const char *server, *base_href;
	bool secure;
	const char *want; /* NULL: -EINVAL */
};

static const struct url_row url_rows[] = {
	{ "localhost:2746", NULL, true, "https://localhost:2746" },
	{ "localhost:2746", NULL, false, "http://localhost:2746" },
	{ "http://h:1", NULL, true, "http://h:1" },
	{ "https://h:1", NULL, false, "https://h:1" },
	{ "HTTPS://h:1/", NULL, true, "https://h:1" },
	{ "https://h:1/", "", true, "https://h:1" },
	{ "https://h:1", "argo", true, "https://h:1/argo" },
	{ "https://h:1", "/argo", true, "https://h:1/argo" },
	{ "https://h:1", "argo/", true, "https://h:1/argo" },
	{ "https://h:1/", "/argo/", true, "https://h:1/argo" },
	{ "https://h:1//", "//a//b//", true, "https://h:1/a/b" },
	{ "https://h:1/prefix", "argo", true, "https://h:1/prefix/argo" },
	{ "h:1/base", NULL, true, "https://h:1/base" },
	{ "h:1/base/", "more", false, "http://h:1/base/more" },
	{ "[::1]:2746", NULL, true, "https://[::1]:2746" },
	{ "argo.example.com", "/", true, "https://argo.example.com" },
	/* refused */
	{ "", NULL, true, NULL },
	{ NULL, NULL, true, NULL },
	{ "ftp://h:1", NULL, true, NULL },
	{ "file:///etc", NULL, true, NULL },
	{ "https://", NULL, true, NULL },
	{ "https:///path", NULL, true, NULL },
	{ "/path-only", NULL, true, NULL },
	{ "h :1", NULL, true, NULL },
	{ " h:1", NULL, true, NULL },
	{ "h:1\n", NULL, true, NULL },
	{ "h:1\t", NULL, true, NULL },
	{ "h:1", "a b", true, NULL },
	{ "h:1", "a\nb", true, NULL },
	{ "h:1/x?y=1", NULL, true, NULL },
	{ "h:1#frag", NULL, true, NULL },
	{ "https://user:pw@h:1", NULL, true, NULL },
};

static void test_base_url_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		const struct url_row *row = &url_rows[i];
		char *url = NULL;
		int r = options_base_url(row->server, row->base_href, row->secure, &url);

		if (!row->want) {
			if (r != -EINVAL)
				fail_msg("'%s' + '%s': got %d '%s', want -EINVAL", row->server,
					 row->base_href, r, url);
			assert_null(url);
			continue;
		}
		if (r != 0)
			fail_msg("'%s' + '%s': got %d, want '%s'", row->server, row->base_href, r,
				 row->want);
		assert_string_equal(url, row->want);
		free(url);
	}
}

static void test_invalid_server(void **state)
{
	(void)state;
	expect_error(PARSE("ftp://h:1", "/mnt"), "argofs: invalid server 'ftp://h:1'");
	expect_error(PARSE("/mnt", "-o", "server="), "argofs: invalid server ''");
}

/* ---- token ---- */

static void test_token_sources(void **state)
{
	char sa[256];
	struct run *run;
	FILE *f;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "token_file=/run/argo/token"), "https://h:1");
	assert_string_equal(run->cfg.token_file, "/run/argo/token");
	assert_null(run->cfg.token_value);
	run_free(run);

	setenv("ARGO_TOKEN", "Bearer from-env", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_null(run->cfg.token_file);
	assert_string_equal(run->cfg.token_value, "Bearer from-env");
	run_free(run);

	/* token_file= beats ARGO_TOKEN */
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "token_file=/t"), "https://h:1");
	assert_string_equal(run->cfg.token_file, "/t");
	assert_null(run->cfg.token_value);
	run_free(run);

	/* the service-account file, only when it exists and nothing else is set */
	snprintf(sa, sizeof(sa), "%s/argofs-options-sa-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (long)getpid());
	setenv("ARGOFS_SA_TOKEN_FILE", sa, 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_null(run->cfg.token_file); /* ARGO_TOKEN still wins */
	assert_non_null(run->cfg.token_value);
	run_free(run);

	unsetenv("ARGO_TOKEN");
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_null(run->cfg.token_file); /* does not exist yet */
	assert_null(run->cfg.token_value);
	run_free(run);

	f = fopen(sa, "w");
	assert_non_null(f);
	fputs("sa-token\n", f);
	fclose(f);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_string_equal(run->cfg.token_file, sa);
	assert_null(run->cfg.token_value);
	run_free(run);
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "token_file=/mine"), "https://h:1");
	assert_string_equal(run->cfg.token_file, "/mine");
	run_free(run);
	unlink(sa);
}

static void test_bad_argo_token_not_echoed(void **state)
{
	struct run *run;

	(void)state;
	setenv("ARGO_TOKEN", "secret-part\nother-part", 1);
	run = PARSE("h:1", "/mnt");
	assert_int_equal(run->r, -EINVAL);
	assert_non_null(strstr(run->msg, "ARGO_TOKEN"));
	assert_null(strstr(run->msg, "secret"));
	expect_error(run, "argofs: invalid ARGO_TOKEN");

	setenv("ARGO_TOKEN", "   ", 1);
	expect_error(PARSE("h:1", "/mnt"), "argofs: invalid ARGO_TOKEN");
}

/* ---- TLS ---- */

static void test_insecure_and_ca_file(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "insecure,ca_file=/etc/argo/ca.pem"), "https://h:1");
	assert_true(run->cfg.insecure);
	assert_string_equal(run->cfg.ca_file, "/etc/argo/ca.pem");
	run_free(run);

	setenv("ARGO_INSECURE_SKIP_VERIFY", "true", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_true(run->cfg.insecure);
	run_free(run);
	setenv("ARGO_INSECURE_SKIP_VERIFY", "1", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_false(run->cfg.insecure);
	run_free(run);

	expect_error(PARSE("h:1", "/mnt", "-o", "ca_file="), "argofs: option 'ca_file' needs a value");
	expect_error(PARSE("h:1", "/mnt", "-o", "token_file="), "argofs: option 'token_file' needs a value");
}

/* ---- namespaces ---- */

static void test_namespaces(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "namespace=argo:team-a:b2:argo"), "https://h:1");
	assert_int_equal(run->cfg.n_namespaces, 3);
	assert_string_equal(run->cfg.namespaces[0], "argo");
	assert_string_equal(run->cfg.namespaces[1], "team-a");
	assert_string_equal(run->cfg.namespaces[2], "b2");
	assert_null(run->cfg.namespaces[3]);
	run_free(run);

	setenv("ARGO_NAMESPACE", "from-env", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_int_equal(run->cfg.n_namespaces, 1);
	assert_string_equal(run->cfg.namespaces[0], "from-env");
	run_free(run);
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "namespace=opt"), "https://h:1");
	assert_int_equal(run->cfg.n_namespaces, 1);
	assert_string_equal(run->cfg.namespaces[0], "opt");
	run_free(run);

	expect_error(PARSE("h:1", "/mnt", "-o", "namespace=ok:Bad"), "argofs: invalid namespace 'Bad'");
	expect_error(PARSE("h:1", "/mnt", "-o", "namespace=a::b"), "argofs: invalid namespace ''");
	expect_error(PARSE("h:1", "/mnt", "-o", "namespace=a:"), "argofs: invalid namespace ''");
	setenv("ARGO_NAMESPACE", "under_score", 1);
	expect_error(PARSE("h:1", "/mnt"), "argofs: invalid namespace 'under_score' in ARGO_NAMESPACE");
}

static void test_valid_namespace(void **state)
{
	char long_name[80];

	(void)state;
	assert_true(options_valid_namespace("argo"));
	assert_true(options_valid_namespace("a"));
	assert_true(options_valid_namespace("0"));
	assert_true(options_valid_namespace("team-a-1"));
	assert_true(options_valid_namespace("1abc"));
	assert_false(options_valid_namespace(""));
	assert_false(options_valid_namespace(NULL));
	assert_false(options_valid_namespace("-a"));
	assert_false(options_valid_namespace("a-"));
	assert_false(options_valid_namespace("Argo"));
	assert_false(options_valid_namespace("a.b"));
	assert_false(options_valid_namespace("a_b"));
	assert_false(options_valid_namespace("a b"));
	assert_false(options_valid_namespace(".."));
	assert_false(options_valid_namespace("a/b"));
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	assert_true(options_valid_namespace(long_name));
	long_name[63] = 'a';
	long_name[64] = '\0';
	assert_false(options_valid_namespace(long_name));
}

/* ---- numbers, log level, flags ---- */

static void test_timeout_and_cache_ttl(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "timeout=2.5,cache_ttl=0"), "https://h:1");
	assert_true(run->cfg.timeout == 2.5);
	assert_true(run->cfg.cache_ttl == 0.0);
	run_free(run);
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "timeout=120", "-o", "cache_ttl=.5"), "https://h:1");
	assert_true(run->cfg.timeout == 120.0);
	assert_true(run->cfg.cache_ttl == 0.5);
	run_free(run);
	/* the last one wins */
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "timeout=1,timeout=7"), "https://h:1");
	assert_true(run->cfg.timeout == 7.0);
	run_free(run);

	static const char *const bad_timeouts[] = {
		"abc", "0", "0.0", "-1", "+1", "", " 5", "5s", "inf", "nan", "1e9", "0x10", "1..2",
	};
	for (size_t i = 0; i < sizeof(bad_timeouts) / sizeof(bad_timeouts[0]); i++) {
		char opt[64], want[64];

		snprintf(opt, sizeof(opt), "timeout=%s", bad_timeouts[i]);
		snprintf(want, sizeof(want), "argofs: invalid timeout '%s'", bad_timeouts[i]);
		expect_error(PARSE("h:1", "/mnt", "-o", opt), want);
	}
	expect_error(PARSE("h:1", "/mnt", "-o", "cache_ttl=-1"), "argofs: invalid cache_ttl '-1'");
	expect_error(PARSE("h:1", "/mnt", "-o", "cache_ttl=soon"), "argofs: invalid cache_ttl 'soon'");
}

static void test_log_level_and_read_only(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "log_level=debug,read_only"), "https://h:1");
	assert_string_equal(run->cfg.log_level, "debug");
	assert_true(run->cfg.read_only);
	run_free(run);
	expect_error(PARSE("h:1", "/mnt", "-o", "log_level=verbose"), "argofs: invalid log_level 'verbose'");
}

static void test_option_without_value(void **state)
{
	(void)state;
	expect_error(PARSE("h:1", "/mnt", "-o", "timeout"), "argofs: option 'timeout' needs a value");
	expect_error(PARSE("/mnt", "-o", "server"), "argofs: option 'server' needs a value");
}

/* ---- help and version ---- */

static void test_help_and_version_need_no_server(void **state)
{
	struct run *run;

	(void)state;
	/* even with a broken environment */
	setenv("ARGO_NAMESPACE", "Not_Valid", 1);
	run = PARSE("--help");
	assert_int_equal(run->r, 0);
	assert_true(run->cfg.show_help);
	assert_null(run->cfg.base_url);
	assert_string_equal(run->left, "argofs");
	run_free(run);

	run = PARSE("-h");
	assert_int_equal(run->r, 0);
	assert_true(run->cfg.show_help);
	run_free(run);

	run = PARSE("--version");
	assert_int_equal(run->r, 0);
	assert_true(run->cfg.show_version);
	assert_false(run->cfg.show_help);
	run_free(run);

	run = PARSE("-V", "/mnt");
	assert_int_equal(run->r, 0);
	assert_true(run->cfg.show_version);
	assert_string_equal(run->left, "argofs /mnt");
	run_free(run);
}

static void test_help_text(void **state)
{
	static const char *const mentioned[] = {
		"usage: argofs [SERVER] MOUNTPOINT",
		"server=", "base_href=", "token_file=", "ca_file=", "insecure", "namespace=",
		"timeout=", "cache_ttl=", "read_only", "log_level=", "--help", "--version",
		"-f ", "-d ", "-s ", "allow_other", "default_permissions", "auto_unmount",
		"ARGO_SERVER", "ARGO_SECURE", "ARGO_BASE_HREF", "ARGO_INSECURE_SKIP_VERIFY",
		"ARGO_NAMESPACE", "ARGO_TOKEN", "ARGOFS_SA_TOKEN_FILE",
	};
	const char *text = options_help_text();
	char defaults[64];

	(void)state;
	for (size_t i = 0; i < sizeof(mentioned) / sizeof(mentioned[0]); i++)
		if (!strstr(text, mentioned[i]))
			fail_msg("--help does not mention '%s'", mentioned[i]);
	/* the defaults it states are the real ones */
	snprintf(defaults, sizeof(defaults), "(default %g)", ARGOFS_DEFAULT_TIMEOUT);
	assert_non_null(strstr(strstr(text, "timeout="), defaults));
	snprintf(defaults, sizeof(defaults), "(default %g)", ARGOFS_DEFAULT_CACHE_TTL);
	assert_non_null(strstr(strstr(text, "cache_ttl="), defaults));
	assert_non_null(strstr(text, ARGOFS_SA_TOKEN_FILE));
	/* one line per option: none is wider than a wide terminal */
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");

		assert_true(n <= 110);
		line += n + (line[n] == '\n');
	}
}

/* ---- the Kubernetes API ---- */

static void test_kube_server(void **state)
{
	struct run *run;

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_null(run->cfg.kube_url);
	run_free(run);

	run = parse_ok(PARSE("h:1", "/mnt", "-o", "kube_server=k8s:6443,kube_token_file=/t,kube_ca_file=/c"),
		       "https://h:1");
	assert_string_equal(run->cfg.kube_url, "https://k8s:6443");
	assert_string_equal(run->cfg.kube_token_file, "/t");
	assert_string_equal(run->cfg.kube_ca_file, "/c");
	run_free(run);

	/* inside a pod: the cluster's API by default */
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	run = parse_ok(PARSE("h:1", "/mnt"), "https://h:1");
	assert_string_equal(run->cfg.kube_url, "https://[fd00::1]:443");
	run_free(run);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- what is left for FUSE ---- */

static void test_fuse_options_left_alone(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("-f", "h:1", "-d", "/mnt", "-s", "-o",
			     "allow_other,server_alive=1,timeout=5,default_permissions",
			     "-o", "auto_unmount,fsname=argo,namespace=argo,read_only,insecure"),
		       "https://h:1");
	assert_true(run->cfg.timeout == 5.0);
	assert_true(run->cfg.read_only);
	assert_true(run->cfg.insecure);
	assert_int_equal(run->cfg.n_namespaces, 1);
	assert_string_equal(run->left,
			    "argofs -o allow_other,server_alive=1,default_permissions,auto_unmount,fsname=argo "
			    "-f -d -s -odefault_permissions -oro /mnt");
	run_free(run);

	/* allow_other always brings default_permissions (docs/security.md) */
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "allow_other,fsname=x"), "https://h:1");
	assert_string_equal(run->left, "argofs -o allow_other,fsname=x -odefault_permissions /mnt");
	run_free(run);

	/* nothing but argofs options: no empty "-o" is left behind */
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "read_only,subtype=x"), "https://h:1");
	/* read_only is also the kernel's read-only mount */
	assert_string_equal(run->left, "argofs -o subtype=x -oro /mnt");
	run_free(run);
}

/* What fstab and mount(8) (through mount.fuse3, or a unit's Options=) hand
 * to every file system: the generic options are dropped, the kernel's
 * flags and ours are kept or taken. */
static void test_mount8_generic_options_dropped(void **state)
{
	struct run *run;

	(void)state;
	run = parse_ok(PARSE("h:1", "/mnt", "-o",
			     "rw,_netdev,token_file=/t,noauto,x-systemd.automount,nofail,defaults,"
			     "dev,suid,user,users,nouser,owner,group,auto,comment=systemd.x,,noexec",
			     "-o", ""),
		       "https://h:1");
	assert_string_equal(run->cfg.token_file, "/t");
	assert_string_equal(run->left,
			    "argofs -o rw,dev,suid,noexec -o fsname=h:1,subtype=argofs /mnt");
	run_free(run);

	/* only the exact names: an option that merely starts like one is FUSE's */
	run = parse_ok(PARSE("h:1", "/mnt", "-o", "users_x,auto_unmount,x"), "https://h:1");
	assert_string_equal(run->left,
			    "argofs -o users_x,auto_unmount,x -o fsname=h:1,subtype=argofs /mnt");
	run_free(run);
}

/* The mountpoint is kept as given; relative token and CA files are made
 * absolute, since the daemon runs in "/". */
static void test_mountpoint_and_relative_paths(void **state)
{
	char cwd[4096], want[4200];
	struct run *run;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	run = parse_ok(PARSE("h:1", "mnt/", "-o", "token_file=sec/token,ca_file=ca.pem"), "https://h:1");
	assert_string_equal(run->cfg.mountpoint, "mnt/");
	snprintf(want, sizeof(want), "%s/sec/token", cwd);
	assert_string_equal(run->cfg.token_file, want);
	snprintf(want, sizeof(want), "%s/ca.pem", cwd);
	assert_string_equal(run->cfg.ca_file, want);
	run_free(run);

	run = PARSE("--help");
	assert_null(run->cfg.mountpoint);
	run_free(run);
}

static void test_options_free_accepts_empty(void **state)
{
	struct argofs_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	options_free(&cfg);
	options_free(NULL);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_positional_server),
		T(test_server_option_with_one_positional),
		T(test_server_given_twice),
		T(test_argo_server_env),
		T(test_missing_server),
		T(test_missing_mountpoint),
		T(test_too_many_arguments),
		T(test_secure),
		T(test_base_href),
		T(test_base_url_table),
		T(test_invalid_server),
		T(test_token_sources),
		T(test_bad_argo_token_not_echoed),
		T(test_insecure_and_ca_file),
		T(test_namespaces),
		T(test_valid_namespace),
		T(test_timeout_and_cache_ttl),
		T(test_log_level_and_read_only),
		T(test_option_without_value),
		T(test_help_and_version_need_no_server),
		T(test_help_text),
		T(test_kube_server),
		T(test_fuse_options_left_alone),
		T(test_mount8_generic_options_dropped),
		T(test_mountpoint_and_relative_paths),
		T(test_options_free_accepts_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
