/*
 * token.h - where the bearer token comes from, and the Authorization value.
 *
 * A token source is either a file (as Kubernetes mounts a secret: re-read
 * when it changes, including the `..data` symlink swap, and on demand after
 * a 401) or a fixed value (ARGO_TOKEN). The token text is never logged and
 * never returned in an error message. Thread-safe.
 */
#ifndef ARGOFS_TOKEN_H
#define ARGOFS_TOKEN_H

#include <stddef.h>

struct token_source;

/* Turn raw token text (@len bytes, NUL not required) into an Authorization
 * header value: surrounding whitespace (including a trailing newline)
 * stripped; a value starting with "Bearer " or "Basic " (case-sensitive,
 * with the space) kept as it is; a bare token gets "Bearer " in front.
 * Returns 0 and a malloc'd string in *ret_value (free it with
 * token_value_free()), -EINVAL for an empty token, a bare "Bearer"/"Basic",
 * or one holding a control character inside (CR, LF, NUL, TAB...), -ENOMEM. */
int token_to_authorization(const char *raw, size_t len, char **ret_value);

/* A source reading @path (copied). The file is not read until first use,
 * so a token that appears later still works. Returns 0, -EINVAL (NULL or
 * empty path) or -ENOMEM. */
int token_source_new_file(const char *path, struct token_source **ret_src);

/* A source with a fixed token (raw text, normalised as above). Returns 0,
 * -EINVAL or -ENOMEM. */
int token_source_new_value(const char *raw, struct token_source **ret_src);

/* The current Authorization value, re-reading the file when its identity
 * (device, inode, size, mtime of the path with symlinks followed) changed
 * since the last read. Returns 0 and a malloc'd copy in *ret_value (caller
 * frees with token_value_free()), or -ENOENT/-EACCES/-ENOTDIR (file missing
 * or unreadable), -EINVAL (empty or bad token), -EFBIG (over 64 KiB),
 * -EISDIR, -ENOMEM. After a failure no old value is served: each call
 * tries the file again. */
int token_source_authorization(struct token_source *src, char **ret_value);

/* Force the next token_source_authorization() to re-read the file (after a
 * 401, or SIGHUP). No-op for fixed values. */
void token_source_invalidate(struct token_source *src);

/* NULL is fine. Wipes the cached value. */
void token_source_free(struct token_source *src);

/* Wipe (explicit_bzero) and free an Authorization value returned above.
 * NULL is fine. */
void token_value_free(char *value);

#endif
