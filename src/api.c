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

#include <curl/curl.h>

#include "argofs/api.h"
#include "argofs/http.h"
#include "argofs/log.h"

static const struct argo_kind_info kinds[ARGO_KIND_COUNT] = {
	[ARGO_WORKFLOW_TEMPLATE] = {
		.kind = "WorkflowTemplate", .route = "workflow-templates",
		.body_key = "template", .resource = "workflowtemplates.argoproj.io",
		.namespaced = true,
	},
	[ARGO_CLUSTER_WORKFLOW_TEMPLATE] = {
		.kind = "ClusterWorkflowTemplate", .route = "cluster-workflow-templates",
		.body_key = "template", .resource = "clusterworkflowtemplates.argoproj.io",
		.namespaced = false,
	},
	[ARGO_CRON_WORKFLOW] = {
		.kind = "CronWorkflow", .route = "cron-workflows",
		.body_key = "cronWorkflow", .resource = "cronworkflows.argoproj.io",
		.namespaced = true,
	},
	[ARGO_WORKFLOW] = {
		.kind = "Workflow", .route = "workflows",
		.body_key = "workflow", .resource = "workflows.argoproj.io",
		.namespaced = true,
	},
};

const struct argo_kind_info *argo_kind_info(enum argo_kind kind)
{
	return &kinds[kind];
}

bool argo_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.')
			return false;
		if ((i == 0 || i == len - 1) && !alnum)
			return false;
	}
	return true;
}

static void set_error(struct argo_error *err, long status, const char *message)
{
	if (!err)
		return;
	err->status = status;
	snprintf(err->message, sizeof(err->message), "%s", message ? message : "");
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
	r = http_request(http, method, path, text, text_len, &resp, &detail);
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

int argo_list(struct http_client *http, enum argo_kind kind, const char *ns,
	      const char *fields, unsigned page_size, json_t **ret_items,
	      struct argo_error *err)
{
	char base[512], url[2048];
	json_t *all = json_array();
	char *cont = NULL;
	int r;

	if (!all)
		return -ENOMEM;
	r = object_path(base, sizeof(base), kind, ns, NULL);
	if (r < 0)
		goto out;
	for (;;) {
		json_t *reply = NULL;
		const char *next;
		char limit[16];

		snprintf(url, sizeof(url), "%s", base);
		if (page_size) {
			snprintf(limit, sizeof(limit), "%u", page_size);
			r = append_query(url, sizeof(url), "listOptions.limit", limit);
			if (r == 0 && cont)
				r = append_query(url, sizeof(url), "listOptions.continue", cont);
			if (r < 0)
				goto out;
		}
		if (fields && (r = append_query(url, sizeof(url), "fields", fields)) < 0)
			goto out;
		r = argo_call(http, "GET", url, NULL, ERRMAP_OP_READ, &reply, err);
		if (r < 0)
			goto out;
		r = collect_items(json_object_get(reply, "items"), all, url);
		if (r == -EPROTO)
			set_error(err, 200, "list reply: \"items\" is not an array");
		next = json_string_value(json_object_get(json_object_get(reply, "metadata"),
							 "continue"));
		free(cont);
		cont = next && *next && page_size ? strdup(next) : NULL;
		json_decref(reply);
		if (r < 0)
			goto out;
		if (!cont)
			break;
	}
	*ret_items = all;
	return 0;
out:
	free(cont);
	json_decref(all);
	return r;
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

int argo_get_json(struct http_client *http, const char *path, json_t **ret_reply,
		  struct argo_error *err)
{
	return argo_call(http, "GET", path, NULL, ERRMAP_OP_READ, ret_reply, err);
}
