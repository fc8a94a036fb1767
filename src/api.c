/*
 * api.c - the Argo Server REST API routes argofs uses.
 *
 * Paths and bodies follow swagger.json: /api/v1/<route>[/{namespace}][/{name}],
 * create bodies {"namespace", "<body_key>": obj}, update bodies the same with
 * the object carrying its resourceVersion. Error replies are gRPC-gateway JSON
 * ({"code","message"}); their message is copied into struct argo_error.
 * All returned JSON is owned by the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/http.h"
#include "argofs/log.h"


static const struct argo_kind_info kinds[ARGO_KIND_COUNT] = {
	[ARGO_WORKFLOW_TEMPLATE] = {
		.kind = "WorkflowTemplate", .route = "workflow-templates",
		.body_key = "template", .resource = "workflowtemplates.argoproj.io",
		.namespaced = true, .has_get = true, .writable = true,
	},
	[ARGO_CLUSTER_WORKFLOW_TEMPLATE] = {
		.kind = "ClusterWorkflowTemplate", .route = "cluster-workflow-templates",
		.body_key = "template", .resource = "clusterworkflowtemplates.argoproj.io",
		.namespaced = false, .has_get = true, .writable = true,
	},
	[ARGO_CRON_WORKFLOW] = {
		.kind = "CronWorkflow", .route = "cron-workflows",
		.body_key = "cronWorkflow", .resource = "cronworkflows.argoproj.io",
		.namespaced = true, .has_get = true, .writable = true,
	},
	[ARGO_WORKFLOW] = {
		.kind = "Workflow", .route = "workflows",
		.body_key = "workflow", .resource = "workflows.argoproj.io",
		.namespaced = true, .has_get = true, .writable = true,
	},
	[ARGO_WORKFLOW_EVENT_BINDING] = {
		.kind = "WorkflowEventBinding", .route = "workflow-event-bindings",
		.body_key = "", .resource = "workfloweventbindings.argoproj.io",
		.namespaced = true, .has_get = false, .writable = false,
	},
};

const struct argo_kind_info *argo_kind_info(enum argo_kind kind)
{
	return &kinds[kind];
}

/* A DNS-1123 subdomain: '.'-separated labels of [a-z0-9-], each non-empty
 * and alphanumeric at both ends, 253 characters at most. */
bool argo_valid_name(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (c == '.' || c == '\0') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!alnum && (c != '-' || label == 0))
			return false;
		label++;
	}
	return true;
}

/* Keep @message (truncated to fit) as the reason of a failure. */
static void set_error(struct argo_error *err, long status, const char *message)
{
	size_t len = message ? strlen(message) : 0;

	if (!err)
		return;
	err->status = status;
	if (len >= sizeof(err->message))
		len = sizeof(err->message) - 1;
	memcpy(err->message, message ? message : "", len);
	err->message[len] = '\0';
}

/* Note which request failed (the query is left out: it can be long). */
static void set_request(struct argo_error *err, const char *method, const char *path)
{
	if (err)
		snprintf(err->request, sizeof(err->request), "%s %.*s", method,
			 (int)strcspn(path, "?"), path);
}

int argo_record(const char *op, const char *mount_path, int r, const struct argo_error *err)
{
	char message[sizeof(err->message) + sizeof(err->request) + 2];

	if (err->request[0])
		snprintf(message, sizeof(message), "%s: %s", err->request, err->message);
	else
		snprintf(message, sizeof(message), "%s", err->message);
	errlog_record(op, mount_path, err->status, r, message);
	return r;
}

/* The server's message from an error body: {"code","message"} as the gateway
 * sends it, else the start of the body as text. */
static void error_from_reply(struct argo_error *err, const struct http_response *resp)
{
	json_t *doc = json_loadb(resp->body, resp->len, 0, NULL);
	const char *msg = NULL;

	if (doc)
		msg = json_string_value(json_object_get(doc, "message"));
	if (msg && *msg) {
		set_error(err, resp->status, msg);
	} else if (resp->len > 0) {
		set_error(err, resp->status, resp->body);
	} else {
		char text[64];

		snprintf(text, sizeof(text), "HTTP status %ld", resp->status);
		set_error(err, resp->status, text);
	}
	json_decref(doc);
	if (err) /* one line: the body may hold newlines */
		for (char *p = err->message; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
}

int argo_call(struct http_client *http, const char *method, const char *path,
	      json_t *body, enum errmap_op op, json_t **ret_reply,
	      struct argo_error *err)
{
	return argo_call_as(http, method, path, NULL, body, op, ret_reply, err);
}

int argo_call_as(struct http_client *http, const char *method, const char *path,
		 const char *content_type, json_t *body, enum errmap_op op,
		 json_t **ret_reply, struct argo_error *err)
{
	struct http_response resp;
	char *text = NULL, *detail = NULL;
	size_t text_len = 0;
	int r;

	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return -ENOMEM;
		text_len = strlen(text);
	}
	set_request(err, method, path);
	r = http_request_as(http, method, path, content_type, text, text_len, &resp, &detail);
	free(text);
	if (r < 0) {
		set_error(err, 0, detail ? detail : path);
		free(detail);
		return r;
	}
	r = errmap_http_status(resp.status, op);
	if (r < 0) {
		error_from_reply(err, &resp);
		http_response_release(&resp);
		return r;
	}
	if (ret_reply) {
		json_error_t jerr;

		*ret_reply = json_loadb(resp.body, resp.len, 0, &jerr);
		if (!*ret_reply) {
			char msg[300];

			snprintf(msg, sizeof(msg), "%s %s: reply is not JSON: %s",
				 method, path, jerr.text);
			set_error(err, resp.status, msg);
			r = -EPROTO;
		}
	}
	http_response_release(&resp);
	return r;
}

/* "/api/v1/<route>[/<ns>][/<name>]" into @buf. */
static int object_path(char *buf, size_t size, enum argo_kind kind,
		       const char *ns, const char *name)
{
	const struct argo_kind_info *info = argo_kind_info(kind);
	int n;

	if (info->namespaced && (!ns || !argo_valid_name(ns)))
		return -EINVAL;
	if (name && !argo_valid_name(name))
		return -EINVAL;
	n = snprintf(buf, size, "/api/v1/%s%s%s%s%s", info->route,
		     info->namespaced ? "/" : "", info->namespaced ? ns : "",
		     name ? "/" : "", name ? name : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Append "&key=escaped(value)" (or "?key=..." first) to a list URL. */
static int append_query(char *buf, size_t size, const char *key, const char *value)
{
	char *escaped = curl_easy_escape(NULL, value, 0);
	size_t used = strlen(buf);
	int n;

	if (!escaped)
		return -ENOMEM;
	n = snprintf(buf + used, size - used, "%c%s=%s",
		     strchr(buf, '?') ? '&' : '?', key, escaped);
	curl_free(escaped);
	return n < 0 || (size_t)n >= size - used ? -ENAMETOOLONG : 0;
}

/* Keep the items that can become file names; a hostile or broken reply must
 * never produce a path outside its directory. */
static int collect_items(json_t *items, json_t *into, const char *path)
{
	size_t i;
	json_t *item;

	if (json_is_null(items) || !items)
		return 0; /* the server omits or nulls an empty list */
	if (!json_is_array(items))
		return -EPROTO;
	json_array_foreach(items, i, item) {
		const char *name = json_string_value(
			json_object_get(json_object_get(item, "metadata"), "name"));

		if (!json_is_object(item) || !name || !argo_valid_name(name)) {
			log_warn("%s: skipping a list item without a valid metadata.name", path);
			continue;
		}
		if (json_array_append(into, item) < 0)
			return -ENOMEM;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int argo_list_pages(struct http_client *http, enum argo_kind kind, const char *ns,
		    const char *fields, unsigned page_size, argo_page_cb on_page,
		    void *userdata, char *ret_version, size_t version_size,
		    struct argo_error *err)
{
	double start = now_ms(), timeout = (double)http_client_timeout_ms(http);
	char base[512], url[2048];
	char *cont = NULL;
	bool first = true;
	int r;

	if (ret_version && version_size)
		*ret_version = '\0';
	r = object_path(base, sizeof(base), kind, ns, NULL);
	if (r < 0)
		return r;
	for (;;) {
		json_t *reply = NULL, *page = NULL;
		json_t *meta;
		const char *next, *version;
		char limit[16];

		snprintf(url, sizeof(url), "%s", base);
		if (page_size) {
			snprintf(limit, sizeof(limit), "%u", page_size);
			r = append_query(url, sizeof(url), "listOptions.limit", limit);
			if (r == 0 && cont)
				r = append_query(url, sizeof(url), "listOptions.continue", cont);
			if (r < 0)
				break;
		}
		if (fields && (r = append_query(url, sizeof(url), "fields", fields)) < 0)
			break;
		r = argo_call(http, "GET", url, NULL, ERRMAP_OP_READ, &reply, err);
		if (r < 0)
			break;
		if (!json_is_object(reply)) {
			json_decref(reply);
			set_error(err, 200, "list reply is not an object");
			r = -EPROTO;
			break;
		}
		meta = json_object_get(reply, "metadata");
		next = json_string_value(json_object_get(meta, "continue"));
		/* the first page's: changes after it are all still to come */
		version = json_string_value(json_object_get(meta, "resourceVersion"));
		if (first && version && ret_version && version_size)
			snprintf(ret_version, version_size, "%s", version);
		first = false;
		page = json_array();
		r = page ? collect_items(json_object_get(reply, "items"), page, url) : -ENOMEM;
		if (r == -EPROTO)
			set_error(err, 200, "list reply: \"items\" is not an array");
		if (r == 0 && next && cont && strcmp(next, cont) == 0) {
			set_error(err, 200, "list reply: the same continue token again");
			r = -EPROTO;
		} else if (r == 0 && next && *next && now_ms() - start > timeout) {
			/* a list is one operation: it keeps the timeout as a whole,
			 * also when a server never stops sending "continue" */
			set_error(err, 0, "the list did not end within the timeout");
			r = -ETIMEDOUT;
		}
		free(cont);
		cont = r == 0 && next && *next && page_size ? strdup(next) : NULL;
		json_decref(reply);
		if (r == 0)
			r = on_page(page, userdata);
		json_decref(page);
		if (r < 0 || !cont)
			break;
	}
	free(cont);
	return r;
}

static int append_page(json_t *page, void *userdata)
{
	return json_array_extend(userdata, page) < 0 ? -ENOMEM : 0;
}

int argo_list(struct http_client *http, enum argo_kind kind, const char *ns,
	      const char *fields, unsigned page_size, json_t **ret_items,
	      struct argo_error *err)
{
	json_t *all = json_array();
	int r;

	if (!all)
		return -ENOMEM;
	r = argo_list_pages(http, kind, ns, fields, page_size, append_page, all, NULL, 0, err);
	if (r < 0) {
		json_decref(all);
		return r;
	}
	*ret_items = all;
	return 0;
}

int argo_get(struct http_client *http, enum argo_kind kind, const char *ns,
	     const char *name, json_t **ret_obj, struct argo_error *err)
{
	char path[512];
	int r = object_path(path, sizeof(path), kind, ns, name);

	if (r < 0)
		return r;
	return argo_call(http, "GET", path, NULL, ERRMAP_OP_READ, ret_obj, err);
}

/* {"namespace": ns, "<body_key>": obj} for create and update. */
static json_t *object_body(enum argo_kind kind, const char *ns, json_t *obj)
{
	const struct argo_kind_info *info = argo_kind_info(kind);

	if (info->namespaced)
		return json_pack("{s:s, s:O}", "namespace", ns, info->body_key, obj);
	return json_pack("{s:O}", info->body_key, obj);
}

static int send_object(struct http_client *http, const char *method,
		       enum errmap_op op, enum argo_kind kind, const char *ns,
		       const char *name, json_t *obj, json_t **ret_obj,
		       struct argo_error *err)
{
	char path[512];
	json_t *body;
	int r = object_path(path, sizeof(path), kind, ns, name);

	if (r < 0)
		return r;
	body = object_body(kind, ns, obj);
	if (!body)
		return -ENOMEM;
	r = argo_call(http, method, path, body, op, ret_obj, err);
	json_decref(body);
	return r;
}

int argo_create(struct http_client *http, enum argo_kind kind, const char *ns,
		json_t *obj, json_t **ret_obj, struct argo_error *err)
{
	return send_object(http, "POST", ERRMAP_OP_CREATE, kind, ns, NULL, obj,
			   ret_obj, err);
}

int argo_update(struct http_client *http, enum argo_kind kind, const char *ns,
		json_t *obj, json_t **ret_obj, struct argo_error *err)
{
	const char *name = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "name"));

	if (!name)
		return -EINVAL;
	return send_object(http, "PUT", ERRMAP_OP_UPDATE, kind, ns, name, obj,
			   ret_obj, err);
}

int argo_delete(struct http_client *http, enum argo_kind kind, const char *ns,
		const char *name, struct argo_error *err)
{
	char path[512];
	int r = object_path(path, sizeof(path), kind, ns, name);

	if (r < 0)
		return r;
	return argo_call(http, "DELETE", path, NULL, ERRMAP_OP_DELETE, NULL, err);
}

int argo_send_event(struct http_client *http, const char *ns, const char *discriminator,
		    const char *payload, size_t len, struct argo_error *err)
{
	struct http_response resp;
	char path[600], *escaped, *detail = NULL;
	int r;

	if (!argo_valid_name(ns))
		return -EINVAL;
	escaped = curl_easy_escape(NULL, discriminator, 0);
	if (!escaped)
		return -ENOMEM;
	r = snprintf(path, sizeof(path), "/api/v1/events/%s/%s", ns, escaped);
	curl_free(escaped);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -ENAMETOOLONG;
	set_request(err, "POST", path);
	r = http_request(http, "POST", path, payload, len, &resp, &detail);
	if (r < 0) {
		set_error(err, 0, detail ? detail : path);
		free(detail);
		return r;
	}
	r = errmap_http_status(resp.status, ERRMAP_OP_CREATE);
	if (r < 0)
		error_from_reply(err, &resp);
	http_response_release(&resp);
	return r;
}

int argo_get_json(struct http_client *http, const char *path, json_t **ret_reply,
		  struct argo_error *err)
{
	return argo_call(http, "GET", path, NULL, ERRMAP_OP_READ, ret_reply, err);
}

int argo_submit(struct http_client *http, const char *ns, const char *resource_kind,
		const char *resource_name, json_t *submit_options, json_t **ret_obj,
		struct argo_error *err)
{
	char path[512];
	json_t *body;
	int r;

	if (!argo_valid_name(ns) || !argo_valid_name(resource_name))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/v1/workflows/%s/submit", ns);
	body = json_pack("{s:s, s:s, s:s}", "namespace", ns, "resourceKind", resource_kind,
			 "resourceName", resource_name);
	if (!body)
		return -ENOMEM;
	if (submit_options && json_object_set(body, "submitOptions", submit_options) < 0) {
		json_decref(body);
		return -ENOMEM;
	}
	r = argo_call(http, "POST", path, body, ERRMAP_OP_CREATE, ret_obj, err);
	json_decref(body);
	return r;
}

int argo_workflow_action(struct http_client *http, const char *ns, const char *name,
			 const char *verb, json_t *body, json_t **ret_obj,
			 struct argo_error *err)
{
	char path[600];
	json_t *empty = NULL;
	int r;

	if (!argo_valid_name(ns) || !argo_valid_name(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/v1/workflows/%s/%s/%s", ns, name, verb);
	if (!body && !(body = empty = json_object()))
		return -ENOMEM;
	r = argo_call(http, "PUT", path, body, ERRMAP_OP_ACTION, ret_obj, err);
	json_decref(empty);
	return r;
}

/*
 * Streams arrive in pieces; messages are cut at newlines here. A message is
 * {"result":…} or, last, {"error":{…,"message"}}; in the SSE form (watch) it
 * is prefixed by "data: ", and ":" keepalive lines and blank lines come
 * between messages.
 */
struct stream_lines {
	char *line;
	size_t len, cap;
	/* one message's "result"; returns non-zero to stop */
	int (*on_result)(json_t *result, void *ctx);
	/* an SSE keepalive, and the http layer's tick once a second while the
	 * stream is open, when not NULL; returns non-zero to stop */
	int (*on_quiet)(void *ctx);
	void *ctx;
	struct argo_error *err;
	json_t *error;      /* the error message that ended the stream, if any */
	int result;         /* -ENOMEM, or 0 */
};

#define STREAM_LINE_MAX (4 * 1024 * 1024)

static int stream_line(struct stream_lines *sl)
{
	const char *text = sl->line;
	size_t len = sl->len;
	json_t *doc, *result, *error;
	int stop = 0;

	if (len >= 6 && memcmp(text, "data: ", 6) == 0) {
		text += 6;
		len -= 6;
	}
	if (len > 0 && text[0] == ':')
		return sl->on_quiet ? sl->on_quiet(sl->ctx) : 0;
	if (len == 0)
		return 0;
	doc = json_loadb(text, len, 0, NULL);
	result = json_object_get(doc, "result");
	error = json_object_get(doc, "error");
	if (json_is_object(result)) {
		stop = sl->on_result(result, sl->ctx);
	} else if (json_is_object(error)) {
		set_error(sl->err, 200, json_string_value(json_object_get(error, "message")));
		sl->error = json_incref(error);
		stop = 1;
	}
	json_decref(doc);
	return stop;
}

static int stream_data(const char *data, size_t len, void *userdata)
{
	struct stream_lines *sl = userdata;

	if (!data) /* the tick */
		return sl->on_quiet ? sl->on_quiet(sl->ctx) : 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			int stop = sl->len ? stream_line(sl) : 0;

			sl->len = 0;
			if (stop)
				return 1;
			continue;
		}
		if (sl->len + 1 >= sl->cap) {
			size_t cap = sl->cap ? sl->cap * 2 : 4096;
			char *line;

			if (cap > STREAM_LINE_MAX) { /* not a message: skip to the next line */
				sl->len = 0;
				continue;
			}
			line = realloc(sl->line, cap);
			if (!line) {
				sl->result = -ENOMEM;
				return 1;
			}
			sl->line = line;
			sl->cap = cap;
		}
		sl->line[sl->len++] = data[i];
	}
	return 0;
}

/* GET @path as a stream of messages into @sl. Returns 0 when the stream
 * ended without an error message (sl->error says if one came), or a
 * negative errno. */
static int stream_messages(struct http_client *http, const char *path, const char *accept,
			   long silence_ms, struct stream_lines *sl)
{
	struct http_response resp = { 0 };
	char *detail = NULL;
	int r;

	set_request(sl->err, "GET", path);
	r = http_stream(http, path, accept, silence_ms, stream_data, sl, &resp, &detail);
	if (r < 0) {
		set_error(sl->err, 0, detail ? detail : path);
		free(detail);
	} else if ((r = errmap_http_status(resp.status, ERRMAP_OP_READ)) < 0) {
		error_from_reply(sl->err, &resp);
	} else {
		if (sl->len && !sl->result && !sl->error) /* a last line without newline */
			stream_line(sl);
		r = sl->result;
	}
	http_response_release(&resp);
	free(sl->line);
	return r;
}

struct log_ctx {
	argo_log_cb on_line;
	void *userdata;
};

static int log_result(json_t *result, void *ctx)
{
	struct log_ctx *lc = ctx;
	const char *pod = json_string_value(json_object_get(result, "podName"));
	const char *content = json_string_value(json_object_get(result, "content"));

	return content ? lc->on_line(pod ? pod : "", content, lc->userdata) : 0;
}

int argo_workflow_logs(struct http_client *http, const char *ns, const char *name,
		       bool follow, argo_log_cb on_line, void *userdata,
		       struct argo_error *err)
{
	struct log_ctx lc = { on_line, userdata };
	struct stream_lines sl = { .on_result = log_result, .ctx = &lc, .err = err };
	char path[600];
	int r;

	if (!argo_valid_name(ns) || !argo_valid_name(name))
		return -EINVAL;
	/* without a container, a real server sends nothing (issue #13384) */
	snprintf(path, sizeof(path), "/api/v1/workflows/%s/%s/log?logOptions.container=main%s",
		 ns, name, follow ? "&logOptions.follow=true" : "");
	r = stream_messages(http, path, NULL, 0, &sl);
	if (r == 0 && sl.error)
		r = -EIO;
	json_decref(sl.error);
	return r;
}

struct watch_ctx {
	argo_watch_cb on_event;
	void *userdata;
};

static int watch_result(json_t *result, void *ctx)
{
	struct watch_ctx *wc = ctx;
	const char *type = json_string_value(json_object_get(result, "type"));
	json_t *object = json_object_get(result, "object");

	if (!type || !json_is_object(object))
		return 0;
	return wc->on_event(type, object, wc->userdata);
}

static int watch_quiet(void *ctx)
{
	struct watch_ctx *wc = ctx;

	return wc->on_event(NULL, NULL, wc->userdata);
}

/* The server sends an SSE keepalive every 15 s: two missed mean it is gone. */
#define ARGO_WATCH_SILENCE_MS 35000L

/* gRPC ResourceExhausted: how the server ends a watch whose backing
 * Kubernetes watch closed ("EOF"); the client reconnects. */
#define GRPC_RESOURCE_EXHAUSTED 8

int argo_watch_workflows(struct http_client *http, const char *ns, const char *fields,
			 const char *resource_version, argo_watch_cb on_event,
			 void *userdata, struct argo_error *err)
{
	struct watch_ctx wc = { on_event, userdata };
	struct stream_lines sl = {
		.on_result = watch_result, .on_quiet = watch_quiet, .ctx = &wc, .err = err,
	};
	char path[2048];
	int r;

	if (!argo_valid_name(ns))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/v1/workflow-events/%s", ns);
	r = 0;
	if (resource_version && *resource_version)
		r = append_query(path, sizeof(path), "listOptions.resourceVersion",
				 resource_version);
	if (r == 0 && fields)
		r = append_query(path, sizeof(path), "fields", fields);
	if (r < 0)
		return r;
	/* as the argo CLI watches: SSE, whose keepalives show the stream is alive */
	r = stream_messages(http, path, "text/event-stream", ARGO_WATCH_SILENCE_MS, &sl);
	if (r == 0 && sl.error) {
		long code = (long)json_integer_value(json_object_get(sl.error, "grpc_code"));
		long status = (long)json_integer_value(json_object_get(sl.error, "http_code"));
		const char *message = json_string_value(json_object_get(sl.error, "message"));

		if (status == 410 || (message && strstr(message, "too old resource version")))
			r = -ESTALE;
		else if (code != GRPC_RESOURCE_EXHAUSTED)
			r = -EIO;
	}
	json_decref(sl.error);
	return r;
}
