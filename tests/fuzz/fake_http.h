/*
 * fake_http.h - a scripted Argo Server for the fuzz targets that drive the
 * API client (src/api.c) and what is built on it (model, runs).
 *
 * fake_http.c defines the functions of http.h that src/api.c calls
 * (http_request, http_stream, http_response_release), so a target that
 * links it gets them from there and the linker never pulls src/http.c out
 * of the static library: no network, no libcurl. Should api.c start calling
 * another http.h function, linking fails with "multiple definition": define
 * it in fake_http.c too.
 *
 * Replies come from a script: pieces cut at NUL bytes, each answering one
 * request in turn. A piece's first byte picks the status ('0' 200, '1' 201,
 * '2' 204, '3' 400, '4' 401, '5' 403, '6' 404, '7' 409, '8' 413, '9' 429,
 * ':' 500, ';' 503, '<' 504, '=' 302, '>' 100, '?' 0, '@' ECONNRESET,
 * 'A' ETIMEDOUT, 'B' EFBIG, 'C' EPROTO as a transport failure; any other
 * byte 200), the rest is the body. A stream gets its body in small chunks
 * of changing size. When the pieces run out, connections are refused.
 *
 * Every request is checked (FUZZ_CHECK): a path of the API, with no empty,
 * "." or ".." segment and no space or control character, a known method,
 * a body of the length given. A hook sees each request before it is
 * answered, for the target's own checks.
 */
#ifndef ARGOFS_FAKE_HTTP_H
#define ARGOFS_FAKE_HTTP_H

#include <stddef.h>

struct http_client;

struct fake_request {
	const char *method;
	const char *path;       /* with the query */
	const char *body;       /* NULL when none */
	size_t body_len;
};

typedef void (*fake_http_hook)(const struct fake_request *rq, void *userdata);

/* The client to hand to api.c, answering from @script (@size bytes,
 * borrowed until the next call). @hook may be NULL. */
struct http_client *fake_http_start(const char *script, size_t size, fake_http_hook hook,
				    void *userdata);

#endif
