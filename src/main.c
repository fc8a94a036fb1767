/*
 * main.c - the argofs program: options, configuration check, server check,
 * mount.
 *
 * A straight line: parse the options (exit 2 on a bad one), set up the token
 * source, the HTTP client and the model, let libfuse check its own options
 * and the mountpoint (exit 2), ask the server for its version so that a
 * wrong address, certificate or token is reported before mounting (exit 1),
 * then run the mount (mount.c) until it is unmounted or told to stop
 * (exit 0, or 1 when mounting failed). SIGHUP drops the caches (documents
 * and runs) and makes the token file be read again. Everything made here is freed here,
 * after the mount has ended; the token never passes through this file.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <malloc.h>
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
#include "argofs/kube.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/mount.h"
#include "argofs/options.h"
#include "argofs/runs.h"
#include "argofs/token.h"

#define EXIT_USAGE 2

/* What SIGHUP refreshes (borrowed). */
struct reloadable {
	struct model *model;
	struct runs *runs;
	struct kube *kube;               /* NULL without a Kubernetes API */
	struct token_source *token;
	struct token_source *kube_token; /* may be NULL */
};

static void reload(void *data)
{
	struct reloadable *rl = data;

	model_drop_caches(rl->model);
	runs_drop_caches(rl->runs);
	if (rl->kube)
		kube_drop_caches(rl->kube);
	token_source_invalidate(rl->token);
	if (rl->kube_token)
		token_source_invalidate(rl->kube_token);
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
	struct token_source *kube_token = NULL;
	struct http_client *kube_http = NULL;
	struct kube *kube = NULL;
	struct mount *mnt = NULL;
	struct fsops_config fs;
	struct reloadable rl;
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
	/* glibc gives threads that allocate at once arenas of their own, which
	 * keep their peak: one arena took the peak of listing 20,000 workflows
	 * from 57 to 35 MiB (bench/README.md). The daemon waits on the network,
	 * not on malloc's lock. */
	mallopt(M_ARENA_MAX, 1);
	/* libcurl runs with CURLOPT_NOSIGNAL: a peer closing a socket must not
	 * kill the daemon (libfuse's signal handlers keep it ignored) */
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
	r = model_new(&(struct model_config){
			.http = http,
			.cache_ttl = cfg.cache_ttl,
			.namespaces = cfg.namespaces,
		}, &model);
	if (r == 0)
		r = runs_new(http, cfg.cache_ttl, cfg.watch, &runs);
	/* the webhook clients live in a Kubernetes Secret */
	if (r == 0 && cfg.kube_url && cfg.kube_token_file)
		r = token_source_new_file(cfg.kube_token_file, &kube_token);
	if (r == 0 && cfg.kube_url)
		r = http_client_new(&(struct http_config){
				.base_url = cfg.kube_url,
				.token = kube_token,
				.ca_file = cfg.kube_ca_file,
				.timeout_ms = (long)(cfg.timeout * 1000),
			}, &kube_http);
	if (r == 0 && kube_http)
		r = kube_new(kube_http, cfg.cache_ttl, &kube);
	if (r < 0) {
		fprintf(stderr, "argofs: %s\n", strerror(-r));
		goto out_curl;
	}
	fs = (struct fsops_config){
		.model = model,
		.runs = runs,
		.kube = kube,
		.read_only = cfg.read_only,
		.cache_ttl = cfg.cache_ttl,
		.uid = getuid(),
		.gid = getgid(),
	};
	rl = (struct reloadable){ .model = model, .runs = runs, .kube = kube, .token = token,
				  .kube_token = kube_token };
	r = mount_new(&args, &(struct mount_config){
			.ops = fsops_operations(&fs),
			.mountpoint = cfg.mountpoint,
			.log_level = level,
			.reload = reload,
			.data = &rl,
		}, &mnt);
	if (r < 0) {
		/* libfuse has said what it refused */
		status = r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
		goto out_curl;
	}
	if (check_server(http, cfg.base_url) < 0)
		goto out_mount;
	status = mount_run(mnt) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out_mount:
	mount_free(mnt);
out_curl:
	kube_free(kube);
	http_client_free(kube_http);
	token_source_free(kube_token);
	if (http) /* log followers and watchers end at once */
		http_client_cancel_streams(http);
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
