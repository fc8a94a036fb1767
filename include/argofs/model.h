/*
 * model.h - the resource model and its cache: what the tree shows, in terms
 * of Argo objects, without any FUSE.
 *
 * Document directories (workflow templates, cluster workflow templates, cron
 * workflows) are listed with one list call and kept for cache_ttl seconds;
 * each object is held as the YAML text users read, so `ls -l` sizes and
 * `cat` contents come from the same bytes and need no request per entry.
 * A single object asked for outside a fresh listing is fetched alone and
 * cached the same way (also its absence: a negative entry). Writes go to the
 * server at once and update the cache from the server's reply, so a change
 * made through argofs is visible through argofs immediately.
 *
 * Every failure that reaches the user is recorded once in errlog with its
 * mount path, operation, status and the server's message. All returned
 * memory belongs to the caller. Thread-safe: one mutex guards the cache and
 * is never held across a request.
 */
#ifndef ARGOFS_MODEL_H
#define ARGOFS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "argofs/api.h"

struct http_client;
struct model;

/* Largest document accepted for writing (bytes); larger gives -EFBIG. */
#define MODEL_MAX_DOCUMENT (4u * 1024 * 1024)

struct model_config {
	struct http_client *http;          /* borrowed */
	double cache_ttl;                  /* seconds a listing or object stays fresh */
	char *const *namespaces;           /* configured namespaces, NULL-terminated (copied) */
};

/* A file of a document directory: "NAME.yaml". */
struct model_entry {
	char name[260];
	size_t size;
	struct timespec mtime;
};

/* The files of MOUNT/.argofs. */
enum model_meta {
	MODEL_META_VERSION = 0,  /* "version" */
	MODEL_META_INFO,         /* "info.yaml" */
	MODEL_META_USERINFO,     /* "userinfo.yaml" */
	MODEL_META_ERRORS,       /* "errors" */
	MODEL_META_COUNT,
};

/* The object as users read it (managedFields dropped, apiVersion and kind
 * present) as YAML in a malloc'd buffer, and its last change time (the
 * latest of creationTimestamp and the managedFields times) in *ret_mtime.
 * Returns 0, -EINVAL or -ENOMEM. */
int model_render(json_t *obj, enum argo_kind kind, char **ret_yaml, size_t *ret_len,
		 struct timespec *ret_mtime);

/* Parse a Kubernetes timestamp ("2026-11-28T05:40:01Z"). Returns whether it was one. */
bool model_parse_time(const char *text, struct timespec *ts);

/*
 * Parse a document written to a directory of @kind in @ns (NULL for
 * cluster-scoped kinds): one YAML or JSON mapping, at most MODEL_MAX_DOCUMENT
 * bytes, whose apiVersion, kind and metadata.namespace (when given) fit the
 * directory, and whose metadata.name (when given) is a valid name. Returns 0
 * and a new reference in *ret_doc, or -EINVAL/-EFBIG, recorded in errlog
 * with @op_path and the reason (with line and column for YAML errors).
 */
int model_parse_document(enum argo_kind kind, const char *ns, const char *text,
			 size_t len, const char *op_path, json_t **ret_doc);

/* Returns 0 and a model, or -ENOMEM. */
int model_new(const struct model_config *cfg, struct model **ret_model);

/* NULL is fine. */
void model_free(struct model *m);

/* Forget every cached listing and object (SIGHUP). */
void model_drop_caches(struct model *m);

/* The name of a .argofs file, and the lookup the other way (-1 if none). */
const char *model_meta_name(enum model_meta meta);
int model_meta_lookup(const char *name);

/* The current text of a .argofs file. Returns 0 with a malloc'd buffer, or a
 * negative errno (the server could not be asked). */
int model_meta_read(struct model *m, enum model_meta meta, char **ret_text,
		    size_t *ret_len);

/* The namespaces listed at the root: the configured ones, the server's
 * managed namespace (/api/v1/info) and the token's (/api/v1/userinfo),
 * sorted and unique. Failures to ask the server only shorten the list.
 * Returns 0 and a NULL-terminated malloc'd array of malloc'd strings
 * (free with model_strv_free), or -ENOMEM. */
int model_namespaces(struct model *m, char ***ret_names);
void model_strv_free(char **names);

/* Split "NAME.yaml" / "NAME.yml" / "NAME.json" into NAME (into @stem, of
 * @size bytes). Returns true when @file_name is a document name: a suffix
 * from that list and a valid object name before it. */
bool model_document_stem(const char *file_name, char *stem, size_t size);

/* The entries of a document directory (@ns NULL for cluster-scoped kinds).
 * Returns 0 with a malloc'd array (caller frees) and its length, or a
 * negative errno. */
int model_list(struct model *m, enum argo_kind kind, const char *ns,
	       struct model_entry **ret_entries, size_t *ret_n);

/* Stat one document by object name. Returns 0 and the entry, -ENOENT, or
 * another negative errno. */
int model_stat(struct model *m, enum argo_kind kind, const char *ns,
	       const char *name, struct model_entry *ret_entry);

/* The YAML text of one document. Returns 0 with a malloc'd buffer (caller
 * frees), -ENOENT, or another negative errno. */
int model_read(struct model *m, enum argo_kind kind, const char *ns,
	       const char *name, char **ret_text, size_t *ret_len);

/*
 * Write the document @text, given as the file @stem (the file name without
 * its suffix), to the server. When an object named @stem exists this is an
 * update (PUT; the text's metadata.name must be @stem or absent; its
 * metadata.resourceVersion is used when present, else the current one is
 * fetched first). Otherwise it is a create (POST) of metadata.name, or @stem
 * when the text names none. The text must be one YAML or JSON mapping whose
 * kind (when given) is @kind and whose metadata.namespace (when given) is
 * @ns. Nothing is sent when the text is refused.
 *
 * Returns 0, or -EINVAL (not valid YAML, wrong kind/namespace/name), -EFBIG
 * (over MODEL_MAX_DOCUMENT), -EEXIST (create of a taken name), -ESTALE
 * (someone else changed it), or the errno of the request. @op_path is the
 * mount path used in .argofs/errors.
 */
int model_write(struct model *m, enum argo_kind kind, const char *ns,
		const char *stem, const char *text, size_t len,
		const char *op_path);

/* How long a removed document waits before its DELETE is sent (seconds). */
#define MODEL_DELETE_GRACE 1.0

/*
 * Remove one document. It is hidden at once and its DELETE is sent
 * MODEL_DELETE_GRACE seconds later, unless the same name is written in
 * between: `mv` from another filesystem unlinks the target before writing
 * it, and that must be an update of the same object, not a delete and a
 * create (nor a lost object when the new text is refused). A DELETE that
 * then fails is recorded in errlog and the object shows again. Pending
 * DELETEs are sent at model_free(). Returns 0, -ENOENT, or the errno of
 * checking that the object exists.
 */
int model_delete(struct model *m, enum argo_kind kind, const char *ns,
		 const char *name, const char *op_path);

/* Send @text (a JSON or YAML payload) as an event to @discriminator in @ns.
 * Returns 0, -EINVAL (not JSON or YAML: nothing sent), -EFBIG, or the errno of
 * the request. */
int model_send_event(struct model *m, const char *ns, const char *discriminator,
		     const char *text, size_t len, const char *op_path);

#endif
