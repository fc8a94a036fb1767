/*
 * options.c - the command line and the environment into struct argofs_config.
 *
 * libfuse's fuse_opt_parse() does the parsing: "name=%s" templates collect
 * our options into a private struct parse_state (fuse_opt strdup()s them),
 * FUSE_OPT_KEY entries handle flags, and option_proc() keeps every option it
 * does not know (allow_other, fsname=..., -f, -d...) for libfuse, but drops
 * the generic options of fstab and mount(8) that no FUSE file system takes
 * (_netdev, noauto, x-systemd.*...). Non-option arguments are taken out
 * while parsing and the mountpoint is put
 * back at the end, because only once all of them are seen is it known
 * whether the first one is SERVER. apply() then checks values and falls back
 * to the argo CLI's environment variables. Every string in the config is
 * malloc'd and owned by it; parse_state's strings are freed (or moved into
 * the config) before options_parse() returns.
 */
#include "argofs/options.h"

#include <ctype.h>
#include <errno.h>
#include <fuse_opt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argofs/log.h"
#include "argofs/token.h"

#define MAX_SECONDS 86400.0 /* upper bound of timeout= and cache_ttl= */

struct parse_state {
	/* "name=%s" results, malloc'd by fuse_opt (a repeated option frees
	 * the earlier value). */
	char *server;
	char *base_href;
	char *token_file;
	char *ca_file;
	char *kube_server;
	char *kube_token_file;
	char *kube_ca_file;
	char *namespace;
	char *timeout;
	char *cache_ttl;
	char *log_level;
	bool insecure;
	bool read_only;
	bool nowatch;
	bool help;
	bool version;
	bool fsname;           /* fsname= or subtype= given: left as they are */
	bool allow_other;      /* kept for FUSE, with default_permissions added */
	char *positional[2];   /* [SERVER] MOUNTPOINT, malloc'd */
	size_t n_positional;
	int err;               /* set by option_proc when it fails */
	char *msg;             /* its message, malloc'd */
};

enum {
	KEY_INSECURE,
	KEY_READ_ONLY,
	KEY_NOWATCH,
	KEY_HELP,
	KEY_VERSION,
	KEY_NO_VALUE,
	KEY_FSNAME,
	KEY_ALLOW_OTHER,
};

/* "name=VALUE" into @field, and a bare "name" reported as missing its value. */
#define VALUE_OPT(name, field)                                         \
	{ name "=%s", offsetof(struct parse_state, field), 0 },        \
	FUSE_OPT_KEY(name, KEY_NO_VALUE)

static const struct fuse_opt option_table[] = {
	VALUE_OPT("server", server),
	VALUE_OPT("base_href", base_href),
	VALUE_OPT("token_file", token_file),
	VALUE_OPT("ca_file", ca_file),
	VALUE_OPT("kube_server", kube_server),
	VALUE_OPT("kube_token_file", kube_token_file),
	VALUE_OPT("kube_ca_file", kube_ca_file),
	VALUE_OPT("namespace", namespace),
	VALUE_OPT("timeout", timeout),
	VALUE_OPT("cache_ttl", cache_ttl),
	VALUE_OPT("log_level", log_level),
	FUSE_OPT_KEY("insecure", KEY_INSECURE),
	FUSE_OPT_KEY("read_only", KEY_READ_ONLY),
	FUSE_OPT_KEY("nowatch", KEY_NOWATCH),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_KEY("subtype=", KEY_FSNAME),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_END
};

static const char help_text[] =
	"usage: argofs [SERVER] MOUNTPOINT [options]\n"
	"\n"
	"Mount an Argo Workflows server as a filesystem.\n"
	"\n"
	"argofs options:\n"
	"    -o server=URL          Argo Server: host:port or http(s)://host:port[/base] (env ARGO_SERVER)\n"
	"    -o base_href=PATH      path prefix of the server's API (env ARGO_BASE_HREF)\n"
	"    -o token_file=PATH     token file, re-read when it changes (else env ARGO_TOKEN, else the pod's)\n"
	"    -o ca_file=PATH        CA certificates to verify the server with\n"
	"    -o kube_server=URL     Kubernetes API, for webhook clients (default: in a pod, the cluster's)\n"
	"    -o kube_token_file=PATH  its token (default: the pod's service-account token)\n"
	"    -o kube_ca_file=PATH   its CA certificates (default: the pod's service-account CA)\n"
	"    -o insecure            do not verify the server's certificate (env ARGO_INSECURE_SKIP_VERIFY=true)\n"
	"    -o namespace=NS[:NS..] namespaces shown at the root (env ARGO_NAMESPACE)\n"
	"    -o timeout=SECONDS     time limit of each request (default 30)\n"
	"    -o cache_ttl=SECONDS   how long listings and documents are cached (default 5)\n"
	"    -o read_only           refuse every change with EROFS\n"
	"    -o nowatch             refresh workflow listings by cache_ttl only, without watch streams\n"
	"    -o log_level=LEVEL     error, warn, info or debug (default warn)\n"
	"    -h, --help             print this help and exit\n"
	"    -V, --version          print the version and exit\n"
	"\n"
	"FUSE options (any other -o option is passed to FUSE):\n"
	"    -f                     stay in the foreground and log to stderr\n"
	"    -d                     print FUSE debug output (implies -f and log_level=debug)\n"
	"    -s                     handle one request at a time\n"
	"    -o allow_other         let other users access the mount\n"
	"    -o default_permissions let the kernel check file modes\n"
	"    -o auto_unmount        unmount when argofs exits, even if killed\n"
	"    -o fsname=NAME         the mount's source in /proc/mounts and df (default: SERVER)\n"
	"\n"
	"Environment:\n"
	"    ARGO_SERVER            server, when neither SERVER nor server= is given\n"
	"    ARGO_SECURE=false      plain http:// for a server given without a scheme\n"
	"    ARGO_BASE_HREF         base_href, when not given\n"
	"    ARGO_INSECURE_SKIP_VERIFY=true  as insecure\n"
	"    ARGO_NAMESPACE         namespace, when not given\n"
	"    ARGO_TOKEN             the token (\"Bearer ...\" or bare), when there is no token_file=\n"
	"    ARGOFS_SA_TOKEN_FILE   the pod's service-account token file, tried last; by default\n"
	"                           " ARGOFS_SA_TOKEN_FILE "\n"
	"    NOTIFY_SOCKET          where to send systemd's READY=1 and STOPPING=1 (Type=notify)\n";

const char *options_help_text(void)
{
	return help_text;
}

/* Whether -o @opt is one of the options fstab and mount(8) hand to every
 * file system's helper that libfuse does not take (it takes the kernel's
 * flags: rw, ro, dev, nodev, suid, exec, sync, atime...). "" is what an
 * empty -o or a doubled comma gives; mount.fuse3 drops it and the others
 * too, but they also come from a direct `argofs ... -o "$OPTIONS"`. */
static bool mount8_generic(const char *opt)
{
	static const char *const names[] = {
		"", "defaults", "auto", "noauto", "user", "users", "nouser", "owner", "group",
		"nofail", "_netdev",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(opt, names[i]) == 0)
			return true;
	return strncmp(opt, "x-", 2) == 0 || strncmp(opt, "comment=", 8) == 0;
}

/* Set *ret_msg to a malloc'd "argofs: ..." line and return -EINVAL, or
 * -ENOMEM (and no message) when that allocation fails. */
static int fail(char **ret_msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(char **ret_msg, const char *fmt, ...)
{
	char *body = NULL, *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	n = asprintf(&msg, "argofs: %s", body);
	free(body);
	if (n < 0)
		return -ENOMEM;
	free(*ret_msg);
	*ret_msg = msg;
	return -EINVAL;
}

static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct parse_state *st = data;

	(void)outargs;
	switch (key) {
	case KEY_INSECURE:
		st->insecure = true;
		return 0;
	case KEY_READ_ONLY:
		st->read_only = true;
		return 0;
	case KEY_NOWATCH:
		st->nowatch = true;
		return 0;
	case KEY_HELP:
		st->help = true;
		return 0;
	case KEY_VERSION:
		st->version = true;
		return 0;
	case KEY_FSNAME:
		st->fsname = true;
		return 1;
	case KEY_ALLOW_OTHER:
		st->allow_other = true;
		return 1;
	case KEY_NO_VALUE:
		st->err = fail(&st->msg, "option '%s' needs a value (-o %s=...)", arg, arg);
		return -1;
	case FUSE_OPT_KEY_NONOPT:
		if (st->n_positional == 2) {
			st->err = fail(&st->msg, "unexpected argument '%s' (usage: argofs [SERVER] MOUNTPOINT [options])",
				       arg);
			return -1;
		}
		st->positional[st->n_positional] = strdup(arg);
		if (!st->positional[st->n_positional]) {
			st->err = -ENOMEM;
			return -1;
		}
		st->n_positional++;
		return 0;
	case FUSE_OPT_KEY_OPT:
		/* Not ours: a FUSE option for libfuse, unless mount(8)'s. */
		return mount8_generic(arg) ? 0 : 1;
	default:
		/* -f, -d, -s...: for libfuse. */
		return 1;
	}
}

/* The value of environment variable @name, or NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Whether @s is fit to be part of a URL as we build it: no whitespace, no
 * control character, no query or fragment. */
static bool url_part_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f || c == '?' || c == '#')
			return false;
	}
	return true;
}

/* Append the '/'-separated segments of @path to @out at *pos, each as
 * "/segment": empty segments (leading, trailing, doubled '/') vanish. */
static void append_segments(char *out, size_t *pos, const char *path)
{
	while (*path) {
		size_t n;

		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n == 0)
			break;
		out[(*pos)++] = '/';
		memcpy(out + *pos, path, n);
		*pos += n;
		path += n;
	}
	out[*pos] = '\0';
}

int options_base_url(const char *server, const char *base_href, bool secure, char **ret_url)
{
	const char *scheme, *rest, *sep;
	size_t host_len, pos, size;
	char *url;

	if (!server || !*server || !url_part_ok(server) || (base_href && !url_part_ok(base_href)))
		return -EINVAL;

	sep = strstr(server, "://");
	if (sep) {
		size_t n = (size_t)(sep - server);
		if (n == 5 && strncasecmp(server, "https", 5) == 0)
			scheme = "https";
		else if (n == 4 && strncasecmp(server, "http", 4) == 0)
			scheme = "http";
		else
			return -EINVAL;
		rest = sep + 3;
	} else {
		scheme = secure ? "https" : "http";
		rest = server;
	}
	/* host[:port], then an optional path. No user:password@ - the URL is
	 * logged. */
	host_len = strcspn(rest, "/");
	if (host_len == 0 || memchr(rest, '@', host_len))
		return -EINVAL;

	size = strlen(scheme) + 3 + strlen(rest) + 1 + (base_href ? strlen(base_href) + 1 : 0) + 1;
	url = malloc(size);
	if (!url)
		return -ENOMEM;
	pos = (size_t)sprintf(url, "%s://%.*s", scheme, (int)host_len, rest);
	append_segments(url, &pos, rest + host_len);
	if (base_href)
		append_segments(url, &pos, base_href);
	*ret_url = url;
	return 0;
}

bool options_valid_namespace(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return name[0] != '-' && name[len - 1] != '-';
}

/* Split "a:b:c" into cfg->namespaces, each checked, duplicates dropped. */
static int parse_namespaces(const char *spec, const char *origin, struct argofs_config *cfg,
			    char **ret_msg)
{
	size_t max = 2;

	for (const char *p = spec; p && *p; p++)
		if (*p == ':')
			max++;
	cfg->namespaces = calloc(max, sizeof(char *));
	if (!cfg->namespaces)
		return -ENOMEM;
	cfg->n_namespaces = 0;
	if (!spec)
		return 0;

	for (const char *p = spec;;) {
		size_t n = strcspn(p, ":");
		char *name = strndup(p, n);
		bool dup = false;

		if (!name)
			return -ENOMEM;
		if (!options_valid_namespace(name)) {
			int r = fail(ret_msg, "invalid namespace '%s'%s (a DNS-1123 label: a-z, 0-9, '-')",
				     name, origin);
			free(name);
			return r;
		}
		for (size_t i = 0; i < cfg->n_namespaces; i++)
			dup = dup || strcmp(cfg->namespaces[i], name) == 0;
		if (dup)
			free(name);
		else
			cfg->namespaces[cfg->n_namespaces++] = name;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* Parse seconds: digits with an optional fraction or exponent (no sign,
 * no hex, no inf/nan), within [@min, MAX_SECONDS], strictly above @min
 * when @exclusive. */
static bool parse_seconds(const char *s, double min, bool exclusive, double *ret)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.') ||
	    s[strspn(s, "0123456789.eE+-")] != '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || (exclusive && v == min) ||
	    v > MAX_SECONDS)
		return false;
	*ret = v;
	return true;
}

/* Make *path absolute against the current directory (fuse_daemonize()
 * moves the daemon to "/"), without resolving symlinks: the token file's
 * Kubernetes symlinks are followed at each read. */
static int make_absolute(char **path, char **ret_msg)
{
	char *cwd, *abs;
	int n;

	if (!*path || (*path)[0] == '/')
		return 0;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return errno == ENOMEM ? -ENOMEM :
			fail(ret_msg, "cannot make '%s' absolute: %s", *path, strerror(errno));
	n = asprintf(&abs, "%s/%s", cwd, *path);
	free(cwd);
	if (n < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

/* Name the mount after @server as given, "fsname=SERVER,subtype=argofs",
 * unless the command line names it: /proc/mounts, df and findmnt then show
 * the server, the type stays fuse.argofs (libfuse adds subtype= only when
 * no fsname= is given), and `mount -a` recognises an fstab line as mounted. */
static int add_fsname(struct fuse_args *args, const char *server)
{
	char *opts = NULL, *name;
	int r = -ENOMEM;

	if (asprintf(&name, "fsname=%s", server) < 0)
		return -ENOMEM;
	if (fuse_opt_add_opt_escaped(&opts, name) == 0 && fuse_opt_add_opt(&opts, "subtype=argofs") == 0 &&
	    fuse_opt_add_arg(args, "-o") == 0 && fuse_opt_add_arg(args, opts) == 0)
		r = 0;
	free(name);
	free(opts);
	return r;
}

/* Move *p into the result (so that parse_state no longer frees it). */
static char *take(char **p)
{
	char *v = *p;

	*p = NULL;
	return v;
}

static int apply_token(struct parse_state *st, struct argofs_config *cfg, char **ret_msg)
{
	const char *raw, *sa;

	if (st->token_file) {
		if (!*st->token_file)
			return fail(ret_msg, "option 'token_file' needs a value (-o token_file=...)");
		cfg->token_file = take(&st->token_file);
		return 0;
	}
	raw = env("ARGO_TOKEN");
	if (raw) {
		char *check = NULL;
		int r = token_to_authorization(raw, strlen(raw), &check);

		token_value_free(check);
		if (r == -EINVAL)
			return fail(ret_msg, "invalid ARGO_TOKEN (blank, or holding control characters)");
		if (r < 0)
			return r;
		cfg->token_value = strdup(raw);
		return cfg->token_value ? 0 : -ENOMEM;
	}
	sa = env("ARGOFS_SA_TOKEN_FILE");
	if (!sa)
		sa = ARGOFS_SA_TOKEN_FILE;
	if (access(sa, F_OK) == 0) {
		cfg->token_file = strdup(sa);
		if (!cfg->token_file)
			return -ENOMEM;
	}
	return 0;
}

/* The Kubernetes API (webhook clients): kube_server=, else inside a pod the
 * cluster's (KUBERNETES_SERVICE_HOST/PORT) with the pod's service-account
 * token and CA. None of it: no Kubernetes API. */
static int apply_kube(struct parse_state *st, struct argofs_config *cfg, char **ret_msg)
{
	const char *host = env("KUBERNETES_SERVICE_HOST"), *port = env("KUBERNETES_SERVICE_PORT");
	const char *sa = env("ARGOFS_SA_TOKEN_FILE");
	int r;

	if (st->kube_server) {
		r = options_base_url(st->kube_server, NULL, true, &cfg->kube_url);
		if (r == -EINVAL)
			return fail(ret_msg, "invalid kube_server '%s' (host:port or https://host:port)",
				    st->kube_server);
	} else if (host && port) {
		r = asprintf(&cfg->kube_url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
			     host, port) < 0 ? -ENOMEM : 0;
	} else {
		return 0;
	}
	if (r < 0)
		return r;
	if (st->kube_token_file)
		cfg->kube_token_file = take(&st->kube_token_file);
	else if (access(sa ? sa : ARGOFS_SA_TOKEN_FILE, F_OK) == 0)
		cfg->kube_token_file = strdup(sa ? sa : ARGOFS_SA_TOKEN_FILE);
	if (st->kube_ca_file)
		cfg->kube_ca_file = take(&st->kube_ca_file);
	else if (access(ARGOFS_SA_CA_FILE, F_OK) == 0)
		cfg->kube_ca_file = strdup(ARGOFS_SA_CA_FILE);
	r = make_absolute(&cfg->kube_token_file, ret_msg);
	return r < 0 ? r : make_absolute(&cfg->kube_ca_file, ret_msg);
}

static int apply(struct parse_state *st, struct fuse_args *args, struct argofs_config *cfg,
		 char **ret_msg)
{
	const char *server = NULL, *base_href, *ns_spec, *ns_origin = "";
	const char *secure_env, *insecure_env;
	enum log_level level;
	int r;

	if (st->n_positional == 2)
		server = st->positional[0];
	if (st->help || st->version) {
		if (st->n_positional > 0 &&
		    fuse_opt_add_arg(args, st->positional[st->n_positional - 1]) != 0)
			return -ENOMEM;
		return 0;
	}
	if (st->n_positional == 0)
		return fail(ret_msg, "no mountpoint given (usage: argofs [SERVER] MOUNTPOINT [options])");

	if (server && st->server)
		return fail(ret_msg, "server given twice, as SERVER '%s' and as server='%s'", server,
			    st->server);
	if (st->server)
		server = st->server;
	if (!server)
		server = env("ARGO_SERVER");
	if (!server)
		return fail(ret_msg, "no server given (use SERVER, -o server=URL or ARGO_SERVER)");
	/* read_only is also a read-only mount: the kernel refuses every change */
	/* other users reach the mount with the owner's token: let the kernel
	 * enforce the modes argofs shows (docs/security.md) */
	if (st->allow_other && fuse_opt_add_arg(args, "-odefault_permissions") != 0)
		return -ENOMEM;
	if ((!st->fsname && add_fsname(args, server) < 0) ||
	    (st->read_only && fuse_opt_add_arg(args, "-oro") != 0) ||
	    fuse_opt_add_arg(args, st->positional[st->n_positional - 1]) != 0 ||
	    !(cfg->mountpoint = strdup(st->positional[st->n_positional - 1])))
		return -ENOMEM;

	base_href = st->base_href ? st->base_href : env("ARGO_BASE_HREF");
	if (base_href && !url_part_ok(base_href))
		return fail(ret_msg, "invalid base_href '%s'", base_href);
	secure_env = getenv("ARGO_SECURE");
	r = options_base_url(server, base_href,
			     !(secure_env && strcmp(secure_env, "false") == 0), &cfg->base_url);
	if (r == -EINVAL)
		return fail(ret_msg, "invalid server '%s' (host:port or http(s)://host:port[/path])",
			    server);
	if (r < 0)
		return r;

	insecure_env = getenv("ARGO_INSECURE_SKIP_VERIFY");
	cfg->insecure = st->insecure || (insecure_env && strcmp(insecure_env, "true") == 0);
	if (st->ca_file) {
		if (!*st->ca_file)
			return fail(ret_msg, "option 'ca_file' needs a value (-o ca_file=...)");
		cfg->ca_file = take(&st->ca_file);
	}

	r = apply_token(st, cfg, ret_msg);
	if (r < 0)
		return r;
	r = make_absolute(&cfg->token_file, ret_msg);
	if (r == 0)
		r = make_absolute(&cfg->ca_file, ret_msg);
	if (r < 0)
		return r;

	ns_spec = st->namespace;
	if (!ns_spec) {
		ns_spec = env("ARGO_NAMESPACE");
		ns_origin = " in ARGO_NAMESPACE";
	}
	r = parse_namespaces(ns_spec, ns_origin, cfg, ret_msg);
	if (r < 0)
		return r;

	if (st->timeout && !parse_seconds(st->timeout, 0.0, true, &cfg->timeout))
		return fail(ret_msg, "invalid timeout '%s' (seconds, more than 0 and at most %.0f)",
			    st->timeout, MAX_SECONDS);
	if (st->cache_ttl && !parse_seconds(st->cache_ttl, 0.0, false, &cfg->cache_ttl))
		return fail(ret_msg, "invalid cache_ttl '%s' (seconds, from 0 to %.0f)",
			    st->cache_ttl, MAX_SECONDS);
	if (st->log_level) {
		if (log_level_parse(st->log_level, &level) < 0)
			return fail(ret_msg, "invalid log_level '%s' (error, warn, info or debug)",
				    st->log_level);
		cfg->log_level = take(&st->log_level);
	}
	cfg->read_only = st->read_only;
	cfg->watch = !st->nowatch;
	return apply_kube(st, cfg, ret_msg);
}

static void parse_state_release(struct parse_state *st)
{
	free(st->server);
	free(st->base_href);
	free(st->token_file);
	free(st->ca_file);
	free(st->kube_server);
	free(st->kube_token_file);
	free(st->kube_ca_file);
	free(st->namespace);
	free(st->timeout);
	free(st->cache_ttl);
	free(st->log_level);
	free(st->positional[0]);
	free(st->positional[1]);
	free(st->msg);
}

int options_parse(struct fuse_args *args, struct argofs_config *cfg, char **ret_msg)
{
	struct parse_state st = { 0 };
	char *msg = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = ARGOFS_DEFAULT_TIMEOUT;
	cfg->cache_ttl = ARGOFS_DEFAULT_CACHE_TTL;
	*ret_msg = NULL;

	if (fuse_opt_parse(args, &st, option_table, option_proc) != 0) {
		if (st.err < 0) {
			r = st.err;
			msg = take(&st.msg);
		} else {
			/* fuse_opt has printed why ("missing argument after -o"). */
			r = fail(&msg, "cannot parse the command line");
		}
		goto out;
	}
	cfg->show_help = st.help;
	cfg->show_version = st.version;
	r = apply(&st, args, cfg, &msg);
out:
	parse_state_release(&st);
	if (r < 0) {
		options_free(cfg);
		*ret_msg = msg;
	}
	return r;
}

void options_free(struct argofs_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->mountpoint);
	free(cfg->base_url);
	free(cfg->token_file);
	token_value_free(cfg->token_value);
	free(cfg->ca_file);
	free(cfg->kube_url);
	free(cfg->kube_token_file);
	free(cfg->kube_ca_file);
	for (size_t i = 0; i < cfg->n_namespaces; i++)
		free(cfg->namespaces[i]);
	free(cfg->namespaces);
	free(cfg->log_level);
	memset(cfg, 0, sizeof(*cfg));
}
