/*
 * runs.c - workflows as runs (see runs.h for the contract).
 *
 * Caches under one mutex, never held across a request:
 *  - per namespace, the projected listing (name, creation time, phase,
 *    resourceVersion), newest first. It is listed page by page (never held
 *    whole as JSON) and is fresh for cache_ttl; while a watcher thread
 *    follows the namespace's watch stream from the list's resourceVersion,
 *    each event updates it in place and it stays fresh without listing
 *    again (see "watch" below);
 *  - a bounded LRU set of whole workflow objects (for workflow.yaml and
 *    summary), fresh for cache_ttl, dropped when an event changes them;
 *  - logs: one buffer per workflow whose log was used, filled once and, while
 *    the workflow runs, by a follower thread that appends each new line. A
 *    follower whose stream goes silent for longer than the timeout reconnects
 *    and skips what it already has (the log of a pod does not change).
 * Namespace records live until runs_free(), which joins the follower and
 * watcher threads.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/runs.h"
#include "argofs/yamljson.h"

/* What `argo list -o name` asks for, plus the phase. */
#define LIST_FIELDS "metadata,items.metadata.name,items.metadata.creationTimestamp," \
	"items.metadata.resourceVersion,items.status.phase,items.status.finishedAt"
/* The same for a watch, whose projection applies to the whole envelope. */
#define WATCH_FIELDS "result.type,result.object.metadata.name," \
	"result.object.metadata.creationTimestamp,result.object.metadata.resourceVersion," \
	"result.object.status.phase,result.object.status.finishedAt"
#define LIST_PAGE_SIZE 500
#define MAX_OBJECTS 1024              /* whole workflows kept, at most */
#define MAX_OBJECT_BYTES (4u << 20)   /* and their JSON text, at most */
#define LOG_IDLE_SECONDS 300.0   /* a finished log unused this long is dropped */
#define MAX_LOG_TOTAL (64u * 1024 * 1024)
#define WATCH_IDLE_SECONDS 300.0 /* a watcher whose listing nobody used stops */
#define WATCH_RETRY_MAX 30.0     /* seconds between attempts, at most */
#define GONE_SECONDS 10.0        /* events ignored for a name deleted here */
#define GONE_SLOTS 16

/* A name deleted through argofs: events already on their way (a MODIFIED
 * sent just before the delete) must not bring it back. */
struct run_gone {
	char name[254];
	double until;
};

struct run_ns {
	char *ns;
	struct runs *rs;
	bool listed;
	double listed_at;
	double list_took;        /* seconds the last list took: it is kept at least that long */
	struct run_entry *runs;  /* newest first */
	size_t n, cap;
	char version[32];        /* resourceVersion the listing is current at; "" unknown */
	unsigned generation;     /* bumped when the listing is dropped */
	double last_use;         /* of the listing, by a user */
	/* the watcher: started after a list, stopped when idle or dropped */
	pthread_t watcher;
	bool watcher_joinable;
	bool watching;           /* the watcher thread runs */
	bool live;               /* its stream is open and the listing follows it */
	struct run_gone gone[GONE_SLOTS];
	struct run_ns *next;
};

struct run_object {
	char *ns, *name;
	json_t *obj;
	size_t bytes;            /* of its JSON text */
	double fetched_at;
	struct run_object *next; /* most recently used first */
};

struct run_log {
	char *ns, *name;
	char *buf;
	size_t len, cap;
	bool complete;           /* the whole log is here */
	bool following;          /* a follower thread is running */
	bool truncated;
	pthread_t thread;
	bool joinable;
	double last_use;
	struct runs *rs;
	struct run_log *next;
};

struct submit_record {
	char *ns, *template_name, *workflow;
	int error;               /* of the last submission, 0 when it succeeded */
	enum argo_kind kind;
	struct submit_record *next;
};

struct runs {
	struct http_client *http;
	double ttl;
	bool watch;              /* follow watch streams (else TTL only) */
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* wakes watchers waiting to retry (free, drop) */
	struct run_ns *namespaces;
	struct run_object *objects;
	size_t n_objects, object_bytes;
	struct run_log *logs;
	struct submit_record *submits;
	bool stopping;
};

static const char *const file_names[RUN_FILE_COUNT] = {
	[RUN_FILE_WORKFLOW] = "workflow.yaml",
	[RUN_FILE_PHASE] = "phase",
	[RUN_FILE_SUMMARY] = "summary",
	[RUN_FILE_LOG] = "log",
	[RUN_FILE_CTL] = "ctl",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *runs_file_name(enum run_file file)
{
	return file_names[file];
}

int runs_file_lookup(const char *name)
{
	for (int i = 0; i < RUN_FILE_COUNT; i++)
		if (strcmp(name, file_names[i]) == 0)
			return i;
	return -1;
}

int runs_new(struct http_client *http, double cache_ttl, bool watch, struct runs **ret_runs)
{
	struct runs *rs = calloc(1, sizeof(*rs));
	pthread_condattr_t attr;

	if (!rs)
		return -ENOMEM;
	rs->http = http;
	rs->ttl = cache_ttl;
	rs->watch = watch;
	pthread_mutex_init(&rs->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rs->wake, &attr);
	pthread_condattr_destroy(&attr);
	*ret_runs = rs;
	return 0;
}

static void object_free(struct run_object *o)
{
	free(o->ns);
	free(o->name);
	json_decref(o->obj);
	free(o);
}

static void log_free(struct run_log *l)
{
	free(l->ns);
	free(l->name);
	free(l->buf);
	free(l);
}

/* Forget every listing (the records stay: watchers point at them) and
 * every object. */
static void caches_clear_locked(struct runs *rs)
{
	for (struct run_ns *rn = rs->namespaces; rn; rn = rn->next) {
		free(rn->runs);
		rn->runs = NULL;
		rn->n = rn->cap = 0;
		rn->listed = false;
		rn->live = false;
		rn->version[0] = '\0';
		rn->generation++; /* its watcher ends its stream */
	}
	while (rs->objects) {
		struct run_object *o = rs->objects;

		rs->objects = o->next;
		object_free(o);
	}
	rs->n_objects = 0;
	rs->object_bytes = 0;
}

void runs_free(struct runs *rs)
{
	if (!rs)
		return;
	pthread_mutex_lock(&rs->lock);
	rs->stopping = true;
	pthread_cond_broadcast(&rs->wake);
	pthread_mutex_unlock(&rs->lock);
	for (struct run_log *l = rs->logs; l; l = l->next)
		if (l->joinable)
			pthread_join(l->thread, NULL);
	for (struct run_ns *rn = rs->namespaces; rn; rn = rn->next)
		if (rn->watcher_joinable)
			pthread_join(rn->watcher, NULL);
	while (rs->logs) {
		struct run_log *l = rs->logs;

		rs->logs = l->next;
		log_free(l);
	}
	while (rs->submits) {
		struct submit_record *s = rs->submits;

		rs->submits = s->next;
		free(s->ns);
		free(s->template_name);
		free(s->workflow);
		free(s);
	}
	caches_clear_locked(rs);
	while (rs->namespaces) {
		struct run_ns *rn = rs->namespaces;

		rs->namespaces = rn->next;
		free(rn->ns);
		free(rn);
	}
	pthread_cond_destroy(&rs->wake);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

void runs_drop_caches(struct runs *rs)
{
	pthread_mutex_lock(&rs->lock);
	caches_clear_locked(rs);
	pthread_cond_broadcast(&rs->wake);
	pthread_mutex_unlock(&rs->lock);
}

/* ---- listing ------------------------------------------------------------ */

/* Fill @e from a (projected) workflow object. Returns false when it has no
 * valid name. */
static bool entry_from(json_t *wf, struct run_entry *e)
{
	json_t *meta = json_object_get(wf, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *phase = json_string_value(json_object_get(json_object_get(wf, "status"), "phase"));

	if (!name || !argo_valid_name(name) || strlen(name) >= sizeof(e->name))
		return false;
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	model_parse_time(json_string_value(json_object_get(meta, "creationTimestamp")), &e->created);
	e->version = strtoull(json_string_value(json_object_get(meta, "resourceVersion")) ?: "0",
			      NULL, 10);
	/* as the argo CLI shows a workflow the controller has not seen yet */
	snprintf(e->phase, sizeof(e->phase), "%s", phase && *phase ? phase : "Pending");
	return true;
}

/* Newest first. Creation times have whole seconds: within one, the higher
 * resourceVersion (a later write) goes first, then the name, so that the
 * order is stable. */
static int entry_cmp(const void *a, const void *b)
{
	const struct run_entry *x = a, *y = b;

	if (x->created.tv_sec != y->created.tv_sec)
		return x->created.tv_sec < y->created.tv_sec ? 1 : -1;
	if (x->version != y->version)
		return x->version < y->version ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct run_entry *)a)->name, ((const struct run_entry *)b)->name);
}

/* A name twice in a list (a hostile reply, or pages that overlap when the
 * list changed between them) is shown once, with a log line. Returns the new
 * count; the order is by name. */
static size_t unique_names(struct run_entry *entries, size_t n)
{
	size_t out = 0;

	qsort(entries, n, sizeof(*entries), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(entries[out - 1].name, entries[i].name) == 0) {
			log_warn("workflows: the list names '%s' twice", entries[i].name);
			entries[out - 1] = entries[i];
			continue;
		}
		entries[out++] = entries[i];
	}
	return out;
}

static struct run_ns *ns_find_locked(struct runs *rs, const char *ns, bool create)
{
	struct run_ns *rn;

	for (rn = rs->namespaces; rn; rn = rn->next)
		if (strcmp(rn->ns, ns) == 0)
			return rn;
	if (!create)
		return NULL;
	rn = calloc(1, sizeof(*rn));
	if (!rn || !(rn->ns = strdup(ns))) {
		free(rn);
		return NULL;
	}
	rn->rs = rs;
	rn->next = rs->namespaces;
	rs->namespaces = rn;
	return rn;
}

static struct run_entry *entry_find_locked(struct run_ns *rn, const char *name)
{
	for (size_t i = 0; i < rn->n; i++)
		if (strcmp(rn->runs[i].name, name) == 0)
			return &rn->runs[i];
	return NULL;
}

static void entry_remove_locked(struct run_ns *rn, struct run_entry *e)
{
	size_t i = (size_t)(e - rn->runs);

	memmove(&rn->runs[i], &rn->runs[i + 1], (rn->n - i - 1) * sizeof(*rn->runs));
	rn->n--;
}

/* Put @e in its place (newest first), replacing the entry of that name.
 * Returns 0 or -ENOMEM (the listing is then unchanged). */
static int entry_put_locked(struct run_ns *rn, const struct run_entry *e)
{
	struct run_entry *old = entry_find_locked(rn, e->name);
	size_t lo = 0, hi;

	if (old) {
		entry_remove_locked(rn, old);
	} else if (rn->n == rn->cap) {
		size_t cap = rn->cap ? rn->cap * 2 : 64;
		struct run_entry *grown = realloc(rn->runs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		rn->runs = grown;
		rn->cap = cap;
	}
	for (hi = rn->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (entry_cmp(&rn->runs[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&rn->runs[lo + 1], &rn->runs[lo], (rn->n - lo) * sizeof(*rn->runs));
	rn->runs[lo] = *e;
	rn->n++;
	return 0;
}

static bool gone_recently_locked(struct run_ns *rn, const char *name)
{
	for (size_t i = 0; i < GONE_SLOTS; i++)
		if (rn->gone[i].until > now() && strcmp(rn->gone[i].name, name) == 0)
			return true;
	return false;
}

static void gone_set_locked(struct run_ns *rn, const char *name, bool gone)
{
	struct run_gone *slot = &rn->gone[0];

	for (size_t i = 0; i < GONE_SLOTS; i++) {
		if (strcmp(rn->gone[i].name, name) == 0) {
			slot = &rn->gone[i];
			break;
		}
		if (rn->gone[i].until < slot->until)
			slot = &rn->gone[i]; /* the oldest, when the name has none */
	}
	if (!gone && strcmp(slot->name, name) != 0)
		return;
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	slot->until = gone ? now() + GONE_SECONDS : 0.0;
}

static void object_drop_locked(struct runs *rs, const char *ns, const char *name)
{
	for (struct run_object **op = &rs->objects; *op; op = &(*op)->next)
		if (strcmp((*op)->ns, ns) == 0 && strcmp((*op)->name, name) == 0) {
			struct run_object *o = *op;

			*op = o->next;
			rs->n_objects--;
			rs->object_bytes -= o->bytes;
			object_free(o);
			return;
		}
}

/* What a list or a watch collects, page by page. */
struct collect {
	struct run_entry *entries;
	size_t n, cap;
};

static int collect_page(json_t *items, void *arg)
{
	struct collect *c = arg;
	size_t i;
	json_t *item;

	if (c->n + json_array_size(items) > c->cap) {
		size_t cap = c->n + json_array_size(items) + c->cap;
		struct run_entry *grown = realloc(c->entries, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		c->entries = grown;
		c->cap = cap;
	}
	json_array_foreach(items, i, item)
		if (entry_from(item, &c->entries[c->n]))
			c->n++;
	return 0;
}

static void *ns_watcher(void *arg);

/* Start the watcher of @rn when it has none and its listing can be
 * followed. Lock held. */
static void watcher_start_locked(struct runs *rs, struct run_ns *rn)
{
	if (!rs->watch || rs->stopping || rn->watching || !rn->listed || !rn->version[0])
		return;
	if (rn->watcher_joinable)
		pthread_join(rn->watcher, NULL); /* the previous one has returned */
	rn->watcher_joinable = pthread_create(&rn->watcher, NULL, ns_watcher, rn) == 0;
	rn->watching = rn->watcher_joinable;
	rn->live = rn->watching; /* resumed from the list: nothing is missed */
}

static int ns_refresh(struct runs *rs, const char *ns)
{
	struct argo_error err = { 0 };
	struct collect c = { 0 };
	struct run_ns *rn;
	char version[32];
	double start = now(), at;
	int r;

	r = argo_list_pages(rs->http, ARGO_WORKFLOW, ns, LIST_FIELDS, LIST_PAGE_SIZE,
			    collect_page, &c, version, sizeof(version), &err);
	at = now(); /* fresh from when it arrived (see model.c) */
	if (r < 0) {
		char path[300];

		free(c.entries);
		snprintf(path, sizeof(path), "/%s/workflows", ns);
		return argo_record("list", path, r, &err);
	}
	if (c.n > 0) { /* else c.entries may be NULL */
		c.n = unique_names(c.entries, c.n);
		qsort(c.entries, c.n, sizeof(*c.entries), entry_cmp);
	}
	pthread_mutex_lock(&rs->lock);
	rn = ns_find_locked(rs, ns, true);
	if (!rn) {
		pthread_mutex_unlock(&rs->lock);
		free(c.entries);
		return -ENOMEM;
	}
	free(rn->runs);
	rn->runs = c.entries;
	rn->n = c.n;
	rn->cap = c.cap;
	rn->listed = true;
	rn->listed_at = at;
	rn->list_took = at - start;
	if (rn->last_use == 0.0) /* a new record: its watcher must not stop at once */
		rn->last_use = at;
	snprintf(rn->version, sizeof(rn->version), "%s", version);
	watcher_start_locked(rs, rn);
	pthread_mutex_unlock(&rs->lock);
	return 0;
}

/* ---- watch ---------------------------------------------------------------
 *
 * After a namespace is listed, a watcher thread follows
 * /api/v1/workflow-events/{ns} from the list's resourceVersion, so that
 * every change made after the list began arrives as an event. While its
 * stream is open the listing is "live": fresh whatever its age. When the
 * stream ends as watches end (the server's EOF), it reconnects from the last
 * resourceVersion seen; when that is gone (-ESTALE) it lists again. Any
 * other failure makes the listing fall back to cache_ttl from the last time
 * the stream was heard, and the watcher retries with a growing delay. It
 * stops when its listing has not been used for WATCH_IDLE_SECONDS, when the
 * caches are dropped, and at runs_free(). A server that goes silent is
 * noticed by the http layer's timeout (the SSE keepalives come every 15 s),
 * so a live listing is at most that old. Events are applied only when
 * newer than what the listing has for that name (a list made meanwhile may
 * already know better).
 */

struct watch_state {
	struct run_ns *rn;
	unsigned generation;
	bool heard;              /* this stream delivered something */
};

static bool watcher_idle_locked(struct runs *rs, struct run_ns *rn)
{
	return rs->stopping || now() - rn->last_use > WATCH_IDLE_SECONDS;
}

/* One event, lock held. */
static void watch_apply_locked(struct runs *rs, struct run_ns *rn, const char *type,
			       json_t *object)
{
	const char *version = json_string_value(
		json_object_get(json_object_get(object, "metadata"), "resourceVersion"));
	struct run_entry e, *have;

	if (!entry_from(object, &e))
		return;
	if (version && strlen(version) < sizeof(rn->version) &&
	    strtoull(version, NULL, 10) > strtoull(rn->version, NULL, 10))
		snprintf(rn->version, sizeof(rn->version), "%s", version);
	have = entry_find_locked(rn, e.name);
	if (strcmp(type, "DELETED") == 0) {
		if (have && have->version > e.version)
			return; /* a newer one of that name */
		gone_set_locked(rn, e.name, false);
		if (have)
			entry_remove_locked(rn, have);
		object_drop_locked(rs, rn->ns, e.name);
	} else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		if ((have && have->version >= e.version) || gone_recently_locked(rn, e.name))
			return; /* the listing already knows this or later */
		if (entry_put_locked(rn, &e) < 0)
			rn->listed = false; /* list again rather than be wrong */
		object_drop_locked(rs, rn->ns, e.name);
	}
}

static int watch_event(const char *type, json_t *object, void *arg)
{
	struct watch_state *ws = arg;
	struct run_ns *rn = ws->rn;
	struct runs *rs = rn->rs;
	int stop;

	pthread_mutex_lock(&rs->lock);
	/* a new listing (after SIGHUP) is followed from its own version */
	stop = watcher_idle_locked(rs, rn) || rn->generation != ws->generation;
	if (!stop) {
		ws->heard = true;
		rn->live = true;
		rn->listed_at = now();
		if (type)
			watch_apply_locked(rs, rn, type, object);
	}
	pthread_mutex_unlock(&rs->lock);
	return stop;
}

static void *ns_watcher(void *arg)
{
	struct run_ns *rn = arg;
	struct runs *rs = rn->rs;
	bool trusted = true;     /* no failure since the list or the last stream */
	double delay = 0.0;
	unsigned generation;

	pthread_mutex_lock(&rs->lock);
	generation = rn->generation;
	while (!watcher_idle_locked(rs, rn)) {
		struct watch_state ws;
		struct argo_error err = { 0 };
		struct timespec until;
		char version[32];
		int r;

		if (rn->generation != generation) { /* the caches were dropped */
			if (!rn->listed || !rn->version[0])
				break; /* the next list starts a watcher */
			generation = rn->generation;
			trusted = true;
			delay = 0.0;
		}
		ws = (struct watch_state){ .rn = rn, .generation = generation };
		snprintf(version, sizeof(version), "%s", rn->version);
		rn->live = trusted;
		pthread_mutex_unlock(&rs->lock);
		r = argo_watch_workflows(rs->http, rn->ns, WATCH_FIELDS, version, watch_event, &ws,
					 &err);
		if (r == -ESTALE) { /* the server has forgotten that version: list again */
			log_info("workflows of %s: watch from resourceVersion %s: %s; listing again",
				 rn->ns, version, err.message);
			r = ns_refresh(rs, rn->ns);
		}
		pthread_mutex_lock(&rs->lock);
		if (rn->generation != generation)
			continue;
		trusted = r == 0;
		if (trusted) {
			/* ended as watches end: current until now; reconnect */
			rn->listed_at = now();
			delay = 0.0;
			continue;
		}
		rn->live = false;
		if (watcher_idle_locked(rs, rn))
			break;
		delay = ws.heard || delay < 1.0 ? 1.0 : delay * 2;
		if (delay > WATCH_RETRY_MAX)
			delay = WATCH_RETRY_MAX;
		log_warn("workflows of %s: watch: %s (%s); the listing is kept for cache_ttl, "
			 "retrying in %.0f s", rn->ns, strerror(-r), err.message, delay);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)delay;
		pthread_cond_timedwait(&rs->wake, &rs->lock, &until);
	}
	rn->live = false;
	rn->watching = false;
	pthread_mutex_unlock(&rs->lock);
	return NULL;
}

/* Run @fn on the fresh listing of @ns (listing it first when needed), with
 * the lock held. A listing that took longer than cache_ttl to arrive is kept
 * as long as it took, or `ls -l` of a large namespace would list again for
 * each entry's stat and never end. */
static int with_listing(struct runs *rs, const char *ns,
			int (*fn)(struct run_ns *rn, void *arg), void *arg)
{
	bool refreshed = false;

	for (int attempt = 0; attempt < 3; attempt++) {
		struct run_ns *rn;
		int r;

		pthread_mutex_lock(&rs->lock);
		rn = ns_find_locked(rs, ns, false);
		if (rn && rn->listed &&
		    (refreshed || rn->live ||
		     now() - rn->listed_at < (rs->ttl > rn->list_took ? rs->ttl : rn->list_took))) {
			rn->last_use = now();
			watcher_start_locked(rs, rn); /* after an idle stop */
			r = fn(rn, arg);
			pthread_mutex_unlock(&rs->lock);
			return r;
		}
		pthread_mutex_unlock(&rs->lock);
		r = ns_refresh(rs, ns);
		if (r < 0)
			return r;
		refreshed = true;
	}
	return -EAGAIN;
}

struct list_arg {
	struct run_entry **entries;
	size_t *n;
};

static int copy_all(struct run_ns *rn, void *arg)
{
	struct list_arg *la = arg;

	*la->entries = malloc((rn->n + 1) * sizeof(**la->entries));
	if (!*la->entries)
		return -ENOMEM;
	if (rn->n > 0) /* else rn->runs may be NULL */
		memcpy(*la->entries, rn->runs, rn->n * sizeof(*rn->runs));
	*la->n = rn->n;
	return 0;
}

int runs_list(struct runs *rs, const char *ns, struct run_entry **ret_entries,
	      size_t *ret_n)
{
	struct list_arg la = { ret_entries, ret_n };

	return with_listing(rs, ns, copy_all, &la);
}

struct find_arg {
	const char *name;
	struct run_entry *entry;
};

static int find_one(struct run_ns *rn, void *arg)
{
	struct find_arg *fa = arg;
	struct run_entry *e = entry_find_locked(rn, fa->name);

	if (!e)
		return -ENOENT;
	if (fa->entry)
		*fa->entry = *e;
	return 0;
}

int runs_stat(struct runs *rs, const char *ns, const char *name,
	      struct run_entry *ret_entry)
{
	struct find_arg fa = { name, ret_entry };

	return with_listing(rs, ns, find_one, &fa);
}

static int newest(struct run_ns *rn, void *arg)
{
	struct run_entry *e = arg;

	if (rn->n == 0)
		return -ENOENT;
	*e = rn->runs[0];
	return 0;
}

int runs_latest(struct runs *rs, const char *ns, char *name, size_t size)
{
	struct run_entry e;
	int r = with_listing(rs, ns, newest, &e);

	if (r == 0)
		snprintf(name, size, "%s", e.name);
	return r;
}

/* What the server just told us about @wf replaces what the listing says. */
static void remember_entry(struct runs *rs, const char *ns, json_t *wf)
{
	struct run_entry e;
	struct run_ns *rn;

	if (!entry_from(wf, &e))
		return;
	pthread_mutex_lock(&rs->lock);
	rn = ns_find_locked(rs, ns, false);
	if (rn && rn->listed) {
		gone_set_locked(rn, e.name, false);
		if (entry_put_locked(rn, &e) < 0)
			rn->listed = false; /* list again rather than be wrong */
	}
	pthread_mutex_unlock(&rs->lock);
}

/* @name was deleted through argofs. */
static void forget_entry(struct runs *rs, const char *ns, const char *name)
{
	struct run_ns *rn;

	pthread_mutex_lock(&rs->lock);
	rn = ns_find_locked(rs, ns, false);
	if (rn) {
		struct run_entry *e = entry_find_locked(rn, name);

		if (e)
			entry_remove_locked(rn, e);
		gone_set_locked(rn, name, true);
	}
	object_drop_locked(rs, ns, name);
	pthread_mutex_unlock(&rs->lock);
}

/* ---- whole objects ------------------------------------------------------ */

/* Keep @obj as the object of @name, most recently used first, within
 * MAX_OBJECTS and MAX_OBJECT_BYTES. Lock held. */
static void object_keep_locked(struct runs *rs, const char *ns, const char *name, json_t *obj)
{
	size_t bytes = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	struct run_object *o;

	object_drop_locked(rs, ns, name);
	if (bytes > MAX_OBJECT_BYTES / 4)
		return; /* one object would push out most others */
	while (rs->objects &&
	       (rs->n_objects >= MAX_OBJECTS || rs->object_bytes + bytes > MAX_OBJECT_BYTES)) {
		struct run_object **op = &rs->objects;

		while ((*op)->next) /* the least recently used: the tail */
			op = &(*op)->next;
		o = *op;
		*op = NULL;
		rs->n_objects--;
		rs->object_bytes -= o->bytes;
		object_free(o);
	}
	o = calloc(1, sizeof(*o));
	if (!o || !(o->ns = strdup(ns)) || !(o->name = strdup(name))) {
		if (o)
			object_free(o);
		return;
	}
	o->obj = json_incref(obj);
	o->bytes = bytes;
	o->fetched_at = now();
	o->next = rs->objects;
	rs->objects = o;
	rs->n_objects++;
	rs->object_bytes += bytes;
}

/* The whole workflow, from the cache or with one GET. Returns 0 and a new
 * reference, or a negative errno (recorded). */
static int object_get(struct runs *rs, const char *ns, const char *name, json_t **ret_obj)
{
	struct argo_error err = { 0 };
	struct run_object **op;
	json_t *obj = NULL;
	int r;

	pthread_mutex_lock(&rs->lock);
	for (op = &rs->objects; *op; op = &(*op)->next) {
		struct run_object *o = *op;

		if (strcmp(o->ns, ns) == 0 && strcmp(o->name, name) == 0 &&
		    now() - o->fetched_at < rs->ttl) {
			*op = o->next; /* to the front: most recently used */
			o->next = rs->objects;
			rs->objects = o;
			*ret_obj = json_incref(o->obj);
			pthread_mutex_unlock(&rs->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&rs->lock);

	r = argo_get(rs->http, ARGO_WORKFLOW, ns, name, &obj, &err);
	if (r < 0) {
		char path[600];

		snprintf(path, sizeof(path), "/%s/workflows/%s", ns, name);
		return r == -ENOENT ? r : argo_record("get", path, r, &err);
	}
	remember_entry(rs, ns, obj);
	pthread_mutex_lock(&rs->lock);
	object_keep_locked(rs, ns, name, obj);
	pthread_mutex_unlock(&rs->lock);
	*ret_obj = obj;
	return 0;
}

/* ---- summary: what `argo get NAME` prints ------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = (t->len + (size_t)n + 1) * 2;
		char *buf = realloc(t->buf, cap);

		if (!buf) { /* the caller frees t->buf, which is still valid */
			t->failed = true;
			return;
		}
		t->buf = buf;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

static const char *str_at(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(obj, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* "1h2m3s" style, as argo prints durations. */
static void format_duration(long seconds, char *buf, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds >= 3600)
		snprintf(buf, size, "%ldh%ldm%lds", seconds / 3600, seconds % 3600 / 60, seconds % 60);
	else if (seconds >= 60)
		snprintf(buf, size, "%ldm%lds", seconds / 60, seconds % 60);
	else
		snprintf(buf, size, "%lds", seconds);
}

static long span(const char *start, const char *end)
{
	struct timespec a, b;

	if (!model_parse_time(start, &a) || !model_parse_time(end, &b))
		return -1;
	return (long)(b.tv_sec - a.tv_sec);
}

static const char *phase_icon(const char *phase)
{
	static const char *const icons[][2] = {
		{ "Succeeded", "\u2714" }, { "Failed", "\u2716" }, { "Error", "\u26a0" },
		{ "Running", "\u25cf" }, { "Pending", "\u25f7" }, { "Skipped", "\u25cb" },
		{ "Omitted", "\u25cb" },
	};

	for (size_t i = 0; phase && i < sizeof(icons) / sizeof(icons[0]); i++)
		if (strcmp(phase, icons[i][0]) == 0)
			return icons[i][1];
	return "\u25f7";
}

#define SUMMARY_COLUMNS 5
#define MAX_NODE_ROWS 4096
#define MAX_TREE_DEPTH 64

struct rows {
	char *cell[MAX_NODE_ROWS][SUMMARY_COLUMNS];
	size_t width[SUMMARY_COLUMNS];   /* in characters, not bytes */
	size_t n;
};

/* Characters in a UTF-8 string. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void rows_add(struct rows *rows, const char *const cells[SUMMARY_COLUMNS])
{
	if (rows->n == MAX_NODE_ROWS)
		return;
	for (int c = 0; c < SUMMARY_COLUMNS; c++) {
		size_t w;

		rows->cell[rows->n][c] = strdup(cells[c] ? cells[c] : "");
		w = rows->cell[rows->n][c] ? text_width(rows->cell[rows->n][c]) : 0;
		if (w > rows->width[c])
			rows->width[c] = w;
	}
	rows->n++;
}

/* The pod name of a Pod node, as the controller names pods (v2 names:
 * <workflow>-<template>-<hash of the node id>). */
static void pod_name(const char *wf, json_t *node, char *buf, size_t size)
{
	const char *id = str_at(node, "id", NULL);
	const char *tmpl = str_at(node, "templateName", NULL);
	size_t wlen = strlen(wf);

	if (!id || !tmpl || strncmp(id, wf, wlen) != 0 || id[wlen] != '-') {
		snprintf(buf, size, "%s", id ? id : "");
		return;
	}
	snprintf(buf, size, "%s-%s-%s", wf, tmpl, id + wlen + 1);
}

static void node_rows(struct rows *rows, json_t *nodes, const char *wf, const char *id,
		      const char *prefix, bool last, int depth)
{
	json_t *node = json_object_get(nodes, id);
	json_t *children = json_object_get(node, "children");
	char step[512], pod[300] = "", dur[32] = "", child_prefix[256];
	const char *type = str_at(node, "type", NULL);
	const char *cells[SUMMARY_COLUMNS];
	size_t i;
	json_t *child;
	long secs;

	if (!json_is_object(node) || depth > MAX_TREE_DEPTH)
		return;
	snprintf(step, sizeof(step), "%s%s%s %s", prefix, depth == 0 ? " " : last ? "\u2514\u2500" : "\u251c\u2500",
		 phase_icon(str_at(node, "phase", NULL)),
		 str_at(node, "displayName", NULL) ? str_at(node, "displayName", NULL) : id);
	if (type && strcmp(type, "Pod") == 0)
		pod_name(wf, node, pod, sizeof(pod));
	secs = span(str_at(node, "startedAt", NULL), str_at(node, "finishedAt", NULL));
	if (secs >= 0)
		format_duration(secs, dur, sizeof(dur));
	cells[0] = step;
	cells[1] = str_at(node, "templateName", NULL);
	cells[2] = pod;
	cells[3] = dur;
	cells[4] = str_at(node, "message", NULL);
	rows_add(rows, cells);
	snprintf(child_prefix, sizeof(child_prefix), "%s%s", prefix,
		 depth == 0 ? " " : last ? "  " : "\u2502 ");
	json_array_foreach(children, i, child)
		if (json_is_string(child))
			node_rows(rows, nodes, wf, json_string_value(child), child_prefix,
				  i + 1 == json_array_size(children), depth + 1);
}

static void summary_field(struct text *t, const char *label, const char *value)
{
	if (value && *value)
		text_addf(t, "%-21s%s\n", label, value);
}

static int render_summary(json_t *wf, char **ret_text, size_t *ret_len)
{
	struct text t = { 0 };
	json_t *status = json_object_get(wf, "status");
	json_t *params = json_object_get(json_object_get(json_object_get(wf, "spec"), "arguments"),
					 "parameters");
	json_t *nodes = json_object_get(status, "nodes");
	const char *name = str_at(wf, "metadata", "name");
	const char *phase = str_at(wf, "status", "phase");
	char dur[32];
	struct rows *rows;
	json_t *p;
	size_t i;
	long secs;

	summary_field(&t, "Name:", name);
	summary_field(&t, "Namespace:", str_at(wf, "metadata", "namespace"));
	summary_field(&t, "ServiceAccount:", str_at(wf, "spec", "serviceAccountName"));
	summary_field(&t, "Status:", phase && *phase ? phase : "Pending");
	summary_field(&t, "Message:", str_at(wf, "status", "message"));
	summary_field(&t, "Created:", str_at(wf, "metadata", "creationTimestamp"));
	summary_field(&t, "Started:", str_at(wf, "status", "startedAt"));
	summary_field(&t, "Finished:", str_at(wf, "status", "finishedAt"));
	secs = span(str_at(wf, "status", "startedAt"), str_at(wf, "status", "finishedAt"));
	if (secs >= 0) {
		format_duration(secs, dur, sizeof(dur));
		summary_field(&t, "Duration:", dur);
	}
	summary_field(&t, "Progress:", str_at(wf, "status", "progress"));
	if (json_array_size(params) > 0) {
		text_addf(&t, "Parameters:\n");
		json_array_foreach(params, i, p) {
			const char *pname = str_at(p, "name", NULL);
			const char *value = str_at(p, "value", NULL);
			char label[300];

			snprintf(label, sizeof(label), "  %s:", pname ? pname : "?");
			text_addf(&t, "%-21s%s\n", label, value ? value : "");
		}
	}
	if (name && json_object_get(nodes, name)) {
		static const char *const heads[SUMMARY_COLUMNS] = {
			"STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE",
		};

		rows = calloc(1, sizeof(*rows));
		if (!rows) {
			free(t.buf);
			return -ENOMEM;
		}
		rows_add(rows, heads);
		node_rows(rows, nodes, name, name, "", true, 0);
		text_addf(&t, "\n");
		for (size_t r = 0; r < rows->n; r++) {
			for (int c = 0; c < SUMMARY_COLUMNS; c++) {
				const char *cell = rows->cell[r][c] ? rows->cell[r][c] : "";

				if (c == SUMMARY_COLUMNS - 1)
					text_addf(&t, "%s", cell);
				else
					text_addf(&t, "%s%*s  ", cell,
						  (int)(rows->width[c] - text_width(cell)), "");
				free(rows->cell[r][c]);
			}
			/* no trailing blanks when the last columns are empty */
			while (!t.failed && t.len > 0 && t.buf[t.len - 1] == ' ')
				t.len--;
			text_addf(&t, "\n");
		}
		free(rows);
	}
	if (t.failed) {
		free(t.buf);
		return -ENOMEM;
	}
	*ret_text = t.buf ? t.buf : strdup("");
	*ret_len = t.len;
	return *ret_text ? 0 : -ENOMEM;
}

/* ---- logs --------------------------------------------------------------- */

static struct run_log *log_find_locked(struct runs *rs, const char *ns, const char *name)
{
	for (struct run_log *l = rs->logs; l; l = l->next)
		if (strcmp(l->ns, ns) == 0 && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* Append under the lock, keeping the cap. */
static void log_append_locked(struct run_log *l, const char *data, size_t len)
{
	static const char note[] = "[argofs: log truncated: over the 16 MiB cap]\n";

	if (l->truncated)
		return;
	if (l->len + len > RUNS_MAX_LOG) {
		data = note;
		len = sizeof(note) - 1;
		l->truncated = true;
	}
	if (l->len + len > l->cap) {
		size_t cap = l->cap ? l->cap : 8192;
		char *buf;

		while (cap < l->len + len)
			cap *= 2;
		buf = realloc(l->buf, cap);
		if (!buf) {
			l->truncated = true;
			return;
		}
		l->buf = buf;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, len);
	l->len += len;
}

struct log_fill {
	struct run_log *l;
	size_t skip;        /* bytes the log already has: a reconnect skips them */
	size_t produced;
};

static int log_on_line(const char *pod, const char *content, void *userdata)
{
	struct log_fill *f = userdata;
	struct run_log *l = f->l;
	char *line;
	int n, stop;

	/* as `argo logs` prints it: the pod, then the line */
	n = asprintf(&line, "%s: %s\n", pod, content);
	if (n < 0)
		return 1;
	pthread_mutex_lock(&l->rs->lock);
	if (f->produced + (size_t)n > f->skip) {
		size_t from = f->produced >= f->skip ? 0 : f->skip - f->produced;

		log_append_locked(l, line + from, (size_t)n - from);
	}
	f->produced += (size_t)n;
	stop = l->rs->stopping;
	pthread_mutex_unlock(&l->rs->lock);
	free(line);
	return stop;
}

static void log_path(const struct run_log *l, char *buf, size_t size)
{
	snprintf(buf, size, "/%s/workflows/%s/log", l->ns, l->name);
}

static void *log_follower(void *arg)
{
	struct run_log *l = arg;
	struct runs *rs = l->rs;

	for (;;) {
		struct argo_error err = { 0 };
		struct log_fill f = { .l = l };
		bool stopping;
		int r;

		pthread_mutex_lock(&rs->lock);
		f.skip = l->len;
		pthread_mutex_unlock(&rs->lock);
		r = argo_workflow_logs(rs->http, l->ns, l->name, true, log_on_line, &f, &err);
		pthread_mutex_lock(&rs->lock);
		stopping = rs->stopping;
		if (r == 0 && !stopping)
			l->complete = true; /* a followed stream ends with the workflow */
		if (r == 0 || stopping || r != -ETIMEDOUT) {
			l->following = false;
			l->last_use = now();
			pthread_mutex_unlock(&rs->lock);
			if (r < 0 && !stopping) {
				char path[600];

				log_path(l, path, sizeof(path));
				argo_record("log", path, r, &err);
			}
			return NULL;
		}
		/* silence longer than the timeout: reconnect, skipping what we have */
		pthread_mutex_unlock(&rs->lock);
	}
}

/* Drop finished logs nobody used for a while, and the oldest finished ones
 * while all logs together are over MAX_LOG_TOTAL. Lock held. */
static void logs_evict_locked(struct runs *rs)
{
	size_t total = 0;

	for (struct run_log *l = rs->logs; l; l = l->next)
		total += l->cap;
	for (struct run_log **lp = &rs->logs; *lp;) {
		struct run_log *l = *lp;
		bool idle = !l->following && now() - l->last_use > LOG_IDLE_SECONDS;

		if (!l->following && (idle || total > MAX_LOG_TOTAL)) {
			*lp = l->next;
			total -= l->cap;
			if (l->joinable)
				pthread_join(l->thread, NULL); /* already returned */
			log_free(l);
			continue;
		}
		lp = &l->next;
	}
}

/* Make sure the log of @name is here (fetching what exists now) and, while
 * the workflow runs, followed. */
static int log_ensure(struct runs *rs, const char *ns, const char *name)
{
	struct argo_error err = { 0 };
	struct run_entry e;
	struct run_log *l;
	struct log_fill f = { 0 };
	bool running;
	int r;

	pthread_mutex_lock(&rs->lock);
	l = log_find_locked(rs, ns, name);
	if (l) {
		l->last_use = now();
		if (l->complete || l->following || rs->stopping) {
			pthread_mutex_unlock(&rs->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&rs->lock);

	r = runs_stat(rs, ns, name, &e);
	if (r < 0)
		return r;
	running = strcmp(e.phase, "Succeeded") != 0 && strcmp(e.phase, "Failed") != 0 &&
		  strcmp(e.phase, "Error") != 0;

	if (!l) {
		/* what exists now, before anyone reads */
		l = calloc(1, sizeof(*l));
		if (!l || !(l->ns = strdup(ns)) || !(l->name = strdup(name))) {
			if (l)
				log_free(l);
			return -ENOMEM;
		}
		l->rs = rs;
		f.l = l;
		r = argo_workflow_logs(rs->http, ns, name, false, log_on_line, &f, &err);
		if (r < 0) {
			char path[600];

			log_path(l, path, sizeof(path));
			log_free(l);
			return argo_record("log", path, r, &err);
		}
		pthread_mutex_lock(&rs->lock);
		if (log_find_locked(rs, ns, name)) { /* someone else was quicker */
			pthread_mutex_unlock(&rs->lock);
			log_free(l);
			return log_ensure(rs, ns, name);
		}
		logs_evict_locked(rs);
		l->complete = !running;
		l->last_use = now();
		l->next = rs->logs;
		rs->logs = l;
	} else {
		pthread_mutex_lock(&rs->lock);
		if (!running)
			l->complete = true;
	}
	if (!l->complete && !l->following && !rs->stopping) {
		if (l->joinable)
			pthread_join(l->thread, NULL); /* the previous one has returned */
		l->joinable = pthread_create(&l->thread, NULL, log_follower, l) == 0;
		l->following = l->joinable;
	}
	pthread_mutex_unlock(&rs->lock);
	return 0;
}

int runs_log_size(struct runs *rs, const char *ns, const char *name, size_t *ret_len,
		  bool *ret_complete)
{
	struct run_log *l;
	int r = -ENOENT;

	pthread_mutex_lock(&rs->lock);
	l = log_find_locked(rs, ns, name);
	if (l) {
		*ret_len = l->len;
		if (ret_complete)
			*ret_complete = l->complete;
		r = 0;
	}
	pthread_mutex_unlock(&rs->lock);
	return r;
}

long runs_log_copy(struct runs *rs, const char *ns, const char *name, char *out,
		   size_t size, size_t offset)
{
	struct run_log *l;
	long n = -ENOENT;

	pthread_mutex_lock(&rs->lock);
	l = log_find_locked(rs, ns, name);
	if (l) {
		size_t avail = offset < l->len ? l->len - offset : 0;

		if (avail > size)
			avail = size;
		if (avail)
			memcpy(out, l->buf + offset, avail);
		l->last_use = now();
		n = (long)avail;
	}
	pthread_mutex_unlock(&rs->lock);
	return n;
}

/* ---- reading files ------------------------------------------------------ */

int runs_read(struct runs *rs, const char *ns, const char *name, enum run_file file,
	      char **ret_text, size_t *ret_len)
{
	struct run_entry e;
	struct timespec mtime;
	json_t *wf = NULL;
	int r;

	switch (file) {
	case RUN_FILE_PHASE:
		r = runs_stat(rs, ns, name, &e);
		if (r < 0)
			return r;
		r = asprintf(ret_text, "%s\n", e.phase);
		if (r < 0)
			return -ENOMEM;
		*ret_len = (size_t)r;
		return 0;
	case RUN_FILE_WORKFLOW:
	case RUN_FILE_SUMMARY:
		r = object_get(rs, ns, name, &wf);
		if (r < 0)
			return r;
		r = file == RUN_FILE_WORKFLOW ?
			model_render(wf, ARGO_WORKFLOW, ret_text, ret_len, &mtime) :
			render_summary(wf, ret_text, ret_len);
		json_decref(wf);
		return r;
	case RUN_FILE_CTL:
		*ret_text = strdup(RUNS_CTL_VERBS "\n");
		*ret_len = *ret_text ? strlen(*ret_text) : 0;
		return *ret_text ? 0 : -ENOMEM;
	case RUN_FILE_LOG: {
		struct run_log *l;

		r = log_ensure(rs, ns, name);
		if (r < 0)
			return r;
		pthread_mutex_lock(&rs->lock);
		l = log_find_locked(rs, ns, name);
		r = -ENOENT;
		if (l && (*ret_text = malloc(l->len + 1))) {
			memcpy(*ret_text, l->buf ? l->buf : "", l->len);
			(*ret_text)[l->len] = '\0';
			*ret_len = l->len;
			r = 0;
		} else if (l) {
			r = -ENOMEM;
		}
		pthread_mutex_unlock(&rs->lock);
		return r;
	}
	default:
		return -ENOENT;
	}
}

/* ---- create, delete, actions -------------------------------------------- */

int runs_create(struct runs *rs, const char *ns, const char *stem, const char *text,
		size_t len, const char *op_path, char *ret_name, size_t size)
{
	static const char *const assigned[] = {
		"resourceVersion", "uid", "creationTimestamp", "generation",
		"managedFields", "selfLink",
	};
	struct argo_error err = { 0 };
	json_t *doc = NULL, *reply = NULL, *meta;
	const char *name;
	int r;

	r = model_parse_document(ARGO_WORKFLOW, ns, text, len, op_path, &doc);
	if (r < 0)
		return r;
	meta = json_object_get(doc, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(doc, "metadata", meta);
	}
	for (size_t i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++)
		json_object_del(meta, assigned[i]);
	json_object_del(doc, "status"); /* a saved run's status is not an input */
	if (!json_string_value(json_object_get(meta, "name")) &&
	    !json_string_value(json_object_get(meta, "generateName"))) {
		char gen[300];

		snprintf(gen, sizeof(gen), "%s-", stem);
		json_object_set_new(meta, "generateName", json_string(gen));
	}
	r = argo_create(rs->http, ARGO_WORKFLOW, ns, doc, &reply, &err);
	json_decref(doc);
	if (r < 0)
		return argo_record("create", op_path, r, &err);
	name = str_at(reply, "metadata", "name");
	snprintf(ret_name, size, "%s", name ? name : "");
	remember_entry(rs, ns, reply);
	json_decref(reply);
	return 0;
}

int runs_delete(struct runs *rs, const char *ns, const char *name, const char *op_path)
{
	struct argo_error err = { 0 };
	int r = argo_delete(rs->http, ARGO_WORKFLOW, ns, name, &err);

	if (r == 0 || r == -ENOENT)
		forget_entry(rs, ns, name);
	return r < 0 ? argo_record("delete", op_path, r, &err) : 0;
}

/* The verbs of ctl, and the body each sends (API-NOTES §1). */
static json_t *action_body(const char *verb, const char *ns, const char *name)
{
	if (strcmp(verb, "stop") == 0 || strcmp(verb, "terminate") == 0 ||
	    strcmp(verb, "suspend") == 0)
		return json_pack("{s:s, s:s}", "namespace", ns, "name", name);
	if (strcmp(verb, "resume") == 0)
		return json_pack("{s:s, s:s, s:s}", "namespace", ns, "name", name,
				 "nodeFieldSelector", "");
	if (strcmp(verb, "retry") == 0)
		return json_pack("{s:s, s:s, s:b, s:s}", "namespace", ns, "name", name,
				 "restartSuccessful", 0, "nodeFieldSelector", "");
	if (strcmp(verb, "resubmit") == 0)
		return json_pack("{s:s, s:s, s:b}", "namespace", ns, "name", name, "memoized", 0);
	return NULL;
}

int runs_action(struct runs *rs, const char *ns, const char *name, const char *text,
		size_t len, const char *op_path)
{
	struct argo_error err = { 0 };
	char verb[32];
	json_t *body, *reply = NULL;
	size_t start = 0, end = len;
	int r;

	while (start < end && strchr(" \t\r\n", text[start]))
		start++;
	while (end > start && strchr(" \t\r\n", text[end - 1]))
		end--;
	if (end - start >= sizeof(verb))
		end = start + sizeof(verb) - 1;
	memcpy(verb, text + start, end - start);
	verb[end - start] = '\0';
	body = action_body(verb, ns, name);
	if (!body) {
		snprintf(err.message, sizeof(err.message),
			 "unknown action '%s': one of " RUNS_CTL_VERBS, verb);
		return argo_record("action", op_path, -EINVAL, &err);
	}
	r = argo_workflow_action(rs->http, ns, name, verb, body, &reply, &err);
	json_decref(body);
	if (r < 0)
		return argo_record(verb, op_path, r, &err);
	pthread_mutex_lock(&rs->lock);
	object_drop_locked(rs, ns, name); /* its object and phase changed */
	pthread_mutex_unlock(&rs->lock);
	remember_entry(rs, ns, reply); /* the workflow, or the new one of resubmit */
	json_decref(reply);
	return 0;
}

/* ---- submit ------------------------------------------------------------- */

static const char *const submit_keys[] = {
	"parameters", "labels", "annotations", "entryPoint", "generateName", "name",
	"serviceAccount", "priority", "podPriorityClassName", "dryRun", "serverDryRun",
};

/* A parameter value as the argo CLI's -p takes it: text. */
static char *scalar_text(json_t *v)
{
	char *text = NULL;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v) && asprintf(&text, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) >= 0)
		return text;
	if (json_is_real(v)) { /* the shortest text that reads back as the same number */
		char buf[32];

		for (int precision = 1; precision <= 17; precision++) {
			snprintf(buf, sizeof(buf), "%.*g", precision, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		return strdup(buf);
	}
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "true" : "false");
	if (json_is_null(v))
		return strdup("");
	return NULL;
}

static int add_parameter(json_t *list, const char *name, json_t *value, char *why, size_t size)
{
	char *text = scalar_text(value), *kv = NULL;
	int r = 0;

	if (!text) {
		snprintf(why, size, "parameter '%s': the value must be a string, number or boolean", name);
		return -EINVAL;
	}
	if (asprintf(&kv, "%s=%s", name, text) < 0 || json_array_append_new(list, json_string(kv)) < 0)
		r = -ENOMEM;
	free(text);
	free(kv);
	return r;
}

/* parameters: {k: v} or ["k=v"] or [{name, value}] -> ["k=v"] */
static int parameters_option(json_t *in, json_t **ret_list, char *why, size_t size)
{
	json_t *list = json_array(), *v;
	const char *key;
	size_t i;
	int r = 0;

	if (!list)
		return -ENOMEM;
	if (json_is_object(in)) {
		json_object_foreach(in, key, v)
			if (r == 0)
				r = add_parameter(list, key, v, why, size);
	} else if (json_is_array(in)) {
		json_array_foreach(in, i, v) {
			if (r < 0)
				break;
			if (json_is_string(v) && strchr(json_string_value(v), '=')) {
				r = json_array_append(list, v) < 0 ? -ENOMEM : 0;
			} else if (json_is_object(v) && json_string_value(json_object_get(v, "name"))) {
				r = add_parameter(list, json_string_value(json_object_get(v, "name")),
						  json_object_get(v, "value"), why, size);
			} else {
				snprintf(why, size, "parameters: each item must be \"name=value\" or {name, value}");
				r = -EINVAL;
			}
		}
	} else {
		snprintf(why, size, "parameters must be a mapping or a list");
		r = -EINVAL;
	}
	if (r < 0) {
		json_decref(list);
		return r;
	}
	*ret_list = list;
	return 0;
}

/* labels/annotations: {a: b} -> "a=b,c=d"; a string is kept. */
static int pairs_option(const char *key, json_t *in, json_t **ret, char *why, size_t size)
{
	struct text t = { 0 };
	const char *k;
	json_t *v;

	if (json_is_string(in)) {
		*ret = json_incref(in);
		return 0;
	}
	if (!json_is_object(in)) {
		snprintf(why, size, "%s must be a mapping or \"a=b,c=d\"", key);
		return -EINVAL;
	}
	json_object_foreach(in, k, v) {
		char *text = scalar_text(v);

		if (!text) {
			free(t.buf);
			snprintf(why, size, "%s.%s must be a string", key, k);
			return -EINVAL;
		}
		text_addf(&t, "%s%s=%s", t.len ? "," : "", k, text);
		free(text);
	}
	*ret = json_string(t.buf ? t.buf : "");
	free(t.buf);
	return *ret ? 0 : -ENOMEM;
}

static bool is_key_value_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (strchr("_.-", line[i]) || (line[i] >= 'a' && line[i] <= 'z') ||
			   (line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9')))
		i++;
	return i > 0 && i < len && line[i] == '=';
}

/* `key=value` lines: every non-empty line that is not a comment is one. */
static int key_value_lines(const char *text, size_t len, json_t **ret_opts)
{
	json_t *list = json_array();
	size_t pos = 0;

	if (!list)
		return -ENOMEM;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		size_t trimmed = llen;

		pos += llen + (nl ? 1 : 0);
		while (trimmed > 0 && strchr(" \t\r", line[trimmed - 1]))
			trimmed--;
		if (trimmed == 0 || line[0] == '#')
			continue;
		if (!is_key_value_line(line, trimmed)) {
			json_decref(list);
			return 1; /* not this form */
		}
		if (json_array_append_new(list, json_stringn(line, trimmed)) < 0) {
			json_decref(list); /* jansson takes UTF-8 only */
			return -EINVAL;
		}
	}
	*ret_opts = json_array_size(list) ? json_pack("{s:o}", "parameters", list) : json_object();
	if (!json_array_size(list))
		json_decref(list);
	return *ret_opts ? 0 : -ENOMEM;
}

static int submit_options(const char *text, size_t len, json_t **ret_opts, char *why, size_t size)
{
	struct yj_error yerr = { 0 };
	json_t *doc = NULL, *opts, *v, *conv;
	const char *key;
	int r;

	r = key_value_lines(text, len, ret_opts);
	if (r == -EINVAL)
		snprintf(why, size, "a parameter line is not valid UTF-8");
	if (r <= 0)
		return r;
	r = yj_yaml_to_json(text, len, &doc, &yerr);
	if (r < 0) {
		snprintf(why, size, "neither key=value lines nor YAML: line %d, column %d: %s",
			 yerr.line, yerr.column, yerr.message);
		return r;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(why, size, "submit options must be key=value lines or a YAML mapping");
		return -EINVAL;
	}
	opts = json_object();
	r = opts ? 0 : -ENOMEM;
	json_object_foreach(doc, key, v) {
		size_t k;

		if (r < 0)
			break;
		for (k = 0; k < sizeof(submit_keys) / sizeof(submit_keys[0]); k++)
			if (strcmp(key, submit_keys[k]) == 0)
				break;
		if (k == sizeof(submit_keys) / sizeof(submit_keys[0])) {
			snprintf(why, size, "unknown submit option '%s' (known: parameters, labels, "
				 "annotations, entryPoint, generateName, name, serviceAccount, priority, "
				 "podPriorityClassName, dryRun, serverDryRun)", key);
			r = -EINVAL;
		} else if (strcmp(key, "parameters") == 0) {
			r = parameters_option(v, &conv, why, size);
			if (r == 0)
				json_object_set_new(opts, key, conv);
		} else if (strcmp(key, "labels") == 0 || strcmp(key, "annotations") == 0) {
			r = pairs_option(key, v, &conv, why, size);
			if (r == 0)
				json_object_set_new(opts, key, conv);
		} else if (strcmp(key, "priority") == 0 ? !json_is_integer(v) :
			   strstr(key, "ryRun") ? !json_is_boolean(v) : !json_is_string(v)) {
			snprintf(why, size, "submit option '%s' must be %s", key,
				 strcmp(key, "priority") == 0 ? "an integer" :
				 strstr(key, "ryRun") ? "true or false" : "a string");
			r = -EINVAL;
		} else {
			json_object_set(opts, key, v);
		}
	}
	json_decref(doc);
	if (r < 0) {
		json_decref(opts);
		return r;
	}
	*ret_opts = opts;
	return 0;
}

/* Refuse parameters the template does not declare: the server would accept
 * them silently, and a typo would run the workflow with the default. */
static int check_parameters(json_t *tmpl, enum argo_kind kind, json_t *opts,
			    char *why, size_t size)
{
	json_t *spec = json_object_get(tmpl, "spec");
	json_t *declared, *given = json_object_get(opts, "parameters"), *p;
	size_t i;

	if (kind == ARGO_CRON_WORKFLOW)
		spec = json_object_get(spec, "workflowSpec");
	declared = json_object_get(json_object_get(spec, "arguments"), "parameters");
	json_array_foreach(given, i, p) {
		const char *kv = json_string_value(p);
		size_t nlen = strcspn(kv, "=");
		bool known = false;
		struct text names = { 0 };
		size_t j;
		json_t *d;

		json_array_foreach(declared, j, d) {
			const char *dn = str_at(d, "name", NULL);

			if (dn && strlen(dn) == nlen && strncmp(dn, kv, nlen) == 0)
				known = true;
			if (dn)
				text_addf(&names, "%s%s", names.len ? ", " : "", dn);
		}
		if (!known) {
			snprintf(why, size, "%s has no parameter '%.*s' (it has: %s)",
				 str_at(tmpl, "metadata", "name"), (int)nlen, kv,
				 names.len ? names.buf : "none");
			free(names.buf);
			return -EINVAL;
		}
		free(names.buf);
	}
	return 0;
}

int runs_submit(struct runs *rs, const char *ns, enum argo_kind kind,
		const char *template_name, const char *text, size_t len,
		const char *op_path, char *ret_name, size_t size)
{
	struct argo_error err = { 0 };
	json_t *opts = NULL, *tmpl = NULL, *reply = NULL;
	struct submit_record *s;
	const char *name;
	int r;

	r = submit_options(text, len, &opts, err.message, sizeof(err.message));
	if (r == 0)
		r = argo_get(rs->http, kind, kind == ARGO_CLUSTER_WORKFLOW_TEMPLATE ? NULL : ns,
			     template_name, &tmpl, &err);
	if (r == 0)
		r = check_parameters(tmpl, kind, opts, err.message, sizeof(err.message));
	if (r == 0)
		r = argo_submit(rs->http, ns, argo_kind_info(kind)->kind, template_name, opts,
				&reply, &err);
	json_decref(opts);
	json_decref(tmpl);
	if (r == 0) {
		name = str_at(reply, "metadata", "name");
		snprintf(ret_name, size, "%s", name ? name : "");
		remember_entry(rs, ns, reply);
		json_decref(reply);
	}

	pthread_mutex_lock(&rs->lock);
	for (s = rs->submits; s; s = s->next)
		if (s->kind == kind && strcmp(s->ns, ns) == 0 &&
		    strcmp(s->template_name, template_name) == 0)
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->kind = kind;
		s->ns = strdup(ns);
		s->template_name = strdup(template_name);
		s->next = rs->submits;
		rs->submits = s;
	}
	if (s) {
		free(s->workflow);
		s->workflow = r == 0 ? strdup(ret_name) : NULL;
		s->error = r;
	}
	pthread_mutex_unlock(&rs->lock);
	return r < 0 ? argo_record("submit", op_path, r, &err) : 0;
}

int runs_last_submitted(struct runs *rs, const char *ns, enum argo_kind kind,
			const char *template_name, char *name, size_t size)
{
	int r = 0;

	name[0] = '\0';
	pthread_mutex_lock(&rs->lock);
	for (struct submit_record *s = rs->submits; s; s = s->next)
		if (s->kind == kind && s->ns && s->template_name &&
		    strcmp(s->ns, ns) == 0 && strcmp(s->template_name, template_name) == 0) {
			if (s->workflow)
				snprintf(name, size, "%s", s->workflow);
			r = s->error;
			break;
		}
	pthread_mutex_unlock(&rs->lock);
	return r;
}
