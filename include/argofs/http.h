/*
 * http.h - HTTPS requests to the Argo Server with libcurl.
 *
 * One client per mount, shared by all FUSE threads. A request borrows an
 * easy handle from the client's small pool and gives it back reset, with its
 * keep-alive connection still open, so later requests from any thread reuse
 * connections. DNS results and TLS sessions are shared between the handles
 * through a curl share handle. The connection cache is deliberately not in
 * the share: libcurl does not support a shared connection cache used by
 * concurrent threads (CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT). HTTP/2 is
 * used where the server offers it over TLS. Every request has a timeout and
 * every reply body a size cap (counted after any gzip decoding). The
 * Authorization value comes from the token source on each request; after a
 * 401 the source is invalidated and the request retried once if it then
 * gives a different value.
 *
 * The program must have called curl_global_init() and must ignore SIGPIPE
 * (fuse_set_signal_handlers() does): the client sets CURLOPT_NOSIGNAL, so
 * libcurl leaves signals alone.
 *
 * The client borrows the token source (the caller keeps it alive longer
 * than the client). Responses own their body; http_response_release() frees it.
 */
#ifndef ARGOFS_HTTP_H
#define ARGOFS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct token_source;

#define HTTP_MAX_BODY (64u * 1024 * 1024) /* default reply cap, bytes */

struct http_config {
	const char *base_url;          /* "https://host:port[/base]", no trailing '/' (copied) */
	struct token_source *token;    /* borrowed; NULL sends no Authorization */
	bool insecure;                 /* skip TLS verification */
	const char *ca_file;           /* CA bundle (PEM), or NULL (copied); replaces
					* libcurl's default bundle file, its default
					* CA directory still applies */
	long timeout_ms;               /* whole-request timeout, > 0 */
	size_t max_body;               /* reply cap; 0 = HTTP_MAX_BODY */
};

struct http_client;

struct http_response {
	long status;        /* HTTP status */
	char *body;         /* NUL-terminated, owned; may be "" */
	size_t len;
};

/* Returns 0 and a client in *ret_client, -EINVAL (bad config: base_url not
 * http:// or https://, with a trailing '/', a space or a control character;
 * timeout_ms <= 0; max_body > SIZE_MAX / 4) or -ENOMEM. */
int http_client_new(const struct http_config *cfg, struct http_client **ret_client);

/* NULL is fine. No request may be in flight. */
void http_client_free(struct http_client *client);

/*
 * Send METHOD (GET, POST, PUT, PATCH or DELETE) @path_and_query (starting
 * with '/', already URL-encoded, no spaces or control characters; appended to
 * the base URL) with an optional JSON body of @body_len bytes (@body may be
 * NULL; POST, PUT and PATCH then send an empty body). A request with a body
 * carries "Content-Type: application/json"; every request carries "Accept:
 * application/json". Returns 0 when an HTTP reply arrived, whatever its status
 * (see resp->status), with the body in @resp; otherwise a negative errno:
 * from errmap_curl() (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EPROTO for
 * TLS failures, -ECONNRESET, -EFBIG over the cap, -EIO), -EACCES when the
 * token source has no value (file missing, unreadable, empty), -EINVAL for
 * bad arguments, -ENOMEM. On failure, when @ret_detail is not NULL, it gets
 * a malloc'd readable reason that the caller frees, e.g.
 * "https://host:2746/api/v1/info: SSL certificate problem: self-signed
 * certificate" (base URL, path and curl's message; never a header, never the
 * token); it is NULL on success. @resp is zeroed first and holds nothing to
 * release on failure.
 */
int http_request(struct http_client *client, const char *method,
		 const char *path_and_query, const char *body, size_t body_len,
		 struct http_response *resp, char **ret_detail);

/* http_request() with a body of @content_type (NULL: application/json), e.g.
 * "application/merge-patch+json" for a Kubernetes PATCH. -EINVAL for a
 * content type with CR/LF or over 100 bytes. */
int http_request_as(struct http_client *client, const char *method,
		    const char *path_and_query, const char *content_type,
		    const char *body, size_t body_len,
		    struct http_response *resp, char **ret_detail);

/*
 * Stream GET @path_and_query, asking for the media type @accept (NULL:
 * application/json; "text/event-stream" makes an Argo Server send keepalives
 * while idle): @on_data is called with each piece of the body as it arrives
 * (not split on lines); it returns 0 to go on or non-zero to stop (then the
 * call returns 0). While a 2xx reply is open, @on_data also gets a tick,
 * (NULL, 0), about once a second, so that it can stop a quiet stream. No
 * overall timeout applies, but when no body byte
 * arrives for longer than @silence_ms or the client's timeout, whichever is
 * longer (counted from the start while waiting for the reply, then from the
 * last byte; any byte, an SSE keepalive too, counts) the connection is
 * abandoned with -ETIMEDOUT. The body of a 2xx reply is not capped. When
 * the status is not 2xx, the (capped) body is collected into @resp instead
 * of being passed to @on_data; after a 2xx, resp->body is "". @on_data must
 * not be NULL (-EINVAL). Returns as http_request().
 */
typedef int (*http_data_cb)(const char *data, size_t len, void *userdata);
int http_stream(struct http_client *client, const char *path_and_query,
		const char *accept, long silence_ms, http_data_cb on_data, void *userdata,
		struct http_response *resp, char **ret_detail);

/* End every stream of @client, running or to come, within about a second:
 * they return -ECANCELED. For shutdown: followers and watchers can then be
 * joined at once. Thread-safe. */
void http_client_cancel_streams(struct http_client *client);

/* Free the body; @resp may be zeroed or NULL. */
void http_response_release(struct http_response *resp);

/* Number of requests that reached the server since the client was made,
 * 401 retries included; a connection that failed before the request went out
 * is not counted (for tests/benchmarks). */
unsigned long http_client_request_count(const struct http_client *client);

/* The client's timeout (milliseconds): what one operation may take. */
long http_client_timeout_ms(const struct http_client *client);

#endif
