/*
 * test_model.c - the resource model and its cache, against the emulator.
 *
 * The cache's promises are about requests: a fresh listing answers every
 * question about its directory, a single object is fetched once per TTL,
 * absence is cached too, a write is visible at once, and a refused document
 * sends nothing. Each test starts the Argo Server emulator (empty, plain
 * HTTP) and counts what the http client sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "argofs/api.h"
#include "argofs/http.h"
#include "argofs/model.h"
#include "argofs/token.h"

#define TOKEN "unit-test-token"

struct fixture {
	pid_t emulator;
	char dir[64];
	char url[128];
	struct token_source *token;
	struct http_client *http;
	struct model *model;
};

static int start_emulator(struct fixture *f)
{
	char ready[128], script[512];
	pid_t pid;

	snprintf(f->dir, sizeof(f->dir), "/tmp/argofs-model.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(ready, sizeof(ready), "%s/ready", f->dir);
	snprintf(script, sizeof(script), "%s/../emulator/argo_emulator.py", TEST_DATA_DIR);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("python3", "python3", script, "--port", "0", "--ready-file", ready,
		       "--token", TOKEN, (char *)NULL);
		_exit(127);
	}
	f->emulator = pid;
	for (int i = 0; i < 200; i++) {
		FILE *fp = fopen(ready, "r");

		if (fp) {
			bool ok = fgets(f->url, sizeof(f->url), fp) != NULL;

			fclose(fp);
			if (ok) {
				f->url[strcspn(f->url, "\n")] = '\0';
				return 0;
			}
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(50 * 1000);
	}
	return -1;
}

static int setup_ttl(void **state, double ttl)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *const namespaces[] = { "argo", NULL };

	if (!f || start_emulator(f) < 0) {
		free(f);
		fail_msg("the emulator did not start (python3 and tests/emulator needed)");
	}
	assert_int_equal(token_source_new_value(TOKEN, &f->token), 0);
	assert_int_equal(http_client_new(&(struct http_config){
			.base_url = f->url, .token = f->token, .timeout_ms = 5000,
		}, &f->http), 0);
	assert_int_equal(model_new(&(struct model_config){
			.http = f->http, .cache_ttl = ttl, .namespaces = namespaces,
		}, &f->model), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_ttl(state, 60);
}

static int setup_no_cache(void **state)
{
	return setup_ttl(state, 0);
}

static int setup_short_ttl(void **state)
{
	return setup_ttl(state, 0.1);
}

/* Delay every reply of the emulator by @ms (0: none). */
static void emulator_delay(struct fixture *f, int ms)
{
	struct http_response resp;
	char body[32];

	snprintf(body, sizeof(body), "{\"delay_ms\": %d}", ms);
	assert_int_equal(http_request(f->http, "POST", "/_emulator/faults", body, strlen(body),
				      &resp, NULL), 0);
	assert_int_equal(resp.status, 200);
	free(resp.body);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	model_free(f->model);
	http_client_free(f->http);
	token_source_free(f->token);
	kill(f->emulator, SIGTERM);
	waitpid(f->emulator, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static unsigned long requests(struct fixture *f)
{
	return http_client_request_count(f->http);
}

static const char *template_yaml(const char *name, const char *message)
{
	static char text[512];

	snprintf(text, sizeof(text),
		 "apiVersion: argoproj.io/v1alpha1\n"
		 "kind: WorkflowTemplate\n"
		 "metadata:\n"
		 "  name: %s\n"
		 "spec:\n"
		 "  entrypoint: main\n"
		 "  templates:\n"
		 "  - name: main\n"
		 "    container:\n"
		 "      image: busybox\n"
		 "      args: [\"echo\", \"%s\"]\n", name, message);
	return text;
}

static void write_template(struct fixture *f, const char *name, const char *message)
{
	const char *text = template_yaml(name, message);

	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", name,
				     text, strlen(text), "/argo/workflow-templates/x.yaml"), 0);
}

static void test_document_stem(void **state)
{
	char stem[64];

	(void)state;
	assert_true(model_document_stem("hello.yaml", stem, sizeof(stem)));
	assert_string_equal(stem, "hello");
	assert_true(model_document_stem("a.b-c.yml", stem, sizeof(stem)));
	assert_string_equal(stem, "a.b-c");
	assert_true(model_document_stem("x.json", stem, sizeof(stem)));
	assert_false(model_document_stem(".hello.yaml.swp", stem, sizeof(stem)));
	assert_false(model_document_stem("hello.yaml~", stem, sizeof(stem)));
	assert_false(model_document_stem("4913", stem, sizeof(stem)));
	assert_false(model_document_stem("sedAb12Cd", stem, sizeof(stem)));
	assert_false(model_document_stem("Hello.yaml", stem, sizeof(stem)));
	assert_false(model_document_stem(".yaml", stem, sizeof(stem)));
	assert_false(model_document_stem("-x.yaml", stem, sizeof(stem)));
}

/* Rendering shows the object as users read it and leaves the object itself
 * alone: runs.c renders workflows it keeps in its cache. */
static void test_render_leaves_the_object_alone(void **state)
{
	json_t *obj = json_pack("{s:{s:s, s:s, s:[{s:s}, {s:s}]}, s:{s:s}}",
				"metadata", "name", "eps", "creationTimestamp", "2026-11-28T05:40:01Z",
				"managedFields", "time", "2026-11-28T06:00:00Z", "time", "2026-11-28T05:50:00Z",
				"spec", "entrypoint", "main");
	json_t *before = json_deep_copy(obj);
	struct timespec mtime, at;
	char *yaml;
	size_t len;

	(void)state;
	assert_int_equal(model_render(obj, ARGO_WORKFLOW_TEMPLATE, &yaml, &len, &mtime), 0);
	assert_int_equal(len, strlen(yaml));
	assert_non_null(strstr(yaml, "apiVersion: argoproj.io/v1alpha1\n"));
	assert_non_null(strstr(yaml, "kind: WorkflowTemplate\n"));
	assert_non_null(strstr(yaml, "  name: eps\n"));
	assert_null(strstr(yaml, "managedFields"));
	assert_true(model_parse_time("2026-11-28T06:00:00Z", &at));
	assert_int_equal(mtime.tv_sec, at.tv_sec);
	assert_true(json_equal(obj, before));
	free(yaml);
	json_decref(before);
	json_decref(obj);
}

static void test_listing_is_cached(void **state)
{
	struct fixture *f = *state;
	struct model_entry *entries, e;
	size_t n;
	unsigned long before;

	write_template(f, "alpha", "a");
	write_template(f, "beta", "b");
	model_drop_caches(f->model);
	before = requests(f);
	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	assert_int_equal(requests(f) - before, 1);
	assert_int_equal(n, 2);
	assert_string_equal(entries[0].name, "alpha.yaml");
	assert_string_equal(entries[1].name, "beta.yaml");
	assert_true(entries[0].size > 0);
	assert_true(entries[0].mtime.tv_sec > 0);
	free(entries);

	/* everything about this directory now comes from the listing */
	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	free(entries);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "beta", &e), 0);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "nope", &e), -ENOENT);
	assert_int_equal(requests(f) - before, 1);
}

static void test_read_matches_stat(void **state)
{
	struct fixture *f = *state;
	struct model_entry e;
	char *text;
	size_t len;

	write_template(f, "gamma", "yes");
	model_drop_caches(f->model);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "gamma", &e), 0);
	assert_int_equal(model_read(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "gamma", &text, &len), 0);
	assert_int_equal(len, e.size);
	assert_non_null(strstr(text, "kind: WorkflowTemplate\n"));
	assert_non_null(strstr(text, "apiVersion: argoproj.io/v1alpha1\n"));
	assert_null(strstr(text, "managedFields"));
	/* a string that YAML 1.1 would read as a boolean stays a string */
	assert_non_null(strstr(text, "\"yes\""));
	free(text);
}

static void test_single_object_and_absence_cached(void **state)
{
	struct fixture *f = *state;
	struct model_entry e;
	unsigned long before;

	write_template(f, "delta", "d");
	model_drop_caches(f->model);
	before = requests(f);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "delta", &e), 0);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "delta", &e), 0);
	assert_int_equal(requests(f) - before, 1);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "missing", &e), -ENOENT);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "missing", &e), -ENOENT);
	assert_int_equal(requests(f) - before, 2);
}

static void test_write_is_visible_at_once(void **state)
{
	struct fixture *f = *state;
	struct model_entry *entries;
	size_t n;
	unsigned long before;

	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	free(entries);
	assert_int_equal(n, 0);
	write_template(f, "epsilon", "e");
	before = requests(f);
	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(entries[0].name, "epsilon.yaml");
	free(entries);
	assert_int_equal(model_delete(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "epsilon", "x"), 0);
	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	assert_int_equal(n, 0);
	free(entries);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "epsilon", NULL),
			 -ENOENT);
	assert_int_equal(requests(f) - before, 0); /* hidden at once, deleted later */
	usleep((useconds_t)((MODEL_DELETE_GRACE + 0.5) * 1e6));
	assert_int_equal(requests(f) - before, 1); /* the DELETE */
	assert_int_equal(argo_get(f->http, ARGO_WORKFLOW_TEMPLATE, "argo", "epsilon", NULL, NULL),
			 -ENOENT);
}

static const char *uid_of(struct fixture *f, const char *name)
{
	static char uid[64];
	json_t *obj = NULL;

	assert_int_equal(argo_get(f->http, ARGO_WORKFLOW_TEMPLATE, "argo", name, &obj, NULL), 0);
	snprintf(uid, sizeof(uid), "%s",
		 json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid")));
	json_decref(obj);
	return uid;
}

static void test_remove_then_write_is_an_update(void **state)
{
	struct fixture *f = *state;
	const char *bad = "metadata: [\n";
	char uid[64];

	write_template(f, "iota", "before");
	snprintf(uid, sizeof(uid), "%s", uid_of(f, "iota"));
	/* mv from another filesystem: unlink the target, then create it */
	assert_int_equal(model_delete(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "iota", "x"), 0);
	write_template(f, "iota", "after");
	usleep((useconds_t)((MODEL_DELETE_GRACE + 0.5) * 1e6));
	assert_string_equal(uid_of(f, "iota"), uid);
	/* a refused replacement keeps the object */
	assert_int_equal(model_delete(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "iota", "x"), 0);
	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "iota",
				     bad, strlen(bad), "x"), -EINVAL);
	usleep((useconds_t)((MODEL_DELETE_GRACE + 0.5) * 1e6));
	assert_string_equal(uid_of(f, "iota"), uid);
	/* pending DELETEs are sent when the model goes away */
	assert_int_equal(model_delete(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "iota", "x"), 0);
	model_free(f->model);
	f->model = NULL;
	assert_int_equal(argo_get(f->http, ARGO_WORKFLOW_TEMPLATE, "argo", "iota", NULL, NULL),
			 -ENOENT);
}

static void test_refused_documents_send_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"metadata: {name: x\n",                                  /* syntax */
		"kind: CronWorkflow\nmetadata: {name: x}\n",             /* wrong kind */
		"metadata: {name: x, namespace: other}\n",               /* wrong namespace */
		"apiVersion: v1\nmetadata: {name: x}\n",                 /* wrong group */
		"- a\n- b\n",                                            /* not a mapping */
		"metadata: {name: Bad_Name}\n",                          /* invalid name */
		"a: 1\n---\nb: 2\n",                                     /* two documents */
		"",                                                      /* empty */
	};
	unsigned long before = requests(f);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "x",
					     bad[i], strlen(bad[i]), "x"), -EINVAL);
	assert_int_equal(requests(f), before);
}

static void test_oversize_document_refused(void **state)
{
	struct fixture *f = *state;
	size_t len = MODEL_MAX_DOCUMENT + 1;
	char *big = malloc(len);
	unsigned long before = requests(f);

	assert_non_null(big);
	memset(big, 'a', len);
	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "x", big, len, "x"),
			 -EFBIG);
	assert_int_equal(requests(f), before);
	free(big);
}

static void test_update_and_conflicts(void **state)
{
	struct fixture *f = *state;
	const char *stale =
		"metadata:\n  name: zeta\n  resourceVersion: \"1\"\n"
		"spec:\n  entrypoint: other\n  templates:\n  - name: other\n    container: {image: busybox}\n";
	const char *taken = "metadata:\n  name: zeta\nspec:\n  templates: []\n";
	char *text;
	size_t len;

	write_template(f, "zeta", "first");
	/* no resourceVersion in the text: the current one is fetched */
	write_template(f, "zeta", "second");
	assert_int_equal(model_read(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "zeta", &text, &len), 0);
	assert_non_null(strstr(text, "second"));
	free(text);
	/* a stale resourceVersion is someone else's change: refused */
	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "zeta",
				     stale, strlen(stale), "x"), -ESTALE);
	/* a new file naming a taken object is a create that fails */
	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "other-file",
				     taken, strlen(taken), "x"), -EEXIST);
	/* an existing file whose text names another object is refused */
	assert_int_equal(model_write(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "zeta",
				     template_yaml("eta", "x"), strlen(template_yaml("eta", "x")), "x"),
			 -EINVAL);
}

static void test_no_cache_asks_every_time(void **state)
{
	struct fixture *f = *state;
	struct model_entry *entries, e;
	size_t n;
	unsigned long before;

	write_template(f, "theta", "t");
	before = requests(f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
		assert_int_equal(n, 1);
		free(entries);
		/* a listing is kept for as long as it took to arrive: a few ms */
		usleep(200 * 1000);
		assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "theta", &e), 0);
	}
	assert_int_equal(requests(f) - before, 6);
}

static void test_a_listing_slower_than_the_ttl_answers_what_follows(void **state)
{
	struct fixture *f = *state;
	struct model_entry *entries, e;
	size_t n;
	unsigned long before;

	write_template(f, "slow", "s");
	model_drop_caches(f->model);
	emulator_delay(f, 400);
	before = requests(f);
	assert_int_equal(model_list(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", &entries, &n), 0);
	free(entries);
	/* older than the 0.1 s TTL by now, but younger than the 0.4 s it took:
	 * `ls -l` stats each entry after listing, and must not fetch them */
	usleep(150 * 1000);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "slow", &e), 0);
	assert_int_equal(model_stat(f->model, ARGO_WORKFLOW_TEMPLATE, "argo", "none", &e), -ENOENT);
	assert_int_equal(requests(f) - before, 1);
	emulator_delay(f, 0);
}

static void test_namespaces_and_meta(void **state)
{
	struct fixture *f = *state;
	char **names, *text;
	size_t len;

	assert_int_equal(model_namespaces(f->model, &names), 0);
	assert_non_null(names[0]);
	assert_string_equal(names[0], "argo");
	model_strv_free(names);
	assert_int_equal(model_meta_read(f->model, MODEL_META_VERSION, &text, &len), 0);
	assert_non_null(strstr(text, "argofs "));
	assert_non_null(strstr(text, "argo-server "));
	free(text);
	assert_int_equal(model_meta_lookup("errors"), MODEL_META_ERRORS);
	assert_int_equal(model_meta_lookup("nope"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_stem),
		cmocka_unit_test(test_render_leaves_the_object_alone),
		cmocka_unit_test_setup_teardown(test_listing_is_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_matches_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_object_and_absence_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_is_visible_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_then_write_is_an_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_documents_send_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_document_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_and_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cache_asks_every_time, setup_no_cache, teardown),
		cmocka_unit_test_setup_teardown(test_a_listing_slower_than_the_ttl_answers_what_follows,
						setup_short_ttl, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces_and_meta, setup, teardown),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
