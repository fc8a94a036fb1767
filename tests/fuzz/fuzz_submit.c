/*
 * fuzz_submit.c - libFuzzer target: the submit options written to a
 * template's submit file (runs_submit() in src/runs.c): `key=value` lines
 * (parameters) or a YAML mapping of submit options.
 *
 * The input is the text written; the server (fake_http.c) knows one
 * WorkflowTemplate declaring the parameters "message" and "count", and
 * answers a submit with a new workflow. Checked, for any text:
 *  - a refusal (-EINVAL) sends no submit;
 *  - a submit is one POST to /api/v1/workflows/argo/submit naming the
 *    template, whose submitOptions hold only known options, and whose
 *    parameters are "name=value" strings of declared parameters;
 *  - key=value lines are all sent: as many parameters as lines, none
 *    dropped (a dropped one would run the workflow with its default).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "argofs/errlog.h"
#include "argofs/log.h"
#include "argofs/runs.h"
#include "fake_http.h"
#include "fuzz.h"

static const char replies[] =
	"0{\"metadata\":{\"name\":\"greet\",\"namespace\":\"argo\",\"resourceVersion\":\"3\"},"
	"\"spec\":{\"entrypoint\":\"main\",\"arguments\":{\"parameters\":["
	"{\"name\":\"message\",\"value\":\"hello\"},{\"name\":\"count\",\"value\":\"1\"}]},"
	"\"templates\":[{\"name\":\"main\",\"container\":{\"image\":\"busybox\"}}]}}"
	"\0"
	"0{\"metadata\":{\"name\":\"greet-x7k2p\",\"namespace\":\"argo\",\"resourceVersion\":\"9\","
	"\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"status\":{}}";

static const char *const known_options[] = {
	"parameters", "labels", "annotations", "entryPoint", "generateName", "name",
	"serviceAccount", "priority", "podPriorityClassName", "dryRun", "serverDryRun",
};

struct seen {
	int submits;
	long parameters;    /* in the last submit, -1 when it had none */
};

static bool known_option(const char *key)
{
	for (size_t i = 0; i < sizeof(known_options) / sizeof(known_options[0]); i++)
		if (strcmp(key, known_options[i]) == 0)
			return true;
	return false;
}

static void check_submit(const struct fake_request *rq, void *userdata)
{
	struct seen *seen = userdata;
	json_t *body, *opts, *params, *p, *v;
	const char *key;
	size_t i;

	if (strcmp(rq->method, "GET") == 0) {
		FUZZ_CHECK(strcmp(rq->path, "/api/v1/workflow-templates/argo/greet") == 0);
		return;
	}
	FUZZ_CHECK(strcmp(rq->method, "POST") == 0);
	FUZZ_CHECK(strcmp(rq->path, "/api/v1/workflows/argo/submit") == 0);
	seen->submits++;
	body = json_loadb(rq->body, rq->body_len, 0, NULL);
	FUZZ_CHECK(body != NULL);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(body, "resourceName")), "greet") == 0);
	opts = json_object_get(body, "submitOptions");
	FUZZ_CHECK(!opts || json_is_object(opts));
	json_object_foreach(opts, key, v)
		FUZZ_CHECK(known_option(key));
	params = json_object_get(opts, "parameters");
	seen->parameters = params ? (long)json_array_size(params) : -1;
	json_array_foreach(params, i, p) {
		const char *kv = json_string_value(p);

		FUZZ_CHECK(kv && strchr(kv, '='));
		FUZZ_CHECK(strncmp(kv, "message=", 8) == 0 || strncmp(kv, "count=", 6) == 0);
	}
	json_decref(body);
}

/* The test's own reading of the key=value form: the number of lines that
 * are not blank or comments when every one of them is NAME=VALUE (NAME of
 * letters, digits, '_', '.', '-'), else -1. */
static long key_value_lines(const char *text, size_t len)
{
	long lines = 0;

	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, k = 0;

		pos += n + 1;
		while (n > 0 && strchr(" \t\r", line[n - 1]))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		while (k < n && (strchr("_.-", line[k]) || (line[k] >= 'a' && line[k] <= 'z') ||
				 (line[k] >= 'A' && line[k] <= 'Z') || (line[k] >= '0' && line[k] <= '9')))
			k++;
		if (k == 0 || k == n || line[k] != '=')
			return -1;
		lines++;
	}
	return lines;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { 0, -1 };
	struct http_client *server;
	struct runs *rs = NULL;
	char name[256];
	long lines;
	int r;

	errlog_clear();
	server = fake_http_start(replies, sizeof(replies) - 1, check_submit, &seen);
	FUZZ_CHECK(runs_new(server, 3600, false, &rs) == 0);
	r = runs_submit(rs, "argo", ARGO_WORKFLOW_TEMPLATE, "greet", (const char *)data, size,
			"/argo/workflow-templates/greet.submit", name, sizeof(name));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	FUZZ_CHECK(seen.submits == (r == 0));
	if (r == 0) {
		FUZZ_CHECK(strcmp(name, "greet-x7k2p") == 0);
		lines = key_value_lines((const char *)data, size);
		if (lines > 0 && memchr(data, '\0', size) == NULL)
			FUZZ_CHECK(seen.parameters == lines);
	}
	runs_free(rs);
	return 0;
}
