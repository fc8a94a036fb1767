/*
 * mount.c - the mount's lifecycle behind mount.h: what fuse_main() does,
 * step by step with libfuse's own calls, plus what a daemon needs around
 * it (a dead mount cleared first, logging that follows the daemon to
 * syslog, SIGHUP as "reload", systemd's readiness notification).
 *
 * SIGHUP: fuse_set_signal_handlers() makes SIGHUP end the loop like SIGTERM;
 * right after it we install our own handler, which only writes a byte to a
 * pipe (async-signal-safe). A thread of ours reads the pipe and calls the
 * reload hook, outside any signal context. Every thread we start blocks all
 * signals, as libfuse's workers do, so handlers run in the main thread.
 * Teardown restores libfuse's handler, closes the pipe's write end (the
 * thread sees EOF and ends) and joins the thread.
 *
 * A signal ends the loop at once; requests the kernel had queued by then
 * (the RELEASE of a file just closed) are still answered before unmounting,
 * so that nothing opened is left behind.
 *
 * Memory: struct mount owns the fuse object, the resolved mountpoint
 * (from fuse_parse_cmdline) and the pipe; the operations table and the
 * reload hook's data are borrowed. Nothing here sees a token.
 */
#define FUSE_USE_VERSION 35

#include "argofs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argofs/log.h"

extern char **environ;

/* Idle worker threads kept by the multi-threaded loop when the command line
 * does not say (libfuse before 3.12 defaulted to this; 3.12+ reports "unset"
 * as UINT_MAX, which its pre-3.12 loop API refuses with a warning). */
#define DEFAULT_MAX_IDLE_THREADS 10

struct mount {
	struct mount_config cfg;         /* pointers borrowed */
	struct fuse_cmdline_opts opts;   /* opts.mountpoint: owned, resolved by libfuse */
	struct fuse *fuse;               /* owned */
	enum log_level level;            /* cfg.log_level, or debug under -d */
	int hup_pipe[2];                 /* SIGHUP -> reloader thread; -1 when closed */
	pthread_t reloader;
	bool reloader_running;
	struct sigaction fuse_hup;       /* libfuse's SIGHUP handler, restored at the end */
};

/* The write end of the SIGHUP pipe, for the handler (one mount per process). */
static volatile sig_atomic_t hup_write_fd = -1;

/* ---- libfuse's messages, into our log ---- */

__attribute__((format(printf, 2, 0)))
static void fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	size_t len;

	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len == 0)
		return;
	log_msg(level <= FUSE_LOG_ERR ? LOG_LEVEL_ERROR :
		level <= FUSE_LOG_NOTICE ? LOG_LEVEL_WARN :
		level == FUSE_LOG_INFO ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "%s", line);
}

/* ---- a dead mount left by a killed daemon ---- */

/* @given made absolute with its parent directory resolved, without touching
 * the last component (a dead mount fails every stat). Returns 0 and a
 * malloc'd path, -EINVAL for "", "." or "..", or the errno of realpath. */
static int canonical_mountpoint(const char *given, char **ret_path)
{
	char *copy, *slash, *base, *parent;
	size_t len;
	int r = 0;

	copy = strdup(given);
	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		free(copy);
		return -EINVAL;
	}
	if (slash)
		*slash = '\0';
	parent = realpath(slash ? (slash == copy ? "/" : copy) : ".", NULL);
	if (!parent)
		r = -errno;
	else if (asprintf(ret_path, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, base) < 0)
		r = -ENOMEM;
	free(parent);
	free(copy);
	return r;
}

/* Whether /proc/self/mounts has a FUSE file system mounted at @path. */
static bool is_fuse_mount(const char *path)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent ent;
	char buf[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && getmntent_r(f, &ent, buf, sizeof(buf)))
		found = strcmp(ent.mnt_dir, path) == 0 && strncmp(ent.mnt_type, "fuse", 4) == 0;
	endmntent(f);
	return found;
}

/* `fusermount3 -u -z PATH`, for those who may not umount2(). */
static int fusermount_detach(const char *path)
{
	char *argv[] = { "fusermount3", "-u", "-z", "--", (char *)path, NULL };
	int status, r;
	pid_t pid;

	r = posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/* Unmount (lazily) a FUSE mount at @given whose daemon is gone: stat()
 * fails with ENOTCONN there, and libfuse could not even resolve the path. */
static void clear_dead_mount(const char *given)
{
	struct stat st;
	char *path = NULL;
	int r;

	if (stat(given, &st) == 0 || errno != ENOTCONN)
		return;
	if (canonical_mountpoint(given, &path) < 0 || !is_fuse_mount(path)) {
		free(path);
		return;
	}
	r = geteuid() == 0 && umount2(path, MNT_DETACH) == 0 ? 0 : fusermount_detach(path);
	if (r < 0)
		log_warn("%s: a dead FUSE mount is in the way and could not be unmounted: %s", path,
			 strerror(-r));
	else
		log_warn("%s: unmounted a dead FUSE mount (its daemon was gone)", path);
	free(path);
}

/* ---- systemd's readiness protocol ---- */

/* Send @state ("READY=1", "STOPPING=1") as one datagram to $NOTIFY_SOCKET:
 * a path, or an abstract name written with a leading '@'. Failures are
 * logged: a service manager that does not listen is no reason to stop. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || !*path)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		log_warn("NOTIFY_SOCKET '%s' is not a socket path or @name: not notified", path);
		return;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_warn("cannot notify %s of %s: %s", path, state, strerror(errno));
	else
		log_debug("notified %s: %s", path, state);
	if (fd >= 0)
		close(fd);
}

/* ---- SIGHUP ---- */

static void on_sighup(int sig)
{
	int saved = errno;
	char c = 'h';
	ssize_t w;

	(void)sig;
	/* A full pipe already holds a pending reload. */
	w = write(hup_write_fd, &c, 1);
	(void)w;
	errno = saved;
}

static void *reloader_main(void *arg)
{
	struct mount *m = arg;
	char c;

	for (;;) {
		ssize_t n = read(m->hup_pipe[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL; /* write end closed: the mount is ending */
		log_info("SIGHUP: dropping the caches and re-reading the token");
		if (m->cfg.reload)
			m->cfg.reload(m->cfg.data);
	}
}

/* Start the reloader thread and put our SIGHUP handler over libfuse's. */
static int reloader_start(struct mount *m)
{
	struct sigaction sa = { .sa_handler = on_sighup, .sa_flags = SA_RESTART };
	sigset_t all, old;
	int r;

	if (pipe2(m->hup_pipe, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(m->hup_pipe[1], F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&m->reloader, NULL, reloader_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	m->reloader_running = true;
	hup_write_fd = m->hup_pipe[1];
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, &m->fuse_hup) < 0)
		return -errno;
	return 0;
}

/* Give SIGHUP back to libfuse, end the thread (it reads EOF once the
 * write end is closed), close the pipe. Safe after a partial
 * reloader_start(), and more than once. */
static void reloader_stop(struct mount *m)
{
	if (hup_write_fd >= 0) {
		sigaction(SIGHUP, &m->fuse_hup, NULL);
		hup_write_fd = -1;
	}
	if (m->hup_pipe[1] >= 0)
		close(m->hup_pipe[1]);
	if (m->reloader_running)
		pthread_join(m->reloader, NULL);
	if (m->hup_pipe[0] >= 0)
		close(m->hup_pipe[0]);
	m->hup_pipe[0] = m->hup_pipe[1] = -1;
	m->reloader_running = false;
}

/* ---- the lifecycle ---- */

int mount_new(struct fuse_args *args, const struct mount_config *cfg, struct mount **ret_mount)
{
	struct mount *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->hup_pipe[0] = m->hup_pipe[1] = -1;
	fuse_set_log_func(fuse_log_to_ours);
	log_init(cfg->log_level, false);

	if (cfg->mountpoint)
		clear_dead_mount(cfg->mountpoint);
	/* -f, -d, -s, clone_fd, max_idle_threads and the mountpoint, which
	 * libfuse resolves (and reports when it cannot) */
	if (fuse_parse_cmdline(args, &m->opts) != 0 || !m->opts.mountpoint) {
		mount_free(m);
		return -EINVAL;
	}
	m->level = m->opts.debug ? LOG_LEVEL_DEBUG : cfg->log_level;
	log_init(m->level, false);

	m->fuse = fuse_new(args, cfg->ops, sizeof(*cfg->ops), NULL);
	if (!m->fuse) {
		mount_free(m);
		return -EINVAL;
	}
	*ret_mount = m;
	return 0;
}

/* After a signal ended the loop: answer what the kernel had already queued
 * (typically the RELEASE of a file just closed) before unmounting drops it,
 * without waiting for more. */
static void drain(struct fuse_session *se)
{
	struct fuse_buf buf = { 0 };
	int fd = fuse_session_fd(se);
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return;
	for (;;) {
		int r = fuse_session_receive_buf(se, &buf);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			break; /* -EAGAIN: nothing more queued */
		fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
}

/* The request loop, as fuse_main() runs it. Returns 0 when it ended
 * because of an unmount or a signal, or a negative errno. */
static int serve(struct mount *m)
{
	int r;

	if (m->opts.singlethread) {
		r = fuse_loop(m->fuse);
	} else {
		struct fuse_loop_config lc = {
			.clone_fd = m->opts.clone_fd,
			.max_idle_threads = m->opts.max_idle_threads == UINT_MAX ?
				DEFAULT_MAX_IDLE_THREADS : m->opts.max_idle_threads,
		};
		r = fuse_loop_mt(m->fuse, &lc);
	}
	if (r > 0) /* the signal that ended it */
		drain(fuse_get_session(m->fuse));
	if (r < 0)
		log_error("serving %s failed: %s", m->opts.mountpoint, strerror(-r));
	return r < 0 ? r : 0;
}

int mount_run(struct mount *m)
{
	struct fuse_session *se = fuse_get_session(m->fuse);
	int r;

	if (fuse_mount(m->fuse, m->opts.mountpoint) != 0)
		return -EIO; /* libfuse has logged why */
	/* libfuse logs why either of these fails */
	if (fuse_daemonize(m->opts.foreground) != 0) {
		r = -EIO;
		goto out_unmount;
	}
	if (!m->opts.foreground)
		log_init(m->level, true);
	if (fuse_set_signal_handlers(se) != 0) {
		r = -EIO;
		goto out_signals;
	}
	r = reloader_start(m);
	if (r < 0) {
		log_error("cannot handle SIGHUP: %s", strerror(-r));
		goto out_signals;
	}
	log_info("mounted on %s", m->opts.mountpoint);
	notify("READY=1");
	r = serve(m);
	notify("STOPPING=1");
	log_info("unmounting %s", m->opts.mountpoint);
out_signals:
	reloader_stop(m);
	fuse_remove_signal_handlers(se);
out_unmount:
	fuse_unmount(m->fuse);
	return r;
}

void mount_free(struct mount *m)
{
	if (!m)
		return;
	reloader_stop(m);
	if (m->fuse)
		fuse_destroy(m->fuse);
	free(m->opts.mountpoint);
	free(m);
}
