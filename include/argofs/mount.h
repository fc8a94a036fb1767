/*
 * mount.h - the mount's lifecycle, with libfuse's own building blocks
 * instead of fuse_main(): command line (fuse_parse_cmdline), fuse_new,
 * fuse_mount, fuse_daemonize, the request loop, fuse_unmount, fuse_destroy.
 *
 * Around them, what a daemon run by mount(8), systemd or a pod needs:
 *   - a dead FUSE mount left at the mountpoint by a killed daemon
 *     ("Transport endpoint is not connected") is unmounted first;
 *   - logging goes to stderr until the daemon detaches (so mount(8) and a
 *     terminal see why a start failed), then to syslog; libfuse's own
 *     messages go the same way (fuse_set_log_func); -d means log_level=debug;
 *   - SIGTERM and SIGINT end the loop and unmount (fuse_set_signal_handlers);
 *     SIGHUP does not: it calls the reload hook from a thread of its own;
 *   - when $NOTIFY_SOCKET is set, "READY=1" is sent once the mount is in
 *     place and "STOPPING=1" when the loop ends (systemd's Type=notify; a
 *     datagram, no library).
 *
 * One mount per process (signal handlers are process-wide). The mount
 * borrows the operations table and the hook's data; it owns libfuse's
 * objects and its copy of the resolved mountpoint.
 */
#ifndef ARGOFS_MOUNT_H
#define ARGOFS_MOUNT_H

#include <stdbool.h>

#include "argofs/log.h"

struct fuse_args;
struct fuse_operations;
struct mount;

struct mount_config {
	const struct fuse_operations *ops;  /* borrowed; must outlive the mount */
	const char *mountpoint;             /* MOUNTPOINT as given, for the dead-mount check */
	enum log_level log_level;           /* raised to debug by -d */
	void (*reload)(void *data);         /* SIGHUP; NULL = nothing to do */
	void *data;                         /* for reload */
};

/*
 * Unmount a dead FUSE mount at cfg->mountpoint if there is one (lazily:
 * umount2(MNT_DETACH) as root, else `fusermount3 -u -z`), read libfuse's
 * command line options from @args (-f, -d, -s, clone_fd, max_idle_threads,
 * the mountpoint) and create the file system with the other options
 * (fuse_new: allow_other, default_permissions, auto_unmount, the kernel's
 * mount flags...). Starts logging to stderr at the configured level.
 * Nothing is mounted yet. Returns 0 and the mount in *ret_mount;
 * -ENOTDIR when the mountpoint is unusable, -EINVAL when libfuse refuses an
 * option (libfuse has then said which, through the log), -ENOMEM.
 */
int mount_new(struct fuse_args *args, const struct mount_config *cfg, struct mount **ret_mount);

/*
 * Mount, detach unless -f/-d (the parent exits 0 once the mount is in
 * place), install the signal handlers, notify readiness, and serve
 * requests until unmounted (umount, fusermount3 -u) or told to stop
 * (SIGTERM, SIGINT); then notify stopping and unmount. Returns 0 after a
 * clean stop, or a negative errno when mounting or serving failed (the
 * reason is logged).
 */
int mount_run(struct mount *m);

/* NULL is fine. Must not be called while mount_run() runs. */
void mount_free(struct mount *m);

#endif
