/*
 * kube.c - namespaces and webhook clients from the Kubernetes API (see
 * kube.h for the contract).
 *
 * The webhook Secret of each namespace is kept for cache_ttl (absent too)
 * under one mutex that is never held across a request. Writes send a JSON
 * merge patch of the one key ({"data": {"SA": base64}} or null to remove),
 * so two users changing two clients at once both win; a missing Secret is
 * created with a POST (and a concurrent creation falls back to the patch).
 * Secret values are decoded only into buffers handed to the caller and are
 * wiped before they are freed here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/kube.h"
#include "argofs/yamljson.h"

#define MERGE_PATCH "application/merge-patch+json"
#define MAX_CLIENT_ENTRY 4096

struct secret_cache {
	char *ns;
	json_t *data;            /* the Secret's data; NULL: there is no Secret */
	struct timespec mtime;
	double fetched_at;
	struct secret_cache *next;
};

struct kube {
	struct http_client *http;
	double ttl;
	pthread_mutex_t lock;    /* guards secrets */
	struct secret_cache *secrets;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kube_new(struct http_client *http, double cache_ttl, struct kube **ret_kube)
{
	struct kube *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->http = http;
	k->ttl = cache_ttl;
	pthread_mutex_init(&k->lock, NULL);
	*ret_kube = k;
	return 0;
}

void kube_drop_caches(struct kube *k)
{
	pthread_mutex_lock(&k->lock);
	while (k->secrets) {
		struct secret_cache *c = k->secrets;

		k->secrets = c->next;
		free(c->ns);
		json_decref(c->data);
		free(c);
	}
	pthread_mutex_unlock(&k->lock);
}

void kube_free(struct kube *k)
{
	if (!k)
		return;
	kube_drop_caches(k);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

int kube_namespaces(struct kube *k, char ***ret_names)
{
	struct argo_error err = { 0 };
	json_t *reply = NULL, *item;
	char **names;
	size_t i, n = 0;
	int r;

	r = argo_call(k->http, "GET", "/api/v1/namespaces", NULL, ERRMAP_OP_READ, &reply, &err);
	if (r == -EACCES && err.status == 403)
		r = 0; /* not allowed to list: nothing to add */
	else if (r < 0)
		return argo_record("list", "/api/v1/namespaces", r, &err);
	names = calloc(json_array_size(json_object_get(reply, "items")) + 1, sizeof(*names));
	if (!names) {
		json_decref(reply);
		return -ENOMEM;
	}
	json_array_foreach(json_object_get(reply, "items"), i, item) {
		const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"),
								     "name"));

		if (name && argo_valid_name(name) && (names[n] = strdup(name)))
			n++;
	}
	json_decref(reply);
	*ret_names = names;
	return 0;
}

/* ---- base64 (the Secret's data) ----------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Returns the decoded bytes (NUL-terminated) or NULL when @in is not base64. */
static char *base64_decode(const char *in, size_t *ret_len)
{
	size_t len = strlen(in), n = 0;
	char *out = malloc(len / 4 * 3 + 1);
	unsigned v = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *p = strchr(b64, in[i]);

		if (in[i] == '=')
			break;
		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((v >> bits) & 0xFF);
		}
	}
	out[n] = '\0';
	*ret_len = n;
	return out;
}

/* ---- the webhook Secret ------------------------------------------------- */

static void secret_path(char *buf, size_t size, const char *ns, bool with_name)
{
	snprintf(buf, size, "/api/v1/namespaces/%s/secrets%s", ns,
		 with_name ? "/" KUBE_WEBHOOK_SECRET : "");
}

static void mount_path(char *buf, size_t size, const char *ns, const char *sa)
{
	snprintf(buf, size, "/%s/webhook-clients%s%s%s", ns, sa ? "/" : "", sa ? sa : "",
		 sa ? ".yaml" : "");
}

/* Remember what the server said of the namespace's Secret (NULL: none). */
static void secret_remember(struct kube *k, const char *ns, json_t *secret)
{
	json_t *meta = json_object_get(secret, "metadata");
	struct secret_cache *c;

	pthread_mutex_lock(&k->lock);
	for (c = k->secrets; c && strcmp(c->ns, ns) != 0; c = c->next)
		;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (c && !(c->ns = strdup(ns))) {
			free(c);
			c = NULL;
		}
		if (c) {
			c->next = k->secrets;
			k->secrets = c;
		}
	}
	if (c) {
		json_decref(c->data);
		c->data = NULL;
		if (secret) { /* a Secret without data has an empty one */
			c->data = json_object_get(secret, "data") ?
				json_incref(json_object_get(secret, "data")) : json_object();
		}
		c->mtime = (struct timespec){ 0 };
		model_parse_time(json_string_value(json_object_get(meta, "creationTimestamp")),
				 &c->mtime);
		c->fetched_at = now();
	}
	pthread_mutex_unlock(&k->lock);
}

/* A copy of the Secret's data (NULL when there is no Secret), from the
 * cache or with one GET. Returns 0 or a negative errno (recorded). */
static int secret_data(struct kube *k, const char *ns, json_t **ret_data,
		       struct timespec *ret_mtime)
{
	struct argo_error err = { 0 };
	json_t *secret = NULL;
	char path[300];
	int r;

	pthread_mutex_lock(&k->lock);
	for (struct secret_cache *c = k->secrets; c; c = c->next)
		if (strcmp(c->ns, ns) == 0 && now() - c->fetched_at < k->ttl) {
			*ret_data = c->data ? json_deep_copy(c->data) : NULL;
			if (ret_mtime)
				*ret_mtime = c->mtime;
			pthread_mutex_unlock(&k->lock);
			return 0;
		}
	pthread_mutex_unlock(&k->lock);
	secret_path(path, sizeof(path), ns, true);
	r = argo_call(k->http, "GET", path, NULL, ERRMAP_OP_READ, &secret, &err);
	if (r < 0 && r != -ENOENT) {
		char mpath[300];

		mount_path(mpath, sizeof(mpath), ns, NULL);
		return argo_record("list", mpath, r, &err);
	}
	secret_remember(k, ns, secret);
	*ret_data = secret ? json_deep_copy(json_object_get(secret, "data")) : NULL;
	if (secret && !*ret_data)
		*ret_data = json_object();
	if (ret_mtime) {
		ret_mtime->tv_sec = 0;
		ret_mtime->tv_nsec = 0;
		model_parse_time(json_string_value(json_object_get(json_object_get(secret, "metadata"),
								   "creationTimestamp")), ret_mtime);
	}
	json_decref(secret);
	return 0;
}

int kube_webhooks_list(struct kube *k, const char *ns, struct model_entry **ret_entries,
		       size_t *ret_n)
{
	struct timespec mtime = { 0 };
	struct model_entry *entries;
	json_t *data = NULL, *v;
	const char *key;
	size_t n = 0;
	int r = secret_data(k, ns, &data, &mtime);

	if (r < 0)
		return r;
	entries = calloc(json_object_size(data) + 1, sizeof(*entries));
	if (!entries) {
		json_decref(data);
		return -ENOMEM;
	}
	json_object_foreach(data, key, v) {
		size_t len = 0;
		char *text;

		if (!argo_valid_name(key) || !json_is_string(v))
			continue; /* not a service account: not a file */
		text = base64_decode(json_string_value(v), &len);
		if (!text)
			continue;
		explicit_bzero(text, len);
		free(text);
		snprintf(entries[n].name, sizeof(entries[n].name), "%s.yaml", key);
		entries[n].size = len;
		entries[n].mtime = mtime;
		n++;
	}
	json_decref(data);
	*ret_entries = entries;
	*ret_n = n;
	return 0;
}

int kube_webhook_read(struct kube *k, const char *ns, const char *sa, char **ret_text,
		      size_t *ret_len, struct model_entry *ret_entry)
{
	struct timespec mtime = { 0 };
	json_t *data = NULL;
	const char *value;
	char *text;
	size_t len = 0;
	int r = secret_data(k, ns, &data, &mtime);

	if (r < 0)
		return r;
	value = json_string_value(json_object_get(data, sa));
	text = value ? base64_decode(value, &len) : NULL;
	json_decref(data);
	if (!text)
		return -ENOENT;
	if (ret_entry) {
		snprintf(ret_entry->name, sizeof(ret_entry->name), "%s.yaml", sa);
		ret_entry->size = len;
		ret_entry->mtime = mtime;
	}
	if (ret_text) {
		*ret_text = text;
		*ret_len = len;
	} else {
		explicit_bzero(text, len);
		free(text);
	}
	return 0;
}

/* The entry must be what Argo's webhook code can use. */
static int check_client(const char *text, size_t len, char *why, size_t size)
{
	static const char *const types[] = { "github", "gitlab", "bitbucket", "bitbucketserver" };
	struct yj_error yerr = { 0 };
	json_t *doc = NULL, *v;
	const char *key, *type;
	int r;

	if (len > MAX_CLIENT_ENTRY) {
		snprintf(why, size, "a webhook client entry is at most %d bytes", MAX_CLIENT_ENTRY);
		return -EFBIG;
	}
	r = yj_yaml_to_json(text, len, &doc, &yerr);
	if (r < 0) {
		snprintf(why, size, "line %d, column %d: %s", yerr.line, yerr.column, yerr.message);
		return r;
	}
	r = -EINVAL;
	if (!json_is_object(doc)) {
		snprintf(why, size, "a webhook client is a mapping with type and secret");
		goto out;
	}
	json_object_foreach(doc, key, v)
		if (strcmp(key, "type") != 0 && strcmp(key, "secret") != 0) {
			snprintf(why, size, "unknown key '%s': a webhook client has type and secret", key);
			goto out;
		}
	type = json_string_value(json_object_get(doc, "type"));
	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			r = 0;
	if (r < 0) {
		snprintf(why, size, "type must be github, gitlab, bitbucket or bitbucketserver");
		goto out;
	}
	if (!json_is_string(json_object_get(doc, "secret"))) {
		snprintf(why, size, "secret must be a string");
		r = -EINVAL;
	}
out:
	json_decref(doc);
	return r;
}

/* PATCH {"data": {sa: value}} (value NULL removes the key). */
static int patch_key(struct kube *k, const char *ns, const char *sa, const char *value,
		     json_t **ret_secret, struct argo_error *err)
{
	char path[300];
	json_t *body = json_pack("{s:{s:s?}}", "data", sa, value);
	int r;

	if (!body)
		return -ENOMEM;
	if (!value)
		json_object_set_new(json_object_get(body, "data"), sa, json_null());
	secret_path(path, sizeof(path), ns, true);
	r = argo_call_as(k->http, "PATCH", path, MERGE_PATCH, body, ERRMAP_OP_UPDATE, ret_secret,
			 err);
	json_decref(body);
	return r;
}

int kube_webhook_write(struct kube *k, const char *ns, const char *sa, const char *text,
		       size_t len, const char *op_path)
{
	struct argo_error err = { 0 };
	json_t *secret = NULL, *body;
	char *value, path[300];
	int r;

	r = check_client(text, len, err.message, sizeof(err.message));
	if (r < 0)
		return argo_record("write", op_path, r, &err);
	value = base64_encode(text, len);
	if (!value)
		return -ENOMEM;
	r = patch_key(k, ns, sa, value, &secret, &err);
	if (r == -ENOENT) { /* no Secret yet: create it with this one client */
		body = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s}}", "apiVersion", "v1",
				 "kind", "Secret", "metadata", "name", KUBE_WEBHOOK_SECRET,
				 "namespace", ns, "type", "Opaque", "data", sa, value);
		secret_path(path, sizeof(path), ns, false);
		r = body ? argo_call(k->http, "POST", path, body, ERRMAP_OP_CREATE, &secret, &err) :
			-ENOMEM;
		json_decref(body);
		if (r == -EEXIST) /* created meanwhile by someone else: patch it */
			r = patch_key(k, ns, sa, value, &secret, &err);
	}
	explicit_bzero(value, strlen(value));
	free(value);
	if (r < 0)
		return argo_record("write", op_path, r, &err);
	secret_remember(k, ns, secret);
	json_decref(secret);
	return 0;
}

int kube_webhook_delete(struct kube *k, const char *ns, const char *sa, const char *op_path)
{
	struct argo_error err = { 0 };
	json_t *secret = NULL;
	int r = kube_webhook_read(k, ns, sa, NULL, NULL, NULL);

	if (r < 0)
		return r;
	r = patch_key(k, ns, sa, NULL, &secret, &err);
	if (r < 0)
		return argo_record("delete", op_path, r, &err);
	secret_remember(k, ns, secret);
	json_decref(secret);
	return 0;
}
