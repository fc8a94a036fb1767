/*
 * http.c - requests to the Argo Server with libcurl, for every FUSE thread.
 *
 * Design. A client keeps a small pool of idle easy handles behind a mutex. A
 * request takes one (or makes one), sets every option afresh, performs, then
 * resets the handle with curl_easy_reset() and puts it back. The reset drops
 * every option that pointed into the finished request but keeps the handle's
 * live connections, so the next request - from whatever thread - reuses the
 * keep-alive connection of the handle it gets (the pool is LIFO to favour
 * warm connections). A handle whose transfer failed has had its connection
 * closed by libcurl and is as good as new after the reset.
 *
 * All handles share one CURLSH holding the DNS cache and the TLS sessions, so
 * a handle that must open a new connection resumes the TLS session. The
 * connection cache itself is NOT put in the share: libcurl documents that a
 * shared connection cache must not be used by concurrent threads
 * (CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT; worst with HTTP/2, where another
 * thread could be handed a connection still in use). Keeping the connections
 * in the pooled handles gives the same reuse without that hazard.
 *
 * Memory. The client owns copies of the base URL and CA file, the share, the
 * idle handles and one mutex per curl_lock_data; it borrows the token source.
 * A request owns its URL, header list and reply buffer; the reply buffer is
 * handed to the caller's struct http_response on success. Every buffer that
 * held the Authorization value (our copy, the header line, the header list
 * nodes) is wiped before it is freed, and the value is never logged.
 */
#include "argofs/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "argofs/errmap.h"
#include "argofs/log.h"
#include "argofs/token.h"

#define HTTP_POOL_MAX 16                    /* idle easy handles kept per client */
#define HTTP_CONNECT_TIMEOUT_MAX_MS 10000L  /* TCP + TLS set-up, at most */
#define HTTP_KEEPIDLE_S 30L                 /* TCP keepalive: first probe after */
#define HTTP_KEEPINTVL_S 10L                /* TCP keepalive: probe interval */
#define HTTP_REPLY_INITIAL 4096             /* first reply buffer size */

struct http_client {
	char *base_url;                 /* owned, immutable */
	char *ca_file;                  /* owned or NULL, immutable */
	struct token_source *token;     /* borrowed or NULL */
	bool insecure;
	long timeout_ms;
	long connect_timeout_ms;
	size_t max_body;

	CURLSH *share;                  /* DNS cache and TLS sessions */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST]; /* one per curl_lock_data */

	pthread_mutex_t pool_lock;      /* guards idle[] and n_idle */
	CURL *idle[HTTP_POOL_MAX];      /* reset handles; the last is the warmest */
	size_t n_idle;

	atomic_ulong n_sent;            /* requests that reached the server */
	atomic_bool streams_cancelled;  /* http_client_cancel_streams() was called */
};

/* What the caller asked for; borrowed for the duration of one call. */
struct request {
	const char *method;
	const char *path;           /* starts with '/' */
	const char *content_type;   /* of the body; NULL: application/json */
	const char *accept;         /* media type asked for; NULL: application/json */
	const char *body;           /* NULL: none */
	size_t body_len;
	bool send_body;             /* body, or an empty one for POST/PUT/PATCH */
	bool stream;                /* http_stream(): on_data gets a 2xx body */
	long silence_ms;            /* a stream with no data this long is dead */
	http_data_cb on_data;
	void *userdata;
};

/* One attempt of a request on one easy handle. */
struct transfer {
	const struct http_client *client;
	const struct request *rq;
	CURL *easy;
	char *buf;                  /* collected reply, owned; NULL until data */
	size_t len, cap;
	long status;                /* HTTP status once the attempt is over */
	int write_err;              /* -EFBIG or -ENOMEM: the write callback gave up */
	bool stopped;               /* on_data asked to stop */
	bool silent;                /* stream abandoned: no data for rq->silence_ms */
	bool cancelled;             /* stream abandoned: http_client_cancel_streams() */
	int64_t last_data_ms;       /* CLOCK_MONOTONIC of the start or last data */
	int64_t last_tick_ms;       /* of the last tick given to on_data */
	char errbuf[CURL_ERROR_SIZE];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Store a malloc'd message in *ret_detail when the caller wants one. */
static void set_detail(char **ret_detail, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_detail(char **ret_detail, const char *fmt, ...)
{
	va_list ap;

	if (!ret_detail)
		return;
	va_start(ap, fmt);
	if (vasprintf(ret_detail, fmt, ap) < 0)
		*ret_detail = NULL;
	va_end(ap);
}

/* Whether @s holds a byte that has no place in a URL or a request line. */
static bool has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* ---- share handle and pool ---------------------------------------------- */

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *userp)
{
	struct http_client *client = userp;

	(void)easy;
	(void)access;
	pthread_mutex_lock(&client->share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *userp)
{
	struct http_client *client = userp;

	(void)easy;
	pthread_mutex_unlock(&client->share_locks[data]);
}

/* Initialise all mutexes of a zeroed client, or none. Returns 0 or -ENOMEM. */
static int client_locks_init(struct http_client *client)
{
	size_t i;

	if (pthread_mutex_init(&client->pool_lock, NULL) != 0)
		return -ENOMEM;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		if (pthread_mutex_init(&client->share_locks[i], NULL) != 0)
			break;
	if (i == CURL_LOCK_DATA_LAST)
		return 0;
	while (i-- > 0)
		pthread_mutex_destroy(&client->share_locks[i]);
	pthread_mutex_destroy(&client->pool_lock);
	return -ENOMEM;
}

static int client_share_init(struct http_client *client)
{
	client->share = curl_share_init();
	if (!client->share)
		return -ENOMEM;
	if (curl_share_setopt(client->share, CURLSHOPT_USERDATA, client) != CURLSHE_OK ||
	    curl_share_setopt(client->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(client->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
		return -ENOMEM;
	return 0;
}

/* An idle handle (warm connection first) or a new one attached to the
 * share. NULL when out of memory. */
static CURL *pool_acquire(struct http_client *client)
{
	CURL *easy = NULL;

	pthread_mutex_lock(&client->pool_lock);
	if (client->n_idle > 0)
		easy = client->idle[--client->n_idle];
	pthread_mutex_unlock(&client->pool_lock);
	if (easy)
		return easy;

	easy = curl_easy_init();
	if (easy && curl_easy_setopt(easy, CURLOPT_SHARE, client->share) != CURLE_OK) {
		curl_easy_cleanup(easy);
		easy = NULL;
	}
	return easy;
}

/* Reset @easy (options go, connections and the share stay) and keep it for
 * the next request, or clean it up when the pool is full. */
static void pool_release(struct http_client *client, CURL *easy)
{
	curl_easy_reset(easy);
	pthread_mutex_lock(&client->pool_lock);
	if (client->n_idle < HTTP_POOL_MAX) {
		client->idle[client->n_idle++] = easy;
		easy = NULL;
	}
	pthread_mutex_unlock(&client->pool_lock);
	curl_easy_cleanup(easy); /* NULL is fine */
}

/* ---- client ------------------------------------------------------------- */

static bool base_url_valid(const char *url)
{
	size_t scheme, len;

	if (!url)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		scheme = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		scheme = 7;
	else
		return false;
	len = strlen(url);
	return len > scheme && url[len - 1] != '/' && !has_space_or_control(url);
}

int http_client_new(const struct http_config *cfg, struct http_client **ret_client)
{
	struct http_client *client;
	int r;

	if (!cfg || !ret_client || !base_url_valid(cfg->base_url) || cfg->timeout_ms <= 0 ||
	    cfg->max_body > SIZE_MAX / 4)
		return -EINVAL;

	client = calloc(1, sizeof(*client));
	if (!client)
		return -ENOMEM;
	if (client_locks_init(client) < 0) {
		free(client);
		return -ENOMEM;
	}
	client->token = cfg->token;
	client->insecure = cfg->insecure;
	client->timeout_ms = cfg->timeout_ms;
	client->connect_timeout_ms = cfg->timeout_ms < HTTP_CONNECT_TIMEOUT_MAX_MS ?
		cfg->timeout_ms : HTTP_CONNECT_TIMEOUT_MAX_MS;
	client->max_body = cfg->max_body ? cfg->max_body : HTTP_MAX_BODY;
	atomic_init(&client->n_sent, 0);

	r = -ENOMEM;
	client->base_url = strdup(cfg->base_url);
	if (!client->base_url)
		goto fail;
	if (cfg->ca_file) {
		client->ca_file = strdup(cfg->ca_file);
		if (!client->ca_file)
			goto fail;
	}
	r = client_share_init(client);
	if (r < 0)
		goto fail;

	*ret_client = client;
	return 0;

fail:
	http_client_free(client);
	return r;
}

void http_client_free(struct http_client *client)
{
	if (!client)
		return;
	/* Handles first: a share cannot go while handles use it. */
	for (size_t i = 0; i < client->n_idle; i++)
		curl_easy_cleanup(client->idle[i]);
	if (client->share && curl_share_cleanup(client->share) != CURLSHE_OK)
		log_error("http: client freed while a request is in flight");
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&client->share_locks[i]);
	pthread_mutex_destroy(&client->pool_lock);
	free(client->ca_file);
	free(client->base_url);
	free(client);
}

long http_client_timeout_ms(const struct http_client *client)
{
	return client->timeout_ms;
}

void http_client_cancel_streams(struct http_client *client)
{
	atomic_store(&client->streams_cancelled, true);
}

unsigned long http_client_request_count(const struct http_client *client)
{
	/* C11 atomic_load() takes no pointer to const; the client itself is
	 * never a const object, so casting the qualifier away is defined. */
	return atomic_load(&((struct http_client *)client)->n_sent);
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

/* ---- one transfer ------------------------------------------------------- */

/* Append to the collected reply. Returns 0, -EFBIG past the cap, -ENOMEM. */
static int reply_append(struct transfer *t, const char *data, size_t n)
{
	size_t max = t->client->max_body;

	if (n > max - t->len)
		return -EFBIG;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : HTTP_REPLY_INITIAL;
		char *buf;

		while (cap < t->len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		buf = realloc(t->buf, cap);
		if (!buf)
			return -ENOMEM;
		t->buf = buf;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

static bool reply_is_success(CURL *easy)
{
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	return status >= 200 && status < 300;
}

/* Body bytes: to on_data for a 2xx stream, else into the capped buffer.
 * Returning less than given makes libcurl stop with CURLE_WRITE_ERROR;
 * t->stopped or t->write_err then says why. */
static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	int r;

	t->last_data_ms = now_ms();
	if (t->rq->stream && reply_is_success(t->easy)) {
		if (t->rq->on_data(data, n, t->rq->userdata) != 0) {
			t->stopped = true;
			return 0;
		}
		return n;
	}
	r = reply_append(t, data, n);
	if (r < 0) {
		t->write_err = r;
		return 0;
	}
	return n;
}

/* Streams only: called about once a second even when nothing arrives.
 * Any body byte counts as life (an SSE keepalive too); an average rate
 * would not, which is why CURLOPT_LOW_SPEED_* is not used here. Once a 2xx
 * reply is open, on_data gets its tick (NULL, 0) here once a second. */
static int xferinfo_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userp;
	int64_t now = now_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (atomic_load(&t->client->streams_cancelled)) {
		t->cancelled = true;
		return 1;
	}
	if (now - t->last_data_ms > t->rq->silence_ms) {
		t->silent = true;
		return 1;
	}
	if (now - t->last_tick_ms >= 1000 && reply_is_success(t->easy)) {
		t->last_tick_ms = now;
		if (t->rq->on_data(NULL, 0, t->rq->userdata) != 0) {
			t->stopped = true;
			return 1;
		}
	}
	return 0;
}

static void headers_free(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

/* curl_slist_append() leaves the list as it was when it fails. */
static int headers_add(struct curl_slist **headers, const char *line)
{
	struct curl_slist *list = curl_slist_append(*headers, line);

	if (!list)
		return -ENOMEM;
	*headers = list;
	return 0;
}

/* The request headers; @auth (may be NULL) is the Authorization value.
 * Returns 0 and a list for headers_free(), or -ENOMEM. */
static int headers_build(const struct request *rq, const char *auth, struct curl_slist **ret_headers)
{
	struct curl_slist *headers = NULL;
	char accept[128];
	int r;

	snprintf(accept, sizeof(accept), "Accept: %s", rq->accept ? rq->accept : "application/json");
	r = headers_add(&headers, accept);
	if (r == 0) /* no 100-continue round trip before a large body */
		r = headers_add(&headers, "Expect:");
	if (r == 0 && rq->send_body) {
		char line[128];

		snprintf(line, sizeof(line), "Content-Type: %s",
			 rq->content_type ? rq->content_type : "application/json");
		r = headers_add(&headers, line);
	}
	if (r == 0 && auth) {
		char *line;
		int n = asprintf(&line, "Authorization: %s", auth);

		if (n < 0) {
			r = -ENOMEM;
		} else {
			r = headers_add(&headers, line);
			explicit_bzero(line, (size_t)n);
			free(line);
		}
	}
	if (r < 0) {
		headers_free(headers);
		return r;
	}
	*ret_headers = headers;
	return 0;
}

/*
 * Set every option of @t's handle for @url. Options with a valid value
 * cannot fail; the ones that copy a string can (out of memory), so only
 * those are checked. HTTP/2 is only asked for: a libcurl without it falls
 * back to HTTP/1.1.
 */
static CURLcode easy_setup(const struct http_client *client, struct transfer *t,
			   const char *url, struct curl_slist *headers)
{
	const struct request *rq = t->rq;
	CURL *easy = t->easy;
	CURLcode rc;

	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, HTTP_KEEPIDLE_S);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, HTTP_KEEPINTVL_S);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, client->insecure ? 0L : 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, client->insecure ? 0L : 2L);

	if (rq->stream) {
		/* No overall timeout; silence is watched by xferinfo_cb. */
		curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		curl_easy_setopt(easy, CURLOPT_XFERINFODATA, t);
	} else {
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, client->timeout_ms);
		/* Refuses at once a reply whose Content-Length is over the cap;
		 * write_cb enforces it for chunked and compressed replies. */
		curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)client->max_body);
		rc = curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
		if (rc != CURLE_OK)
			return rc;
	}

	if (rq->send_body) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	} else {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	}
	if (strcmp(rq->method, rq->send_body ? "POST" : "GET") != 0) {
		rc = curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, rq->method);
		if (rc != CURLE_OK)
			return rc;
	}
	if (client->ca_file) {
		rc = curl_easy_setopt(easy, CURLOPT_CAINFO, client->ca_file);
		if (rc != CURLE_OK)
			return rc;
	}
	return curl_easy_setopt(easy, CURLOPT_URL, url);
}

/* The errno for a failed attempt, and its reason in *ret_detail. */
static int transfer_error(const struct transfer *t, CURLcode code, const char *url,
			  char **ret_detail)
{
	char reason[CURL_ERROR_SIZE + 64];
	int r;

	if (t->write_err == -ENOMEM) {
		r = -ENOMEM;
		snprintf(reason, sizeof(reason), "out of memory for the reply");
	} else if (t->write_err == -EFBIG || code == CURLE_FILESIZE_EXCEEDED) {
		r = errmap_curl(CURLE_FILESIZE_EXCEEDED);
		snprintf(reason, sizeof(reason), "reply larger than %zu bytes", t->client->max_body);
	} else if (t->cancelled) {
		r = -ECANCELED;
		snprintf(reason, sizeof(reason), "stream cancelled");
	} else if (t->silent) {
		r = errmap_curl(CURLE_OPERATION_TIMEDOUT);
		snprintf(reason, sizeof(reason), "no data for %ld ms", t->rq->silence_ms);
	} else {
		r = errmap_curl(code);
		snprintf(reason, sizeof(reason), "%s",
			 t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
	}
	set_detail(ret_detail, "%s: %s", url, reason);
	return r;
}

/*
 * One attempt of t->rq with @auth (may be NULL). Returns 0 when a reply
 * arrived (t->status, t->buf) or the stream was stopped by on_data, else a
 * negative errno with *ret_detail set. t->buf is the caller's to free either
 * way.
 */
static int transfer_attempt(struct http_client *client, struct transfer *t,
			    const char *url, const char *auth, char **ret_detail)
{
	struct curl_slist *headers = NULL;
	curl_off_t sent = 0;
	CURLcode code;
	int r;

	free(t->buf);
	*t = (struct transfer){ .client = client, .rq = t->rq, .easy = t->easy };

	r = headers_build(t->rq, auth, &headers);
	if (r < 0) {
		set_detail(ret_detail, "%s: out of memory", url);
		return r;
	}
	code = easy_setup(client, t, url, headers);
	if (code == CURLE_OK) {
		t->last_data_ms = t->last_tick_ms = now_ms();
		code = curl_easy_perform(t->easy);
		/* Counted when request bytes went out: not for a refused or
		 * timed-out connect. */
		if (curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent > 0)
			atomic_fetch_add(&client->n_sent, 1);
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
	}
	/* The handle still points at the list; it is reset before reuse. */
	headers_free(headers);

	if (code == CURLE_OK || ((code == CURLE_WRITE_ERROR || code == CURLE_ABORTED_BY_CALLBACK) &&
				  t->stopped))
		return 0;
	return transfer_error(t, code, url, ret_detail);
}

/*
 * After a 401: make the token source re-read its file. Returns true when it
 * now gives a different value, which replaces *auth (the old one wiped).
 */
static bool token_rotated(struct http_client *client, char **auth)
{
	char *fresh = NULL;

	token_source_invalidate(client->token);
	if (token_source_authorization(client->token, &fresh) < 0)
		return false;
	if (strcmp(fresh, *auth) == 0) {
		token_value_free(fresh);
		return false;
	}
	token_value_free(*auth);
	*auth = fresh;
	return true;
}

static bool method_valid(const char *method, bool *ret_always_body)
{
	static const struct {
		const char *name;
		bool always_body;   /* sends an empty body when given none */
	} methods[] = {
		{ "GET", false }, { "DELETE", false },
		{ "POST", true }, { "PUT", true }, { "PATCH", true },
	};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (method && strcmp(method, methods[i].name) == 0) {
			*ret_always_body = methods[i].always_body;
			return true;
		}
	}
	return false;
}

static int run(struct http_client *client, struct request *rq,
	       struct http_response *resp, char **ret_detail)
{
	struct transfer t = { .client = client, .rq = rq };
	char *url = NULL, *auth = NULL;
	bool always_body = false;
	int r;

	if (ret_detail)
		*ret_detail = NULL;
	if (!resp)
		return -EINVAL;
	memset(resp, 0, sizeof(*resp));
	if (!client || !method_valid(rq->method, &always_body) || !rq->path ||
	    rq->path[0] != '/' || has_space_or_control(rq->path) ||
	    (!rq->body && rq->body_len > 0) || (rq->stream && !rq->on_data)) {
		set_detail(ret_detail, "invalid request");
		return -EINVAL;
	}
	rq->send_body = rq->body || always_body;

	if (asprintf(&url, "%s%s", client->base_url, rq->path) < 0) {
		url = NULL;
		r = -ENOMEM;
		set_detail(ret_detail, "out of memory");
		goto out;
	}
	if (client->token) {
		r = token_source_authorization(client->token, &auth);
		if (r < 0) {
			/* EACCES, not the file's ENOENT: the object exists,
			 * we may not see it. */
			set_detail(ret_detail, "%s: no authorization token: %s", url, strerror(-r));
			r = r == -ENOMEM ? r : -EACCES;
			goto out;
		}
	}
	t.easy = pool_acquire(client);
	if (!t.easy) {
		r = -ENOMEM;
		set_detail(ret_detail, "%s: out of memory", url);
		goto out;
	}

	r = transfer_attempt(client, &t, url, auth, ret_detail);
	if (r == 0 && t.status == 401 && auth && token_rotated(client, &auth))
		r = transfer_attempt(client, &t, url, auth, ret_detail);
	pool_release(client, t.easy);

	if (r == 0 && !t.buf) {
		t.buf = calloc(1, 1);
		if (!t.buf) {
			r = -ENOMEM;
			set_detail(ret_detail, "%s: out of memory", url);
		}
	}
	if (r == 0) {
		resp->status = t.status;
		resp->body = t.buf;
		resp->len = t.len;
		t.buf = NULL;
		log_debug("http: %s %s: %ld", rq->method, url, resp->status);
	} else {
		log_debug("http: %s %s: %s", rq->method, url, strerror(-r));
	}

out:
	free(t.buf);
	token_value_free(auth);
	free(url);
	return r;
}

int http_request(struct http_client *client, const char *method,
		 const char *path_and_query, const char *body, size_t body_len,
		 struct http_response *resp, char **ret_detail)
{
	return http_request_as(client, method, path_and_query, NULL, body, body_len, resp,
			       ret_detail);
}

int http_request_as(struct http_client *client, const char *method,
		    const char *path_and_query, const char *content_type,
		    const char *body, size_t body_len,
		    struct http_response *resp, char **ret_detail)
{
	struct request rq = {
		.method = method,
		.path = path_and_query,
		.content_type = content_type,
		.body = body,
		.body_len = body_len,
	};

	if (content_type && (strlen(content_type) > 100 || strpbrk(content_type, "\r\n")))
		return -EINVAL;
	return run(client, &rq, resp, ret_detail);
}

int http_stream(struct http_client *client, const char *path_and_query,
		const char *accept, long silence_ms, http_data_cb on_data, void *userdata,
		struct http_response *resp, char **ret_detail)
{
	struct request rq = {
		.method = "GET",
		.path = path_and_query,
		.accept = accept,
		.stream = true,
		.silence_ms = silence_ms > client->timeout_ms ? silence_ms : client->timeout_ms,
		.on_data = on_data,
		.userdata = userdata,
	};

	if (accept && (strlen(accept) > 100 || strpbrk(accept, "\r\n")))
		return -EINVAL;
	return run(client, &rq, resp, ret_detail);
}
