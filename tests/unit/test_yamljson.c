/*
 * test_yamljson.c - tests of the YAML <-> JSON converter (src/yamljson.c).
 *
 * - data-driven cases in TEST_DATA_DIR/yaml/<case>/ (format in the README
 *   there): input.yaml gives output.json, or fails as the error file says;
 * - Argo's examples in SHARED_DIR/argo/examples (skipped when absent): every
 *   one converts, or fails with the multiple-documents error when it holds
 *   several documents; YAML -> JSON -> YAML -> JSON is stable; a sample
 *   equals the JSON written by hand in TEST_DATA_DIR/examples/<name>.json;
 * - the writer's exact output (kubectl's layout, key order, quoting);
 * - limits: depth, alias expansion, exactly at and just past the limit;
 * - JSON -> YAML -> JSON is the identity over hand-written values and a few
 *   thousand generated ones.
 * Every buffer and json_t a test creates is freed before it returns, so
 * ASan's leak checker covers the converter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "argofs/yamljson.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must be defined"
#endif
#ifndef SHARED_DIR
#error "SHARED_DIR must be defined"
#endif

#define EXAMPLES_DIR SHARED_DIR "/argo/examples"

/* ------------------------------------------------------------------------
 * Helpers
 */

/* The whole file, NUL-terminated (malloc'd), or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir ending in @suffix ("" for all but dot files). */
static char **list_dir(const char *dir, const char *suffix, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, slen = strlen(suffix);

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < slen || strcmp(de->d_name + len - slen, suffix))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		assert_non_null(names);
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	*ret_n = n;
	return names;
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void print_json(const char *label, const json_t *json)
{
	char *s = json_dumps(json, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_INDENT(1));

	print_message("%s: %s\n", label, s ? s : "(unprintable)");
	free(s);
}

/* Whether any node of @json (other than the true/false/null singletons) is
 * referenced more than once, i.e. shared inside the tree or held elsewhere. */
static bool has_shared_node(json_t *json)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_true(json) || json_is_false(json) || json_is_null(json))
		return false;
	if (json->refcount != 1)
		return true;
	if (json_is_object(json)) {
		json_object_foreach(json, key, child)
			if (has_shared_node(child))
				return true;
	} else if (json_is_array(json)) {
		json_array_foreach(json, i, child)
			if (has_shared_node(child))
				return true;
	}
	return false;
}

/* JSON -> YAML -> JSON; false (with the details printed) when that fails
 * or does not give back an equal value. */
static bool roundtrips(const json_t *json, const char *what)
{
	char *yaml = NULL;
	size_t len = 0;
	json_t *back = NULL;
	struct yj_error err;
	int r;
	bool ok;

	r = yj_json_to_yaml(json, &yaml, &len);
	if (r < 0) {
		print_message("%s: yj_json_to_yaml failed: %s\n", what, strerror(-r));
		print_json("json", json);
		return false;
	}
	ok = strlen(yaml) == len && len > 0 && yaml[len - 1] == '\n';
	r = yj_yaml_to_json(yaml, len, &back, &err);
	if (r < 0) {
		print_message("%s: reading back failed: line %d, column %d: %s\n", what, err.line,
			      err.column, err.message);
		ok = false;
	} else if (!json_equal((json_t *)json, back)) {
		print_message("%s: read back as a different value\n", what);
		print_json("back", back);
		ok = false;
	}
	if (!ok) {
		print_json("json", json);
		print_message("yaml:\n%s<<<end\n", yaml);
	}
	json_decref(back);
	free(yaml);
	return ok;
}

static json_t *load_json(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!json)
		print_message("bad JSON: line %d: %s\n", jerr.line, jerr.text);
	return json;
}

/* YAML text that must convert: the JSON (fails the test otherwise). */
static json_t *convert(const char *yaml)
{
	struct yj_error err;
	json_t *json = NULL;
	int r = yj_yaml_to_json(yaml, strlen(yaml), &json, &err);

	if (r < 0)
		fail_msg("conversion failed: line %d, column %d: %s\n%s", err.line, err.column,
			 err.message, yaml);
	return json;
}

/* YAML text that must fail: -EINVAL at @line:@column with @substring. */
static void assert_refused(const char *yaml, size_t len, int line, int column,
			   const char *substring)
{
	struct yj_error err;
	json_t *json = NULL;
	int r = yj_yaml_to_json(yaml, len, &json, &err);

	if (r == 0) {
		print_json("unexpected success", json);
		json_decref(json);
		fail();
	}
	assert_int_equal(r, -EINVAL);
	if (!strstr(err.message, substring) || err.line != line || err.column != column)
		fail_msg("got line %d, column %d: %s; want line %d, column %d: ...%s...", err.line,
			 err.column, err.message, line, column, substring);
}

/* ------------------------------------------------------------------------
 * Data-driven cases
 */

/*
 * One case directory; returns whether it passed (details printed if not).
 * Successful conversions must also hold no shared node and round-trip.
 */
static bool run_case(const char *dir, const char *name)
{
	char path[4096], *input, *expect_text;
	size_t input_len, expect_len;
	json_t *got = NULL, *expect;
	struct yj_error err;
	bool ok = true;
	int r;

	snprintf(path, sizeof(path), "%s/%s/input.yaml", dir, name);
	input = slurp(path, &input_len);
	if (!input) {
		print_message("%s: no input.yaml\n", name);
		return false;
	}
	r = yj_yaml_to_json(input, input_len, &got, &err);

	snprintf(path, sizeof(path), "%s/%s/output.json", dir, name);
	expect_text = slurp(path, &expect_len);
	if (expect_text) {
		expect = load_json(expect_text, expect_len);
		if (r < 0) {
			print_message("%s: failed: line %d, column %d: %s\n", name, err.line,
				      err.column, err.message);
			ok = false;
		} else if (!expect || !json_equal(got, expect)) {
			print_message("%s: unexpected result\n", name);
			print_json("got", got);
			print_json("want", expect);
			ok = false;
		} else if (has_shared_node(got)) {
			print_message("%s: result shares nodes\n", name);
			ok = false;
		} else {
			ok = roundtrips(got, name);
		}
		json_decref(expect);
	} else {
		int line, column, used = 0;
		char *substring;

		snprintf(path, sizeof(path), "%s/%s/error", dir, name);
		expect_text = slurp(path, NULL);
		if (!expect_text || sscanf(expect_text, "%d:%d\n%n", &line, &column, &used) != 2 ||
		    used == 0) {
			print_message("%s: no output.json, and no valid error file\n", name);
			ok = false;
		} else {
			substring = expect_text + used;
			substring[strcspn(substring, "\n")] = '\0';
			if (r == 0) {
				print_message("%s: converted, but should fail with \"%s\"\n", name,
					      substring);
				print_json("got", got);
				ok = false;
			} else if (r != -EINVAL || !strstr(err.message, substring) ||
				   err.line != line || err.column != column) {
				print_message("%s: got %d, line %d, column %d: %s; want line %d, "
					      "column %d: ...%s...\n",
					      name, r, err.line, err.column, err.message, line, column,
					      substring);
				ok = false;
			}
		}
	}
	free(expect_text);
	free(input);
	json_decref(got);
	return ok;
}

static void test_data_cases(void **state)
{
	const char *dir = TEST_DATA_DIR "/yaml";
	char **names;
	size_t n, i, cases = 0, failed = 0;

	(void)state;
	names = list_dir(dir, "", &n);
	for (i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!is_dir(path))
			continue;
		cases++;
		if (!run_case(dir, names[i]))
			failed++;
	}
	print_message("%zu YAML cases, %zu failed\n", cases, failed);
	free_names(names, n);
	assert_true(cases >= 40);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------------
 * Argo's examples
 */

/* Whether @text, split the way `argo submit` splits files (regexp "\n---"),
 * has more than one part holding something besides blank and comment lines. */
static bool argo_sees_several_documents(const char *text)
{
	const char *part = text;
	int parts = 0;

	while (part) {
		const char *next = strstr(part, "\n---");
		const char *end = next ? next : part + strlen(part), *line = part;
		bool content = false;

		while (line < end && !content) {
			const char *eol = memchr(line, '\n', (size_t)(end - line));
			const char *p = line;

			if (!eol)
				eol = end;
			while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			content = p < eol && *p != '#';
			if (line == part && part != text) /* the rest of the "---" line */
				content = false;
			line = eol + 1;
		}
		parts += content;
		part = next ? next + 4 : NULL;
	}
	return parts > 1;
}

/* How many lines of @text hold "@key:" starting at @column (1-based). */
static int count_key_lines(const char *text, int column, const char *key, size_t key_len)
{
	const char *line = text;
	int n = 0;

	while (line && *line) {
		const char *p = line;
		int c = 1;

		while (*p == ' ')
			p++, c++;
		if (c == column && strncmp(p, key, key_len) == 0 && p[key_len] == ':')
			n++;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return n;
}

/* Whether @err reports a duplicate key that @text does repeat at that
 * indentation (checked without the converter: `argo submit` refuses such
 * a file too, as strict decoding is its default). */
static bool is_real_duplicate(const char *text, const struct yj_error *err)
{
	const char *key = strchr(err->message, '"'), *end;

	if (!strstr(err->message, "already set in map") || !key)
		return false;
	end = strchr(++key, '"');
	return end && count_key_lines(text, err->column, key, (size_t)(end - key)) >= 2;
}

static void test_examples_all(void **state)
{
	char **names;
	size_t n, i, converted = 0, multi = 0, duplicates = 0, failed = 0;

	(void)state;
	if (!is_dir(EXAMPLES_DIR)) {
		print_message("SKIP: %s not found (the shared reference material is absent)\n",
			      EXAMPLES_DIR);
		skip();
	}
	names = list_dir(EXAMPLES_DIR, ".yaml", &n);
	for (i = 0; i < n; i++) {
		char path[4096], *text, *yaml = NULL;
		size_t len, ylen;
		json_t *json = NULL, *back = NULL;
		struct yj_error err;
		int r;

		snprintf(path, sizeof(path), "%s/%s", EXAMPLES_DIR, names[i]);
		text = slurp(path, &len);
		assert_non_null(text);
		r = yj_yaml_to_json(text, len, &json, &err);
		if (argo_sees_several_documents(text)) {
			if (r == -EINVAL && strstr(err.message, "multiple YAML documents") &&
			    err.line > 1) {
				multi++;
			} else {
				print_message("%s: holds several documents, got %d: %s\n", names[i],
					      r, r ? err.message : "");
				failed++;
			}
		} else if (r < 0 && is_real_duplicate(text, &err)) {
			print_message("%s: refused, line %d, column %d: %s\n", names[i], err.line,
				      err.column, err.message);
			duplicates++;
		} else if (r < 0) {
			print_message("%s: line %d, column %d: %s\n", names[i], err.line, err.column,
				      err.message);
			failed++;
		} else if (!json_is_object(json) || yj_json_to_yaml(json, &yaml, &ylen) < 0 ||
			   yj_yaml_to_json(yaml, ylen, &back, &err) < 0 || !json_equal(json, back)) {
			print_message("%s: YAML -> JSON -> YAML -> JSON is not stable\n", names[i]);
			failed++;
		} else {
			converted++;
		}
		json_decref(json);
		json_decref(back);
		free(yaml);
		free(text);
	}
	print_message("%zu examples: %zu converted, %zu refused as multi-document, %zu refused "
		      "for a duplicate key, %zu failed\n",
		      n, converted, multi, duplicates, failed);
	free_names(names, n);
	assert_int_equal(failed, 0);
	assert_true(converted >= 100);
	assert_true(multi >= 1);
}

static void test_examples_expected(void **state)
{
	const char *dir = TEST_DATA_DIR "/examples";
	char **names;
	size_t n, i, failed = 0;

	(void)state;
	if (!is_dir(EXAMPLES_DIR)) {
		print_message("SKIP: %s not found (the shared reference material is absent)\n",
			      EXAMPLES_DIR);
		skip();
	}
	names = list_dir(dir, ".json", &n);
	for (i = 0; i < n; i++) {
		char path[4096], *text, *want_text;
		size_t len, want_len;
		json_t *got = NULL, *want;
		struct yj_error err;
		int r;

		snprintf(path, sizeof(path), "%s/%.*s.yaml", EXAMPLES_DIR,
			 (int)(strlen(names[i]) - 5), names[i]);
		text = slurp(path, &len);
		if (!text) {
			print_message("%s: no such example\n", path);
			failed++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		want_text = slurp(path, &want_len);
		assert_non_null(want_text);
		want = load_json(want_text, want_len);
		assert_non_null(want);
		r = yj_yaml_to_json(text, len, &got, &err);
		if (r < 0) {
			print_message("%s: line %d, column %d: %s\n", names[i], err.line, err.column,
				      err.message);
			failed++;
		} else if (!json_equal(got, want)) {
			print_message("%s: not the expected JSON\n", names[i]);
			print_json("got", got);
			failed++;
		}
		json_decref(got);
		json_decref(want);
		free(want_text);
		free(text);
	}
	print_message("%zu hand-written example results, %zu failed\n", n, failed);
	free_names(names, n);
	assert_true(n >= 6);
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------------
 * The writer's exact output
 */

static void assert_yaml_output(const char *json_text, const char *want)
{
	json_t *json = load_json(json_text, strlen(json_text));
	char *yaml = NULL;
	size_t len;

	assert_non_null(json);
	assert_int_equal(yj_json_to_yaml(json, &yaml, &len), 0);
	if (strcmp(yaml, want) != 0)
		fail_msg("for %s\ngot:\n%s<<<\nwant:\n%s<<<", json_text, yaml, want);
	assert_int_equal(len, strlen(want));
	assert_true(roundtrips(json, json_text));
	free(yaml);
	json_decref(json);
}

static void test_output_layout(void **state)
{
	(void)state;
	/* kubectl's layout: 2 spaces, sequences not indented under their key,
	 * empty collections in flow style, no document markers */
	assert_yaml_output("{\"spec\": {\"templates\": [{\"name\": \"main\", \"container\": "
			   "{\"args\": [\"a\", \"b\"], \"image\": \"alpine:3.20\"}}], "
			   "\"arguments\": {}, \"volumes\": []}}",
			   "spec:\n"
			   "  arguments: {}\n"
			   "  templates:\n"
			   "  - container:\n"
			   "      args:\n"
			   "      - a\n"
			   "      - b\n"
			   "      image: alpine:3.20\n"
			   "    name: main\n"
			   "  volumes: []\n");
	assert_yaml_output("[[1, 2], {\"a\": [true, false, null]}]",
			   "- - 1\n"
			   "  - 2\n"
			   "- a:\n"
			   "  - true\n"
			   "  - false\n"
			   "  - null\n");
	assert_yaml_output("{}", "{}\n");
	assert_yaml_output("[]", "[]\n");
	/* a long string is never folded */
	assert_yaml_output("{\"a\": \"word word word word word word word word word word word "
			   "word word word word word word word word word word word word word\"}",
			   "a: word word word word word word word word word word word word word "
			   "word word word word word word word word word word word\n");
	/* unicode is written as is */
	assert_yaml_output("{\"été\": \"naïve café ✓\"}", "été: naïve café ✓\n");
}

static void test_output_quoting(void **state)
{
	(void)state;
	/* strings that would read back as something else: double quotes, as
	 * go-yaml v2 writes them */
	assert_yaml_output("[\"yes\", \"no\", \"on\", \"off\", \"y\", \"n\", \"true\", \"False\", "
			   "\"null\", \"~\", \"\", \"1\", \"-1\", \"1.5\", \"0x1F\", \"0777\", "
			   "\"0o17\", \"0b101\", \"1_000\", \"1e3\", \".5\", \".inf\", \"-.Inf\", "
			   "\".nan\", \"2001-12-14\", \"2020-01-01T00:00:00Z\", \"12:30\", "
			   "\"1e999\", \"<<\", \"08\"]",
			   "- \"yes\"\n- \"no\"\n- \"on\"\n- \"off\"\n- \"y\"\n- \"n\"\n"
			   "- \"true\"\n- \"False\"\n- \"null\"\n- \"~\"\n- \"\"\n- \"1\"\n"
			   "- \"-1\"\n- \"1.5\"\n- \"0x1F\"\n- \"0777\"\n- \"0o17\"\n"
			   "- \"0b101\"\n- \"1_000\"\n- \"1e3\"\n- \".5\"\n- \".inf\"\n"
			   "- \"-.Inf\"\n- \".nan\"\n- \"2001-12-14\"\n"
			   "- \"2020-01-01T00:00:00Z\"\n- \"12:30\"\n- \"1e999\"\n- \"<<\"\n"
			   "- \"08\"\n");
	/* strings that cannot be plain: libyaml's single quotes */
	assert_yaml_output("[\"a: b\", \"a #b\", \" x\", \"x \", \"*\", \"* * * * *\", "
			   "\"{{inputs.parameters.x}}\", \"- a\", \"?\", \"@x\", \"`x\", \"!x\", "
			   "\"&x\", \"%x\", \"|\", \">\", \"#x\", \"[x]\", \"---\", \"'q'\"]",
			   "- 'a: b'\n- 'a #b'\n- ' x'\n- 'x '\n- '*'\n- '* * * * *'\n"
			   "- '{{inputs.parameters.x}}'\n- '- a'\n- '?'\n- '@x'\n- '`x'\n"
			   "- '!x'\n- '&x'\n- '%x'\n- '|'\n- '>'\n- '#x'\n- '[x]'\n- '---'\n"
			   "- '''q'''\n");
	/* plain when it reads back the same */
	assert_yaml_output("[\"hello world\", \"-a\", \"a-b\", \"1.2.3.4\", \"yes please\", "
			   "\"x:y\", \"a#b\", \"say \\\"hi\\\"\", \"it's\", \"0x\", \"+\", \"1e\"]",
			   "- hello world\n- -a\n- a-b\n- 1.2.3.4\n- yes please\n- x:y\n- a#b\n"
			   "- say \"hi\"\n- it's\n- 0x\n- +\n- 1e\n");
	/* characters libyaml escapes */
	assert_yaml_output("[\"a\\tb\", \"nul\\u0000\", \"a\\u2028b\", \"\\u00a0x\"]",
			   "- \"a\\tb\"\n- \"nul\\0\"\n- \"a\\Lb\"\n- \u00a0x\n");
	/* keys follow the same rules */
	assert_yaml_output("{\"yes\": 1, \"1\": 2, \"<<\": 3, \"a b\": 4, \"a: b\": 5}",
			   "\"<<\": 3\n\"1\": 2\na b: 4\n'a: b': 5\n\"yes\": 1\n");
}

static void test_output_blocks(void **state)
{
	(void)state;
	assert_yaml_output("{\"source\": \"import os\\nprint(os.getcwd())\\n\"}",
			   "source: |\n  import os\n  print(os.getcwd())\n");
	assert_yaml_output("{\"a\": \"no newline\\nat the end\"}",
			   "a: |-\n  no newline\n  at the end\n");
	assert_yaml_output("{\"a\": \"kept\\n\\n\", \"b\": 1}", "a: |+\n  kept\n\nb: 1\n");
	assert_yaml_output("[\"kept\\n\\n\"]", "- |+\n  kept\n\n");
	/* leading spaces on the first line: an indentation indicator */
	assert_yaml_output("{\"a\": \"  indented\\nnot\\n\"}", "a: |2\n    indented\n  not\n");
	/* trailing spaces on a line: a literal block would lose them */
	assert_yaml_output("{\"a\": \"trailing \\nspace\\n\"}", "a: \"trailing \\nspace\\n\"\n");
	/* a block inside a sequence */
	assert_yaml_output("[\"a\\nb\\n\"]", "- |\n  a\n  b\n");
}

static void test_output_numbers(void **state)
{
	(void)state;
	/* go-yaml v2: integers in decimal, reals as FormatFloat(f, 'g', -1, 64) */
	assert_yaml_output("[0, -1, 9223372036854775807, -9223372036854775808, 1.5, -0.25, "
			   "0.0001, 0.00001, 123456.5, 1234567.5, 1e21, 1.5e300, 5e-324, "
			   "0.1, 3.141592653589793]",
			   "- 0\n- -1\n- 9223372036854775807\n- -9223372036854775808\n- 1.5\n"
			   "- -0.25\n- 0.0001\n- 1e-05\n- 123456.5\n- 1.2345675e+06\n- 1e+21\n"
			   "- 1.5e+300\n- 5e-324\n- 0.1\n- 3.141592653589793\n");
}

/* go-yaml v2's key order: digit runs by value (a non-digit counts as the
 * run 0, so punctuation sorts before digits), letters after the rest */
static void test_output_key_order(void **state)
{
	(void)state;
	assert_yaml_output("{\"k10\": 0, \"k9\": 0, \"k01\": 0, \"k1\": 0, \"b\": 0, \"B\": 0, "
			   "\"_x\": 0, \"a_b\": 0, \"ab\": 0, \"a\": 0, \"a.b\": 0, \"a-b\": 0, "
			   "\"x9c\": 0, \"x10b\": 0, \"1.10\": 0, \"1.5\": 0, \"z\": 0, "
			   "\"\\u00e9\": 0, \"a05\": 0, \"a5\": 0, \"100\": 0, \"101\": 0, "
			   "\"10\": 0, \"1a\": 0}",
			   "_x: 0\n\"1.5\": 0\n\"1.10\": 0\n\"10\": 0\n\"100\": 0\n\"101\": 0\n"
			   "1a: 0\nB: 0\na: 0\na-b: 0\na.b: 0\na_b: 0\na5: 0\na05: 0\nab: 0\n"
			   "b: 0\nk1: 0\nk01: 0\nk9: 0\nk10: 0\nx9c: 0\nx10b: 0\nz: 0\né: 0\n");
}

/* ------------------------------------------------------------------------
 * Limits and edge cases that data files cannot express well
 */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1), *p = s;

	assert_non_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void test_depth_limit(void **state)
{
	char *open, *text;
	json_t *json;
	char *yaml;
	size_t len;

	(void)state;
	/* YJ_MAX_DEPTH nested sequences are fine, one more is not */
	open = repeat("", "[", YJ_MAX_DEPTH, "");
	text = repeat(open, "]", YJ_MAX_DEPTH, "");
	json = convert(text);
	assert_true(roundtrips(json, "deepest"));
	free(text);
	/* the writer refuses what the reader would */
	json = json_pack("[o]", json);
	assert_int_equal(yj_json_to_yaml(json, &yaml, &len), -EINVAL);
	json_decref(json);
	free(open);
	open = repeat("", "[", YJ_MAX_DEPTH + 1, "");
	text = repeat(open, "]", YJ_MAX_DEPTH + 1, "");
	assert_refused(text, strlen(text), 1, YJ_MAX_DEPTH + 1, "nesting deeper than 64 levels");
	free(text);
	free(open);

	/* what an alias brings in counts: 3 levels aliased inside 61 (the
	 * root mapping and 60 sequences) reach the limit, one more is over */
	open = repeat("a: &a [[[x]]]\nb: ", "[", YJ_MAX_DEPTH - 4, "*a");
	text = repeat(open, "]", YJ_MAX_DEPTH - 4, "\n");
	json = convert(text);
	json_decref(json);
	free(text);
	free(open);
	open = repeat("a: &a [[[x]]]\nb: ", "[", YJ_MAX_DEPTH - 3, "*a");
	text = repeat(open, "]", YJ_MAX_DEPTH - 3, "\n");
	assert_refused(text, strlen(text), 2, 3 + YJ_MAX_DEPTH - 3 + 1,
		       "alias 'a' nests deeper than 64 levels");
	free(text);
	free(open);
}

static void test_alias_limit(void **state)
{
	char *items, *text;
	json_t *json;

	(void)state;
	/* a sequence of 999 scalars is 1000 nodes: 100 aliases make exactly
	 * YJ_MAX_ALIAS_NODES, one more is refused */
	assert_int_equal(YJ_MAX_ALIAS_NODES, 100000);
	items = repeat("a: &a [", "0, ", 998, "0]\nb: [");
	text = repeat(items, "*a, ", 99, "*a]\n");
	json = convert(text);
	assert_int_equal(json_array_size(json_object_get(json, "b")), 100);
	assert_int_equal(json_array_size(json_array_get(json_object_get(json, "b"), 99)), 999);
	assert_false(has_shared_node(json));
	json_decref(json);
	free(text);
	/* the 101st alias starts at column 5 + 100 * 4 */
	text = repeat(items, "*a, ", 100, "*a]\n");
	assert_refused(text, strlen(text), 2, 5 + 100 * 4, "aliases expand to more than 100000");
	free(text);
	free(items);
}

/* @err may be NULL; bad arguments are refused. */
static void test_error_struct_optional(void **state)
{
	json_t *json = NULL;

	(void)state;
	assert_int_equal(yj_yaml_to_json("a: [", 4, &json, NULL), -EINVAL);
	assert_null(json);
	assert_int_equal(yj_yaml_to_json(NULL, 0, &json, NULL), -EINVAL);
	assert_int_equal(yj_json_to_yaml(NULL, NULL, NULL), -EINVAL);
}

/* A scalar quoted in a message is cut short, never inside a UTF-8
 * sequence, and loses its control characters. */
static void test_error_message_snippet(void **state)
{
	char *key = repeat("x", "é", 30, ""), *first = repeat(key, ": 1\n", 1, ""), *text, *line;
	struct yj_error err;
	json_t *json = NULL, *message;

	(void)state;
	text = repeat(first, key, 1, ": 2\n");
	assert_refused(text, strlen(text), 2, 1, "already set in map");
	assert_int_equal(yj_yaml_to_json(text, strlen(text), &json, &err), -EINVAL);
	assert_string_equal(err.message, "key \"xééééééééééééééééééé...\" already set in map");
	message = json_string(err.message);
	assert_non_null(message);
	json_decref(message);
	free(text);
	free(first);
	free(key);

	line = "a: !!int \"1\\n2\"\n";
	assert_refused(line, strlen(line), 1, 4, "cannot decode !!str `1 2` as a !!int");
}

/* ------------------------------------------------------------------------
 * JSON -> YAML -> JSON
 */

static const char *const tricky_strings[] = {
	"", " ", "  ", "a", "yes", "Yes", "YES", "no", "NO", "on", "off", "y", "n", "Y", "N",
	"true", "False", "TRUE", "null", "Null", "NULL", "~", "0", "-0", "+0", "1", "-1", "+1",
	"0777", "08", "09.5", "0x1F", "0X1f", "0o17", "0b101", "1_000", "_1", "1_", "1e3", "1E3",
	"1e", "e3", ".5", "5.", "-.5", "+.5", ".", "..", "...", "---", "--", "-", "+", "1.5",
	"1.0", "6.02e23", "1e999", ".inf", ".Inf", "-.inf", "+.inf", ".nan", ".NaN", ".infinity",
	"inf", "nan", "NaN", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "2001-12-14 21:59:43",
	"2001-13-14", "2001-02-29", "2000-02-29", "12:30", "1:20:30", "190:20:30.15", "1:60",
	"<<", "<", "=", "!", "!!str", "&a", "*a", "*", "* * * * *", "*/5 * * * *", "@daily",
	"%YAML", "`cmd`", "|", ">", "|-", "'", "''", "\"", "\"\"", "\\", "\\n", "#", "# c",
	"a #b", "a#b", "a:", "a: b", "a:b", ":a", ": a", "?", "? a", "?a", "- a", "-a", "[a]",
	"{a}", "{{workflow.name}}", "{{inputs.parameters.x}}", "a,b", "a, b", "[", "]", "{", "}",
	",", "key: value # comment", "C:\\path", "http://x.y/z?a=b&c=d", "$(echo hi)",
	"\t", "a\tb", "\ta", "a\t", "\n", "\n\n", "a\n", "a\n\n", "a\n\n\n", "\na", "\n\na",
	"a\nb", "a\nb\n", " a\nb\n", "  a\n b\n", "a \nb\n", "a\n b", "a\n\tb\n", "\ta\nb\n",
	"a\n ", "a\n \n", " \n", "a\r\nb", "\r", "a\rb", "#a\nb\n", "- a\nb\n", "a: b\nc: d\n",
	"---\na\n", "...\n", "a\n---\nb", "|\na", "é", "naïve café", "日本語", "✓", "😀",
	"a😀b", "\xc2\x85", "a\xc2\x85" "b", "\xe2\x80\xa8", "a\xe2\x80\xa9" "b", "\xef\xbb\xbf" "a",
	"\xc2\xa0", "a\xc2\xa0", "\x01", "a\x7f", "\x1b[0m", "\xef\xbf\xbd", "\xef\xbf\xbe",
	"    if x:\n        return 1\n", "set -e\necho \"$X\" | grep 'y' > /tmp/out\n",
	"#!/bin/sh\necho hi\n", "import json\nprint(json.dumps({\"a\": [1, 2]}))\n", NULL,
};

static const char *const tricky_keys[] = {
	"a", "b", "a1", "a10", "a2", "a01", "_", "-", "0", "1", "10", "yes", "no", "null", "<<",
	"true", "~", "", " ", "a b", "a: b", "a#b", "#a", "1.5", "é", "key\nwith\nlines",
	"very-long-key-over-one-hundred-and-twenty-eight-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"metadata", "spec", "apiVersion", "kind", "workflows.argoproj.io/version", NULL,
};

static void test_roundtrip_handwritten(void **state)
{
	static const char *const documents[] = {
		"{}", "[]", "null", "true", "0", "\"yes\"", "1.5", "-0.5",
		"{\"a\": {}, \"b\": [], \"c\": [{}], \"d\": [[]], \"e\": {\"f\": {}}}",
		"[[[[1]]], [[{}]], {\"a\": [[\"x\", {\"b\": []}]]}]",
		"{\"n\": [0, 1, -1, 9223372036854775807, -9223372036854775808, 0.5, -1e-300, "
		"1.7976931348623157e308, 4.9e-324, 1e19, -9.3e18, 9223372036854775808.0, 0.1, "
		"123456789.125]}",
		"{\"apiVersion\": \"argoproj.io/v1alpha1\", \"kind\": \"WorkflowTemplate\", "
		"\"metadata\": {\"name\": \"t\", \"labels\": {\"a\": \"yes\", \"b\": \"1\"}, "
		"\"annotations\": {\"workflows.argoproj.io/description\": \"line one\\nline two\\n\"}}, "
		"\"spec\": {\"entrypoint\": \"main\", \"arguments\": {\"parameters\": [{\"name\": "
		"\"p\", \"value\": \"0777\"}, {\"name\": \"q\", \"value\": \"\"}]}, \"templates\": "
		"[{\"name\": \"main\", \"script\": {\"image\": \"python:3\", \"command\": "
		"[\"python\"], \"source\": \"print('hi')\\n\"}}]}}",
		NULL,
	};
	size_t i, failed = 0;

	(void)state;
	for (i = 0; documents[i]; i++) {
		json_t *json = load_json(documents[i], strlen(documents[i]));

		assert_non_null(json);
		failed += !roundtrips(json, documents[i]);
		json_decref(json);
	}
	/* every tricky string as a value, and every tricky key, alone */
	for (i = 0; tricky_strings[i]; i++) {
		json_t *json = json_pack("{s:s, s:[s]}", "v", tricky_strings[i], "l",
					 tricky_strings[i]);

		assert_non_null(json);
		failed += !roundtrips(json, tricky_strings[i]);
		json_decref(json);
		json = json_string(tricky_strings[i]);
		failed += !roundtrips(json, tricky_strings[i]);
		json_decref(json);
	}
	for (i = 0; tricky_keys[i]; i++) {
		json_t *json = json_pack("{s:i, s:{s:s}}", tricky_keys[i], 1, "m", tricky_keys[i],
					 "x");

		assert_non_null(json);
		failed += !roundtrips(json, tricky_keys[i]);
		json_decref(json);
	}
	assert_int_equal(failed, 0);
}

/* xorshift64*: deterministic, so a failure is reproducible */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* A random string: a tricky one, pieces of tricky ones glued together, or
 * random characters from a set that exercises every quoting rule. */
static json_t *random_string(void)
{
	static const char *const pieces[] = {
		" ", "  ", "\n", "\n\n", "\t", "\r", ":", ": ", "#", " #", "-", "- ", "?", "'",
		"\"", "\\", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "~",
		"a", "b", "yes", "no", "y", "null", "0", "1", "7", ".", "e", "_", "+", "x", "0x",
		"é", "✓", "😀", "\xe2\x80\xa8", "\xc2\x85", "\xc2\xa0", "\xef\xbb\xbf", "\x01",
		"---", "...", "<<", "{{", "}}", "\0",
	};
	char buf[256];
	size_t len = 0, n, i;

	switch (rng_below(3)) {
	case 0:
		n = sizeof(tricky_strings) / sizeof(tricky_strings[0]) - 1;
		return json_string(tricky_strings[rng_below(n)]);
	case 1:
		n = 1 + rng_below(4);
		for (i = 0; i < n; i++) {
			const char *t = tricky_strings[rng_below(sizeof(tricky_strings) /
								 sizeof(tricky_strings[0]) - 1)];
			size_t tl = strlen(t);

			if (len + tl >= sizeof(buf))
				break;
			memcpy(buf + len, t, tl);
			len += tl;
		}
		return json_stringn(buf, len);
	default:
		n = rng_below(12);
		for (i = 0; i < n; i++) {
			const char *t = pieces[rng_below(sizeof(pieces) / sizeof(pieces[0]))];
			size_t tl = *t ? strlen(t) : 1; /* "\0" is one NUL byte */

			memcpy(buf + len, t, tl);
			len += tl;
		}
		return json_stringn(buf, len);
	}
}

static json_t *random_real(void)
{
	double d;
	uint64_t bits;
	size_t n;

	switch (rng_below(3)) {
	case 0: /* any finite double */
		do {
			bits = rng();
			memcpy(&d, &bits, sizeof(d));
		} while (!isfinite(d));
		break;
	case 1: /* a short decimal */
		d = (double)(int64_t)(rng() % 2000001 - 1000000) / 1000.0;
		break;
	default: /* big and small magnitudes */
		d = (double)(rng() % 1000 + 1) / 7.0;
		for (n = rng_below(200); n > 0; n--)
			d = n % 2 ? d * 2 : d / 2;
		for (n = rng_below(100); n > 0; n--)
			d *= 2;
		break;
	}
	/* integral reals inside int64 come back as integers, by design */
	if (d >= -0x1p63 && d < 0x1p63 && (double)(int64_t)d == d)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *random_value(int depth)
{
	size_t n, i;
	json_t *json;

	switch (depth < 6 ? rng_below(10) : 4 + rng_below(6)) {
	case 0:
	case 1:
		json = json_object();
		n = rng_below(6);
		for (i = 0; i < n; i++) {
			json_t *key = random_string();
			const char *k = json_string_value(key);

			if (rng_below(2))
				k = tricky_keys[rng_below(sizeof(tricky_keys) /
							  sizeof(tricky_keys[0]) - 1)];
			/* jansson keys cannot hold NUL */
			if (strlen(k) == json_string_length(key) || k != json_string_value(key))
				json_object_set_new(json, k, random_value(depth + 1));
			json_decref(key);
		}
		return json;
	case 2:
	case 3:
		json = json_array();
		n = rng_below(5);
		for (i = 0; i < n; i++)
			json_array_append_new(json, random_value(depth + 1));
		return json;
	case 4:
	case 5:
	case 6:
		return random_string();
	case 7:
		switch (rng_below(4)) {
		case 0:
			return json_integer((json_int_t)rng());
		case 1:
			return json_integer((json_int_t)(rng() % 2000) - 1000);
		case 2:
			return json_integer(rng_below(2) ? INT64_MAX : INT64_MIN);
		default:
			return json_integer(0);
		}
	case 8:
		return random_real();
	default:
		switch (rng_below(3)) {
		case 0:
			return json_true();
		case 1:
			return json_false();
		default:
			return json_null();
		}
	}
}

static void test_roundtrip_random(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < 4000; i++) {
		json_t *json = json_object();
		char name[32];

		snprintf(name, sizeof(name), "generated #%zu", i);
		json_object_set_new(json, "root", random_value(0));
		json_object_set_new(json, "extra", random_value(3));
		failed += !roundtrips(json, name);
		json_decref(json);
		if (failed >= 10)
			break;
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_cases),
		cmocka_unit_test(test_examples_all),
		cmocka_unit_test(test_examples_expected),
		cmocka_unit_test(test_output_layout),
		cmocka_unit_test(test_output_quoting),
		cmocka_unit_test(test_output_blocks),
		cmocka_unit_test(test_output_numbers),
		cmocka_unit_test(test_output_key_order),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_alias_limit),
		cmocka_unit_test(test_error_struct_optional),
		cmocka_unit_test(test_error_message_snippet),
		cmocka_unit_test(test_roundtrip_handwritten),
		cmocka_unit_test(test_roundtrip_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
