/*
 * errlog.h - the most recent failures, shown to users as MOUNT/.argofs/errors.
 *
 * A bounded ring (ERRLOG_CAPACITY entries) of what went wrong: time,
 * operation, path, HTTP status (0 when no reply came) and the server's or
 * the parser's message. Thread-safe. Every record is also written to the log
 * at warn level ("OP PATH: STATUS ENAME: message"), so a failure is logged
 * once, here. Callers never pass tokens or secrets.
 */
#ifndef ARGOFS_ERRLOG_H
#define ARGOFS_ERRLOG_H

#include <stddef.h>

#define ERRLOG_CAPACITY 64

/* Record one failure. @op is a short verb ("create", "update", "list"...),
 * @path the mount path or API path it concerns, @status the HTTP status or 0,
 * @err the negative errno the caller returns, @message a readable reason.
 * Strings are copied (op up to 31 bytes, path 1023, message 2047, longer
 * ones cut at a UTF-8 boundary and ended with "..."); NULL means "".
 * Never allocates, never fails. */
void errlog_record(const char *op, const char *path, long status, int err,
		   const char *message);

/* Render the ring, oldest first, one line per failure:
 *   2026-11-28T05:40:01Z create /argo/workflow-templates/x.yaml 409 EEXIST: <message>\n
 * Time is UTC. An empty op or path, a status of 0 and an err of 0 show as
 * "-". Control characters (newlines included) in the strings were turned
 * into spaces when recorded; an over-long string ends in "...".
 * An empty ring renders as "" (length 0).
 * Returns 0 and a malloc'd NUL-terminated buffer in *ret_text (caller frees)
 * with its length in *ret_len, or -ENOMEM. */
int errlog_render(char **ret_text, size_t *ret_len);

/* Forget every entry (tests, SIGHUP). */
void errlog_clear(void);

#endif
