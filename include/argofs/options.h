/*
 * options.h - the mount's configuration: command line (libfuse's fuse_opt
 * parser) with the argo CLI's environment variables as fallback.
 *
 *   argofs [SERVER] MOUNTPOINT [FUSE options] [-o opt[,opt...]]
 *
 * The config owns every string in it; options_free() releases them. The
 * token itself is never stored here, only where it comes from - except
 * ARGO_TOKEN's value, which options_free() wipes before freeing.
 */
#ifndef ARGOFS_OPTIONS_H
#define ARGOFS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

struct fuse_args;

#define ARGOFS_DEFAULT_TIMEOUT 30.0   /* seconds per request */
#define ARGOFS_DEFAULT_CACHE_TTL 5.0  /* seconds */
/* Where a pod's service-account token is looked for; the environment
 * variable of the same name, when set, names another path (tests, unusual
 * pods). */
#define ARGOFS_SA_TOKEN_FILE "/var/run/secrets/kubernetes.io/serviceaccount/token"
/* The CA of the cluster, as mounted in a pod. */
#define ARGOFS_SA_CA_FILE "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

struct argofs_config {
	char *mountpoint;      /* MOUNTPOINT as given (also left in the FUSE arguments) */
	char *base_url;        /* normalised: "https://host:port" + base href, no trailing '/' */
	char *token_file;      /* token_file=, or the service-account file if present; NULL if
	                        * none; absolute (a relative one is taken from the current
	                        * directory: the daemon runs in "/") */
	char *token_value;     /* ARGO_TOKEN when no token_file= was given; NULL otherwise */
	bool insecure;         /* insecure / ARGO_INSECURE_SKIP_VERIFY=true */
	char *ca_file;         /* ca_file=, absolute like token_file */
	char *kube_url;        /* kube_server=, or in a pod https://$KUBERNETES_SERVICE_HOST:PORT;
	                        * NULL: no Kubernetes API (no webhook clients) */
	char *kube_token_file; /* kube_token_file=, or the pod's service-account token */
	char *kube_ca_file;    /* kube_ca_file=, or the pod's service-account CA */
	char **namespaces;     /* namespace=a:b:c / ARGO_NAMESPACE; NULL-terminated, may be empty */
	size_t n_namespaces;
	double timeout;        /* timeout= seconds, > 0 */
	double cache_ttl;      /* cache_ttl= seconds, >= 0 */
	bool read_only;        /* read_only */
	bool watch;            /* not nowatch: follow workflow watch streams */
	char *log_level;       /* log_level= (error|warn|info|debug), NULL = default */
	bool show_help;        /* --help / -h */
	bool show_version;     /* --version / -V */
};

/*
 * Parse @args (argv as given to main) into @cfg. Recognised argofs options
 * are removed from @args; what remains (program name, FUSE options, and the
 * mountpoint, moved to the end) is for libfuse, with "-o
 * fsname=SERVER,subtype=argofs" added (SERVER as given) unless fsname= or
 * subtype= is there: the mount's source names the server and its type
 * stays fuse.argofs. Options argofs does not know are kept for FUSE, never
 * rejected here, except the generic ones that fstab and mount(8) pass to
 * every file system and that mean nothing to a FUSE file system, which are
 * dropped: "" (an empty -o), defaults, auto, noauto, user, users, nouser,
 * owner, group, nofail, _netdev, comment=..., and x-...
 * (x-systemd.automount...); rw, ro, dev, suid, exec, sync... are kernel
 * mount flags and left for libfuse. SERVER may be the first
 * non-option argument (when two are given) or server= (both at once is an
 * error); ARGO_SERVER is the fallback. A server without scheme gets
 * https:// unless ARGO_SECURE=false. Each option beats its environment
 * variable: base_href (ARGO_BASE_HREF), insecure (ARGO_INSECURE_SKIP_VERIFY=
 * true), namespace (ARGO_NAMESPACE); the token comes from token_file=, else
 * ARGO_TOKEN (token_value), else the service-account file if it exists
 * (token_file). Empty environment variables count as unset.
 *
 * Returns 0 (*ret_msg NULL); -EINVAL with a one-line malloc'd message in
 * *ret_msg (caller frees) naming the bad option or the missing server or
 * mountpoint; or -ENOMEM (*ret_msg may be NULL). On failure @cfg holds
 * nothing to free. With --help/--version only show_help/show_version and
 * the defaults are set: nothing else is read or checked.
 */
int options_parse(struct fuse_args *args, struct argofs_config *cfg, char **ret_msg);

/* Normalise SERVER and BASE_HREF (may be NULL) into a base URL:
 * "host:port" -> "https://host:port" (or http:// when @secure is false); an
 * http:// or https:// URL kept (scheme lower-cased); "host:port/base" keeps
 * "/base" as a path. The base href is appended; path segments are joined
 * with exactly one '/' and none at the end. Returns 0 and a malloc'd string
 * in *ret_url, -EINVAL (empty, empty host, other scheme, whitespace or
 * control characters, '?' or '#', user@ in the host part) or -ENOMEM. */
int options_base_url(const char *server, const char *base_href, bool secure,
		     char **ret_url);

/* Whether @name is a valid Kubernetes namespace name (DNS-1123 label:
 * 1-63 chars of [a-z0-9-], starting and ending alphanumeric). */
bool options_valid_namespace(const char *name);

/* The text printed for --help: usage, then every argofs option, the
 * notable FUSE options and the environment variables, one line each.
 * Static. */
const char *options_help_text(void);

/* Release everything @cfg owns and zero it. NULL is fine. */
void options_free(struct argofs_config *cfg);

#endif
