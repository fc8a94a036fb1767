/*
 * fuzz_json_yaml.c - libFuzzer target: JSON -> YAML -> JSON, the path every
 * object read from the server takes to become a file (yj_json_to_yaml) and
 * back when the file is saved (yj_yaml_to_json).
 *
 * The input is parsed with jansson as the server's reply would be (any JSON
 * value, NUL escapes allowed). yamljson.h promises that the YAML written
 * for it reads back as an equal value, with reals of an integral value in
 * the int64 range coming back as integers, and that only nesting deeper
 * than YJ_MAX_DEPTH is refused.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "argofs/yamljson.h"
#include "fuzz.h"

/* The value the round trip must give: @json (stolen) with integral reals
 * as integers. Sets *ret_depth to the nesting of collections. */
static json_t *expected(json_t *json, int *ret_depth)
{
	json_t *child, *fixed;
	const char *key;
	size_t i;
	int depth = 0, d;

	*ret_depth = 0;
	if (json_is_real(json)) {
		double v = json_real_value(json);

		/* [-2^63, 2^63): the doubles that are int64 values */
		if (v == floor(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
			fixed = json_integer((json_int_t)v);
			json_decref(json);
			return fixed;
		}
		return json;
	}
	if (json_is_object(json)) {
		json_object_foreach(json, key, child) {
			fixed = expected(json_incref(child), &d);
			FUZZ_CHECK(fixed && json_object_set_new(json, key, fixed) == 0);
			depth = d > depth ? d : depth;
		}
		*ret_depth = depth + 1;
	} else if (json_is_array(json)) {
		json_array_foreach(json, i, child) {
			fixed = expected(json_incref(child), &d);
			FUZZ_CHECK(fixed && json_array_set_new(json, i, fixed) == 0);
			depth = d > depth ? d : depth;
		}
		*ret_depth = depth + 1;
	}
	return json;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yj_error err;
	json_t *json, *back = NULL;
	char *text = NULL;
	size_t len = 0;
	int depth, r;

	json = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!json)
		return 0;
	json = expected(json, &depth);

	r = yj_json_to_yaml(json, &text, &len);
	if (depth > YJ_MAX_DEPTH) {
		FUZZ_CHECK(r == -EINVAL);
		json_decref(json);
		return 0;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(strlen(text) == len);
	r = yj_yaml_to_json(text, len, &back, &err);
	if (r != 0)
		fprintf(stderr, "written YAML does not read back (%d:%d %s):\n%s\n",
			err.line, err.column, err.message, text);
	FUZZ_CHECK(r == 0);
	if (!json_equal(json, back)) {
		char *a = json_dumps(json, JSON_ENCODE_ANY), *b = json_dumps(back, JSON_ENCODE_ANY);

		fprintf(stderr, "round trip changed the value:\n%s\n%s\n%s\n", a, text, b);
		free(a);
		free(b);
	}
	FUZZ_CHECK(json_equal(json, back));

	json_decref(back);
	json_decref(json);
	free(text);
	return 0;
}
