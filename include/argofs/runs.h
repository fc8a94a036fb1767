/*
 * runs.h - workflows as runs: listing, status files, logs, actions, submit.
 *
 * Each namespace's workflows are listed with one projected list call (the
 * fields `argo list` asks for) and kept for cache_ttl, or for as long as the
 * namespace's watch stream is followed, so `ls -l` and the phase files of
 * every workflow cost no request per workflow. The whole object (for
 * workflow.yaml and summary) is fetched when one of those files is used.
 * Logs are fetched when the log file is first used; a running workflow's log
 * is then followed by a thread until the workflow ends, so the file grows.
 *
 * Knows nothing of FUSE. Every failure that reaches the user is recorded in
 * errlog. All returned memory belongs to the caller. Thread-safe.
 */
#ifndef ARGOFS_RUNS_H
#define ARGOFS_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "argofs/api.h"

struct http_client;
struct runs;

/* The files of a workflow's directory. */
enum run_file {
	RUN_FILE_WORKFLOW = 0,  /* workflow.yaml */
	RUN_FILE_PHASE,         /* phase */
	RUN_FILE_SUMMARY,       /* summary */
	RUN_FILE_LOG,           /* log */
	RUN_FILE_CTL,           /* ctl (write-only) */
	RUN_FILE_COUNT,
};

/* Largest log kept per workflow; what follows is dropped with a note. */
#define RUNS_MAX_LOG (16u * 1024 * 1024)

struct run_entry {
	char name[254];
	struct timespec created;
	char phase[16];          /* "Pending" when the controller set none yet */
	unsigned long long version; /* metadata.resourceVersion: orders runs created in one second */
};

/* What ctl takes, and what reading it shows. */
#define RUNS_CTL_VERBS "stop terminate suspend resume retry resubmit"

/* Returns 0 and the runs of @http (borrowed), or -ENOMEM. With @watch,
 * listings are kept fresh from the server's watch stream (see runs.c). */
int runs_new(struct http_client *http, double cache_ttl, bool watch, struct runs **ret_runs);

/* Stops the log followers and watchers, waiting for them, and frees. Their
 * streams end within a second once http_client_cancel_streams() was called
 * on the client; otherwise this waits for each to notice. NULL is fine. */
void runs_free(struct runs *rs);

/* Forget listings and objects (SIGHUP). Logs being followed are kept. */
void runs_drop_caches(struct runs *rs);

const char *runs_file_name(enum run_file file);
int runs_file_lookup(const char *name);       /* enum run_file, or -1 */

/* The workflows of @ns, newest first. Returns 0 and a malloc'd array, or a
 * negative errno. */
int runs_list(struct runs *rs, const char *ns, struct run_entry **ret_entries,
	      size_t *ret_n);

/* One workflow. Returns 0, -ENOENT or another negative errno. */
int runs_stat(struct runs *rs, const char *ns, const char *name,
	      struct run_entry *ret_entry);

/* The name of the newest workflow of @ns (into @name of @size bytes).
 * Returns 0, -ENOENT when there is none, or a negative errno. */
int runs_latest(struct runs *rs, const char *ns, char *name, size_t size);

/*
 * The current text of a file of workflow @name: a malloc'd copy (caller
 * frees) for workflow.yaml, phase and summary; the verbs it takes for ctl.
 * For the log, the text so far (fetching it on first use and following it
 * while the workflow runs). Returns 0 or a negative errno.
 */
int runs_read(struct runs *rs, const char *ns, const char *name, enum run_file file,
	      char **ret_text, size_t *ret_len);

/* The size of the log so far (0 before first use: see runs_read) and
 * whether it is complete. Returns 0, or -ENOENT when it was never read. */
int runs_log_size(struct runs *rs, const char *ns, const char *name, size_t *ret_len,
		  bool *ret_complete);

/* Copy up to @size bytes of the log from @offset. Returns the count (0 at
 * the end of what is there so far) or a negative errno. */
long runs_log_copy(struct runs *rs, const char *ns, const char *name, char *out,
		   size_t size, size_t offset);

/*
 * Create a workflow from a Workflow document written as the file @stem in
 * NS/workflows. The name is metadata.name; else metadata.generateName; else
 * "<stem>-" as generateName. Returns 0 with the new name in @ret_name (of
 * @size bytes), or -EINVAL (refused text, nothing sent) or the request's errno.
 */
int runs_create(struct runs *rs, const char *ns, const char *stem, const char *text,
		size_t len, const char *op_path, char *ret_name, size_t size);

/* Delete workflow @name. Returns 0, -ENOENT or another negative errno. */
int runs_delete(struct runs *rs, const char *ns, const char *name, const char *op_path);

/* Perform the verb written to ctl (one word, surrounding whitespace ignored):
 * stop, terminate, suspend, resume, retry, resubmit. Returns 0, -EINVAL for
 * an unknown verb (nothing sent), or the server's refusal. */
int runs_action(struct runs *rs, const char *ns, const char *name, const char *text,
		size_t len, const char *op_path);

/*
 * Submit @template (a @kind: WorkflowTemplate, ClusterWorkflowTemplate or
 * CronWorkflow) into @ns with the options written to its submit file:
 * `key=value` lines (parameters), a YAML mapping of submit options, or
 * nothing (defaults). Unknown options and parameters the template does not
 * declare are refused without submitting. Returns 0 with the new workflow's
 * name in @ret_name, or a negative errno.
 */
int runs_submit(struct runs *rs, const char *ns, enum argo_kind kind,
		const char *template_name, const char *text, size_t len,
		const char *op_path, char *ret_name, size_t size);

/* The last workflow submitted through that entry in this mount, into @name
 * ("" if none). Returns 0, or the negative errno of the last submission
 * through it when that one failed. */
int runs_last_submitted(struct runs *rs, const char *ns, enum argo_kind kind,
			const char *template_name, char *name, size_t size);

#endif
