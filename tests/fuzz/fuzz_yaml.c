/*
 * fuzz_yaml.c - libFuzzer target: YAML text -> JSON (yj_yaml_to_json), the
 * reader every document written through the mount goes through.
 *
 * Any input: no crash, no leak, no sanitizer report, and the contract of
 * yamljson.h holds: a failure is -EINVAL (or -ENOMEM) with a one-line UTF-8
 * message and a position that is 0:0 or within the text; a success is a
 * value that the writer turns back into YAML that reads as the same value
 * (the writer must accept everything the reader accepts, depth included).
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "argofs/yamljson.h"
#include "fuzz.h"

/* An upper bound of the lines in @data, for the error position check:
 * YAML also breaks lines at NEL, LS and PS (U+0085, U+2028, U+2029). */
static int count_lines(const uint8_t *data, size_t size)
{
	int lines = 1;

	for (size_t i = 0; i < size; i++) {
		lines += data[i] == '\n' || data[i] == '\r';
		lines += i + 1 < size && data[i] == 0xc2 && data[i + 1] == 0x85;
		lines += i + 2 < size && data[i] == 0xe2 && data[i + 1] == 0x80 &&
			 (data[i + 2] == 0xa8 || data[i + 2] == 0xa9);
	}
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yj_error err;
	json_t *json = NULL, *back = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = yj_yaml_to_json((const char *)data, size, &json, &err);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		FUZZ_CHECK(err.message[0] != '\0');
		FUZZ_CHECK(fuzz_one_line_utf8(err.message));
		FUZZ_CHECK(err.line >= 0 && err.column >= 0);
		FUZZ_CHECK(err.line <= count_lines(data, size) + 1);
		FUZZ_CHECK((err.line == 0) == (err.column == 0));
		return 0;
	}
	FUZZ_CHECK(json != NULL);

	r = yj_json_to_yaml(json, &text, &len);
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(strlen(text) == len);
	r = yj_yaml_to_json(text, len, &back, &err);
	if (r != 0)
		fprintf(stderr, "written YAML does not read back (%d:%d %s):\n%s\n",
			err.line, err.column, err.message, text);
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(json_equal(json, back));

	json_decref(back);
	json_decref(json);
	free(text);
	return 0;
}
