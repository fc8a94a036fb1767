/*
 * fuzz_options.c - libFuzzer target: the command line and the environment
 * (options_parse), as a mount unit, an fstab line or a user may give them.
 *
 * Input: the first byte says which of the argo CLI's environment variables
 * are set (one bit each, in the order of env_names); the rest, split on NUL
 * bytes, gives their values and then argv[1..]. Each input gets an
 * environment of its own (environ points at an array made for it, so that
 * nothing accumulates in glibc's setenv() across millions of inputs), and
 * ARGOFS_SA_TOKEN_FILE always names a path (a missing one unless fuzzed):
 * no state of the machine leaks in.
 *
 * Checked: no crash or leak; a failure is -EINVAL with an "argofs: "
 * message (or -ENOMEM); a success gives a configuration main.c can use as
 * it is: a base URL that http_client_new() accepts and that options_base_url()
 * leaves unchanged, timeouts in range, valid distinct namespaces, one token
 * origin at most, a known log level, and a mountpoint among the
 * arguments left for FUSE.
 */
#include <errno.h>
#include <fuse_opt.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <unistd.h>

#include <curl/curl.h>

#include "argofs/http.h"
#include "argofs/log.h"
#include "argofs/options.h"
#include "fuzz.h"

#define MAX_ARGS 64

static const char *const env_names[] = {
	"ARGO_SERVER", "ARGO_SECURE", "ARGO_BASE_HREF", "ARGO_INSECURE_SKIP_VERIFY",
	"ARGO_NAMESPACE", "ARGO_TOKEN", "ARGOFS_SA_TOKEN_FILE",
};
#define N_ENV (sizeof(env_names) / sizeof(env_names[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
	log_init(LOG_LEVEL_ERROR, false);
	return 0;
}

static void check_config(const struct argofs_config *cfg, const struct fuse_args *args)
{
	struct http_client *http = NULL;
	enum log_level level;
	char *again = NULL;

	if (cfg->show_help || cfg->show_version)
		return;
	FUZZ_CHECK(args->argc >= 2 && args->argv[args->argc - 1] != NULL);
	FUZZ_CHECK(cfg->base_url != NULL);
	FUZZ_CHECK(options_base_url(cfg->base_url, NULL, true, &again) == 0);
	FUZZ_CHECK(strcmp(again, cfg->base_url) == 0);
	free(again);
	FUZZ_CHECK(http_client_new(&(struct http_config){ .base_url = cfg->base_url,
							  .timeout_ms = 1000 }, &http) == 0);
	http_client_free(http);

	FUZZ_CHECK(isfinite(cfg->timeout) && cfg->timeout > 0 && cfg->timeout <= 86400);
	FUZZ_CHECK(isfinite(cfg->cache_ttl) && cfg->cache_ttl >= 0 && cfg->cache_ttl <= 86400);
	FUZZ_CHECK(cfg->namespaces && cfg->namespaces[cfg->n_namespaces] == NULL);
	for (size_t i = 0; i < cfg->n_namespaces; i++) {
		FUZZ_CHECK(options_valid_namespace(cfg->namespaces[i]));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->namespaces[i], cfg->namespaces[j]) != 0);
	}
	FUZZ_CHECK(!(cfg->token_file && cfg->token_value));
	FUZZ_CHECK(!cfg->token_file || cfg->token_file[0] != '\0');
	FUZZ_CHECK(!cfg->log_level || log_level_parse(cfg->log_level, &level) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 1], *envp[N_ENV + 2] = { 0 }, *msg = NULL;
	char **saved_environ = environ;
	size_t n_env = 0;
	const char *p, *end;
	struct argofs_config cfg;
	struct fuse_args args;
	unsigned mask;
	int argc = 0, r;

	if (size == 0)
		return 0;
	mask = data[0];
	/* a NUL-terminated copy: the last piece needs its end too */
	copy = malloc(size);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	p = copy;
	end = copy + size - 1;

	for (size_t i = 0; i < N_ENV; i++) {
		if (!(mask & (1u << i)))
			continue;
		FUZZ_CHECK(asprintf(&envp[n_env++], "%s=%s", env_names[i], p) > 0);
		/* the next piece; with none left, "" (the final NUL) */
		p += p < end ? strlen(p) + 1 : 0;
		p = p < end ? p : end;
	}
	/* getenv() takes the first; a fuzzed value comes before this one */
	FUZZ_CHECK(asprintf(&envp[n_env++], "ARGOFS_SA_TOKEN_FILE=/nonexistent/argofs-fuzz/token") > 0);
	environ = envp;
	argv[argc++] = "argofs";
	while (p < end && argc < MAX_ARGS) {
		argv[argc++] = (char *)p;
		p += strlen(p) + 1;
	}
	argv[argc] = NULL;

	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	r = options_parse(&args, &cfg, &msg);
	if (r == 0) {
		check_config(&cfg, &args);
		FUZZ_CHECK(msg == NULL);
		options_free(&cfg);
	} else {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(r == -ENOMEM || (msg && strncmp(msg, "argofs: ", 8) == 0));
		free(msg);
	}
	environ = saved_environ;
	for (size_t i = 0; i < n_env; i++)
		free(envp[i]);
	fuse_opt_free_args(&args);
	free(copy);
	return 0;
}
