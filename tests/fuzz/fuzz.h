/*
 * fuzz.h - what every fuzz target in tests/fuzz shares.
 *
 * A target defines LLVMFuzzerTestOneInput() and checks the contract of the
 * code it drives with FUZZ_CHECK(): a broken promise aborts, which libFuzzer
 * reports as a crash (with the input saved) and replay.c as a failed test.
 * The same source builds two ways: linked with clang's -fsanitize=fuzzer
 * (meson -Dfuzz=true, scripts/fuzz.sh) to search for new inputs, and with
 * replay.c as an ordinary program that runs stored inputs (the seeds and
 * tests/data/fuzz-regressions) in every build's test suite.
 */
#ifndef ARGOFS_FUZZ_H
#define ARGOFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,  \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* Whether @s is valid UTF-8 without control characters: what an error
 * message shown in .argofs/errors or the log must be. */
static inline int fuzz_one_line_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			   (*p & 0xf8) == 0xf0 ? 4 : 0;

		if (n == 0 || *p < 0x20 || *p == 0x7f)
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional, once before the first input (libFuzzer calls it if defined). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
