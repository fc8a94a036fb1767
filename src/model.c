/*
 * model.c - the resource model and its cache (see model.h for the contract).
 *
 * The cache is a list of directories (kind + namespace); each holds its
 * objects sorted by name, as rendered YAML, with the time they were fetched.
 * A directory listed less than cache_ttl ago answers every question about
 * its names by itself, including "no such name". A new listing replaces
 * what was known of the directory, but for what argofs learnt of a name
 * while the list was on its way (its own write, say), which is newer.
 * Outside a fresh listing an object is fetched alone and kept for
 * cache_ttl, absent or present.
 * The mutex guards all of it and is released around every request; the
 * cache only ever stores copies, and hands out copies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/http.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/options.h"
#include "argofs/yamljson.h"

#define LIST_PAGE_SIZE 500

struct cached_doc {
	char *name;
	bool present;
	char *yaml;             /* NULL when absent */
	size_t len;
	struct timespec mtime;
	double fetched_at;
	bool listed;            /* it came with the directory's listing */
};

struct dir_cache {
	enum argo_kind kind;
	char *ns;               /* NULL for cluster-scoped kinds */
	bool listed;
	double listed_at;
	double list_took;       /* seconds its last list took: kept at least that long */
	struct cached_doc *docs; /* sorted by name */
	size_t n, cap;
	struct dir_cache *next;
};

struct meta_cache {
	json_t *reply;          /* NULL until fetched */
	double fetched_at;
};

/* A document removed by the user whose DELETE is not sent yet (see
 * model_delete): hidden at once, deleted at @due unless written again. */
struct tombstone {
	enum argo_kind kind;
	char *ns;
	char *name;
	char *op_path;
	double due;
	struct tombstone *next;
};

struct model {
	struct http_client *http;
	double ttl;
	char **namespaces;       /* configured, NULL-terminated */
	pthread_mutex_t lock;    /* guards dirs, meta, tombs and the reaper's state */
	struct dir_cache *dirs;
	struct meta_cache meta[3]; /* version, info, userinfo */
	struct tombstone *tombs;
	pthread_cond_t reaper_wake;
	pthread_t reaper;
	bool reaper_running;
	bool stopping;           /* send every pending DELETE now, then stop */
};

static const char *const meta_names[MODEL_META_COUNT] = {
	[MODEL_META_VERSION] = "version",
	[MODEL_META_INFO] = "info.yaml",
	[MODEL_META_USERINFO] = "userinfo.yaml",
	[MODEL_META_ERRORS] = "errors",
};

static const char *const meta_paths[3] = {
	[MODEL_META_VERSION] = "/api/v1/version",
	[MODEL_META_INFO] = "/api/v1/info",
	[MODEL_META_USERINFO] = "/api/v1/userinfo",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool fresh(const struct model *m, double at)
{
	return now() - at < m->ttl;
}

/* Whether @dc's listing answers for its directory: for cache_ttl, or for as
 * long as the list took when that is longer (else, after a list slower than
 * the TTL, `ls -l` would fetch every entry it stats again). */
static bool listing_fresh(const struct model *m, const struct dir_cache *dc)
{
	return dc->listed &&
	       now() - dc->listed_at < (m->ttl > dc->list_took ? m->ttl : dc->list_took);
}

void model_strv_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

static char **strv_copy(char *const *src)
{
	size_t n = 0;
	char **dst;

	while (src && src[n])
		n++;
	dst = calloc(n + 1, sizeof(*dst));
	if (!dst)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		dst[i] = strdup(src[i]);
		if (!dst[i]) {
			model_strv_free(dst);
			return NULL;
		}
	}
	return dst;
}

int model_new(const struct model_config *cfg, struct model **ret_model)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->http = cfg->http;
	m->ttl = cfg->cache_ttl;
	m->namespaces = strv_copy(cfg->namespaces);
	if (!m->namespaces) {
		free(m);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->reaper_wake, NULL);
	*ret_model = m;
	return 0;
}

static void doc_release(struct cached_doc *d)
{
	free(d->name);
	free(d->yaml);
}

static void dir_clear(struct dir_cache *dc)
{
	for (size_t i = 0; i < dc->n; i++)
		doc_release(&dc->docs[i]);
	free(dc->docs);
	dc->docs = NULL;
	dc->n = dc->cap = 0;
	dc->listed = false;
}

static void caches_clear_locked(struct model *m)
{
	struct dir_cache *dc = m->dirs;

	while (dc) {
		struct dir_cache *next = dc->next;

		dir_clear(dc);
		free(dc->ns);
		free(dc);
		dc = next;
	}
	m->dirs = NULL;
	for (size_t i = 0; i < 3; i++) {
		json_decref(m->meta[i].reply);
		m->meta[i].reply = NULL;
	}
}

static void reaper_stop(struct model *m);

void model_free(struct model *m)
{
	if (!m)
		return;
	reaper_stop(m);
	caches_clear_locked(m);
	model_strv_free(m->namespaces);
	pthread_cond_destroy(&m->reaper_wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void model_drop_caches(struct model *m)
{
	pthread_mutex_lock(&m->lock);
	caches_clear_locked(m);
	pthread_mutex_unlock(&m->lock);
}

const char *model_meta_name(enum model_meta meta)
{
	return meta_names[meta];
}

int model_meta_lookup(const char *name)
{
	for (int i = 0; i < MODEL_META_COUNT; i++)
		if (strcmp(meta_names[i], name) == 0)
			return i;
	return -1;
}

bool model_document_stem(const char *file_name, char *stem, size_t size)
{
	static const char *const suffixes[] = { ".yaml", ".yml", ".json" };
	size_t len = strlen(file_name);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t slen = strlen(suffixes[i]);

		if (len <= slen || strcmp(file_name + len - slen, suffixes[i]) != 0)
			continue;
		if (len - slen >= size)
			return false;
		memcpy(stem, file_name, len - slen);
		stem[len - slen] = '\0';
		return argo_valid_name(stem);
	}
	return false;
}

/* "2026-11-28T05:40:01Z" (fractions and offsets tolerated) into @ts. */
bool model_parse_time(const char *text, struct timespec *ts)
{
	struct tm tm = { 0 };
	const char *rest;

	if (!text)
		return false;
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return false;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = 0;
	return true;
}

/* The object as users read it: managedFields dropped (they are noise and
 * the server rejects edits of them), apiVersion and kind always present so
 * that the file can be used with the argo CLI or kubectl as it is. The
 * mtime is the latest of creationTimestamp and the managedFields times.
 * @obj is left as it is: the top level and the metadata are shallow copies
 * (the rest is shared, only read), not a deep copy of the whole object. */
int model_render(json_t *obj, enum argo_kind kind, char **ret_yaml,
		 size_t *ret_len, struct timespec *ret_mtime)
{
	json_t *copy = json_copy(obj);
	json_t *meta = json_object_get(obj, "metadata");
	json_t *fields, *field;
	struct timespec t = { 0 }, ft;
	size_t i;
	int r;

	if (!copy)
		return -ENOMEM;
	model_parse_time(json_string_value(json_object_get(meta, "creationTimestamp")), &t);
	fields = json_object_get(meta, "managedFields");
	json_array_foreach(fields, i, field)
		if (model_parse_time(json_string_value(json_object_get(field, "time")), &ft) &&
		    ft.tv_sec > t.tv_sec)
			t = ft;
	if (fields) {
		json_t *shown = json_copy(meta);

		if (!shown || json_object_set_new(copy, "metadata", shown) < 0) {
			json_decref(copy);
			return -ENOMEM;
		}
		json_object_del(shown, "managedFields");
	}
	if (!json_object_get(copy, "apiVersion"))
		json_object_set_new(copy, "apiVersion", json_string(ARGO_API_VERSION));
	if (!json_object_get(copy, "kind"))
		json_object_set_new(copy, "kind", json_string(argo_kind_info(kind)->kind));
	r = yj_json_to_yaml(copy, ret_yaml, ret_len);
	json_decref(copy);
	*ret_mtime = t;
	return r;
}

static bool same_ns(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct tombstone **tomb_find_locked(struct model *m, enum argo_kind kind,
					   const char *ns, const char *name)
{
	for (struct tombstone **tp = &m->tombs; *tp; tp = &(*tp)->next)
		if ((*tp)->kind == kind && same_ns((*tp)->ns, ns) && strcmp((*tp)->name, name) == 0)
			return tp;
	return NULL;
}

static void tomb_free(struct tombstone *t)
{
	free(t->ns);
	free(t->name);
	free(t->op_path);
	free(t);
}

static struct dir_cache *dir_find(struct model *m, enum argo_kind kind, const char *ns,
				  bool create)
{
	struct dir_cache *dc;

	for (dc = m->dirs; dc; dc = dc->next)
		if (dc->kind == kind && same_ns(ns, dc->ns))
			return dc;
	if (!create)
		return NULL;
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	dc->kind = kind;
	if (ns && !(dc->ns = strdup(ns))) {
		free(dc);
		return NULL;
	}
	dc->next = m->dirs;
	m->dirs = dc;
	return dc;
}

/* Index of @name in @dc, or where it would go (with *found false). */
static size_t doc_index(const struct dir_cache *dc, const char *name, bool *found)
{
	size_t lo = 0, hi = dc->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(dc->docs[mid].name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Store what is known of @name (yaml NULL: absent), taking @yaml. */
static int doc_store_locked(struct dir_cache *dc, const char *name, char *yaml,
			    size_t len, struct timespec mtime, double at)
{
	bool found;
	size_t i = doc_index(dc, name, &found);
	struct cached_doc *d;

	if (!found) {
		if (dc->n == dc->cap) {
			size_t cap = dc->cap ? dc->cap * 2 : 16;
			struct cached_doc *docs = realloc(dc->docs, cap * sizeof(*docs));

			if (!docs)
				goto fail;
			dc->docs = docs;
			dc->cap = cap;
		}
		memmove(&dc->docs[i + 1], &dc->docs[i], (dc->n - i) * sizeof(*dc->docs));
		d = &dc->docs[i];
		memset(d, 0, sizeof(*d));
		d->name = strdup(name);
		if (!d->name) {
			memmove(&dc->docs[i], &dc->docs[i + 1], (dc->n - i) * sizeof(*dc->docs));
			goto fail;
		}
		dc->n++;
	} else {
		d = &dc->docs[i];
		free(d->yaml);
	}
	d->present = yaml != NULL;
	d->yaml = yaml;
	d->len = len;
	d->mtime = mtime;
	d->fetched_at = at;
	d->listed = false;
	return 0;
fail:
	free(yaml);
	return -ENOMEM;
}

static void entry_fill(struct model_entry *e, const struct cached_doc *d)
{
	snprintf(e->name, sizeof(e->name), "%s.yaml", d->name);
	e->size = d->len;
	e->mtime = d->mtime;
}

/* The mount path of a directory or a document, for .argofs/errors. */
static void mount_path(char *buf, size_t size, enum argo_kind kind, const char *ns,
		       const char *name)
{
	snprintf(buf, size, "/%s%s%s%s%s", ns ? ns : "", ns ? "/" : "",
		 argo_kind_info(kind)->route, name ? "/" : "", name ? name : "");
	if (name)
		strncat(buf, ".yaml", size - strlen(buf) - 1);
}

static int doc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cached_doc *)a)->name, ((const struct cached_doc *)b)->name);
}

/* Fetch the listing of a directory and make it the cache's. */
static int dir_refresh(struct model *m, enum argo_kind kind, const char *ns)
{
	struct argo_error err = { 0 };
	struct dir_cache *dc;
	struct cached_doc *docs, *old;
	json_t *items = NULL, *item;
	size_t i, n, old_n;
	double started = now(), at;
	int r;

	r = argo_list(m->http, kind, ns, NULL, LIST_PAGE_SIZE, &items, &err);
	/* fresh from when it arrived: a listing that takes longer than the TTL
	 * to fetch must still answer the lookups that follow it */
	at = now();
	if (r < 0) {
		char path[300];

		mount_path(path, sizeof(path), kind, ns, NULL);
		return argo_record("list", path, r, &err);
	}
	n = json_array_size(items);
	docs = calloc(n ? n : 1, sizeof(*docs));
	if (!docs) {
		json_decref(items);
		return -ENOMEM;
	}
	json_array_foreach(items, i, item) {
		struct cached_doc *d = &docs[i];

		d->name = strdup(json_string_value(json_object_get(
			json_object_get(item, "metadata"), "name")));
		r = d->name ? model_render(item, kind, &d->yaml, &d->len, &d->mtime) : -ENOMEM;
		if (r < 0) {
			for (size_t j = 0; j <= i; j++)
				doc_release(&docs[j]);
			free(docs);
			json_decref(items);
			return r;
		}
		d->present = true;
		d->fetched_at = at;
		d->listed = true;
	}
	json_decref(items);
	/* the server sorts by name, but a merged or hostile reply may not */
	qsort(docs, n, sizeof(*docs), doc_cmp);
	/* a name twice (a hostile reply, or pages that overlap when the list
	 * changed between them): keep the last */
	for (i = 1; i < n;) {
		if (strcmp(docs[i - 1].name, docs[i].name) == 0) {
			log_warn("%s: the list names '%s' twice", argo_kind_info(kind)->route,
				 docs[i].name);
			doc_release(&docs[i - 1]);
			memmove(&docs[i - 1], &docs[i], (n - i) * sizeof(*docs));
			n--;
		} else {
			i++;
		}
	}

	pthread_mutex_lock(&m->lock);
	dc = dir_find(m, kind, ns, true);
	if (!dc) {
		pthread_mutex_unlock(&m->lock);
		for (i = 0; i < n; i++)
			doc_release(&docs[i]);
		free(docs);
		return -ENOMEM;
	}
	old = dc->docs;
	old_n = dc->n;
	dc->docs = docs;
	dc->n = dc->cap = n;
	dc->listed = true;
	dc->listed_at = at;
	dc->list_took = at - started;
	/* what argofs learnt of a name while the list was on its way (its own
	 * write, a GET, a DELETE sent) is newer than the list: it stays */
	for (i = 0; i < old_n; i++) {
		if (!old[i].listed && old[i].fetched_at >= started) {
			if (doc_store_locked(dc, old[i].name, old[i].yaml, old[i].len,
					     old[i].mtime, old[i].fetched_at) < 0)
				dc->listed = false; /* list again rather than be wrong */
			old[i].yaml = NULL; /* taken */
		}
		doc_release(&old[i]);
	}
	free(old);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* Copy the present entries of @dc. Called with the lock held. */
static int entries_copy_locked(struct model *m, const struct dir_cache *dc,
			       struct model_entry **ret_entries, size_t *ret_n)
{
	struct model_entry *entries = calloc(dc->n ? dc->n : 1, sizeof(*entries));
	size_t n = 0;

	if (!entries)
		return -ENOMEM;
	for (size_t i = 0; i < dc->n; i++)
		if (dc->docs[i].present && !tomb_find_locked(m, dc->kind, dc->ns, dc->docs[i].name))
			entry_fill(&entries[n++], &dc->docs[i]);
	*ret_entries = entries;
	*ret_n = n;
	return 0;
}

int model_list(struct model *m, enum argo_kind kind, const char *ns,
	       struct model_entry **ret_entries, size_t *ret_n)
{
	struct dir_cache *dc;
	bool refreshed = false;
	int r;

	/* a concurrent SIGHUP may drop what was just fetched: fetch again */
	for (int attempt = 0; attempt < 3; attempt++) {
		pthread_mutex_lock(&m->lock);
		dc = dir_find(m, kind, ns, false);
		/* just refreshed: use it even when the TTL is 0 */
		if (dc && dc->listed && (refreshed || listing_fresh(m, dc))) {
			r = entries_copy_locked(m, dc, ret_entries, ret_n);
			pthread_mutex_unlock(&m->lock);
			return r;
		}
		pthread_mutex_unlock(&m->lock);
		r = dir_refresh(m, kind, ns);
		if (r < 0)
			return r;
		refreshed = true;
	}
	return -EAGAIN;
}

/*
 * What the cache knows of @name: 1 (present, copied out), 0 (known absent),
 * or -EAGAIN (unknown or stale: ask the server). Called with the lock held.
 */
static int doc_lookup_locked(struct model *m, enum argo_kind kind, const char *ns,
			     const char *name, struct model_entry *ret_entry,
			     char **ret_text, size_t *ret_len)
{
	struct dir_cache *dc = dir_find(m, kind, ns, false);
	bool listed, found;
	struct cached_doc *d;
	size_t i;

	if (tomb_find_locked(m, kind, ns, name))
		return 0;
	if (!dc)
		return -EAGAIN;
	listed = listing_fresh(m, dc);
	i = doc_index(dc, name, &found);
	if (!found)
		return listed ? 0 : -EAGAIN;
	d = &dc->docs[i];
	if (!listed && !fresh(m, d->fetched_at))
		return -EAGAIN;
	if (!d->present)
		return 0;
	if (ret_entry)
		entry_fill(ret_entry, d);
	if (ret_text) {
		*ret_text = malloc(d->len + 1);
		if (!*ret_text)
			return -ENOMEM;
		memcpy(*ret_text, d->yaml, d->len + 1);
		*ret_len = d->len;
	}
	return 1;
}

/* Remember @yaml (NULL: known absent) as the current state of @name; the
 * cache keeps its own copy. */
static int doc_remember(struct model *m, enum argo_kind kind, const char *ns,
			const char *name, const char *yaml, size_t len,
			struct timespec mtime)
{
	struct dir_cache *dc;
	char *copy = NULL;
	int r;

	if (yaml && !(copy = strndup(yaml, len)))
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	dc = dir_find(m, kind, ns, true);
	r = dc ? doc_store_locked(dc, name, copy, len, mtime, now()) : -ENOMEM;
	if (!dc)
		free(copy);
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* Render @obj (the server's latest word on @name), remember it, and answer
 * with it. @obj NULL means the object does not exist. */
static int doc_answer(struct model *m, enum argo_kind kind, const char *ns,
		      const char *name, json_t *obj, struct model_entry *ret_entry,
		      char **ret_text, size_t *ret_len)
{
	struct timespec mtime = { 0 };
	char *yaml = NULL;
	size_t len = 0;
	int r;

	if (obj && (r = model_render(obj, kind, &yaml, &len, &mtime)) < 0)
		return r;
	r = doc_remember(m, kind, ns, name, yaml, len, mtime);
	if (r == 0 && !yaml)
		r = -ENOENT;
	if (r == 0 && ret_entry) {
		snprintf(ret_entry->name, sizeof(ret_entry->name), "%s.yaml", name);
		ret_entry->size = len;
		ret_entry->mtime = mtime;
	}
	if (r == 0 && ret_text) {
		*ret_text = yaml;
		*ret_len = len;
		yaml = NULL;
	}
	free(yaml);
	return r;
}

/* Stat or read @name, from the cache or with one GET. */
static int doc_fetch(struct model *m, enum argo_kind kind, const char *ns,
		     const char *name, struct model_entry *ret_entry,
		     char **ret_text, size_t *ret_len)
{
	struct argo_error err = { 0 };
	json_t *obj = NULL;
	int r;

	pthread_mutex_lock(&m->lock);
	r = doc_lookup_locked(m, kind, ns, name, ret_entry, ret_text, ret_len);
	pthread_mutex_unlock(&m->lock);
	if (r != -EAGAIN)
		return r == 1 ? 0 : r == 0 ? -ENOENT : r;
	if (!argo_kind_info(kind)->has_get) { /* only listed: list, then look again */
		r = dir_refresh(m, kind, ns);
		if (r < 0)
			return r;
		pthread_mutex_lock(&m->lock);
		r = doc_lookup_locked(m, kind, ns, name, ret_entry, ret_text, ret_len);
		pthread_mutex_unlock(&m->lock);
		return r == 1 ? 0 : r == 0 || r == -EAGAIN ? -ENOENT : r;
	}
	r = argo_get(m->http, kind, ns, name, &obj, &err);
	if (r < 0 && r != -ENOENT) {
		char path[600];

		mount_path(path, sizeof(path), kind, ns, name);
		return argo_record("get", path, r, &err);
	}
	r = doc_answer(m, kind, ns, name, obj, ret_entry, ret_text, ret_len);
	json_decref(obj);
	return r;
}

int model_stat(struct model *m, enum argo_kind kind, const char *ns,
	       const char *name, struct model_entry *ret_entry)
{
	return doc_fetch(m, kind, ns, name, ret_entry, NULL, NULL);
}

int model_read(struct model *m, enum argo_kind kind, const char *ns,
	       const char *name, char **ret_text, size_t *ret_len)
{
	return doc_fetch(m, kind, ns, name, NULL, ret_text, ret_len);
}

/* Send one pending DELETE. Called without the lock; takes @t. */
static void tomb_reap(struct model *m, struct tombstone *t)
{
	struct argo_error err = { 0 };
	int r = argo_delete(m->http, t->kind, t->ns, t->name, &err);

	if (r == 0 || r == -ENOENT) /* gone either way: remember that */
		doc_remember(m, t->kind, t->ns, t->name, NULL, 0, (struct timespec){ 0 });
	else /* the object shows again: the removal did not happen */
		argo_record("delete", t->op_path, r, &err);
	tomb_free(t);
}

static void *reaper_main(void *arg)
{
	struct model *m = arg;

	pthread_mutex_lock(&m->lock);
	while (m->tombs || !m->stopping) {
		struct tombstone **tp, **due = NULL;
		double earliest = 0;

		for (tp = &m->tombs; *tp; tp = &(*tp)->next)
			if (!due || (*tp)->due < earliest) {
				due = tp;
				earliest = (*tp)->due;
			}
		if (due && (m->stopping || earliest <= now())) {
			struct tombstone *t = *due;

			*due = t->next;
			pthread_mutex_unlock(&m->lock);
			tomb_reap(m, t);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		if (due) {
			struct timespec ts;
			double wait = earliest - now();

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)wait;
			ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&m->reaper_wake, &m->lock, &ts);
		} else {
			pthread_cond_wait(&m->reaper_wake, &m->lock);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Send every pending DELETE now and stop the reaper (unmount). */
static void reaper_stop(struct model *m)
{
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_cond_signal(&m->reaper_wake);
	pthread_mutex_unlock(&m->lock);
	if (m->reaper_running)
		pthread_join(m->reaper, NULL);
	m->reaper_running = false;
	while (m->tombs) { /* the reaper never started */
		struct tombstone *t = m->tombs;

		m->tombs = t->next;
		tomb_reap(m, t);
	}
}

/* Cancel the pending DELETE of @name. Returns whether there was one. */
static bool tomb_cancel(struct model *m, enum argo_kind kind, const char *ns,
			const char *name)
{
	struct tombstone **tp, *t = NULL;

	pthread_mutex_lock(&m->lock);
	tp = tomb_find_locked(m, kind, ns, name);
	if (tp) {
		t = *tp;
		*tp = t->next;
	}
	pthread_mutex_unlock(&m->lock);
	if (t)
		tomb_free(t);
	return t != NULL;
}

/* Refuse a document that does not belong in its directory. Returns 0 or
 * -EINVAL with the reason in @why. */
static int document_check(json_t *doc, enum argo_kind kind, const char *ns,
			  char *why, size_t size)
{
	const struct argo_kind_info *info = argo_kind_info(kind);
	json_t *api = json_object_get(doc, "apiVersion");
	json_t *k = json_object_get(doc, "kind");
	json_t *meta = json_object_get(doc, "metadata");
	json_t *dns = json_object_get(meta, "namespace");
	json_t *name = json_object_get(meta, "name");

	if (!json_is_object(doc)) {
		snprintf(why, size, "the document is not a mapping");
		return -EINVAL;
	}
	if (api && !json_is_null(api) &&
	    (!json_is_string(api) || strcmp(json_string_value(api), ARGO_API_VERSION) != 0)) {
		snprintf(why, size, "apiVersion must be %s", ARGO_API_VERSION);
		return -EINVAL;
	}
	if (k && !json_is_null(k) &&
	    (!json_is_string(k) || strcmp(json_string_value(k), info->kind) != 0)) {
		snprintf(why, size, "kind '%s' does not belong in %s/: expected %s",
			 json_is_string(k) ? json_string_value(k) : "?", info->route, info->kind);
		return -EINVAL;
	}
	if (meta && !json_is_null(meta) && !json_is_object(meta)) {
		snprintf(why, size, "metadata must be a mapping");
		return -EINVAL;
	}
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(doc, i ? "status" : "spec");

		if (v && !json_is_null(v) && !json_is_object(v)) {
			snprintf(why, size, "%s must be a mapping", i ? "status" : "spec");
			return -EINVAL;
		}
	}
	if (name && !json_is_null(name) &&
	    (!json_is_string(name) || !argo_valid_name(json_string_value(name)))) {
		snprintf(why, size, "metadata.name must be a lowercase DNS-1123 name");
		return -EINVAL;
	}
	if (dns && !json_is_null(dns)) {
		const char *v = json_string_value(dns);

		if (!info->namespaced && v && *v) {
			snprintf(why, size, "a %s has no namespace: remove metadata.namespace",
				 info->kind);
			return -EINVAL;
		}
		if (info->namespaced && (!v || strcmp(v, ns) != 0)) {
			snprintf(why, size, "metadata.namespace '%s' does not match the directory's namespace '%s'",
				 v ? v : "?", ns);
			return -EINVAL;
		}
	}
	return 0;
}

static json_t *metadata_of(json_t *doc)
{
	json_t *meta = json_object_get(doc, "metadata");

	if (json_is_object(meta))
		return meta;
	meta = json_object();
	json_object_set_new(doc, "metadata", meta);
	return meta;
}

/* Update @stem, which exists: PUT with the text's resourceVersion or, when
 * it has none, the server's current one (as `argo template update` does). */
static int document_update(struct model *m, enum argo_kind kind, const char *ns,
			   const char *stem, json_t *doc, json_t **ret_obj,
			   struct argo_error *err)
{
	json_t *meta = metadata_of(doc);
	const char *name = json_string_value(json_object_get(meta, "name"));
	int r;

	if (name && strcmp(name, stem) != 0) {
		snprintf(err->message, sizeof(err->message),
			 "metadata.name '%s' does not match the file name '%s'", name, stem);
		return -EINVAL;
	}
	json_object_set_new(meta, "name", json_string(stem));
	if (!json_string_value(json_object_get(meta, "resourceVersion"))) {
		json_t *current = NULL;
		json_t *rv;

		r = argo_get(m->http, kind, ns, stem, &current, err);
		if (r < 0)
			return r;
		rv = json_object_get(json_object_get(current, "metadata"), "resourceVersion");
		json_object_set(meta, "resourceVersion", rv ? rv : json_null());
		json_decref(current);
	}
	return argo_update(m->http, kind, ns, doc, ret_obj, err);
}

/* Create metadata.name (or @stem). What the server assigns to an object is
 * dropped, so that a file saved from another object can be used as a
 * starting point. */
static int document_create(struct model *m, enum argo_kind kind, const char *ns,
			   const char *stem, json_t *doc, json_t **ret_obj,
			   struct argo_error *err)
{
	static const char *const assigned[] = {
		"resourceVersion", "uid", "creationTimestamp", "generation",
		"managedFields", "selfLink",
	};
	json_t *meta = metadata_of(doc);

	for (size_t i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++)
		json_object_del(meta, assigned[i]);
	if (!json_string_value(json_object_get(meta, "name")))
		json_object_set_new(meta, "name", json_string(stem));
	return argo_create(m->http, kind, ns, doc, ret_obj, err);
}

int model_parse_document(enum argo_kind kind, const char *ns, const char *text,
			 size_t len, const char *op_path, json_t **ret_doc)
{
	struct argo_error err = { 0 };
	struct yj_error yerr = { 0 };
	json_t *doc = NULL;
	int r;

	if (len > MODEL_MAX_DOCUMENT) {
		snprintf(err.message, sizeof(err.message),
			 "document of %zu bytes is over the %u-byte limit", len, MODEL_MAX_DOCUMENT);
		return argo_record("write", op_path, -EFBIG, &err);
	}
	r = yj_yaml_to_json(text, len, &doc, &yerr);
	if (r < 0) {
		if (yerr.line > 0)
			snprintf(err.message, sizeof(err.message), "line %d, column %d: %s",
				 yerr.line, yerr.column, yerr.message);
		else
			snprintf(err.message, sizeof(err.message), "%s", yerr.message);
		return argo_record("parse", op_path, r, &err);
	}
	r = document_check(doc, kind, ns, err.message, sizeof(err.message));
	if (r < 0) {
		json_decref(doc);
		return argo_record("parse", op_path, r, &err);
	}
	*ret_doc = doc;
	return 0;
}

int model_write(struct model *m, enum argo_kind kind, const char *ns,
		const char *stem, const char *text, size_t len,
		const char *op_path)
{
	struct argo_error err = { 0 };
	json_t *doc = NULL, *reply = NULL;
	const char *op = "create";
	const char *name;
	int r;

	/* writing a name just removed (mv from another filesystem unlinks the
	 * target, then creates it): the object was never deleted, so this is an
	 * update of it; and if the new text is refused, the object stays */
	tomb_cancel(m, kind, ns, stem);
	r = model_parse_document(kind, ns, text, len, op_path, &doc);
	if (r < 0)
		return r;
	r = model_stat(m, kind, ns, stem, NULL);
	if (r == 0) {
		op = "update";
		r = document_update(m, kind, ns, stem, doc, &reply, &err);
		if (r == -ENOENT) { /* deleted meanwhile: what the user wrote is new again */
			op = "create";
			r = document_create(m, kind, ns, stem, doc, &reply, &err);
		}
	} else if (r == -ENOENT) {
		r = document_create(m, kind, ns, stem, doc, &reply, &err);
	} else {
		json_decref(doc);
		return r; /* already recorded */
	}
	if (r < 0)
		goto out;
	name = json_string_value(json_object_get(json_object_get(reply, "metadata"), "name"));
	if (name && argo_valid_name(name))
		r = doc_answer(m, kind, ns, name, reply, NULL, NULL, NULL);
	else
		log_warn("%s: the server's reply names no object", op_path);
out:
	json_decref(doc);
	json_decref(reply);
	return r < 0 ? argo_record(op, op_path, r, &err) : 0;
}

int model_delete(struct model *m, enum argo_kind kind, const char *ns,
		 const char *name, const char *op_path)
{
	struct tombstone *t;
	int r = model_stat(m, kind, ns, name, NULL);

	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t || (ns && !(t->ns = strdup(ns))) || !(t->name = strdup(name)) ||
	    !(t->op_path = strdup(op_path))) {
		if (t)
			tomb_free(t);
		return -ENOMEM;
	}
	t->kind = kind;
	t->due = now() + MODEL_DELETE_GRACE;
	pthread_mutex_lock(&m->lock);
	/* started on first use: after fuse_main() has daemonized */
	if (!m->reaper_running && !m->stopping &&
	    pthread_create(&m->reaper, NULL, reaper_main, m) == 0)
		m->reaper_running = true;
	if (!m->reaper_running) {
		pthread_mutex_unlock(&m->lock);
		t->due = 0;
		tomb_reap(m, t); /* no thread: delete at once */
		return 0;
	}
	t->next = m->tombs;
	m->tombs = t;
	pthread_cond_signal(&m->reaper_wake);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* The reply of /api/v1/{version,info,userinfo}, cached for the TTL.
 * Returns 0 and a new reference, or a negative errno (recorded). */
static int meta_fetch(struct model *m, enum model_meta meta, json_t **ret_reply)
{
	struct argo_error err = { 0 };
	json_t *reply = NULL;
	int r;

	pthread_mutex_lock(&m->lock);
	if (m->meta[meta].reply && fresh(m, m->meta[meta].fetched_at)) {
		*ret_reply = json_incref(m->meta[meta].reply);
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	pthread_mutex_unlock(&m->lock);
	r = argo_get_json(m->http, meta_paths[meta], &reply, &err);
	if (r < 0)
		return argo_record("get", meta_paths[meta], r, &err);
	pthread_mutex_lock(&m->lock);
	json_decref(m->meta[meta].reply);
	m->meta[meta].reply = json_incref(reply);
	m->meta[meta].fetched_at = now();
	pthread_mutex_unlock(&m->lock);
	*ret_reply = reply;
	return 0;
}

int model_meta_read(struct model *m, enum model_meta meta, char **ret_text,
		    size_t *ret_len)
{
	json_t *reply = NULL;
	char *text;
	int r;

	if (meta == MODEL_META_ERRORS)
		return errlog_render(ret_text, ret_len);
	r = meta_fetch(m, meta, &reply);
	if (meta == MODEL_META_VERSION) {
		/* our own version is worth showing even when the server is away */
		const char *v = json_string_value(json_object_get(reply, "version"));
		int n;

		n = r < 0 ? asprintf(&text, "argofs %s\nserver unavailable (%s)\n",
				     ARGOFS_VERSION, errmap_name(r))
			  : asprintf(&text, "argofs %s\nargo-server %s\n", ARGOFS_VERSION,
				     v && *v ? v : "unknown");
		json_decref(reply);
		if (n < 0)
			return -ENOMEM;
		*ret_text = text;
		*ret_len = (size_t)n;
		return 0;
	}
	if (r < 0)
		return r;
	r = yj_json_to_yaml(reply, ret_text, ret_len);
	json_decref(reply);
	return r;
}

static int strv_add_unique(char ***names, size_t *n, const char *name)
{
	char **grown;

	if (!name || !options_valid_namespace(name))
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return 0;
	grown = realloc(*names, (*n + 2) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*names = grown;
	grown[*n] = strdup(name);
	if (!grown[*n])
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int model_namespaces(struct model *m, char ***ret_names)
{
	char **names = calloc(1, sizeof(*names));
	json_t *info = NULL, *user = NULL;
	size_t n = 0;
	int r = names ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && m->namespaces[i]; i++)
		r = strv_add_unique(&names, &n, m->namespaces[i]);
	if (r == 0 && meta_fetch(m, MODEL_META_INFO, &info) == 0)
		r = strv_add_unique(&names, &n, json_string_value(
			json_object_get(info, "managedNamespace")));
	if (r == 0 && meta_fetch(m, MODEL_META_USERINFO, &user) == 0)
		r = strv_add_unique(&names, &n, json_string_value(
			json_object_get(user, "serviceAccountNamespace")));
	json_decref(info);
	json_decref(user);
	if (r < 0) {
		model_strv_free(names);
		return r;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	*ret_names = names;
	return 0;
}

int model_send_event(struct model *m, const char *ns, const char *discriminator,
		     const char *text, size_t len, const char *op_path)
{
	struct argo_error err = { 0 };
	struct yj_error yerr = { 0 };
	json_t *doc = NULL;
	char *json = NULL;
	int r;

	if (len > MODEL_MAX_DOCUMENT) {
		snprintf(err.message, sizeof(err.message),
			 "payload of %zu bytes is over the %u-byte limit", len, MODEL_MAX_DOCUMENT);
		return argo_record("event", op_path, -EFBIG, &err);
	}
	/* JSON is sent as it is; YAML is converted with the CLI's rules */
	doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	if (!doc) {
		r = yj_yaml_to_json(text, len, &doc, &yerr);
		if (r < 0) {
			snprintf(err.message, sizeof(err.message),
				 "the payload is neither JSON nor YAML: line %d, column %d: %s",
				 yerr.line, yerr.column, yerr.message);
			return argo_record("event", op_path, r, &err);
		}
		json = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(doc);
		if (!json)
			return -ENOMEM;
		text = json;
		len = strlen(json);
	} else {
		json_decref(doc);
	}
	r = argo_send_event(m->http, ns, discriminator, text, len, &err);
	free(json);
	return r < 0 ? argo_record("event", op_path, r, &err) : 0;
}
