/*
 * errmap.h - the one table that turns HTTP statuses and transport failures
 * into errno values. docs/filesystem.md documents the same table for users;
 * keep them in step.
 */
#ifndef ARGOFS_ERRMAP_H
#define ARGOFS_ERRMAP_H

#include <curl/curl.h>

/* What the request was trying to do: a 409 means "exists" on create and
 * "someone else changed it" on update. */
enum errmap_op {
	ERRMAP_OP_READ = 0,
	ERRMAP_OP_CREATE,
	ERRMAP_OP_UPDATE,
	ERRMAP_OP_DELETE,
	ERRMAP_OP_ACTION,
};

/* Negative errno for an HTTP status >= 400: 400/422 -EINVAL, 401/403
 * -EACCES, 404/410 -ENOENT, 405/501 -EOPNOTSUPP, 408/504 -ETIMEDOUT, 409
 * -EEXIST on create, -ESTALE on update (resourceVersion conflict), -EBUSY
 * otherwise, 413 -EFBIG, 429/503 -EAGAIN, other 4xx -EINVAL, other 5xx -EIO.
 * 0 for 2xx/3xx; -EIO for anything else (0, 1xx, >= 600). */
int errmap_http_status(long status, enum errmap_op op);

/* Negative errno for a libcurl failure (0 for CURLE_OK): connect refused
 * -ECONNREFUSED, timeout -ETIMEDOUT, name resolution -EHOSTUNREACH, TLS
 * -EPROTO, connection dropped -ECONNRESET, size caps (incl. WRITE_ERROR from
 * a write callback refusing more) -EFBIG, -ENOMEM, bad URL -EINVAL, aborted
 * by a callback -ECANCELED, anything else -EIO. */
int errmap_curl(CURLcode code);

/* The symbolic name of an errno ("EEXIST"), or "E?" when unknown (0
 * included). Knows every errno the tables above and the filesystem produce.
 * @err may be negative. Never NULL; static storage. */
const char *errmap_name(int err);

#endif
