/*
 * fuzz_reply.c - libFuzzer target: what the server answers, through the
 * API client and the model (src/api.c, src/model.c) - the code that turns
 * replies into file names, file contents and errors.
 *
 * The server is fake_http.c, answering with the input (pieces cut at NUL
 * bytes, a status selector and a body each: see fake_http.h).
 *
 * The target lists a namespace and the cluster scope, reads what was
 * listed, stats and reads single objects, writes one document, reads the
 * .argofs files, the namespaces, a workflow's log, a workflow watch, and the
 * workflows of a namespace with their files (src/runs.c). Checked, for any
 * replies:
 *  - every request is well formed (fake_http.c), and a write goes to the
 *    document written and nowhere else;
 *  - every listed name is a document file name (NAME.yaml with a valid
 *    object name: no '/', no ".."), listed once, and reads back with its
 *    listed size; every workflow listed has a valid name, listed once;
 *  - every error is one the errno table knows, and .argofs/errors stays
 *    one line per failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/errmap.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/runs.h"
#include "fake_http.h"
#include "fuzz.h"

#define WRITTEN "fuzz-doc"
#define MAX_READS 64

/* A write carries the document written, to its own route. */
static void check_write(const struct fake_request *rq, void *userdata)
{
	json_t *doc;
	const char *name;

	(void)userdata;
	if (strcmp(rq->method, "POST") != 0 && strcmp(rq->method, "PUT") != 0)
		return;
	doc = json_loadb(rq->body, rq->body_len, 0, NULL);
	name = json_string_value(json_object_get(
		json_object_get(json_object_get(doc, "template"), "metadata"), "name"));
	FUZZ_CHECK(doc != NULL);
	FUZZ_CHECK(name && strcmp(name, WRITTEN) == 0);
	if (strcmp(rq->method, "POST") == 0)
		FUZZ_CHECK(strcmp(rq->path, "/api/v1/workflow-templates/argo") == 0);
	else
		FUZZ_CHECK(strcmp(rq->path, "/api/v1/workflow-templates/argo/" WRITTEN) == 0);
	json_decref(doc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, false);
	return 0;
}

static void check_errno(int r)
{
	FUZZ_CHECK(r <= 0);
	FUZZ_CHECK(r == 0 || strcmp(errmap_name(r), "E?") != 0);
}

/* List a directory; each name must be a document's, and read back. */
static void list_and_read(struct model *m, enum argo_kind kind, const char *ns)
{
	struct model_entry *entries = NULL;
	char stem[256];
	size_t n = 0;
	int r;

	r = model_list(m, kind, ns, &entries, &n);
	check_errno(r);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char *text = NULL;
		size_t len = 0;

		FUZZ_CHECK(memchr(entries[i].name, '\0', sizeof(entries[i].name)) != NULL);
		FUZZ_CHECK(strchr(entries[i].name, '/') == NULL);
		FUZZ_CHECK(model_document_stem(entries[i].name, stem, sizeof(stem)));
		/* sorted, and each name once: a directory never lists a name twice */
		FUZZ_CHECK(i == 0 || strcmp(entries[i - 1].name, entries[i].name) < 0);
		if (i >= MAX_READS)
			continue;
		FUZZ_CHECK(model_read(m, kind, ns, stem, &text, &len) == 0);
		FUZZ_CHECK(len == entries[i].size && strlen(text) == len);
		free(text);
	}
	free(entries);
}

/* List the workflows of @ns and read the files of the first ones. */
static void list_runs(struct http_client *server, const char *ns)
{
	static const enum run_file files[] = { RUN_FILE_PHASE, RUN_FILE_WORKFLOW, RUN_FILE_SUMMARY };
	struct run_entry *entries = NULL;
	struct runs *rs = NULL;
	size_t n = 0;
	int r;

	FUZZ_CHECK(runs_new(server, 3600, false, &rs) == 0);
	r = runs_list(rs, ns, &entries, &n);
	check_errno(r);
	for (size_t i = 0; r == 0 && i < n && i < MAX_READS; i++) {
		FUZZ_CHECK(memchr(entries[i].name, '\0', sizeof(entries[i].name)) != NULL);
		FUZZ_CHECK(argo_valid_name(entries[i].name));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(entries[i].name, entries[j].name) != 0);
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			char *text = NULL;
			size_t len = 0;
			int rr = runs_read(rs, ns, entries[i].name, files[f], &text, &len);

			check_errno(rr);
			FUZZ_CHECK(rr < 0 || strlen(text) == len);
			free(text);
		}
	}
	free(entries);
	runs_free(rs);
}

static int log_line(const char *pod, const char *content, void *userdata)
{
	(void)userdata;
	FUZZ_CHECK(pod != NULL && content != NULL);
	return 0;
}

static int watch_event(const char *type, json_t *object, void *userdata)
{
	(void)userdata;
	FUZZ_CHECK((type == NULL) == (object == NULL));
	FUZZ_CHECK(object == NULL || json_is_object(object));
	return 0;
}

/* .argofs/errors: one line per failure, at most ERRLOG_CAPACITY. */
static void check_errors_file(struct model *m)
{
	char *text = NULL;
	size_t len = 0, lines = 0;

	FUZZ_CHECK(model_meta_read(m, MODEL_META_ERRORS, &text, &len) == 0);
	for (size_t i = 0; i < len; i++) {
		FUZZ_CHECK(((unsigned char)text[i] >= 0x20 && text[i] != 0x7f) || text[i] == '\n');
		lines += text[i] == '\n';
	}
	FUZZ_CHECK(len == 0 || text[len - 1] == '\n');
	FUZZ_CHECK(lines <= ERRLOG_CAPACITY);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char document[] =
		"metadata:\n  name: " WRITTEN "\nspec:\n  entrypoint: main\n"
		"  templates:\n  - name: main\n    container: {image: busybox}\n";
	char *const namespaces[] = { "argo", NULL };
	struct model *m = NULL;
	struct model_entry e;
	char *text = NULL, **names = NULL;
	struct argo_error err = { 0 };
	struct http_client *server;
	size_t len;
	int r;

	server = fake_http_start((const char *)data, size, check_write, NULL);
	errlog_clear();
	FUZZ_CHECK(model_new(&(struct model_config){ .http = server, .cache_ttl = 3600,
						     .namespaces = namespaces }, &m) == 0);

	list_and_read(m, ARGO_WORKFLOW_TEMPLATE, "argo");
	check_errno(model_stat(m, ARGO_WORKFLOW_TEMPLATE, "argo", "not-listed", &e));
	check_errno(model_write(m, ARGO_WORKFLOW_TEMPLATE, "argo", WRITTEN, document,
				sizeof(document) - 1, "/argo/workflow-templates/" WRITTEN ".yaml"));
	r = model_read(m, ARGO_CRON_WORKFLOW, "argo", "nightly", &text, &len);
	check_errno(r);
	FUZZ_CHECK(r < 0 || strlen(text) == len);
	free(text);
	for (int meta = 0; meta < MODEL_META_ERRORS; meta++) {
		r = model_meta_read(m, (enum model_meta)meta, &text, &len);
		check_errno(r);
		FUZZ_CHECK(r < 0 || strlen(text) == len);
		if (r == 0)
			free(text);
	}
	r = model_namespaces(m, &names);
	check_errno(r);
	for (char **p = names; r == 0 && *p; p++)
		FUZZ_CHECK(strchr(*p, '/') == NULL && strcmp(*p, "..") != 0);
	model_strv_free(names);
	list_and_read(m, ARGO_CLUSTER_WORKFLOW_TEMPLATE, NULL);
	list_runs(server, "argo");
	check_errno(argo_workflow_logs(server, "argo", "hello", false, log_line, NULL, &err));
	FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
	check_errno(argo_watch_workflows(server, "argo", "result.type", "1000", watch_event, NULL,
					 &err));
	FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
	check_errors_file(m);
	model_free(m);
	return 0;
}
