/*
 * token.c - token sources and the Authorization value they give.
 *
 * A file source remembers the identity (device, inode, size, mtime) of the
 * file stat() finds at its path - stat() follows symlinks, so Kubernetes'
 * atomic swap of the `..data` symlink shows up as a new inode - together
 * with the normalised value read from it, and re-reads when the identity
 * changes or after token_source_invalidate(). A value source holds the
 * normalised value fixed. Each source owns its path and its cached value and
 * guards them with its own mutex. Every buffer that held a token is wiped
 * with explicit_bzero() before it is freed; callers receive malloc'd copies
 * they should release with token_value_free().
 */
#include "argofs/token.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE_MAX (64 * 1024)

struct file_identity {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

struct token_source {
	pthread_mutex_t lock;
	char *path;                 /* NULL for a fixed value; immutable */
	char *value;                /* normalised; guarded by lock */
	struct file_identity id;    /* of the file value came from; guarded by lock */
	bool stale;                 /* re-read even if id matches; guarded by lock */
};

void token_value_free(char *value)
{
	if (!value)
		return;
	explicit_bzero(value, strlen(value));
	free(value);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	return len >= plen && memcmp(s, prefix, plen) == 0;
}

int token_to_authorization(const char *raw, size_t len, char **ret_value)
{
	const char *prefix = "Bearer ";
	size_t plen;
	char *value;

	while (len > 0 && is_space((unsigned char)raw[0])) {
		raw++;
		len--;
	}
	while (len > 0 && is_space((unsigned char)raw[len - 1]))
		len--;
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
	}
	/* A scheme with nothing after it ("Bearer " stripped to "Bearer") is
	 * as empty as an empty file. */
	if ((len == 6 && memcmp(raw, "Bearer", 6) == 0) ||
	    (len == 5 && memcmp(raw, "Basic", 5) == 0))
		return -EINVAL;
	if (has_prefix(raw, len, "Bearer ") || has_prefix(raw, len, "Basic "))
		prefix = "";

	plen = strlen(prefix);
	value = malloc(plen + len + 1);
	if (!value)
		return -ENOMEM;
	memcpy(value, prefix, plen);
	memcpy(value + plen, raw, len);
	value[plen + len] = '\0';
	*ret_value = value;
	return 0;
}

static struct token_source *source_alloc(void)
{
	struct token_source *src = calloc(1, sizeof(*src));

	if (src && pthread_mutex_init(&src->lock, NULL) != 0) {
		free(src);
		return NULL;
	}
	return src;
}

int token_source_new_file(const char *path, struct token_source **ret_src)
{
	struct token_source *src;

	if (!path || !*path)
		return -EINVAL;
	src = source_alloc();
	if (!src)
		return -ENOMEM;
	src->path = strdup(path);
	if (!src->path) {
		token_source_free(src);
		return -ENOMEM;
	}
	*ret_src = src;
	return 0;
}

int token_source_new_value(const char *raw, struct token_source **ret_src)
{
	struct token_source *src;
	int r;

	if (!raw)
		return -EINVAL;
	src = source_alloc();
	if (!src)
		return -ENOMEM;
	r = token_to_authorization(raw, strlen(raw), &src->value);
	if (r < 0) {
		token_source_free(src);
		return r;
	}
	*ret_src = src;
	return 0;
}

static void identity_of(const struct stat *st, struct file_identity *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtim = st->st_mtim;
}

static bool identity_equal(const struct file_identity *a, const struct file_identity *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/*
 * Read and normalise the token at @path. Returns 0 with the value in
 * *ret_value and the identity of the file actually read (fstat of the open
 * descriptor, so a swap between stat() and open() is caught next time) in
 * *ret_id; or -errno from open/read (-ENOENT, -EACCES, -EISDIR...), -EFBIG
 * over TOKEN_FILE_MAX, -EINVAL (see token_to_authorization()), -ENOMEM.
 */
static int read_token_file(const char *path, char **ret_value, struct file_identity *ret_id)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	/* Read up to the cap plus one byte, to notice a larger file whatever
	 * st_size says (a directory fails here with EISDIR). */
	buf = malloc(TOKEN_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, TOKEN_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > TOKEN_FILE_MAX) {
			r = -EFBIG;
			goto out_free;
		}
	}
	r = token_to_authorization(buf, got, ret_value);
	if (r == 0)
		identity_of(&st, ret_id);
out_free:
	explicit_bzero(buf, got);
	free(buf);
out_close:
	close(fd);
	return r;
}

int token_source_authorization(struct token_source *src, char **ret_value)
{
	struct file_identity id;
	struct stat st;
	char *copy;
	int r = 0;

	pthread_mutex_lock(&src->lock);
	if (src->path) {
		if (stat(src->path, &st) < 0) {
			r = -errno;
		} else {
			identity_of(&st, &id);
			if (!src->value || src->stale || !identity_equal(&id, &src->id)) {
				char *fresh = NULL;
				r = read_token_file(src->path, &fresh, &id);
				if (r == 0) {
					token_value_free(src->value);
					src->value = fresh;
					src->id = id;
					src->stale = false;
				}
			}
		}
		if (r < 0) {
			/* Wipe the old token: the file no longer gives it. */
			token_value_free(src->value);
			src->value = NULL;
		}
	}
	if (r == 0) {
		copy = strdup(src->value);
		if (copy)
			*ret_value = copy;
		else
			r = -ENOMEM;
	}
	pthread_mutex_unlock(&src->lock);
	return r;
}

void token_source_invalidate(struct token_source *src)
{
	if (!src)
		return;
	pthread_mutex_lock(&src->lock);
	src->stale = true;
	pthread_mutex_unlock(&src->lock);
}

void token_source_free(struct token_source *src)
{
	if (!src)
		return;
	token_value_free(src->value);
	free(src->path);
	pthread_mutex_destroy(&src->lock);
	free(src);
}
