/*
 * fsops.h - the FUSE operations: paths in, model calls, errno out.
 *
 * The tree (docs/filesystem.md is the user's description):
 *   /.argofs/{version,info.yaml,userinfo.yaml,errors}
 *   /cluster-workflow-templates/NAME.yaml
 *   /NS/workflow-templates/NAME.yaml
 *   /NS/cron-workflows/NAME.yaml
 * Names in a document directory that are not documents (editor swap and
 * backup files, sed's temporaries, vim's 4913 probe) live in an in-memory
 * scratch area of that directory; renaming one onto NAME.yaml commits it.
 * This layer translates and replies; it owns the scratch area, the open
 * files and a bounded table of the texts it handed the kernel (their sizes
 * and hashes: stat of a workflow's files, and the page cache kept from one
 * open of a document to the next), and borrows the model.
 */
#ifndef ARGOFS_FSOPS_H
#define ARGOFS_FSOPS_H

#define FUSE_USE_VERSION 35

#include <fuse.h>
#include <stdbool.h>
#include <sys/types.h>

struct kube;
struct model;
struct runs;

/* Largest scratch file, and all scratch files together (bytes). */
#define FSOPS_MAX_SCRATCH_FILE (4u * 1024 * 1024)
#define FSOPS_MAX_SCRATCH_TOTAL (64u * 1024 * 1024)

struct fsops_config {
	struct model *model;    /* borrowed */
	struct runs *runs;      /* borrowed */
	struct kube *kube;      /* borrowed; NULL without a Kubernetes API */
	bool read_only;         /* every write path fails with EROFS, without a request */
	double cache_ttl;       /* seconds; the kernel's entry timeout follows it */
	uid_t uid;              /* owner shown on every file */
	gid_t gid;
};

/* The operations table, serving @cfg, which must outlive the mount. One
 * mount per process. */
const struct fuse_operations *fsops_operations(const struct fsops_config *cfg);

#endif
