/*
 * api.h - the Argo Server REST API, as argofs uses it.
 *
 * Builds the request paths and JSON bodies of the Argo Server's routes
 * (swagger.json is the contract), sends them with the http module and turns
 * failures into a negative errno (errmap) plus the server's own message.
 * Knows nothing of FUSE. Replies are new jansson references the caller
 * releases with json_decref().
 */
#ifndef ARGOFS_API_H
#define ARGOFS_API_H

#include <stdbool.h>
#include <jansson.h>

#include "argofs/errmap.h"

struct http_client;

enum argo_kind {
	ARGO_WORKFLOW_TEMPLATE = 0,
	ARGO_CLUSTER_WORKFLOW_TEMPLATE,
	ARGO_CRON_WORKFLOW,
	ARGO_WORKFLOW,
	ARGO_WORKFLOW_EVENT_BINDING,
	ARGO_KIND_COUNT,
};

struct argo_kind_info {
	const char *kind;        /* "WorkflowTemplate" */
	const char *route;       /* "workflow-templates": /api/v1/<route>[/{ns}] */
	const char *body_key;    /* "template": key of the object in create/update bodies */
	const char *resource;    /* "workflowtemplates.argoproj.io": as in server messages */
	bool namespaced;
	bool has_get;            /* the API serves single objects (bindings are only listed) */
	bool writable;           /* the API creates, updates and deletes them */
};

/* Static description of @kind. */
const struct argo_kind_info *argo_kind_info(enum argo_kind kind);

#define ARGO_API_VERSION "argoproj.io/v1alpha1"

/* What went wrong, for .argofs/errors and the log. */
struct argo_error {
	long status;          /* HTTP status, 0 when no reply came */
	char message[512];    /* the server's "message", or the transport's reason */
	char request[300];    /* "METHOD /api/path" of the failed request, "" if none was sent */
};

/* Record a failure the user will see as @r at a system call: in errlog (and
 * so in the log, once) with the mount path, the operation, the request's
 * method and API path, its status and the server's message. Returns @r. */
int argo_record(const char *op, const char *mount_path, int r, const struct argo_error *err);

/* Whether @name is a valid object name (DNS-1123 subdomain, <= 253 chars). */
bool argo_valid_name(const char *name);

/*
 * Send METHOD @path with @body (borrowed, may be NULL) and decode the JSON
 * reply. Returns 0 with a new reference in *ret_reply (may be NULL when the
 * caller does not want it), or a negative errno: from the transport, from
 * errmap_http_status(status, @op) for an error status (err->message is then
 * the server's "message"), or -EPROTO for a 2xx reply that is not JSON.
 * @err may be NULL.
 */
int argo_call(struct http_client *http, const char *method, const char *path,
	      json_t *body, enum errmap_op op, json_t **ret_reply,
	      struct argo_error *err);

/* argo_call() with a body of @content_type (NULL: application/json). The
 * same decoding serves the Kubernetes API, whose errors (Status objects)
 * also carry "message". */
int argo_call_as(struct http_client *http, const char *method, const char *path,
		 const char *content_type, json_t *body, enum errmap_op op,
		 json_t **ret_reply, struct argo_error *err);

/*
 * List every object of @kind in @ns (NULL for cluster-scoped kinds), following
 * metadata.continue with pages of @page_size (0 = one request for all).
 * @fields, when not NULL, is sent as the fields= projection (it must keep
 * "metadata"). Returns 0 and a new array in *ret_items (items that are not
 * objects with a valid metadata.name are dropped, with a log line), or a
 * negative errno.
 */
int argo_list(struct http_client *http, enum argo_kind kind, const char *ns,
	      const char *fields, unsigned page_size, json_t **ret_items,
	      struct argo_error *err);

/* One page of a list: its valid items (borrowed). Returns 0 to go on, or a
 * negative errno that ends the list with it. */
typedef int (*argo_page_cb)(json_t *items, void *userdata);

/* argo_list(), page by page: @on_page gets each page's items as it arrives,
 * so that a long list is never held whole. The first page's
 * metadata.resourceVersion ("" if none) goes to @ret_version (may be NULL):
 * a watch from it misses no change made after the list began. Returns 0 or
 * a negative errno. */
int argo_list_pages(struct http_client *http, enum argo_kind kind, const char *ns,
		    const char *fields, unsigned page_size, argo_page_cb on_page,
		    void *userdata, char *ret_version, size_t version_size,
		    struct argo_error *err);

/* GET one object. Returns 0 and a new reference, or a negative errno
 * (-ENOENT when it does not exist). */
int argo_get(struct http_client *http, enum argo_kind kind, const char *ns,
	     const char *name, json_t **ret_obj, struct argo_error *err);

/* POST a new object (@obj borrowed). Returns 0 and the created object in
 * *ret_obj (may be NULL), -EEXIST when the name is taken, or another errno. */
int argo_create(struct http_client *http, enum argo_kind kind, const char *ns,
		json_t *obj, json_t **ret_obj, struct argo_error *err);

/* PUT @obj (borrowed; must carry metadata.name and metadata.resourceVersion).
 * Returns 0 and the updated object in *ret_obj (may be NULL), -ESTALE when
 * the resourceVersion is stale, or another errno. */
int argo_update(struct http_client *http, enum argo_kind kind, const char *ns,
		json_t *obj, json_t **ret_obj, struct argo_error *err);

/* DELETE one object. Returns 0, -ENOENT, or another errno. */
int argo_delete(struct http_client *http, enum argo_kind kind, const char *ns,
		const char *name, struct argo_error *err);

/* POST /api/v1/workflows/{ns}/submit: a new Workflow from @resource_kind
 * ("WorkflowTemplate", "ClusterWorkflowTemplate" or "CronWorkflow") named
 * @resource_name, with @submit_options (borrowed, may be NULL). Returns 0
 * and the new Workflow in *ret_obj (may be NULL), or a negative errno. */
int argo_submit(struct http_client *http, const char *ns, const char *resource_kind,
		const char *resource_name, json_t *submit_options, json_t **ret_obj,
		struct argo_error *err);

/* PUT /api/v1/workflows/{ns}/{name}/{verb} (stop, terminate, suspend,
 * resume, retry, resubmit, set) with @body (borrowed, may be NULL: {}).
 * Returns 0 and the reply (the workflow, or the new one for resubmit) in
 * *ret_obj (may be NULL), or a negative errno. */
int argo_workflow_action(struct http_client *http, const char *ns, const char *name,
			 const char *verb, json_t *body, json_t **ret_obj,
			 struct argo_error *err);

/* One line of a workflow's logs. */
typedef int (*argo_log_cb)(const char *pod, const char *content, void *userdata);

/*
 * Stream the logs of workflow @name (container "main" of every pod, in the
 * server's time order), following them until the workflow ends when
 * @follow. @on_line gets each line (without newline); it returns non-zero to
 * stop. Lines that are not log entries are skipped; an error entry in the
 * stream ends it with -EIO (its message in @err). Returns 0 when the stream
 * ended, or a negative errno.
 */
int argo_workflow_logs(struct http_client *http, const char *ns, const char *name,
		       bool follow, argo_log_cb on_line, void *userdata,
		       struct argo_error *err);

/* One event of a workflow watch: @type is "ADDED", "MODIFIED" or "DELETED"
 * (a server may send others: "BOOKMARK", "ERROR"), @object the (projected)
 * workflow, borrowed; both NULL, about once a second, while the stream is
 * open and quiet (nothing happened). Returns non-zero to stop watching. */
typedef int (*argo_watch_cb)(const char *type, json_t *object, void *userdata);

/*
 * Watch the workflows of @ns (GET /api/v1/workflow-events/{ns}, in the SSE
 * form the argo CLI uses, whose keepalives keep it alive while nothing
 * happens) from @resource_version (NULL or "": first an ADDED for every
 * workflow), projected with @fields (paths start with "result.", may be
 * NULL). Returns 0 when the stream ended as a watch normally ends (the
 * server's "EOF", or @on_event asked to stop): reconnect from the last
 * resourceVersion seen. -ESTALE when the server no longer has that
 * resourceVersion (list again), -ECANCELED after
 * http_client_cancel_streams(), -ETIMEDOUT when it went silent (35 s
 * without even a keepalive), or another
 * negative errno (the message in @err).
 */
int argo_watch_workflows(struct http_client *http, const char *ns, const char *fields,
			 const char *resource_version, argo_watch_cb on_event,
			 void *userdata, struct argo_error *err);

/* POST /api/v1/events/{ns}/{discriminator} with @payload (JSON text, sent as
 * it is). Returns 0 or a negative errno. */
int argo_send_event(struct http_client *http, const char *ns, const char *discriminator,
		    const char *payload, size_t len, struct argo_error *err);

/* GET a JSON document that is not an object of a kind (/api/v1/info,
 * /api/v1/version, /api/v1/userinfo). Returns as argo_call(). */
int argo_get_json(struct http_client *http, const char *path, json_t **ret_reply,
		  struct argo_error *err);

#endif
