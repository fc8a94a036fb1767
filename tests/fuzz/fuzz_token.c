/*
 * fuzz_token.c - libFuzzer target: the token normaliser and the token file
 * reader (token.h), which turn whatever is in the secret file into the
 * Authorization header.
 *
 * For any bytes: token_to_authorization() either refuses them (-EINVAL) or
 * gives "Bearer X" / "Basic X" with X non-empty, without control characters
 * (nothing that could split the header) and without surrounding blanks; the
 * same bytes read from a file give the same answer (or -EFBIG over the
 * 64 KiB cap), and so does a fixed-value source built from them.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "argofs/token.h"
#include "fuzz.h"

#define TOKEN_FILE_CAP (64 * 1024)

static void check_value(const char *value, size_t raw_len)
{
	size_t len = strlen(value), plen;

	if (strncmp(value, "Bearer ", 7) == 0) {
		plen = 7;
	} else {
		FUZZ_CHECK(strncmp(value, "Basic ", 6) == 0);
		plen = 6;
	}
	FUZZ_CHECK(len > plen && len <= raw_len + 7);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)value[i] >= 0x20 && value[i] != 0x7f);
	FUZZ_CHECK(value[len - 1] != ' ');
}

/* The same bytes through a token file (a memfd, read by its /proc path). */
static void check_file(const uint8_t *data, size_t size, int direct, const char *value)
{
	struct token_source *src = NULL;
	char path[64], *from_file = NULL;
	int fd, r;

	fd = memfd_create("token", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	FUZZ_CHECK(token_source_new_file(path, &src) == 0);
	r = token_source_authorization(src, &from_file);
	if (size > TOKEN_FILE_CAP) {
		FUZZ_CHECK(r == -EFBIG);
	} else {
		FUZZ_CHECK(r == direct);
		FUZZ_CHECK(r < 0 || strcmp(from_file, value) == 0);
	}
	token_value_free(from_file);
	token_source_free(src);
	close(fd);
}

/* A fixed value (ARGO_TOKEN) is a C string: the bytes up to the first NUL. */
static void check_fixed(const uint8_t *data, size_t size)
{
	struct token_source *src = NULL;
	char *raw = strndup((const char *)data, size), *value = NULL, *fixed = NULL;
	int direct, r;

	FUZZ_CHECK(raw != NULL);
	direct = token_to_authorization(raw, strlen(raw), &value);
	r = token_source_new_value(raw, &src);
	FUZZ_CHECK(r == direct);
	if (r == 0) {
		FUZZ_CHECK(token_source_authorization(src, &fixed) == 0);
		FUZZ_CHECK(strcmp(fixed, value) == 0);
	}
	token_value_free(fixed);
	token_value_free(value);
	token_source_free(src);
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = NULL;
	int r;

	r = token_to_authorization((const char *)data, size, &value);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0)
		check_value(value, size);
	check_file(data, size, r, value);
	check_fixed(data, size);
	token_value_free(value);
	return 0;
}
