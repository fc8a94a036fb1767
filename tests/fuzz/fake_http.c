/*
 * fake_http.c - the scripted server of fake_http.h. One script at a time
 * (fuzz targets run inputs one after the other); the state is this file's.
 */
#include "fake_http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "argofs/http.h"
#include "fuzz.h"

struct http_client {
	const char *next, *end;     /* the pieces not served yet */
	fake_http_hook hook;
	void *userdata;
};

static struct http_client server;

struct http_client *fake_http_start(const char *script, size_t size, fake_http_hook hook,
				    void *userdata)
{
	server = (struct http_client){ .next = script, .end = script + size,
				       .hook = hook, .userdata = userdata };
	return &server;
}

/* The status a piece starts with (see fake_http.h); negative: the errno of
 * a transport failure. */
static long reply_status(unsigned char c)
{
	static const long table[] = {
		200, 201, 204, 400, 401, 403, 404, 409, 413, 429, 500, 503, 504,
		302, 100, 0, -ECONNRESET, -ETIMEDOUT, -EFBIG, -EPROTO,
	};
	unsigned i = (unsigned)c - '0';

	return i < sizeof(table) / sizeof(table[0]) ? table[i] : 200;
}

/* A path argofs may send: /api/v1/..., no empty, "." or ".." segment in
 * the path part, no byte that would need quoting in a request line. */
static bool path_ok(const char *path)
{
	size_t n = strcspn(path, "?");

	if (strncmp(path, "/api/v1/", 8) != 0)
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	for (const char *seg = path + 1; seg < path + n;) {
		size_t len = strcspn(seg, "/?");

		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		seg += len + 1;
	}
	return true;
}

/* Check the request, show it to the hook, and serve the next piece: 0 with
 * its status and body in @resp, or the negative errno of a transport
 * failure (with *ret_detail set). */
static int serve(struct http_client *client, const struct fake_request *rq,
		 struct http_response *resp, char **ret_detail)
{
	const char *piece;
	size_t len;
	long status;

	FUZZ_CHECK(client == &server && resp != NULL);
	FUZZ_CHECK(path_ok(rq->path));
	FUZZ_CHECK(!rq->body || strlen(rq->body) == rq->body_len);
	FUZZ_CHECK(strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "DELETE") == 0 ||
		   strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0);
	if (client->hook)
		client->hook(rq, client->userdata);
	memset(resp, 0, sizeof(*resp));
	if (ret_detail)
		*ret_detail = NULL;
	if (client->next >= client->end) {
		if (ret_detail)
			*ret_detail = strdup("connection refused");
		return -ECONNREFUSED;
	}
	piece = client->next;
	len = strnlen(piece, (size_t)(client->end - piece));
	client->next = piece + len + 1;
	status = len > 0 ? reply_status((unsigned char)piece[0]) : 200;
	if (status < 0) {
		if (ret_detail)
			*ret_detail = strdup("transport failure");
		return (int)status;
	}
	resp->status = status;
	resp->body = strndup(len > 0 ? piece + 1 : "", len > 0 ? len - 1 : 0);
	FUZZ_CHECK(resp->body != NULL);
	resp->len = strlen(resp->body);
	return 0;
}

int http_request(struct http_client *client, const char *method,
		 const char *path_and_query, const char *body, size_t body_len,
		 struct http_response *resp, char **ret_detail)
{
	struct fake_request rq = { method, path_and_query, body, body_len };

	return serve(client, &rq, resp, ret_detail);
}

long http_client_timeout_ms(const struct http_client *client)
{
	(void)client;
	return 1000;
}

int http_request_as(struct http_client *client, const char *method,
		    const char *path_and_query, const char *content_type,
		    const char *body, size_t body_len,
		    struct http_response *resp, char **ret_detail)
{
	(void)content_type;
	return http_request(client, method, path_and_query, body, body_len, resp, ret_detail);
}

int http_stream(struct http_client *client, const char *path_and_query,
		const char *accept, long silence_ms, http_data_cb on_data, void *userdata,
		struct http_response *resp, char **ret_detail)
{
	static const size_t chunks[] = { 1, 5, 2, 64, 3, 4096 };
	struct fake_request rq = { "GET", path_and_query, NULL, 0 };
	size_t off = 0, i = 0;
	int r;

	(void)accept;
	(void)silence_ms;
	r = serve(client, &rq, resp, ret_detail);
	if (r < 0 || resp->status < 200 || resp->status >= 300)
		return r;
	while (off < resp->len) {
		size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];

		n = n < resp->len - off ? n : resp->len - off;
		if (on_data(resp->body + off, n, userdata) != 0)
			break;
		off += n;
	}
	resp->body[0] = '\0'; /* after a 2xx the body went to on_data */
	resp->len = 0;
	return 0;
}

void http_response_release(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
