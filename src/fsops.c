/*
 * fsops.c - the FUSE operations (high-level libfuse API, path based).
 *
 * Each operation parses its path into a struct node, asks the model, and
 * replies with 0 or a negative errno; it never invents success. What the
 * kernel may cache is set in fs_init(): attributes are never cached
 * (getattr is answered from the model's cache, so sizes follow the content),
 * names for cache_ttl, absent names for at most a second. Walking the tree
 * costs no request per file: stat of a workflow's files fetches nothing (see
 * "what the kernel was given"), and readdir gives every entry's type.
 * Documents and scratch files go through the page cache, a document's pages
 * kept from one open to the next while its text is the same; files whose
 * text is made at open (.argofs, a workflow's files, submit entries) are
 * read with direct I/O.
 *
 * Memory: an open file holds a reference on a struct buf (its content: a
 * snapshot for reading, the new text for writing); open files are also on
 * a list, so that fs_destroy() frees those the kernel never released (a
 * RELEASE still queued at the unmount is dropped). Scratch files are bufs
 * held by the scratch table; opening one shares the buf. A new document
 * being written is registered in the scratch table under its own name until
 * it is committed at flush, so that stat and ls see it meanwhile.
 * scratch_lock guards the scratch table, every buf's content, and the small
 * tables of removed workflow files and of texts handed out.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "argofs/api.h"
#include "argofs/errlog.h"
#include "argofs/fsops.h"
#include "argofs/kube.h"
#include "argofs/log.h"
#include "argofs/model.h"
#include "argofs/options.h"
#include "argofs/runs.h"

#define META_DIR ".argofs"
#define CLUSTER_DIR "cluster-workflow-templates"

enum node_type {
	NODE_ROOT,
	NODE_META_DIR,      /* /.argofs */
	NODE_META_FILE,     /* /.argofs/FILE */
	NODE_NAMESPACE,     /* /NS */
	NODE_DOC_DIR,       /* /NS/workflow-templates, /cluster-workflow-templates */
	NODE_DOC_FILE,      /* DOCDIR/NAME.yaml, and a new workflow: /NS/workflows/NAME.yaml */
	NODE_SCRATCH,       /* DOCDIR/anything-else */
	NODE_WF_DIR,        /* /NS/workflows */
	NODE_WF_RUN,        /* /NS/workflows/NAME */
	NODE_WF_FILE,       /* /NS/workflows/NAME/FILE */
	NODE_WF_LATEST,     /* /NS/workflows/@latest */
	NODE_SUBMIT_DIR,    /* /NS/submit, /NS/submit-cluster, /NS/submit-cron */
	NODE_SUBMIT_FILE,   /* SUBMITDIR/TEMPLATE */
	NODE_EVENTS_DIR,    /* /NS/events */
	NODE_EVENT_FILE,    /* /NS/events/DISCRIMINATOR: a payload being written */
};

struct node {
	enum node_type type;
	enum argo_kind kind;            /* document directories and files */
	char ns[64];                    /* "" for cluster-scoped */
	char name[256];                 /* file name in its directory */
	char stem[254];                 /* object name of a document or a template to submit */
	char run[254];                  /* workflow name */
	const char *dir;                /* the directory's name in the tree (static) */
	bool webhooks;                  /* in NS/webhook-clients: kind is not used */
	enum run_file file;
	enum model_meta meta;
	const char *path;               /* the whole path, borrowed */
};

#define LATEST "@latest"

/* The directories of a namespace, in the order ls shows them. The kind of a
 * submit directory is the kind of what it submits. */
static const struct {
	const char *name;
	enum node_type type;
	enum argo_kind kind;
	bool webhooks;          /* the webhook clients: from the Kubernetes API */
} namespace_dirs[] = {
	{ "cron-workflows", NODE_DOC_DIR, ARGO_CRON_WORKFLOW, false },
	{ "events", NODE_EVENTS_DIR, ARGO_WORKFLOW_EVENT_BINDING, false },
	{ "submit", NODE_SUBMIT_DIR, ARGO_WORKFLOW_TEMPLATE, false },
	{ "submit-cluster", NODE_SUBMIT_DIR, ARGO_CLUSTER_WORKFLOW_TEMPLATE, false },
	{ "submit-cron", NODE_SUBMIT_DIR, ARGO_CRON_WORKFLOW, false },
	{ "webhook-clients", NODE_DOC_DIR, ARGO_KIND_COUNT, true },
	{ "workflow-event-bindings", NODE_DOC_DIR, ARGO_WORKFLOW_EVENT_BINDING, false },
	{ "workflow-templates", NODE_DOC_DIR, ARGO_WORKFLOW_TEMPLATE, false },
	{ "workflows", NODE_WF_DIR, ARGO_WORKFLOW, false },
};
#define N_NAMESPACE_DIRS (sizeof(namespace_dirs) / sizeof(namespace_dirs[0]))

struct buf {
	atomic_uint refs;
	char *data;
	size_t len, cap;
	mode_t mode;
	struct timespec mtime;
};

struct scratch_file {
	char *dir;                      /* "NS/route" or "route" */
	char *name;
	bool document;                  /* a new document, not yet committed */
	struct buf *buf;
	struct scratch_file *next;
};

struct open_file {
	struct open_file *prev, *next;  /* on open_files */
	struct node node;               /* path fields copied; node.path unset */
	char path[600];
	struct buf *buf;
	bool writable;
	bool dirty;                     /* changed since the last commit */
	bool written;                   /* write() or ftruncate() seen since open */
	bool pending;                   /* a new document registered in scratch */
	bool cached;                    /* a server text read through the page cache */
	unsigned long long hash;        /* ... its hash (see served) */
	int failed;                     /* errno of the last failed commit, until rewritten */
	int broken;                     /* a write failed: the text is incomplete, never sent */
};

static const struct fsops_config *cfg;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER; /* guards open_files */
static struct open_file *open_files;
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct scratch_file *scratch;
static size_t scratch_total;

static struct model *model(void)
{
	return cfg->model;
}

static struct runs *runs(void)
{
	return cfg->runs;
}

/* ---- paths ------------------------------------------------------------- */

static int copy_component(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0)
		return -ENOENT;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* A document directory's child. */
static int parse_doc_child(struct node *n, const char *name)
{
	int r = copy_component(n->name, sizeof(n->name), name, strlen(name));

	if (r < 0)
		return r;
	n->type = model_document_stem(n->name, n->stem, sizeof(n->stem)) ?
		NODE_DOC_FILE : NODE_SCRATCH;
	return 0;
}

/*
 * Parse @path into @n. Returns 0, -ENOENT for paths that cannot exist (and
 * for NULL: libfuse names no path for a file removed while open, as with
 * fstat or fchmod of it), -ENAMETOOLONG. No request is made: whether the
 * object exists is the caller's question.
 */
static int parse_path(const char *path, struct node *n)
{
	const char *parts[4];
	size_t lens[4], count = 0;
	const char *p = path;
	char first[64];
	int r;

	memset(n, 0, sizeof(*n));
	if (!path)
		return -ENOENT;
	n->path = path;
	while (*p) {
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (count == 4)
			return -ENOENT;
		parts[count] = p;
		lens[count++] = (size_t)(end - p);
		p = end;
	}
	if (count == 0) {
		n->type = NODE_ROOT;
		return 0;
	}
	if (lens[0] >= sizeof(first))
		return -ENOENT;
	memcpy(first, parts[0], lens[0]);
	first[lens[0]] = '\0';

	if (strcmp(first, META_DIR) == 0) {
		if (count == 1) {
			n->type = NODE_META_DIR;
			return 0;
		}
		if (count > 2 || (r = copy_component(n->name, sizeof(n->name), parts[1], lens[1])) < 0)
			return -ENOENT;
		r = model_meta_lookup(n->name);
		if (r < 0)
			return -ENOENT;
		n->type = NODE_META_FILE;
		n->meta = (enum model_meta)r;
		return 0;
	}
	if (strcmp(first, CLUSTER_DIR) == 0) {
		n->kind = ARGO_CLUSTER_WORKFLOW_TEMPLATE;
		n->dir = CLUSTER_DIR;
		if (count == 1) {
			n->type = NODE_DOC_DIR;
			return 0;
		}
		if (count > 2)
			return -ENOENT;
		return parse_doc_child(n, strndupa(parts[1], lens[1]));
	}
	if (!options_valid_namespace(first))
		return -ENOENT;
	strcpy(n->ns, first);
	if (count == 1) {
		n->type = NODE_NAMESPACE;
		return 0;
	}
	for (size_t i = 0; i < N_NAMESPACE_DIRS; i++)
		if (strlen(namespace_dirs[i].name) == lens[1] &&
		    strncmp(parts[1], namespace_dirs[i].name, lens[1]) == 0) {
			n->type = namespace_dirs[i].type;
			n->kind = namespace_dirs[i].kind;
			n->dir = namespace_dirs[i].name;
			n->webhooks = namespace_dirs[i].webhooks;
			break;
		}
	if (!n->dir)
		return -ENOENT;
	if (count == 2)
		return 0;
	if (lens[2] > 255)
		return -ENAMETOOLONG;
	switch (n->type) {
	case NODE_DOC_DIR:
		return count == 3 ? parse_doc_child(n, strndupa(parts[2], lens[2])) : -ENOENT;
	case NODE_SUBMIT_DIR:
		if (count > 3 || (r = copy_component(n->stem, sizeof(n->stem), parts[2], lens[2])) < 0 ||
		    !argo_valid_name(n->stem))
			return -ENOENT;
		n->type = NODE_SUBMIT_FILE;
		return 0;
	case NODE_EVENTS_DIR: /* any name: it is the event's discriminator */
		if (count > 3 || (r = copy_component(n->name, sizeof(n->name), parts[2], lens[2])) < 0)
			return -ENOENT;
		n->type = NODE_EVENT_FILE;
		return 0;
	default:
		break;
	}
	/* workflows: @latest, a new workflow file, a run, or a run's file */
	r = parse_doc_child(n, strndupa(parts[2], lens[2]));
	if (r < 0 || n->type == NODE_DOC_FILE)
		return count == 3 ? r : -ENOENT;
	if (strcmp(n->name, LATEST) == 0) {
		n->type = NODE_WF_LATEST;
		return count == 3 ? 0 : -ENOENT;
	}
	if (!argo_valid_name(n->name))
		return count == 3 ? 0 : -ENOENT; /* a scratch file */
	strcpy(n->run, n->name);
	n->type = NODE_WF_RUN;
	if (count == 3)
		return 0;
	if (copy_component(n->name, sizeof(n->name), parts[3], lens[3]) < 0 ||
	    (r = runs_file_lookup(n->name)) < 0)
		return -ENOENT;
	n->type = NODE_WF_FILE;
	n->file = (enum run_file)r;
	return 0;
}

static const char *node_ns(const struct node *n)
{
	return n->ns[0] ? n->ns : NULL;
}

/* Where the template of a submit entry lives: cluster templates have no
 * namespace, the others are in the entry's. */
static const char *template_ns(const struct node *n)
{
	return n->kind == ARGO_CLUSTER_WORKFLOW_TEMPLATE ? NULL : n->ns;
}

/* The scratch table's key of a node's directory. */
static void dir_key(const struct node *n, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", n->ns, n->ns[0] ? "/" : "", n->dir);
}

/* Whether the node's directory takes writes at all (bindings are read-only). */
static bool writable_kind(const struct node *n)
{
	return n->type == NODE_EVENT_FILE || n->webhooks || argo_kind_info(n->kind)->writable;
}

/* The mode of a document: webhook clients hold secrets. */
static mode_t doc_mode(const struct node *n)
{
	return n->webhooks ? 0600 : writable_kind(n) ? 0644 : 0444;
}

/* ---- the documents of a directory: Argo objects or webhook clients ----- */

/* Without a Kubernetes API, say why once per attempt. */
static int no_kube(const struct node *n)
{
	errlog_record("list", n->path, 0, -EOPNOTSUPP,
		      "webhook clients live in a Kubernetes Secret: no Kubernetes API is configured "
		      "(kube_server=, or run in a pod)");
	return -EOPNOTSUPP;
}

static int doc_list(const struct node *n, struct model_entry **ret, size_t *count)
{
	if (n->webhooks)
		return cfg->kube ? kube_webhooks_list(cfg->kube, n->ns, ret, count) : no_kube(n);
	return model_list(model(), n->kind, node_ns(n), ret, count);
}

static int doc_stat(const struct node *n, struct model_entry *e)
{
	if (n->webhooks)
		return cfg->kube ? kube_webhook_read(cfg->kube, n->ns, n->stem, NULL, NULL, e) :
			no_kube(n);
	return model_stat(model(), n->kind, node_ns(n), n->stem, e);
}

static int doc_read(const struct node *n, char **text, size_t *len)
{
	if (n->webhooks)
		return cfg->kube ? kube_webhook_read(cfg->kube, n->ns, n->stem, text, len, NULL) :
			no_kube(n);
	return model_read(model(), n->kind, node_ns(n), n->stem, text, len);
}

static int doc_write(const struct node *n, const char *text, size_t len, const char *path)
{
	if (n->webhooks)
		return cfg->kube ? kube_webhook_write(cfg->kube, n->ns, n->stem, text, len, path) :
			no_kube(n);
	return model_write(model(), n->kind, node_ns(n), n->stem, text, len, path);
}

static int doc_delete(const struct node *n, const char *path)
{
	if (n->webhooks)
		return cfg->kube ? kube_webhook_delete(cfg->kube, n->ns, n->stem, path) : no_kube(n);
	return model_delete(model(), n->kind, node_ns(n), n->stem, path);
}

/* ---- buffers and the scratch area -------------------------------------- */

static struct buf *buf_new(mode_t mode)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->refs = 1;
	b->mode = mode;
	clock_gettime(CLOCK_REALTIME, &b->mtime);
	return b;
}

static struct buf *buf_from(char *text, size_t len, mode_t mode)
{
	struct buf *b = buf_new(mode);

	if (!b)
		return NULL;
	b->data = text;
	b->len = b->cap = len;
	return b;
}

static struct buf *buf_ref(struct buf *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

static void buf_unref(struct buf *b)
{
	if (!b || atomic_fetch_sub(&b->refs, 1) > 1)
		return;
	free(b->data);
	free(b);
}

/* Resize to @len, zero-filling growth. Called with scratch_lock held when
 * the buf is shared. Returns 0, -EFBIG or -ENOMEM. */
static int buf_resize(struct buf *b, size_t len, bool scratch_accounted)
{
	if (len > FSOPS_MAX_SCRATCH_FILE)
		return -EFBIG;
	if (scratch_accounted && len > b->len &&
	    scratch_total + (len - b->len) > FSOPS_MAX_SCRATCH_TOTAL)
		return -ENOSPC;
	if (len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *data;

		while (cap < len)
			cap *= 2;
		if (cap > FSOPS_MAX_SCRATCH_FILE)
			cap = FSOPS_MAX_SCRATCH_FILE;
		data = realloc(b->data, cap);
		if (!data)
			return -ENOMEM;
		b->data = data;
		b->cap = cap;
	}
	if (len > b->len)
		memset(b->data + b->len, 0, len - b->len);
	if (scratch_accounted)
		scratch_total = scratch_total + len - b->len;
	b->len = len;
	clock_gettime(CLOCK_REALTIME, &b->mtime);
	return 0;
}

static struct scratch_file **scratch_find_locked(const struct node *n)
{
	char key[400];

	dir_key(n, key, sizeof(key));
	for (struct scratch_file **sp = &scratch; *sp; sp = &(*sp)->next)
		if (strcmp((*sp)->dir, key) == 0 && strcmp((*sp)->name, n->name) == 0)
			return sp;
	return NULL;
}

static void scratch_unlink_locked(struct scratch_file **sp)
{
	struct scratch_file *s = *sp;

	*sp = s->next;
	scratch_total -= s->buf->len;
	buf_unref(s->buf);
	free(s->dir);
	free(s->name);
	free(s);
}

/* Put @b (a new reference is taken) in the scratch table as @n, replacing
 * what was there. */
static int scratch_put_locked(const struct node *n, struct buf *b, bool document)
{
	struct scratch_file **old = scratch_find_locked(n);
	struct scratch_file *s;
	char key[400];

	if (old)
		scratch_unlink_locked(old);
	if (scratch_total + b->len > FSOPS_MAX_SCRATCH_TOTAL)
		return -ENOSPC;
	dir_key(n, key, sizeof(key));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(key)) || !(s->name = strdup(n->name))) {
		if (s)
			free(s->dir);
		free(s);
		return -ENOMEM;
	}
	s->document = document;
	s->buf = buf_ref(b);
	scratch_total += b->len;
	s->next = scratch;
	scratch = s;
	return 0;
}

/* Take a new reference on the scratch buf of @n, or NULL. */
static struct buf *scratch_get(const struct node *n, bool *ret_document)
{
	struct scratch_file **sp;
	struct buf *b = NULL;

	pthread_mutex_lock(&scratch_lock);
	sp = scratch_find_locked(n);
	if (sp) {
		b = buf_ref((*sp)->buf);
		if (ret_document)
			*ret_document = (*sp)->document;
	}
	pthread_mutex_unlock(&scratch_lock);
	return b;
}

static bool scratch_has(const struct node *n)
{
	bool found;

	pthread_mutex_lock(&scratch_lock);
	found = scratch_find_locked(n) != NULL;
	pthread_mutex_unlock(&scratch_lock);
	return found;
}

/* Remove @n from the scratch table if it still holds @b (NULL: whatever). */
static bool scratch_remove(const struct node *n, const struct buf *b)
{
	struct scratch_file **sp;
	bool removed = false;

	pthread_mutex_lock(&scratch_lock);
	sp = scratch_find_locked(n);
	if (sp && (!b || (*sp)->buf == b)) {
		scratch_unlink_locked(sp);
		removed = true;
	}
	pthread_mutex_unlock(&scratch_lock);
	return removed;
}

/* ---- removed files of a workflow ----------------------------------------- */

/* `rm -r NS/workflows/NAME` removes the files before the directory; the
 * files of a workflow cannot be removed on their own, so removing one hides
 * it for a while and rmdir deletes the workflow (docs/filesystem.md). */
#define HIDDEN_SECONDS 10

struct hidden_file {
	char key[600];
	time_t until;
	struct hidden_file *next;
};

static struct hidden_file *hidden; /* guarded by scratch_lock */

static void hidden_key(const struct node *n, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s/%s", n->ns, n->run, runs_file_name(n->file));
}

static void hidden_add(const struct node *n)
{
	struct hidden_file *h = calloc(1, sizeof(*h));
	time_t t = time(NULL);

	if (!h)
		return;
	hidden_key(n, h->key, sizeof(h->key));
	h->until = t + HIDDEN_SECONDS;
	pthread_mutex_lock(&scratch_lock);
	for (struct hidden_file **hp = &hidden; *hp;) { /* drop expired ones */
		struct hidden_file *old = *hp;

		if (old->until < t) {
			*hp = old->next;
			free(old);
		} else {
			hp = &old->next;
		}
	}
	h->next = hidden;
	hidden = h;
	pthread_mutex_unlock(&scratch_lock);
}

static bool hidden_has(const struct node *n)
{
	char key[600];
	bool found = false;
	time_t t = time(NULL);

	hidden_key(n, key, sizeof(key));
	pthread_mutex_lock(&scratch_lock);
	for (struct hidden_file *h = hidden; h && !found; h = h->next)
		found = h->until >= t && strcmp(h->key, key) == 0;
	pthread_mutex_unlock(&scratch_lock);
	return found;
}

/* ---- attributes -------------------------------------------------------- */

static void fill_dir(struct stat *st)
{
	st->st_mode = S_IFDIR | (cfg->read_only ? 0555 : 0755);
	st->st_nlink = 2;
}

static void fill_file(struct stat *st, mode_t mode, size_t size, struct timespec mtime)
{
	st->st_mode = S_IFREG | (cfg->read_only ? (mode & 0555) : mode);
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtim = st->st_ctim = st->st_atim = mtime;
}

/* ---- what the kernel was given ------------------------------------------ */

/*
 * The text the last open of a path handed out: its length and a hash.
 *  - workflow.yaml and summary are made from the whole workflow, which stat
 *    does not fetch (a walk would cost a request per workflow): stat shows
 *    the length of the text last read, 0 before (reads are direct I/O, so a
 *    size behind the content never cuts a read);
 *  - a document is read through the kernel's page cache, which an open keeps
 *    (keep_cache) only when its text is the one handed out last and nothing
 *    else can have reached the pages since: no write through that path, no
 *    read of an older text by a descriptor still open (a mark, "stale").
 * A bounded table: a path has a set of slots chosen by its hash, and a new
 * path takes the least recently used slot of its set. What it forgot is an
 * unknown text, which costs a read, never a wrong one. Guarded by
 * scratch_lock.
 */
#define SERVED_SETS 1024
#define SERVED_WAYS 4

static struct served {
	char *path;             /* malloc'd; NULL for an empty slot */
	size_t len;
	unsigned long long hash;
	bool stale;
	unsigned long used;     /* served_clock at the last use */
} served[SERVED_SETS][SERVED_WAYS];
static unsigned long served_clock;

static unsigned long long fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long long h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* The slot of @path, or NULL; with @claim, a slot taken for it if it had
 * none (NULL only when out of memory). */
static struct served *served_slot_locked(const char *path, bool claim)
{
	struct served *set = served[fnv1a(path, strlen(path)) % SERVED_SETS];
	struct served *sv = &set[0];

	for (int i = 0; i < SERVED_WAYS; i++) {
		if (set[i].path && strcmp(set[i].path, path) == 0) {
			set[i].used = ++served_clock;
			return &set[i];
		}
		if (set[i].used < sv->used)
			sv = &set[i];
	}
	if (!claim)
		return NULL;
	free(sv->path);
	memset(sv, 0, sizeof(*sv));
	sv->path = strdup(path);
	sv->used = ++served_clock;
	return sv->path ? sv : NULL;
}

/* Record @len and @hash as what @path handed out. Returns whether it is what
 * the path handed out last, with nothing else put in the pages since. */
static bool served_put(const char *path, size_t len, unsigned long long hash)
{
	struct served *sv;
	bool same;

	pthread_mutex_lock(&scratch_lock);
	sv = served_slot_locked(path, false);
	same = sv && sv->len == len && sv->hash == hash && !sv->stale;
	sv = served_slot_locked(path, true);
	if (sv) {
		sv->len = len;
		sv->hash = hash;
		sv->stale = false;
	}
	pthread_mutex_unlock(&scratch_lock);
	return same;
}

/* The length @path last handed out, 0 if unknown. */
static size_t served_len(const char *path)
{
	struct served *sv;
	size_t len;

	pthread_mutex_lock(&scratch_lock);
	sv = served_slot_locked(path, false);
	len = sv ? sv->len : 0;
	pthread_mutex_unlock(&scratch_lock);
	return len;
}

/* The pages of @path may now hold something else than its last text: it was
 * @written, or read through a descriptor opened on the text of @hash. */
static void served_spoil(const char *path, bool written, unsigned long long hash)
{
	struct served *sv;

	pthread_mutex_lock(&scratch_lock);
	sv = served_slot_locked(path, false);
	if (sv && (written || sv->hash != hash))
		sv->stale = true;
	pthread_mutex_unlock(&scratch_lock);
}

/* A workflow's file, without a request. phase and ctl are made from the
 * listing; the log's size is what has arrived so far (0 before its first
 * use), that of workflow.yaml and summary the text last read. Read-only but
 * ctl, which is write-only; the times are the workflow's creation time. */
static int stat_run_file(const struct node *n, const struct run_entry *e, struct stat *st)
{
	char *text;
	size_t len = 0;
	int r;

	if (hidden_has(n))
		return -ENOENT;
	switch (n->file) {
	case RUN_FILE_PHASE:
	case RUN_FILE_CTL:
		r = runs_read(runs(), n->ns, n->run, n->file, &text, &len);
		if (r < 0)
			return r;
		free(text);
		break;
	case RUN_FILE_LOG:
		if (runs_log_size(runs(), n->ns, n->run, &len, NULL) < 0)
			len = 0;
		break;
	default:
		len = served_len(n->path);
		break;
	}
	fill_file(st, n->file == RUN_FILE_CTL ? 0600 : 0444, len, e->created);
	return 0;
}

static int stat_node(const struct node *n, struct stat *st)
{
	struct model_entry e;
	struct run_entry re;
	char name[300];
	struct buf *b;
	char *text;
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	st->st_uid = cfg->uid;
	st->st_gid = cfg->gid;
	switch (n->type) {
	case NODE_ROOT:
	case NODE_META_DIR:
	case NODE_NAMESPACE:
	case NODE_DOC_DIR:
	case NODE_WF_DIR:
	case NODE_SUBMIT_DIR:
	case NODE_EVENTS_DIR:
		fill_dir(st);
		return 0;
	case NODE_WF_RUN:
	case NODE_WF_FILE:
		r = runs_stat(runs(), n->ns, n->run, &re);
		if (r < 0)
			return r;
		if (n->type == NODE_WF_FILE)
			return stat_run_file(n, &re, st);
		fill_dir(st);
		st->st_mtim = st->st_ctim = st->st_atim = re.created;
		return 0;
	case NODE_WF_LATEST:
		r = runs_latest(runs(), n->ns, name, sizeof(name));
		if (r < 0)
			return r;
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(name);
		return 0;
	case NODE_SUBMIT_FILE:
		r = model_stat(model(), n->kind, template_ns(n), n->stem, &e);
		if (r < 0)
			return r;
		runs_last_submitted(runs(), n->ns, n->kind, n->stem, name, sizeof(name));
		fill_file(st, 0644, name[0] ? strlen(name) + 1 : 0, e.mtime);
		return 0;
	case NODE_META_FILE:
		r = model_meta_read(model(), n->meta, &text, &len);
		if (r < 0)
			return r;
		free(text);
		fill_file(st, 0444, len, (struct timespec){ time(NULL), 0 });
		return 0;
	case NODE_DOC_FILE:
	case NODE_SCRATCH:
	case NODE_EVENT_FILE:
		b = scratch_get(n, NULL);
		if (b) {
			pthread_mutex_lock(&scratch_lock);
			fill_file(st, b->mode, b->len, b->mtime);
			pthread_mutex_unlock(&scratch_lock);
			buf_unref(b);
			return 0;
		}
		/* a new workflow or event is only a file until it is sent */
		if (n->type != NODE_DOC_FILE || n->kind == ARGO_WORKFLOW)
			return -ENOENT;
		r = doc_stat(n, &e);
		if (r < 0)
			return r;
		fill_file(st, doc_mode(n), e.size, e.mtime);
		return 0;
	}
	return -ENOENT;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct open_file *of = fi ? (struct open_file *)(uintptr_t)fi->fh : NULL;
	struct node n;
	int r;

	if (of && of->writable) { /* the text being written, not the server's */
		memset(st, 0, sizeof(*st));
		st->st_uid = cfg->uid;
		st->st_gid = cfg->gid;
		pthread_mutex_lock(&scratch_lock);
		fill_file(st, of->buf->mode, of->buf->len, of->buf->mtime);
		pthread_mutex_unlock(&scratch_lock);
		return 0;
	}
	r = parse_path(path, &n);
	return r < 0 ? r : stat_node(&n, st);
}

/* ---- directories ------------------------------------------------------- */

/*
 * An entry and its type (S_IFDIR, S_IFREG, S_IFLNK), so that find and ls
 * need no stat to tell files from directories. No attributes: libfuse 3.14
 * (Debian 12) sends the entries of a directory filled at once without them
 * (node id 0), yet with FUSE_FILL_DIR_PLUS it counts a lookup of each, which
 * the kernel, never told, never forgets: one node kept per name ever listed.
 */
static int add_entry(void *dbuf, fuse_fill_dir_t filler, const char *name, mode_t type)
{
	struct stat st = { .st_mode = type };

	return filler(dbuf, name, &st, 0, 0) ? -ENOMEM : 0;
}

/* The scratch files of @n's directory (and new documents not yet sent),
 * but for names the directory already listed. */
static int readdir_scratch(const struct node *n, void *dbuf, fuse_fill_dir_t filler,
			   const struct model_entry *listed, size_t count)
{
	char key[400];
	int r = 0;

	dir_key(n, key, sizeof(key));
	pthread_mutex_lock(&scratch_lock);
	for (struct scratch_file *s = scratch; s && r == 0; s = s->next) {
		bool seen = false;

		if (strcmp(s->dir, key) != 0)
			continue;
		for (size_t i = 0; i < count && !seen; i++)
			seen = strcmp(listed[i].name, s->name) == 0;
		if (!seen)
			r = add_entry(dbuf, filler, s->name, S_IFREG);
	}
	pthread_mutex_unlock(&scratch_lock);
	return r;
}

static int readdir_docs(const struct node *n, void *dbuf, fuse_fill_dir_t filler)
{
	struct model_entry *entries = NULL;
	size_t count = 0;
	int r;

	r = doc_list(n, &entries, &count);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count && r == 0; i++)
		r = add_entry(dbuf, filler, entries[i].name, S_IFREG);
	if (r == 0)
		r = readdir_scratch(n, dbuf, filler, entries, count);
	free(entries);
	return r;
}

/* The templates a submit directory can submit, by name. */
static int readdir_submit(const struct node *n, void *dbuf, fuse_fill_dir_t filler)
{
	struct model_entry *entries = NULL;
	size_t count = 0;
	int r;

	r = model_list(model(), n->kind, template_ns(n), &entries, &count);
	for (size_t i = 0; r == 0 && i < count; i++) {
		char stem[254];

		if (model_document_stem(entries[i].name, stem, sizeof(stem)))
			r = add_entry(dbuf, filler, stem, S_IFREG);
	}
	free(entries);
	return r;
}

/* Workflows newest first (ls -t sorts by their creation time), @latest. */
static int readdir_runs(const struct node *n, void *dbuf, fuse_fill_dir_t filler)
{
	struct run_entry *entries = NULL;
	size_t count = 0;
	int r;

	r = runs_list(runs(), n->ns, &entries, &count);
	if (r < 0)
		return r;
	if (count > 0)
		r = add_entry(dbuf, filler, LATEST, S_IFLNK);
	for (size_t i = 0; i < count && r == 0; i++)
		r = add_entry(dbuf, filler, entries[i].name, S_IFDIR);
	free(entries);
	return r == 0 ? readdir_scratch(n, dbuf, filler, NULL, 0) : r;
}

static int readdir_run(const struct node *run, void *dbuf, fuse_fill_dir_t filler)
{
	struct node n = *run;
	int r = runs_stat(runs(), run->ns, run->run, NULL);

	for (int i = 0; r == 0 && i < RUN_FILE_COUNT; i++) {
		n.file = (enum run_file)i;
		if (!hidden_has(&n))
			r = add_entry(dbuf, filler, runs_file_name(n.file), S_IFREG);
	}
	return r;
}

static int fs_readdir(const char *path, void *dbuf, fuse_fill_dir_t filler,
		      off_t offset, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct node n;
	char **names, **more;
	int r;

	(void)offset;
	(void)fi;
	(void)flags;
	r = parse_path(path, &n);
	if (r < 0)
		return r;
	switch (n.type) {
	case NODE_DOC_FILE:
	case NODE_SCRATCH:
	case NODE_META_FILE:
	case NODE_WF_FILE:
	case NODE_WF_LATEST:
	case NODE_SUBMIT_FILE:
	case NODE_EVENT_FILE:
		return -ENOTDIR;
	default:
		break;
	}
	if (add_entry(dbuf, filler, ".", S_IFDIR) || add_entry(dbuf, filler, "..", S_IFDIR))
		return -ENOMEM;
	switch (n.type) {
	case NODE_ROOT:
		r = model_namespaces(model(), &names);
		if (r < 0)
			return r;
		r = add_entry(dbuf, filler, META_DIR, S_IFDIR);
		if (r == 0)
			r = add_entry(dbuf, filler, CLUSTER_DIR, S_IFDIR);
		for (char **p = names; *p && r == 0; p++)
			r = add_entry(dbuf, filler, *p, S_IFDIR);
		/* and, with a Kubernetes API, the namespaces the token can list */
		if (r == 0 && cfg->kube && kube_namespaces(cfg->kube, &more) == 0) {
			for (char **p = more; *p && r == 0; p++) {
				bool seen = false;

				for (char **q = names; *q && !seen; q++)
					seen = strcmp(*p, *q) == 0;
				if (!seen)
					r = add_entry(dbuf, filler, *p, S_IFDIR);
			}
			model_strv_free(more);
		}
		model_strv_free(names);
		return r;
	case NODE_META_DIR:
		for (int i = 0; i < MODEL_META_COUNT && r == 0; i++)
			r = add_entry(dbuf, filler, model_meta_name((enum model_meta)i),
				      S_IFREG);
		return r;
	case NODE_NAMESPACE:
		/* without a Kubernetes API, webhook-clients only answers when
		 * asked for by name (with EOPNOTSUPP): find and grep -r go on */
		for (size_t i = 0; i < N_NAMESPACE_DIRS && r == 0; i++)
			if (!namespace_dirs[i].webhooks || cfg->kube)
				r = add_entry(dbuf, filler, namespace_dirs[i].name, S_IFDIR);
		return r;
	case NODE_WF_DIR:
		return readdir_runs(&n, dbuf, filler);
	case NODE_WF_RUN:
		return readdir_run(&n, dbuf, filler);
	case NODE_SUBMIT_DIR:
		return readdir_submit(&n, dbuf, filler);
	case NODE_EVENTS_DIR: /* events are sent, not kept: only those being written */
		return readdir_scratch(&n, dbuf, filler, NULL, 0);
	default:
		return readdir_docs(&n, dbuf, filler);
	}
}

/* ---- open, read, write ------------------------------------------------- */

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static struct open_file *open_file_new(const struct node *n, struct buf *b, bool writable)
{
	struct open_file *of = calloc(1, sizeof(*of));

	if (!of) {
		buf_unref(b);
		return NULL;
	}
	of->node = *n;
	snprintf(of->path, sizeof(of->path), "%s", n->path);
	of->node.path = of->path;
	of->buf = b;
	of->writable = writable;
	pthread_mutex_lock(&open_lock);
	of->next = open_files;
	if (open_files)
		open_files->prev = of;
	open_files = of;
	pthread_mutex_unlock(&open_lock);
	return of;
}

static void open_file_free(struct open_file *of)
{
	pthread_mutex_lock(&open_lock);
	if (of->prev)
		of->prev->next = of->next;
	else
		open_files = of->next;
	if (of->next)
		of->next->prev = of->prev;
	pthread_mutex_unlock(&open_lock);
	buf_unref(of->buf);
	free(of);
}

/* The buf a document is opened with: the shared scratch buf of a new
 * document, else the server's text (for reading, or for writing without
 * O_TRUNC), else an empty one. An open for reading keeps the page cache
 * (*ret_keep) when it holds that very text; any other open drops it. */
static int open_document(const struct node *n, int flags, struct open_file **ret_of,
			 bool *ret_keep)
{
	bool document = false;
	struct buf *b = scratch_get(n, &document);
	bool pending = b != NULL;
	unsigned long long hash = 0;
	struct open_file *of;

	*ret_keep = false;
	if (!b) {
		char *text = NULL;
		size_t len = 0;
		int r = n->kind == ARGO_WORKFLOW ? -ENOENT : doc_read(n, &text, &len);

		if (r < 0)
			return r;
		if (!wants_write(flags)) {
			hash = fnv1a(text, len);
			*ret_keep = served_put(n->path, len, hash);
		} else {
			served_spoil(n->path, true, 0); /* what it writes reaches the pages */
			if (flags & O_TRUNC) {
				free(text);
				text = NULL;
				len = 0;
			}
		}
		b = buf_from(text, len, doc_mode(n));
		if (!b) {
			free(text);
			return -ENOMEM;
		}
	} else if (wants_write(flags) && (flags & O_TRUNC)) {
		pthread_mutex_lock(&scratch_lock);
		buf_resize(b, 0, true);
		pthread_mutex_unlock(&scratch_lock);
	}
	of = open_file_new(n, b, wants_write(flags));
	if (!of)
		return -ENOMEM;
	of->pending = pending && document;
	of->dirty = of->pending || (of->writable && (flags & O_TRUNC));
	of->cached = !pending && !of->writable;
	of->hash = hash;
	*ret_of = of;
	return 0;
}

/* A workflow's file: ctl is written (and reads as the verbs it takes), the
 * log read live as it grows, the others read as they were at open. */
static int open_run_file(const struct node *n, struct fuse_file_info *fi,
			 struct open_file **ret_of)
{
	char *text = NULL;
	size_t len = 0;
	struct buf *b;
	int r;

	if (hidden_has(n))
		return -ENOENT;
	if (wants_write(fi->flags) && n->file != RUN_FILE_CTL)
		return -EACCES;
	if (!wants_write(fi->flags)) {
		r = runs_read(runs(), n->ns, n->run, n->file, &text, &len);
		if (r < 0)
			return r;
	}
	if (n->file == RUN_FILE_LOG) {
		free(text); /* read live from the log itself */
		text = NULL;
		len = 0;
	} else if (n->file == RUN_FILE_WORKFLOW || n->file == RUN_FILE_SUMMARY) {
		served_put(n->path, len, 0);
	}
	/* stat does not fetch what these files are made of: its size may be
	 * behind (the log grows while the workflow runs) */
	fi->direct_io = 1;
	b = buf_from(text, len, n->file == RUN_FILE_CTL ? 0600 : 0444);
	if (!b) {
		free(text);
		return -ENOMEM;
	}
	*ret_of = open_file_new(n, b, n->file == RUN_FILE_CTL);
	return *ret_of ? 0 : -ENOMEM;
}

/* A submit entry: written, it submits at close; read, it names the last
 * workflow submitted through it, or fails with the errno of the last
 * submission when that failed (shells ignore errors of close(), so
 * `echo p=v > T && cat T` shows the failure at cat). */
static int open_submit_file(const struct node *n, int flags, struct open_file **ret_of)
{
	char name[300];
	char *text = NULL;
	struct buf *b;
	int r;

	r = model_stat(model(), n->kind, template_ns(n), n->stem, NULL);
	if (r < 0)
		return r;
	if (!wants_write(flags)) {
		r = runs_last_submitted(runs(), n->ns, n->kind, n->stem, name, sizeof(name));
		if (r < 0)
			return r;
		if (name[0] && asprintf(&text, "%s\n", name) < 0)
			return -ENOMEM;
	}
	b = buf_from(text, text ? strlen(text) : 0, 0644);
	if (!b) {
		free(text);
		return -ENOMEM;
	}
	*ret_of = open_file_new(n, b, wants_write(flags));
	return *ret_of ? 0 : -ENOMEM;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct open_file *of = NULL;
	bool keep = false;
	struct node n;
	char *text;
	size_t len;
	struct buf *b;
	int r;

	r = parse_path(path, &n);
	if (r < 0)
		return r;
	if (wants_write(fi->flags) && cfg->read_only)
		return -EROFS;
	switch (n.type) {
	case NODE_META_FILE:
		if (wants_write(fi->flags))
			return -EACCES;
		r = model_meta_read(model(), n.meta, &text, &len);
		if (r < 0)
			return r;
		b = buf_from(text, len, 0444);
		if (!b) {
			free(text);
			return -ENOMEM;
		}
		of = open_file_new(&n, b, false);
		/* the content is made at open: its size may differ from stat's */
		fi->direct_io = 1;
		break;
	case NODE_DOC_FILE:
		if (wants_write(fi->flags) && !writable_kind(&n))
			return -EACCES;
		r = open_document(&n, fi->flags, &of, &keep);
		if (r < 0)
			return r;
		break;
	case NODE_SCRATCH:
	case NODE_EVENT_FILE:
		b = scratch_get(&n, NULL);
		if (!b)
			return -ENOENT;
		if (wants_write(fi->flags) && (fi->flags & O_TRUNC)) {
			pthread_mutex_lock(&scratch_lock);
			buf_resize(b, 0, true);
			pthread_mutex_unlock(&scratch_lock);
		}
		of = open_file_new(&n, b, wants_write(fi->flags));
		break;
	case NODE_WF_FILE:
		r = open_run_file(&n, fi, &of);
		if (r < 0)
			return r;
		break;
	case NODE_SUBMIT_FILE:
		r = open_submit_file(&n, fi->flags, &of);
		if (r < 0)
			return r;
		fi->direct_io = 1; /* what it names changes with each submission */
		break;
	default:
		return -EISDIR;
	}
	if (!of)
		return -ENOMEM;
	fi->keep_cache = keep;
	fi->fh = (uintptr_t)of;
	return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct open_file *of;
	struct node n;
	struct buf *b;
	bool pending;
	int r;

	r = parse_path(path, &n);
	if (r < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	if (n.type == NODE_SUBMIT_FILE || n.type == NODE_WF_FILE)
		return -ENOENT; /* no such template, or workflow */
	if (n.type != NODE_DOC_FILE && n.type != NODE_SCRATCH && n.type != NODE_EVENT_FILE)
		return n.type == NODE_META_FILE ? -EACCES : -EPERM;
	if (!writable_kind(&n))
		return -EACCES;
	if (n.type == NODE_DOC_FILE && n.kind != ARGO_WORKFLOW) {
		r = doc_stat(&n, NULL);
		if (r == 0) /* an existing document: this is an overwrite */
			return fs_open(path, fi);
		if (r != -ENOENT)
			return r;
	}
	pending = n.type == NODE_DOC_FILE || n.type == NODE_EVENT_FILE;
	b = buf_new(pending ? (n.webhooks ? 0600 : 0644) : (mode & 07777));
	if (!b)
		return -ENOMEM;
	pthread_mutex_lock(&scratch_lock);
	r = scratch_put_locked(&n, b, pending);
	pthread_mutex_unlock(&scratch_lock);
	if (r < 0) {
		buf_unref(b);
		return r;
	}
	of = open_file_new(&n, b, true);
	if (!of) {
		scratch_remove(&n, NULL);
		return -ENOMEM;
	}
	of->pending = pending;
	of->dirty = pending;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)of;
	return 0;
}

static int fs_read(const char *path, char *out, size_t size, off_t offset,
		   struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	size_t n = 0;

	(void)path;
	if (of->node.type == NODE_WF_FILE && of->node.file == RUN_FILE_LOG)
		return offset < 0 ? -EINVAL :
			(int)runs_log_copy(runs(), of->node.ns, of->node.run, out, size, (size_t)offset);
	if (of->cached) /* these pages may outlive a newer text */
		served_spoil(of->path, false, of->hash);
	pthread_mutex_lock(&scratch_lock);
	if (offset >= 0 && (size_t)offset < of->buf->len) {
		n = of->buf->len - (size_t)offset;
		if (n > size)
			n = size;
		memcpy(out, of->buf->data + offset, n);
	}
	pthread_mutex_unlock(&scratch_lock);
	return (int)n;
}

/* Whether @of's buf is counted in the scratch total. */
static bool scratch_accounted(const struct open_file *of)
{
	return of->node.type == NODE_SCRATCH || of->pending;
}

static int fs_write(const char *path, const char *data, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	size_t end;
	int r = 0;

	(void)path;
	if (!of->writable)
		return -EBADF;
	/* ctl acts at each write, where a shell sees the error (shells do not
	 * check close()): one write, one verb */
	if (of->node.type == NODE_WF_FILE) {
		r = runs_action(runs(), of->node.ns, of->node.run, data, size, of->path);
		return r < 0 ? r : (int)size;
	}
	if (offset < 0 || (size_t)offset > FSOPS_MAX_SCRATCH_FILE ||
	    size > FSOPS_MAX_SCRATCH_FILE - (size_t)offset) {
		r = -EFBIG;
	} else {
		end = (size_t)offset + size;
		pthread_mutex_lock(&scratch_lock);
		if (end > of->buf->len)
			r = buf_resize(of->buf, end, scratch_accounted(of));
		if (r == 0) {
			memcpy(of->buf->data + offset, data, size);
			clock_gettime(CLOCK_REALTIME, &of->buf->mtime);
			of->dirty = of->written = true;
			of->failed = 0;
		}
		pthread_mutex_unlock(&scratch_lock);
	}
	served_spoil(of->path, true, 0); /* the pages hold what was written */
	if (r < 0 && !of->broken) { /* what was written is not the whole text */
		of->broken = r;
		errlog_record("write", of->path, 0, r, r == -EFBIG ?
			      "over the 4 MiB limit: nothing will be sent" :
			      "the text was not completely written: nothing will be sent");
	}
	return r < 0 ? r : (int)size;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct open_file *of = fi ? (struct open_file *)(uintptr_t)fi->fh : NULL;
	struct buf *b = NULL;
	bool accounted = true;
	struct node n;
	int r;

	if (cfg->read_only)
		return -EROFS;
	if (size < 0)
		return -EINVAL;
	if (of) {
		if (!of->writable)
			return -EBADF;
		b = buf_ref(of->buf);
		accounted = scratch_accounted(of);
	} else {
		r = parse_path(path, &n);
		if (r < 0)
			return r;
		b = scratch_get(&n, NULL);
		if (!b) {
			/* a document on the server has no size of its own to set:
			 * it is rewritten through an open file */
			r = n.type == NODE_DOC_FILE ? -EPERM : -ENOENT;
			if (r == -EPERM)
				errlog_record("truncate", path, 0, r,
					      "a document is replaced by writing it, not truncated in place");
			return r;
		}
	}
	pthread_mutex_lock(&scratch_lock);
	r = buf_resize(b, (size_t)size, accounted);
	if (r == 0 && of) {
		of->dirty = of->written = true;
		of->failed = 0;
		if (size == 0)
			of->broken = 0; /* starting over */
	}
	pthread_mutex_unlock(&scratch_lock);
	buf_unref(b);
	if (of)
		served_spoil(of->path, true, 0);
	return r;
}

/* Send what @of holds to the server, if it changed. A failure is kept so
 * that every later flush (close of a dup, fsync then close) reports it too,
 * without sending the same text again. Nothing is sent before the first
 * write: a shell's `> file` closes its first descriptor (after dup2) before
 * anything is written, and an empty document would only be refused. */
/* Send a finished text to where its node says: a document is created or
 * updated, a new workflow created, a template submitted. */
static int commit_text(const struct node *n, const char *text, size_t len, const char *path)
{
	char name[300];

	if (n->type == NODE_SUBMIT_FILE)
		return runs_submit(runs(), n->ns, n->kind, n->stem, text, len, path, name,
				   sizeof(name));
	if (n->type == NODE_EVENT_FILE)
		return model_send_event(model(), n->ns, n->name, text, len, path);
	if (n->kind == ARGO_WORKFLOW)
		return runs_create(runs(), n->ns, n->stem, text, len, path, name, sizeof(name));
	return doc_write(n, text, len, path);
}

static int commit(struct open_file *of)
{
	char *text;
	size_t len;
	int r;

	if ((of->node.type != NODE_DOC_FILE && of->node.type != NODE_SUBMIT_FILE &&
	     of->node.type != NODE_EVENT_FILE) || !of->writable)
		return 0;
	if (of->broken) {
		if (of->pending) { /* a refused new file is not kept */
			scratch_remove(&of->node, of->buf);
			of->pending = false;
		}
		return of->broken;
	}
	pthread_mutex_lock(&scratch_lock);
	if (!of->dirty || !of->written) {
		r = of->failed;
		pthread_mutex_unlock(&scratch_lock);
		return r;
	}
	len = of->buf->len;
	text = malloc(len + 1);
	if (text) {
		memcpy(text, of->buf->data ? of->buf->data : "", len);
		text[len] = '\0';
	}
	of->dirty = false;
	pthread_mutex_unlock(&scratch_lock);
	if (!text)
		return -ENOMEM;
	r = commit_text(&of->node, text, len, of->path);
	free(text);
	/* a new document leaves the scratch area whether it was created or
	 * refused: what is on the server is what ls shows (docs/filesystem.md) */
	if (of->pending) {
		scratch_remove(&of->node, of->buf);
		of->pending = false;
	}
	of->failed = r;
	return r;
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return commit((struct open_file *)(uintptr_t)fi->fh);
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return commit((struct open_file *)(uintptr_t)fi->fh);
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;

	(void)path;
	if ((of->node.type == NODE_DOC_FILE || of->node.type == NODE_EVENT_FILE) &&
	    of->dirty && !of->written) {
		/* created or truncated, never written: there is nothing to send */
		errlog_record("write", of->path, 0, -EINVAL, of->pending ?
			      "nothing was written: no object was created" :
			      "nothing was written: the document is unchanged");
		if (of->pending)
			scratch_remove(&of->node, of->buf);
	}
	open_file_free(of);
	return 0;
}

/* ---- names ------------------------------------------------------------- */

static int fs_unlink(const char *path)
{
	struct node n;
	int r;

	r = parse_path(path, &n);
	if (r < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	if (n.type == NODE_WF_FILE) {
		struct stat st;

		r = stat_node(&n, &st);
		if (r == 0)
			hidden_add(&n);
		return r;
	}
	if (n.type != NODE_DOC_FILE && n.type != NODE_SCRATCH && n.type != NODE_EVENT_FILE)
		return n.type == NODE_META_FILE || n.type == NODE_SUBMIT_FILE ? -EACCES : -EISDIR;
	if (scratch_remove(&n, NULL))
		return 0;
	if (n.type != NODE_DOC_FILE || n.kind == ARGO_WORKFLOW)
		return -ENOENT;
	if (!writable_kind(&n))
		return -EACCES;
	return doc_delete(&n, path);
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
	struct node n;
	int r = parse_path(path, &n);

	if (r < 0)
		return r;
	if (n.type != NODE_WF_LATEST)
		return -EINVAL;
	if (size == 0)
		return -EINVAL;
	return runs_latest(runs(), n.ns, buf, size);
}

static bool same_dir(const struct node *a, const struct node *b)
{
	return a->kind == b->kind && strcmp(a->ns, b->ns) == 0;
}

/* A copy of @n's text (scratch or server) as a new buf. */
static int snapshot(const struct node *n, struct buf **ret_buf)
{
	struct buf *src = scratch_get(n, NULL);
	char *text = NULL;
	size_t len = 0;
	mode_t mode = 0644;
	int r;

	if (src) {
		pthread_mutex_lock(&scratch_lock);
		len = src->len;
		mode = src->mode;
		text = malloc(len ? len : 1);
		if (text)
			memcpy(text, src->data, len);
		pthread_mutex_unlock(&scratch_lock);
		buf_unref(src);
		if (!text)
			return -ENOMEM;
	} else {
		if (n->type != NODE_DOC_FILE)
			return -ENOENT;
		r = doc_read(n, &text, &len);
		if (r < 0)
			return r;
	}
	*ret_buf = buf_from(text, len, mode);
	if (!*ret_buf) {
		free(text);
		return -ENOMEM;
	}
	return 0;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	struct node a, b;
	struct buf *content = NULL;
	struct stat st;
	int r;

	if ((r = parse_path(from, &a)) < 0 || (r = parse_path(to, &b)) < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	if ((a.type != NODE_DOC_FILE && a.type != NODE_SCRATCH) ||
	    (b.type != NODE_DOC_FILE && b.type != NODE_SCRATCH))
		return -EPERM;
	if (!same_dir(&a, &b))
		return -EXDEV;
	if (!writable_kind(&a))
		return -EACCES;
	if ((flags & RENAME_NOREPLACE) && stat_node(&b, &st) == 0)
		return -EEXIST;
	if (a.type == NODE_DOC_FILE && b.type == NODE_DOC_FILE && !scratch_has(&a)) {
		errlog_record("rename", from, 0, -EPERM,
			      "objects cannot be renamed: copy to the new name, then remove the old one");
		return -EPERM;
	}
	r = snapshot(&a, &content);
	if (r < 0)
		return r;
	if (b.type == NODE_DOC_FILE) {
		/* a finished temporary file (sed -i, an editor) replaces the document */
		r = commit_text(&b, content->data ? content->data : "", content->len, to);
		if (r == 0) {
			scratch_remove(&a, NULL);
			scratch_remove(&b, NULL);
			/* the file that becomes @to holds the text written in
			 * its pages, not the server's */
			served_spoil(to, true, 0);
		}
	} else {
		/* the old text moves to the scratch name; a document moved away
		 * (an editor's backup) stays on the server: only rm deletes */
		pthread_mutex_lock(&scratch_lock);
		r = scratch_put_locked(&b, content, false);
		pthread_mutex_unlock(&scratch_lock);
		if (r == 0)
			scratch_remove(&a, NULL);
	}
	buf_unref(content);
	return r;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	struct node n;
	int r = parse_path(path, &n);

	(void)mode;
	if (r < 0)
		return r == -ENOENT ? -EPERM : r;
	return cfg->read_only ? -EROFS : n.type == NODE_NAMESPACE ? -EEXIST : -EPERM;
}

static int fs_rmdir(const char *path)
{
	struct node n;
	int r = parse_path(path, &n);

	if (r < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	if (n.type == NODE_WF_RUN)
		return runs_delete(runs(), n.ns, n.run, path);
	return n.type == NODE_DOC_FILE || n.type == NODE_SCRATCH || n.type == NODE_META_FILE ||
	       n.type == NODE_WF_FILE || n.type == NODE_SUBMIT_FILE || n.type == NODE_WF_LATEST ||
	       n.type == NODE_EVENT_FILE ?
		-ENOTDIR : -EPERM;
}

/* Modes, owners and times of scratch files are kept; those of documents
 * are the server's, and only a change to what they already are succeeds. */
static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct stat st;
	struct node n;
	struct buf *b;
	int r;

	(void)fi;
	if ((r = parse_path(path, &n)) < 0 || (r = stat_node(&n, &st)) < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	b = n.type == NODE_SCRATCH ? scratch_get(&n, NULL) : NULL;
	if (b) {
		pthread_mutex_lock(&scratch_lock);
		b->mode = mode & 07777;
		pthread_mutex_unlock(&scratch_lock);
		buf_unref(b);
		return 0;
	}
	return (st.st_mode & 07777) == (mode & 07777) ? 0 : -EPERM;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct stat st;
	struct node n;
	int r;

	(void)fi;
	if ((r = parse_path(path, &n)) < 0 || (r = stat_node(&n, &st)) < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	if ((uid != (uid_t)-1 && uid != cfg->uid) || (gid != (gid_t)-1 && gid != cfg->gid))
		return -EPERM;
	return 0;
}

static int fs_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	struct node n;
	struct buf *b;
	int r;

	(void)fi;
	if ((r = parse_path(path, &n)) < 0)
		return r;
	if (cfg->read_only)
		return -EROFS;
	b = scratch_get(&n, NULL);
	if (!b) {
		struct stat st;

		r = stat_node(&n, &st);
		return r < 0 ? r : -EPERM;
	}
	pthread_mutex_lock(&scratch_lock);
	if (!tv || tv[1].tv_nsec == UTIME_NOW)
		clock_gettime(CLOCK_REALTIME, &b->mtime);
	else if (tv[1].tv_nsec != UTIME_OMIT)
		b->mtime = tv[1];
	pthread_mutex_unlock(&scratch_lock);
	buf_unref(b);
	return 0;
}

static int fs_access(const char *path, int mask)
{
	struct stat st;
	struct node n;
	int r;

	if ((r = parse_path(path, &n)) < 0 || (r = stat_node(&n, &st)) < 0)
		return r;
	if ((mask & W_OK) && cfg->read_only)
		return -EROFS;
	if ((mask & W_OK) && !(st.st_mode & 0200))
		return -EACCES;
	return 0;
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_namemax = 253 + 5; /* an object name and ".yaml" */
	return 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *fc)
{
	/* open(O_TRUNC) arrives as one open, not a truncate then an open */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	fc->use_ino = 0;
	fc->hard_remove = 1;        /* no .fuse_hidden renames of open files */
	fc->kernel_cache = 0;
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 12)
	fc->no_rofd_flush = 1;      /* flush commits writes: nothing to do for a reader */
#endif
	/* never kept by the kernel: getattr is answered from our own cache,
	 * so sizes follow the text (page-cache reads stop at the size), and a
	 * mount whose daemon died fails stat() at once */
	fc->attr_timeout = 0;
	fc->entry_timeout = cfg->cache_ttl;
	fc->negative_timeout = cfg->cache_ttl < 1.0 ? cfg->cache_ttl : 1.0;
	return NULL;
}

/* The files still open when the file system ends: the kernel dropped
 * their RELEASE at the unmount, or never sent it. */
static void fs_destroy(void *private_data)
{
	struct open_file *left;
	size_t n = 0;

	(void)private_data;
	pthread_mutex_lock(&open_lock);
	left = open_files;
	open_files = NULL;
	pthread_mutex_unlock(&open_lock);
	while (left) {
		struct open_file *of = left;

		left = of->next;
		buf_unref(of->buf);
		free(of);
		n++;
	}
	if (n > 0)
		log_debug("files the kernel never released, freed at the end: %zu", n);
}

static const struct fuse_operations argofs_ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.readlink = fs_readlink,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.truncate = fs_truncate,
	.flush = fs_flush,
	.fsync = fs_fsync,
	.release = fs_release,
	.unlink = fs_unlink,
	.rename = fs_rename,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.utimens = fs_utimens,
	.access = fs_access,
	.statfs = fs_statfs,
};

const struct fuse_operations *fsops_operations(const struct fsops_config *config)
{
	cfg = config;
	return &argofs_ops;
}
