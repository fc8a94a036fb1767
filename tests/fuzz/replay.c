/*
 * replay.c - runs a fuzz target over stored inputs, without libFuzzer.
 *
 * usage: replay_TARGET PATH...
 * Each PATH is a file or a directory searched recursively; every regular
 * file found is given to LLVMFuzzerTestOneInput() once, in name order. A
 * failed check aborts (the test fails and names the file on stderr). The
 * run fails too when no input at all was found, so that a moved data
 * directory cannot turn the test into one that always passes. Missing
 * PATHs are skipped: a target has no regression directory until a crash is
 * found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Optional in a target. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static size_t run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			FUZZ_CHECK(buf != NULL);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static size_t run_path(const char *path)
{
	struct dirent **entries;
	struct stat st;
	size_t count = 0;
	int n;

	if (stat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? run_file(path) : 0;
	n = scandir(path, &entries, NULL, by_name);
	FUZZ_CHECK(n >= 0);
	for (int i = 0; i < n; i++) {
		char *child;

		if (entries[i]->d_name[0] != '.') {
			FUZZ_CHECK(asprintf(&child, "%s/%s", path, entries[i]->d_name) > 0);
			count += run_path(child);
			free(child);
		}
		free(entries[i]);
	}
	free(entries);
	return count;
}

int main(int argc, char **argv)
{
	size_t count = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		count += run_path(argv[i]);
	if (count == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	printf("%zu inputs replayed\n", count);
	return 0;
}
