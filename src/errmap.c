/*
 * errmap.c - the errno table: HTTP statuses and libcurl results to errno,
 * and errno values to their names (for MOUNT/.argofs/errors and the log).
 *
 * Each mapping is one switch, so the whole table reads in one place.
 * docs/filesystem.md shows the same table to users. Nothing here allocates.
 */
#include "argofs/errmap.h"

#include <errno.h>

int errmap_http_status(long status, enum errmap_op op)
{
	if (status >= 200 && status < 400)
		return 0;

	switch (status) {
	case 400: /* Bad Request: validation failed, missing resourceVersion */
	case 422: /* Unprocessable Entity */
		return -EINVAL;
	case 401: /* Unauthorized: no token, or one the cluster rejects */
	case 403: /* Forbidden: RBAC */
		return -EACCES;
	case 404: /* Not Found */
	case 410: /* Gone */
		return -ENOENT;
	case 405: /* Method Not Allowed */
	case 501: /* Not Implemented: the route is missing on an older server */
		return -EOPNOTSUPP;
	case 408: /* Request Timeout (gRPC Canceled) */
	case 504: /* Gateway Timeout (gRPC DeadlineExceeded) */
		return -ETIMEDOUT;
	case 409: /* Conflict: AlreadyExists or Aborted */
		switch (op) {
		case ERRMAP_OP_CREATE:
			return -EEXIST;
		case ERRMAP_OP_UPDATE:
			/* The edited copy is stale: someone else changed the
			 * object (resourceVersion conflict). */
			return -ESTALE;
		case ERRMAP_OP_READ:
		case ERRMAP_OP_DELETE:
		case ERRMAP_OP_ACTION:
			break;
		}
		return -EBUSY;
	case 413: /* Payload Too Large */
		return -EFBIG;
	case 429: /* Too Many Requests, gRPC ResourceExhausted */
	case 503: /* Service Unavailable */
		return -EAGAIN;
	default:
		break;
	}

	if (status >= 400 && status < 500)
		return -EINVAL;
	/* 500, 502, any other 5xx, and statuses no server should send. */
	return -EIO;
}

int errmap_curl(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION: /* also CURLE_SSL_CACERT */
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return -EPROTO;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return -ECONNRESET;
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR: /* the http module's body cap */
		return -EFBIG;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

const char *errmap_name(int err)
{
	switch (err < 0 ? -(long)err : (long)err) {
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ESTALE: return "ESTALE";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EPROTO: return "EPROTO";
	case ECONNRESET: return "ECONNRESET";
	case EFBIG: return "EFBIG";
	case ENOMEM: return "ENOMEM";
	case EIO: return "EIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ECANCELED: return "ECANCELED";
	case EROFS: return "EROFS";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EPERM: return "EPERM";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOSPC: return "ENOSPC";
	case EXDEV: return "EXDEV";
	case ENOSYS: return "ENOSYS";
	default: return "E?";
	}
}
