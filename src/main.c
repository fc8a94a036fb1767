/*
 * main.c - the argofs program: options, configuration check, wiring, mount.
 *
 * A straight line: parse the options (exit 2 on a bad one), set up the token
 * source, the HTTP client and the model, ask the server for its version so
 * that a wrong address, certificate or token is reported before mounting,
 * then hand over to FUSE until unmounted.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "argofs/api.h"
#include "argofs/errmap.h"
#include "argofs/fsops.h"
#include "argofs/http.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/options.h"
#include "argofs/runs.h"
#include "argofs/token.h"

#define EXIT_USAGE 2

/* Whether the FUSE arguments ask for the foreground (-f, -d). */
static bool foreground(const struct fuse_args *args)
{
	for (int i = 1; i < args->argc; i++)
		if (strcmp(args->argv[i], "-f") == 0 || strcmp(args->argv[i], "-d") == 0)
			return true;
	return false;
}

static int make_token_source(const struct argofs_config *cfg, struct token_source **ret_src)
{
	if (cfg->token_file)
		return token_source_new_file(cfg->token_file, ret_src);
	if (cfg->token_value)
		return token_source_new_value(cfg->token_value, ret_src);
	*ret_src = NULL;
	return 0;
}

/* One request before mounting: a server that cannot be reached, a
 * certificate that does not verify or a token that is refused is better
 * reported now than as EIO on every file. */
static int check_server(struct http_client *http, const char *base_url)
{
	struct argo_error err = { 0 };
	json_t *version = NULL;
	int r = argo_get_json(http, "/api/v1/version", &version, &err);

	if (r < 0) {
		fprintf(stderr, "argofs: %s: %s (%s)\n", base_url, err.message, errmap_name(r));
		return r;
	}
	log_info("connected to %s, argo server %s", base_url,
		 json_string_value(json_object_get(version, "version")) ?: "unknown");
	json_decref(version);
	return 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct argofs_config cfg = { 0 };
	struct token_source *token = NULL;
	struct http_client *http = NULL;
	struct model *model = NULL;
	struct runs *runs = NULL;
	enum log_level level = LOG_LEVEL_WARN;
	char *msg = NULL;
	int r, status = EXIT_FAILURE;

	r = options_parse(&args, &cfg, &msg);
	if (r < 0) {
		fprintf(stderr, "%s\n", msg ? msg : "argofs: invalid arguments");
		free(msg);
		fuse_opt_free_args(&args);
		return EXIT_USAGE;
	}
	if (cfg.show_help || cfg.show_version) {
		if (cfg.show_help)
			fputs(options_help_text(), stdout);
		else
			printf("argofs %s\nlibfuse %s\n", ARGOFS_VERSION, fuse_pkgversion());
		status = EXIT_SUCCESS;
		goto out;
	}
	if (cfg.log_level && log_level_parse(cfg.log_level, &level) < 0) {
		fprintf(stderr, "argofs: invalid log_level '%s'\n", cfg.log_level);
		status = EXIT_USAGE;
		goto out;
	}
	log_init(level, !foreground(&args));
	/* libcurl runs with CURLOPT_NOSIGNAL: a peer closing a socket must not
	 * kill the daemon (fuse_main() installs the same once mounted) */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "argofs: cannot initialise libcurl\n");
		goto out;
	}
	r = make_token_source(&cfg, &token);
	if (r < 0) {
		fprintf(stderr, "argofs: cannot use the token: %s\n", strerror(-r));
		status = EXIT_USAGE;
		goto out_curl;
	}
	r = http_client_new(&(struct http_config){
			.base_url = cfg.base_url,
			.token = token,
			.insecure = cfg.insecure,
			.ca_file = cfg.ca_file,
			.timeout_ms = (long)(cfg.timeout * 1000),
		}, &http);
	if (r < 0) {
		fprintf(stderr, "argofs: cannot set up the HTTP client: %s\n", strerror(-r));
		goto out_curl;
	}
	if (check_server(http, cfg.base_url) < 0)
		goto out_curl;
	r = model_new(&(struct model_config){
			.http = http,
			.cache_ttl = cfg.cache_ttl,
			.namespaces = cfg.namespaces,
		}, &model);
	if (r == 0)
		r = runs_new(http, cfg.cache_ttl, &runs);
	if (r < 0) {
		fprintf(stderr, "argofs: %s\n", strerror(-r));
		goto out_curl;
	}
	status = fuse_main(args.argc, args.argv, fsops_operations(&(struct fsops_config){
			.model = model,
			.runs = runs,
			.read_only = cfg.read_only,
			.cache_ttl = cfg.cache_ttl,
			.uid = getuid(),
			.gid = getgid(),
		}), NULL);
out_curl:
	runs_free(runs);
	model_free(model);
	http_client_free(http);
	token_source_free(token);
	curl_global_cleanup();
out:
	options_free(&cfg);
	fuse_opt_free_args(&args);
	return status;
}
