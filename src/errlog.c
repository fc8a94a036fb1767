/*
 * errlog.c - the ring of recent failures behind MOUNT/.argofs/errors.
 *
 * ERRLOG_CAPACITY fixed-size entries in static storage, guarded by one
 * mutex; recording never allocates, so a failure can be recorded even when
 * memory is short. Strings are copied in, cut at a UTF-8 boundary when too
 * long (marked with "..."), and control characters become spaces so that
 * one failure is always one line. errlog_render() writes the lines into an
 * open_memstream() buffer that the caller then owns; the ring itself owns
 * no heap memory.
 */
#include "argofs/errlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argofs/errmap.h"
#include "argofs/log.h"

#define OP_MAX 32
#define PATH_MAX_LEN 1024
#define MESSAGE_MAX 2048

struct entry {
	time_t when;
	long status;
	int err;
	char op[OP_MAX];
	char path[PATH_MAX_LEN];
	char message[MESSAGE_MAX];
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry ring[ERRLOG_CAPACITY]; /* guarded by ring_lock */
static size_t ring_next;                   /* slot the next record goes to */
static size_t ring_count;                  /* valid entries, <= capacity */

/*
 * Copy @src (NULL = "") into @dst of @size bytes as one line: control
 * characters become spaces; a string that does not fit is cut before a
 * UTF-8 sequence boundary and ends in "...".
 */
static void copy_line(char *dst, size_t size, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len >= size) {
		len = size - 4;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
		memcpy(dst, src, len);
		memcpy(dst + len, "...", 4);
	} else if (len > 0) {
		memcpy(dst, src, len + 1);
	} else {
		dst[0] = '\0';
	}
	for (char *p = dst; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			*p = ' ';
	}
}

void errlog_record(const char *op, const char *path, long status, int err,
		   const char *message)
{
	struct entry e;

	e.when = time(NULL);
	e.status = status;
	e.err = err;
	copy_line(e.op, sizeof(e.op), op);
	copy_line(e.path, sizeof(e.path), path);
	copy_line(e.message, sizeof(e.message), message);

	pthread_mutex_lock(&ring_lock);
	ring[ring_next] = e;
	ring_next = (ring_next + 1) % ERRLOG_CAPACITY;
	if (ring_count < ERRLOG_CAPACITY)
		ring_count++;
	pthread_mutex_unlock(&ring_lock);

	if (status > 0)
		log_warn("%s %s: %ld %s: %s", e.op[0] ? e.op : "-",
			 e.path[0] ? e.path : "-", status, errmap_name(err), e.message);
	else
		log_warn("%s %s: %s: %s", e.op[0] ? e.op : "-",
			 e.path[0] ? e.path : "-", errmap_name(err), e.message);
}

/* Write @e as one line, with its '\n', to @f. Returns what fprintf() does. */
static int write_entry(FILE *f, const struct entry *e)
{
	char when[32] = "1970-01-01T00:00:00Z";
	char status[24] = "-";
	struct tm tm;

	if (gmtime_r(&e->when, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (e->status > 0)
		snprintf(status, sizeof(status), "%ld", e->status);
	return fprintf(f, "%s %s %s %s %s: %s\n", when, e->op[0] ? e->op : "-",
		       e->path[0] ? e->path : "-", status, e->err ? errmap_name(e->err) : "-",
		       e->message);
}

int errlog_render(char **ret_text, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0, first;
	bool ok = true;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&ring_lock);
	first = (ring_next + ERRLOG_CAPACITY - ring_count) % ERRLOG_CAPACITY;
	for (size_t i = 0; ok && i < ring_count; i++)
		ok = write_entry(f, &ring[(first + i) % ERRLOG_CAPACITY]) >= 0;
	pthread_mutex_unlock(&ring_lock);
	/* The buffer is complete (or known to be broken) only after fclose(). */
	if (fclose(f) != 0 || !ok) {
		free(text);
		return -ENOMEM;
	}
	*ret_text = text;
	*ret_len = len;
	return 0;
}

void errlog_clear(void)
{
	pthread_mutex_lock(&ring_lock);
	memset(ring, 0, sizeof(ring));
	ring_next = 0;
	ring_count = 0;
	pthread_mutex_unlock(&ring_lock);
}
