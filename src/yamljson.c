/*
 * yamljson.c - YAML <-> JSON conversion with the argo CLI's rules.
 *
 * The argo CLI reads YAML with sigs.k8s.io/yaml, i.e. go-yaml v2 (YAML 1.1
 * scalar resolution) followed by a conversion to JSON; this file reproduces
 * that reading on top of libyaml's event parser and jansson, and writes YAML
 * the way kubectl / `argo get -o yaml` do (go-yaml v2's encoder, itself a port
 * of libyaml's emitter).
 *
 * Reading: a recursive-descent builder consumes libyaml events and produces
 * jansson values directly. Plain scalars are resolved by resolve_plain(),
 * a transcription of go-yaml v2's resolve(); aliases insert deep copies of
 * the anchored value, counted against YJ_MAX_ALIAS_NODES; nesting, including
 * what aliases bring in, is bounded by YJ_MAX_DEPTH; "<<" merges are applied
 * when their mapping ends; duplicate keys are refused. A text that is valid
 * JSON as a whole is read by jansson instead, as the argo CLI does.
 *
 * Writing: jansson values become libyaml emitter events, with map keys sorted
 * in go-yaml v2's order and each string given a style under which it reads
 * back as the same string.
 *
 * Memory: the builder owns the libyaml event it is handling and each json_t
 * it built until that value is linked into its parent; the caller gets the
 * only reference to the root. The anchor table holds one extra reference to
 * each anchored value until the conversion ends; as aliases insert copies,
 * the returned tree never shares a node. The writer borrows the json_t and
 * returns a malloc'd buffer owned by the caller. Numbers are parsed and
 * printed under the "C" locale (uselocale) whatever the process locale is.
 */
#include "argofs/yamljson.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define TAG_PREFIX "tag:yaml.org,2002:"
#define SNIPPET_MAX 40 /* bytes of a scalar quoted in an error message */

/* ------------------------------------------------------------------------
 * Error messages
 */

/*
 * Copy at most SNIPPET_MAX bytes of @s into @dst (SNIPPET_MAX + 4 bytes) for
 * an error message: control characters become spaces, a UTF-8 sequence is
 * never cut, and "..." marks a cut. Messages hold nothing else from the
 * input but anchor names (ASCII for libyaml), so they stay valid UTF-8 and
 * one line even when vsnprintf cuts them.
 */
static void snippet(char *dst, const char *s, size_t len)
{
	size_t n = len, i;

	if (n > SNIPPET_MAX) {
		n = SNIPPET_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	strcpy(dst + n, n < len ? "..." : "");
}

/* ------------------------------------------------------------------------
 * Numbers in Go's syntax (strconv.ParseInt/ParseUint with base 0 and
 * ParseFloat), as go-yaml v2 uses them.
 */

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* strconv.ParseUint(s, 0, 64) on a string without underscores: 0 and the
 * value, -ERANGE on overflow, -EINVAL on a syntax error. */
static int go_parse_uint(const char *s, size_t len, uint64_t *ret)
{
	unsigned base = 10;
	size_t i = 0;
	uint64_t n = 0;

	if (len == 0)
		return -EINVAL;
	if (s[0] == '0') {
		if (len >= 3 && lower(s[1]) == 'b')
			base = 2, i = 2;
		else if (len >= 3 && lower(s[1]) == 'o')
			base = 8, i = 2;
		else if (len >= 3 && lower(s[1]) == 'x')
			base = 16, i = 2;
		else
			base = 8, i = 1;
	}
	for (; i < len; i++) {
		int d = digit_value(s[i]);

		if (d >= (int)base)
			return -EINVAL;
		if (n > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		n = n * base + (uint64_t)d;
	}
	*ret = n;
	return 0;
}

/* strconv.ParseInt(s, 0, 64) on a string without underscores. */
static int go_parse_int(const char *s, size_t len, int64_t *ret)
{
	bool neg = false;
	uint64_t u;
	int r;

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s++, len--;
	}
	r = go_parse_uint(s, len, &u);
	if (r < 0)
		return r;
	if (!neg && u > (uint64_t)INT64_MAX)
		return -ERANGE;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* strconv's underscoreOK for a decimal number: each '_' sits between digits. */
static bool underscores_ok(const char *s, size_t len)
{
	char saw = '^';
	size_t i = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			saw = '0';
		} else if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else {
			if (saw == '_')
				return false;
			saw = '!';
		}
	}
	return saw != '_';
}

/*
 * strconv.ParseFloat(s, 64) for decimal syntax: [sign] digits [. digits]
 * [e [sign] digits], at least one mantissa digit, underscores allowed
 * between digits. Fails (-EINVAL) on bad syntax and (-ERANGE) when the
 * value overflows to infinity; underflow is not an error, as in Go.
 */
static int go_parse_float(const char *s, size_t len, double *ret)
{
	char stack[64], *copy = stack, *end;
	size_t i = 0, n = 0;
	bool digits = false, underscores = false;
	double v;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
		digits |= s[i] != '_', underscores |= s[i] == '_';
	if (i < len && s[i] == '.')
		for (i++; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
			digits |= s[i] != '_', underscores |= s[i] == '_';
	if (!digits)
		return -EINVAL;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
			underscores |= s[i] == '_';
	}
	if (i != len || (underscores && !underscores_ok(s, len)))
		return -EINVAL;
	if (len >= sizeof(stack)) {
		copy = malloc(len + 1);
		if (!copy)
			return -ENOMEM;
	}
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			copy[n++] = s[i];
	copy[n] = '\0';
	v = strtod(copy, &end);
	if (copy != stack)
		free(copy);
	if (isinf(v))
		return -ERANGE;
	*ret = v;
	return 0;
}

/* go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t len)
{
	size_t i = 0, start;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
	} else {
		start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
		if (i < len && s[i] == '.')
			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
	}
	return i == len;
}

/* go-yaml v2's base60float, strings its encoder quotes for YAML 1.1 readers:
 * ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool base60_float(const char *s, size_t len)
{
	size_t i = 0, groups = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	while (i < len && s[i] == ':') {
		i++;
		if (i + 1 < len && s[i] >= '0' && s[i] <= '5' && s[i + 1] >= '0' && s[i + 1] <= '9')
			i += 2;
		else if (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		else
			return false;
		groups++;
	}
	if (groups == 0)
		return false;
	if (i < len && s[i] == '.')
		for (i++; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++)
			;
	return i == len;
}

/* ------------------------------------------------------------------------
 * Timestamps: go-yaml v2 tries time.Parse with the layouts
 * "2006-1-2T15:4:5.999999999Z07:00", the same with a lower-case 't',
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". A plain scalar that matches
 * stays a string; a !!timestamp scalar that does not match is an error.
 */

/* time.getnum: one or two digits (exactly two when @fixed). */
static bool ts_num(const char **p, const char *end, bool fixed, int *ret)
{
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	if (s + 1 >= end || s[1] < '0' || s[1] > '9') {
		if (fixed)
			return false;
		*ret = *s - '0';
		*p = s + 1;
		return true;
	}
	*ret = (s[0] - '0') * 10 + (s[1] - '0');
	*p = s + 2;
	return true;
}

static bool ts_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int month, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

	return month == 2 && leap ? 29 : days[month - 1];
}

/* "15:4:5" with optional fraction ('.' or ',' and any number of digits). */
static bool ts_clock(const char **p, const char *end)
{
	int h, m, s;

	if (!ts_num(p, end, false, &h) || h > 23 || !ts_char(p, end, ':') ||
	    !ts_num(p, end, false, &m) || m > 59 || !ts_char(p, end, ':') ||
	    !ts_num(p, end, false, &s) || s > 59)
		return false;
	if (end - *p >= 2 && (**p == '.' || **p == ',') && (*p)[1] >= '0' && (*p)[1] <= '9')
		for ((*p)++; *p < end && **p >= '0' && **p <= '9'; (*p)++)
			;
	return true;
}

/* "Z07:00": 'Z' or [+-]hh:mm with hh <= 24 and mm <= 60, as time.Parse. */
static bool ts_zone(const char **p, const char *end)
{
	const char *s = *p;
	int h, m;

	if (s < end && *s == 'Z') {
		*p = s + 1;
		return true;
	}
	if (end - s < 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return false;
	s++;
	if (!ts_num(&s, end, true, &h) || !ts_char(&s, end, ':') || !ts_num(&s, end, true, &m) ||
	    h > 24 || m > 60)
		return false;
	*p = s;
	return true;
}

static bool parse_timestamp(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int year, month, day;

	if (len < 5 || s[4] != '-')
		return false;
	for (year = 0; p < s + 4; p++) {
		if (*p < '0' || *p > '9')
			return false;
		year = year * 10 + (*p - '0');
	}
	p++;
	if (!ts_num(&p, end, false, &month) || month < 1 || month > 12 || !ts_char(&p, end, '-') ||
	    !ts_num(&p, end, false, &day) || day < 1 || day > days_in_month(month, year))
		return false;
	if (p == end)
		return true; /* "2006-1-2" */
	if (*p == 'T' || *p == 't') {
		p++;
		return ts_clock(&p, end) && ts_zone(&p, end) && p == end;
	}
	if (*p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	return ts_clock(&p, end) && p == end;
}

/* ------------------------------------------------------------------------
 * Scalar resolution (go-yaml v2 resolve.go)
 */

enum rtag { RT_STR, RT_BOOL, RT_INT, RT_FLOAT, RT_NULL, RT_TIMESTAMP };

static const char *const rtag_names[] = {
	[RT_STR] = "str", [RT_BOOL] = "bool", [RT_INT] = "int", [RT_FLOAT] = "float",
	[RT_NULL] = "null", [RT_TIMESTAMP] = "timestamp",
};

/* What a scalar resolved to. Strings keep their text in the json_t. */
struct scalar {
	enum { SK_NULL, SK_BOOL, SK_INT, SK_UINT, SK_FLOAT, SK_STR } kind;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
};

static bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool word_in(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (word_is(s, len, *words))
			return true;
	return false;
}

/*
 * resolve("", s) or resolve(tag, s) of go-yaml v2 for a resolvable tag:
 * stores in *ret the tag the text resolves to and fills @sc (kind SK_STR for
 * RT_STR and RT_TIMESTAMP, which both end up as the text itself). Only text
 * starting with one of "+-0123456789yYnNtTfFoO~." (or empty) can be anything
 * but a string; so "<<" is a string too (a merge key is recognised by its
 * spelling, see parse_scalar()). @check_timestamp is go-yaml's "tag is empty
 * or !!timestamp". Returns a negative errno only when out of memory.
 */
static int resolve_plain(const char *s, size_t len, bool check_timestamp, struct scalar *sc,
			 enum rtag *ret)
{
	static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					     "on", "On", "ON", NULL };
	static const char *const falses[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					      "off", "Off", "OFF", NULL };
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
	static const char *const ninfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
	char stack[64], *plain = stack;
	size_t i, n = 0;
	char hint;
	int r;

	memset(sc, 0, sizeof(*sc));
	sc->kind = SK_STR;
	*ret = RT_STR;
	if (len == 0)
		hint = 'N';
	else if (s[0] == '+' || s[0] == '-')
		hint = 'S';
	else if (s[0] >= '0' && s[0] <= '9')
		hint = 'D';
	else if (s[0] != '\0' && strchr("yYnNtTfFoO~", s[0]))
		hint = 'M';
	else if (s[0] == '.')
		hint = '.';
	else
		return 0;

	if (word_in(s, len, trues) || word_in(s, len, falses)) {
		sc->kind = SK_BOOL;
		sc->b = word_in(s, len, trues);
		*ret = RT_BOOL;
		return 0;
	}
	if (word_in(s, len, nulls)) {
		sc->kind = SK_NULL;
		*ret = RT_NULL;
		return 0;
	}
	if (word_in(s, len, nans) || word_in(s, len, infs) || word_in(s, len, ninfs)) {
		sc->kind = SK_FLOAT;
		sc->f = word_in(s, len, nans) ? NAN : word_in(s, len, infs) ? INFINITY : -INFINITY;
		*ret = RT_FLOAT;
		return 0;
	}
	if (hint == '.') {
		r = go_parse_float(s, len, &sc->f);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			sc->kind = SK_FLOAT;
			*ret = RT_FLOAT;
		}
		return 0;
	}
	if (hint != 'D' && hint != 'S')
		return 0;
	if (check_timestamp && parse_timestamp(s, len)) {
		*ret = RT_TIMESTAMP;
		return 0;
	}
	/* ParseInt, then ParseUint, then ParseFloat if it looks like a YAML
	 * float, all on the text without its underscores. (go-yaml's later
	 * "0b" fallbacks cannot succeed where base-0 ParseInt failed.) */
	if (len >= sizeof(stack)) {
		plain = malloc(len + 1);
		if (!plain)
			return -ENOMEM;
	}
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			plain[n++] = s[i];
	plain[n] = '\0';
	r = 0;
	if (go_parse_int(plain, n, &sc->i) == 0) {
		sc->kind = SK_INT;
		*ret = RT_INT;
	} else if (go_parse_uint(plain, n, &sc->u) == 0) {
		sc->kind = SK_UINT;
		*ret = RT_INT;
	} else if (yaml_style_float(plain, n)) {
		r = go_parse_float(plain, n, &sc->f);
		if (r == 0) {
			sc->kind = SK_FLOAT;
			*ret = RT_FLOAT;
		}
		r = r == -ENOMEM ? r : 0;
	}
	if (plain != stack)
		free(plain);
	return r;
}

/* ------------------------------------------------------------------------
 * UTF-8 and base64 (!!binary)
 */

/* Length of the valid UTF-8 sequence at @s (Go's utf8.DecodeRune rules: no
 * overlong forms, no surrogates, at most U+10FFFF), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * Decode !!binary text as Go's base64.StdEncoding.DecodeString does ('\r'
 * and '\n' ignored, padding required, nothing but newlines after it), then
 * make the bytes a valid UTF-8 string the way encoding/json writes it: each
 * byte that does not start a valid sequence becomes U+FFFD. Returns a new
 * json string, or NULL with *ret_err set to -EINVAL or -ENOMEM.
 */
static json_t *decode_binary(const char *s, size_t len, int *ret_err)
{
	unsigned char *raw, *text = NULL;
	size_t nraw = 0, ntext = 0, i = 0, q = 0;
	uint32_t quantum = 0;
	json_t *json = NULL;

	*ret_err = -ENOMEM;
	raw = malloc(len / 4 * 3 + 3);
	if (!raw)
		return NULL;
	for (; i < len; i++) {
		char c = s[i];
		const char *pos;
		static const char alphabet[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=')
			break;
		pos = c ? strchr(alphabet, c) : NULL;
		if (!pos)
			goto bad;
		quantum = quantum << 6 | (uint32_t)(pos - alphabet);
		if (++q == 4) {
			raw[nraw++] = (unsigned char)(quantum >> 16);
			raw[nraw++] = (unsigned char)(quantum >> 8);
			raw[nraw++] = (unsigned char)quantum;
			quantum = 0, q = 0;
		}
	}
	if (i < len) { /* padding: "xx==" or "xxx=" */
		size_t want = q == 2 ? 2 : q == 3 ? 1 : 0, got = 0;

		if (want == 0)
			goto bad;
		for (; i < len; i++) {
			if (s[i] == '\r' || s[i] == '\n')
				continue;
			if (s[i] != '=' || ++got > want)
				goto bad;
		}
		if (got != want)
			goto bad;
		quantum <<= 6 * (4 - q);
		raw[nraw++] = (unsigned char)(quantum >> 16);
		if (q == 3)
			raw[nraw++] = (unsigned char)(quantum >> 8);
	} else if (q != 0) {
		goto bad;
	}

	text = malloc(nraw * 3 + 1);
	if (!text)
		goto out;
	for (i = 0; i < nraw;) {
		size_t n = utf8_seq(raw + i, nraw - i);

		if (n == 0) {
			memcpy(text + ntext, "\xef\xbf\xbd", 3);
			ntext += 3, i++;
		} else {
			memcpy(text + ntext, raw + i, n);
			ntext += n, i += n;
		}
	}
	json = json_stringn((const char *)text, ntext);
	goto out;
bad:
	*ret_err = -EINVAL;
out:
	free(raw);
	free(text);
	return json;
}

/* ------------------------------------------------------------------------
 * Floating-point text as Go's strconv.FormatFloat(v, 'g', -1, bits) writes
 * it: the shortest digits that read back as the same value, in %e form when
 * the decimal exponent is < -4 or >= 6 (Go's rule for shortest 'g').
 */

/* float32(v) as Go converts it, without the C overflow case. */
static double to_float32(double v)
{
	const double limit = 0x1.ffffffp127; /* FLT_MAX + half an ulp */

	if (v >= limit)
		return INFINITY;
	if (v <= -limit)
		return -INFINITY;
	return (float)v;
}

static void go_format_float(double v, bool single, char *out, size_t size)
{
	char buf[40], digits[24];
	int prec, exp, nd = 0, i;
	const char *p;
	size_t o = 0;

	if (single)
		v = to_float32(v);
	if (isnan(v)) {
		snprintf(out, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, size, "%cInf", v > 0 ? '+' : '-');
		return;
	}
	if (v == 0) {
		snprintf(out, size, "%s", signbit(v) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	/* buf is "[-]d[.ddd]e[+-]xx" */
	p = buf + (buf[0] == '-');
	for (; *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (v < 0)
		out[o++] = '-';
	if (exp < -4 || exp >= 6) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, size - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (exp < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -exp - 1; i++)
			out[o++] = '0';
		for (i = 0; i < nd; i++)
			out[o++] = digits[i];
	} else {
		for (i = 0; i <= exp; i++)
			out[o++] = i < nd ? digits[i] : '0';
		if (nd > exp + 1) {
			out[o++] = '.';
			for (i = exp + 1; i < nd; i++)
				out[o++] = digits[i];
		}
	}
	out[o] = '\0';
}

/* YAML's spelling of what Go's FormatFloat writes for infinities and NaN,
 * NULL for any other text. */
static const char *yaml_special_float(const char *go)
{
	if (strcmp(go, "+Inf") == 0)
		return ".inf";
	if (strcmp(go, "-Inf") == 0)
		return "-.inf";
	if (strcmp(go, "NaN") == 0)
		return ".nan";
	return NULL;
}

/* ------------------------------------------------------------------------
 * Reading YAML
 */

struct anchor {
	char *name;           /* owned */
	json_t *value;        /* one reference; NULL while the node is parsed */
	struct scalar scalar; /* what a scalar anchor resolved to */
	bool is_scalar;
	size_t nodes;         /* nodes in value: what one alias produces */
	int height;           /* collection levels in value (0 for a scalar) */
};

struct parser {
	yaml_parser_t yaml;
	const char *buf;
	size_t len;
	struct yj_error *err;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t *slots; /* hash of names: 1 + index of the latest anchor, 0 free */
	size_t n_slots;
	size_t alias_nodes;
};

/* A parsed node: its value plus what mapping keys and merges need. */
struct node {
	json_t *json;         /* owned reference */
	struct scalar scalar; /* valid when is_scalar */
	bool is_scalar;
	bool is_merge_key;    /* plain (or !!merge) "<<" */
	yaml_mark_t mark;
};

static int fail(struct parser *p, const yaml_mark_t *mark, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill the caller's error struct (if any) and return @r. */
static int fail(struct parser *p, const yaml_mark_t *mark, int r, const char *fmt, ...)
{
	va_list ap;

	if (!p->err)
		return r;
	p->err->line = mark ? (int)mark->line + 1 : 0;
	p->err->column = mark ? (int)mark->column + 1 : 0;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return r;
}

static int out_of_memory(struct parser *p)
{
	return fail(p, NULL, -ENOMEM, "out of memory");
}

/* The mark of byte @offset of the input (libyaml's reader errors only give
 * an offset); columns count characters, as libyaml's marks do. */
static yaml_mark_t offset_mark(const struct parser *p, size_t offset)
{
	yaml_mark_t mark = { 0, 0, 0 };
	size_t i;

	for (i = 0; i < offset && i < p->len; i++) {
		unsigned char c = (unsigned char)p->buf[i];

		if (c == '\n' || (c == '\r' && (i + 1 >= p->len || p->buf[i + 1] != '\n'))) {
			mark.line++;
			mark.column = 0;
		} else if ((c & 0xc0) != 0x80 && c != '\r') {
			mark.column++;
		}
	}
	mark.index = offset;
	return mark;
}

static int parser_error(struct parser *p)
{
	const yaml_parser_t *y = &p->yaml;
	const char *problem = y->problem ? y->problem : "invalid YAML";
	yaml_mark_t mark;

	switch (y->error) {
	case YAML_MEMORY_ERROR:
		return out_of_memory(p);
	case YAML_READER_ERROR:
		mark = offset_mark(p, y->problem_offset);
		if (y->problem_value == 0)
			return fail(p, &mark, -EINVAL, "NUL byte is not allowed");
		if (strstr(problem, "UTF-8") || strstr(problem, "Unicode"))
			return fail(p, &mark, -EINVAL, "invalid UTF-8: %s", problem);
		return fail(p, &mark, -EINVAL, "%s (#x%X)", problem, (unsigned)y->problem_value);
	default:
		if (y->context)
			return fail(p, &y->problem_mark, -EINVAL, "%s %s (line %d, column %d)",
				    problem, y->context, (int)y->context_mark.line + 1,
				    (int)y->context_mark.column + 1);
		return fail(p, &y->problem_mark, -EINVAL, "%s", problem);
	}
}

static int next_event(struct parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->yaml, ev))
		return parser_error(p);
	return 0;
}

/* --- anchors: an array in definition order plus an open-addressing hash --- */

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ULL & SIZE_MAX);
	return h;
}

/* The slot holding @name, or the free slot where it would go. */
static size_t *anchor_slot(const struct parser *p, const char *name)
{
	size_t i = name_hash(name) & (p->n_slots - 1);

	while (p->slots[i] && strcmp(p->anchors[p->slots[i] - 1].name, name) != 0)
		i = (i + 1) & (p->n_slots - 1);
	return &p->slots[i];
}

static struct anchor *anchor_find(const struct parser *p, const char *name)
{
	size_t slot;

	if (p->n_slots == 0)
		return NULL;
	slot = *anchor_slot(p, name);
	return slot ? &p->anchors[slot - 1] : NULL;
}

/* Start defining anchor @name (the node is being parsed); later aliases to
 * the name see this definition. Returns its index in *ret_index. */
static int anchor_begin(struct parser *p, const char *name, size_t *ret_index)
{
	struct anchor *a;
	size_t i;

	if (p->n_anchors == p->cap_anchors) {
		size_t cap = p->cap_anchors ? p->cap_anchors * 2 : 16;

		a = realloc(p->anchors, cap * sizeof(*a));
		if (!a)
			return out_of_memory(p);
		p->anchors = a;
		p->cap_anchors = cap;
	}
	if ((p->n_anchors + 1) * 2 > p->n_slots) {
		size_t n = p->n_slots ? p->n_slots * 2 : 32;
		size_t *old = p->slots, n_old = p->n_slots;

		p->slots = calloc(n, sizeof(*p->slots));
		if (!p->slots) {
			p->slots = old;
			return out_of_memory(p);
		}
		p->n_slots = n;
		for (i = 0; i < n_old; i++)
			if (old[i])
				*anchor_slot(p, p->anchors[old[i] - 1].name) = old[i];
		free(old);
	}
	a = &p->anchors[p->n_anchors];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (!a->name)
		return out_of_memory(p);
	p->n_anchors++;
	*anchor_slot(p, name) = p->n_anchors;
	*ret_index = p->n_anchors - 1;
	return 0;
}

static void tree_measure(const json_t *json, size_t *nodes, int *height)
{
	const char *key;
	json_t *child;
	size_t i, n = 1;
	int h = 0, ch;

	if (json_is_object(json)) {
		json_object_foreach((json_t *)json, key, child) {
			size_t cn;

			tree_measure(child, &cn, &ch);
			n += cn;
			h = ch > h ? ch : h;
		}
		h++;
	} else if (json_is_array(json)) {
		json_array_foreach(json, i, child) {
			size_t cn;

			tree_measure(child, &cn, &ch);
			n += cn;
			h = ch > h ? ch : h;
		}
		h++;
	}
	*nodes = n;
	*height = h;
}

/* Finish the definition started by anchor_begin(): @n is the node. */
static void anchor_end(struct parser *p, size_t index, const struct node *n)
{
	struct anchor *a = &p->anchors[index];

	a->value = json_incref(n->json);
	a->scalar = n->scalar;
	a->is_scalar = n->is_scalar;
	tree_measure(a->value, &a->nodes, &a->height);
}

static int anchor_define(struct parser *p, const char *name, const struct node *n)
{
	size_t index;
	int r;

	if (!name)
		return 0;
	r = anchor_begin(p, name, &index);
	if (r == 0)
		anchor_end(p, index, n);
	return r;
}

/* --- nodes --- */

static int parse_node(struct parser *p, yaml_event_t *ev, int depth, struct node *out);

static int parse_next_node(struct parser *p, int depth, struct node *out)
{
	yaml_event_t ev;
	int r = next_event(p, &ev);

	return r < 0 ? r : parse_node(p, &ev, depth, out);
}

/* Whether @tag is one go-yaml resolves (!!str, !!bool, !!int, !!float,
 * !!null, !!timestamp), and which. */
static bool resolvable_tag(const char *tag, enum rtag *ret)
{
	size_t i;

	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
		return false;
	for (i = 0; i < sizeof(rtag_names) / sizeof(rtag_names[0]); i++)
		if (strcmp(tag + strlen(TAG_PREFIX), rtag_names[i]) == 0) {
			*ret = (enum rtag)i;
			return true;
		}
	return false;
}

/* Whether @f is integral and inside the int64 range. */
static bool is_int64(double f)
{
	return f >= -0x1p63 && f < 0x1p63 && (double)(int64_t)f == f;
}

/*
 * JSON for a resolved scalar. Integers are json integers. Floats are json
 * reals, except that a float with an integral value inside the int64 range
 * becomes a json integer: Go's encoding/json writes float64(1) as "1", and
 * the Argo server decodes into typed fields where "1.0" would be refused for
 * an integer. A uint64 beyond int64 (jansson's integer) becomes the nearest
 * real, which is also what the server's decoder makes of it for an untyped
 * or string field. NaN and infinities, which JSON cannot hold but which
 * may still serve as mapping keys, get a null placeholder that
 * check_value() refuses wherever the node is used as a value.
 */
static int scalar_json(struct parser *p, const struct scalar *sc, const yaml_event_t *ev,
		       json_t **ret)
{
	switch (sc->kind) {
	case SK_NULL:
		*ret = json_null();
		break;
	case SK_BOOL:
		*ret = json_boolean(sc->b);
		break;
	case SK_INT:
		*ret = json_integer(sc->i);
		break;
	case SK_UINT:
		*ret = json_real((double)sc->u);
		break;
	case SK_FLOAT:
		if (!isfinite(sc->f))
			*ret = json_null();
		else if (is_int64(sc->f))
			*ret = json_integer((json_int_t)sc->f);
		else
			*ret = json_real(sc->f);
		break;
	case SK_STR:
		*ret = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
		break;
	}
	return *ret ? 0 : out_of_memory(p);
}

/* Refuse a node used as a value that JSON cannot hold. */
static int check_value(struct parser *p, const struct node *n)
{
	char buf[32];

	if (!n->is_scalar || n->scalar.kind != SK_FLOAT || isfinite(n->scalar.f))
		return 0;
	go_format_float(n->scalar.f, false, buf, sizeof(buf));
	return fail(p, &n->mark, -EINVAL, "%s (infinity or NaN) cannot be represented in JSON",
		    yaml_special_float(buf));
}

/* A scalar event, resolved as go-yaml v2's decoder does (decode.go scalar()
 * and resolve.go resolve()). */
static int parse_scalar(struct parser *p, yaml_event_t *ev, struct node *out)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.plain_implicit;
	enum rtag want = RT_STR, got = RT_STR;
	char snip[SNIPPET_MAX + 4];
	int r;

	memset(out, 0, sizeof(*out));
	out->mark = ev->start_mark;
	out->is_scalar = true;
	out->scalar.kind = SK_STR;
	out->is_merge_key = word_is(text, len, "<<") &&
			    (plain || (tag && strcmp(tag, TAG_PREFIX "merge") == 0));

	if (tag && strcmp(tag, TAG_PREFIX "binary") == 0) {
		out->json = decode_binary(text, len, &r);
		if (!out->json)
			return r == -EINVAL ? fail(p, &ev->start_mark, r,
						   "!!binary value contains invalid base64 data")
					    : out_of_memory(p);
		return anchor_define(p, (const char *)ev->data.scalar.anchor, out);
	}
	/* Untagged quoted scalars and !!str are strings; untagged plain scalars
	 * and the other resolvable tags go through resolve(); any other tag
	 * ("!", "!foo", "!!seq"...) leaves the text as a string. */
	if (tag ? resolvable_tag(tag, &want) && want != RT_STR : plain) {
		r = resolve_plain(text, len, !tag || want == RT_TIMESTAMP, &out->scalar, &got);
		if (r < 0)
			return out_of_memory(p);
		if (tag && got != want) {
			if (want == RT_FLOAT && got == RT_INT && out->scalar.kind == SK_INT) {
				out->scalar.kind = SK_FLOAT;
				out->scalar.f = (double)out->scalar.i;
			} else {
				snippet(snip, text, len);
				return fail(p, &ev->start_mark, -EINVAL, "cannot decode !!%s `%s` as a !!%s",
					    rtag_names[got], snip, rtag_names[want]);
			}
		}
	}
	r = scalar_json(p, &out->scalar, ev, &out->json);
	if (r < 0)
		return r;
	return anchor_define(p, (const char *)ev->data.scalar.anchor, out);
}

static int parse_alias(struct parser *p, yaml_event_t *ev, int depth, struct node *out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = anchor_find(p, name);

	memset(out, 0, sizeof(*out));
	out->mark = ev->start_mark;
	if (!a)
		return fail(p, &ev->start_mark, -EINVAL, "unknown anchor '%s' referenced", name);
	if (!a->value)
		return fail(p, &ev->start_mark, -EINVAL, "anchor '%s' value contains itself", name);
	if (depth + a->height > YJ_MAX_DEPTH)
		return fail(p, &ev->start_mark, -EINVAL,
			    "alias '%s' nests deeper than %d levels", name, YJ_MAX_DEPTH);
	if (a->nodes > YJ_MAX_ALIAS_NODES - p->alias_nodes)
		return fail(p, &ev->start_mark, -EINVAL,
			    "aliases expand to more than %d nodes", YJ_MAX_ALIAS_NODES);
	p->alias_nodes += a->nodes;
	out->json = json_deep_copy(a->value);
	if (!out->json)
		return out_of_memory(p);
	out->scalar = a->scalar;
	out->is_scalar = a->is_scalar;
	return 0;
}

/* The start of a sequence or a mapping at @start: @out gets @container (an
 * empty array or object, taken; NULL when out of memory) and, when it has
 * an @anchor, its slot in *ret_index. On failure @out holds nothing. */
static int collection_begin(struct parser *p, const yaml_event_t *start, const char *anchor,
			    int depth, json_t *container, struct node *out, size_t *ret_index)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->mark = start->start_mark;
	if (depth > YJ_MAX_DEPTH) {
		json_decref(container);
		return fail(p, &start->start_mark, -EINVAL, "nesting deeper than %d levels",
			    YJ_MAX_DEPTH);
	}
	if (!container)
		return out_of_memory(p);
	out->json = container;
	if (anchor && (r = anchor_begin(p, anchor, ret_index)) < 0) {
		json_decref(out->json);
		out->json = NULL;
		return r;
	}
	return 0;
}

static int parse_sequence(struct parser *p, yaml_event_t *start, int depth, struct node *out)
{
	const char *anchor = (const char *)start->data.sequence_start.anchor;
	size_t index = 0;
	int r;

	r = collection_begin(p, start, anchor, depth, json_array(), out, &index);
	if (r < 0)
		return r;
	for (;;) {
		yaml_event_t ev;
		struct node item;

		r = next_event(p, &ev);
		if (r < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		r = parse_node(p, &ev, depth, &item);
		if (r < 0)
			goto fail;
		r = check_value(p, &item);
		if (r < 0) {
			json_decref(item.json);
			goto fail;
		}
		if (json_array_append_new(out->json, item.json) < 0) {
			r = out_of_memory(p);
			goto fail;
		}
	}
	if (anchor)
		anchor_end(p, index, out);
	return 0;
fail:
	json_decref(out->json);
	out->json = NULL;
	return r;
}

/*
 * The JSON key for a key node, as sigs.k8s.io/yaml turns go-yaml's keys into
 * strings: text as is, integers in decimal, booleans as "true"/"false",
 * floats with strconv.FormatFloat(f, 'g', -1, 32) (.inf/-.inf/.nan for the
 * infinities and NaN). Null, uint64 and collection keys are refused, as
 * there; so is a NUL character, which a jansson key cannot hold. @buf
 * (32 bytes) holds a formatted key; *ret points into it or into the node.
 */
static int key_text(struct parser *p, const struct node *key, char *buf, const char **ret)
{
	const struct scalar *sc = &key->scalar;

	if (!key->is_scalar)
		return fail(p, &key->mark, -EINVAL, "invalid map key: a %s cannot be a key",
			    json_is_array(key->json) ? "sequence" : "mapping");
	switch (sc->kind) {
	case SK_NULL:
		return fail(p, &key->mark, -EINVAL, "unsupported map key: null");
	case SK_UINT:
		return fail(p, &key->mark, -EINVAL, "unsupported map key: %" PRIu64 " (uint64)",
			    sc->u);
	case SK_BOOL:
		*ret = sc->b ? "true" : "false";
		return 0;
	case SK_INT:
		snprintf(buf, 32, "%" PRId64, sc->i);
		*ret = buf;
		return 0;
	case SK_FLOAT:
		go_format_float(sc->f, true, buf, 32);
		*ret = yaml_special_float(buf) ? yaml_special_float(buf) : buf;
		return 0;
	case SK_STR:
		break;
	}
	*ret = json_string_value(key->json);
	if (strlen(*ret) != json_string_length(key->json))
		return fail(p, &key->mark, -EINVAL, "map key contains a NUL character");
	return 0;
}

static bool merge_source_ok(const json_t *json)
{
	size_t i;
	json_t *item;

	if (json_is_object(json))
		return true;
	if (!json_is_array(json))
		return false;
	json_array_foreach(json, i, item)
		if (!json_is_object(item))
			return false;
	return true;
}

/* Queue the mappings of a merge value (a mapping, or a sequence of them)
 * on @sources, an array in order of precedence. */
static int queue_merge(struct parser *p, json_t *sources, json_t *value)
{
	int r = json_is_array(value) ? json_array_extend(sources, value)
				     : json_array_append(sources, value);

	return r < 0 ? out_of_memory(p) : 0;
}

/* Add the keys of the queued mappings that @obj does not have yet, the
 * earlier mappings first. */
static int apply_merges(struct parser *p, json_t *obj, json_t *sources)
{
	json_t *from, *value;
	const char *key;
	size_t i;

	json_array_foreach(sources, i, from)
		json_object_foreach(from, key, value)
			if (!json_object_get(obj, key) && json_object_set(obj, key, value) < 0)
				return out_of_memory(p);
	return 0;
}

/*
 * A mapping. Merge keys: go-yaml v2 merges by writing the merged keys into
 * the same map, so in strict mode any key both merged and given explicitly
 * (or merged twice) is reported as "already set"; we follow the YAML
 * merge-key specification instead: explicit keys override merged ones, and
 * earlier mappings of a merge sequence override later ones. Several "<<"
 * keys in one mapping, which go-yaml accepts, count as one sequence in the
 * order they come.
 */
static int parse_mapping(struct parser *p, yaml_event_t *start, int depth, struct node *out)
{
	const char *anchor = (const char *)start->data.mapping_start.anchor;
	json_t *merges = NULL;
	size_t index = 0;
	int r;

	r = collection_begin(p, start, anchor, depth, json_object(), out, &index);
	if (r < 0)
		return r;
	for (;;) {
		yaml_event_t ev;
		struct node key, value;
		char buf[32], snip[SNIPPET_MAX + 4];
		const char *text = NULL;

		r = next_event(p, &ev);
		if (r < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		r = parse_node(p, &ev, depth, &key);
		if (r < 0)
			goto fail;
		if (key.is_merge_key) {
			json_decref(key.json);
			r = parse_next_node(p, depth, &value);
			if (r < 0)
				goto fail;
			if (!merge_source_ok(value.json))
				r = fail(p, &value.mark, -EINVAL,
					 "map merge requires map or sequence of maps as the value");
			else if (!merges && !(merges = json_array()))
				r = out_of_memory(p);
			else
				r = queue_merge(p, merges, value.json);
			json_decref(value.json);
			if (r < 0)
				goto fail;
			continue;
		}
		r = key_text(p, &key, buf, &text);
		if (r == 0 && json_object_get(out->json, text)) {
			snippet(snip, text, strlen(text));
			r = fail(p, &key.mark, -EINVAL, "key \"%s\" already set in map", snip);
		}
		if (r == 0)
			r = parse_next_node(p, depth, &value);
		if (r == 0 && (r = check_value(p, &value)) < 0)
			json_decref(value.json);
		if (r == 0 && json_object_set_new(out->json, text, value.json) < 0)
			r = out_of_memory(p);
		json_decref(key.json);
		if (r < 0)
			goto fail;
	}
	if (merges) {
		r = apply_merges(p, out->json, merges);
		json_decref(merges);
		merges = NULL;
		if (r < 0)
			goto fail;
	}
	if (anchor)
		anchor_end(p, index, out);
	return 0;
fail:
	json_decref(merges);
	json_decref(out->json);
	out->json = NULL;
	return r;
}

/* Parse the node that starts with @ev (consumed) inside a collection at
 * @depth (0 for the root). */
static int parse_node(struct parser *p, yaml_event_t *ev, int depth, struct node *out)
{
	int r;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		r = parse_scalar(p, ev, out);
		break;
	case YAML_ALIAS_EVENT:
		r = parse_alias(p, ev, depth, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		r = parse_sequence(p, ev, depth + 1, out);
		break;
	case YAML_MAPPING_START_EVENT:
		r = parse_mapping(p, ev, depth + 1, out);
		break;
	default:
		r = fail(p, &ev->start_mark, -EINVAL, "unexpected YAML event %d", (int)ev->type);
		break;
	}
	yaml_event_delete(ev);
	return r;
}

/* The implicit empty node of a document with no content. */
static bool is_empty_node(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0 &&
	       ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
	       !ev->data.scalar.anchor;
}

/* Drop the next event, one libyaml's grammar puts there (STREAM-START,
 * DOCUMENT-END). */
static int skip_event(struct parser *p)
{
	yaml_event_t ev;
	int r = next_event(p, &ev);

	if (r == 0)
		yaml_event_delete(&ev);
	return r;
}

/* Read the next event and tell whether it is of @type (false on errors). */
static bool next_is(struct parser *p, bool (*test)(const yaml_event_t *))
{
	yaml_event_t ev;
	bool match;

	if (next_event(p, &ev) < 0)
		return false;
	match = test(&ev);
	yaml_event_delete(&ev);
	return match;
}

static bool is_document_end(const yaml_event_t *ev)
{
	return ev->type == YAML_DOCUMENT_END_EVENT;
}

static bool is_stream_end(const yaml_event_t *ev)
{
	return ev->type == YAML_STREAM_END_EVENT;
}

/*
 * After the first document: the end of the stream. A second document is
 * refused (whatever it holds, even invalid YAML: "a: 1\n...\nb: 2" is one
 * for libyaml), unless it is empty and last: a trailing "---" followed by
 * nothing but comments, which `argo submit` skips as well.
 */
static int expect_stream_end(struct parser *p)
{
	yaml_event_t ev;
	yaml_mark_t second;

	if (!yaml_parser_parse(&p->yaml, &ev)) {
		if (p->yaml.error == YAML_MEMORY_ERROR)
			return out_of_memory(p);
		return fail(p, &p->yaml.problem_mark, -EINVAL,
			    "multiple YAML documents are not supported");
	}
	second = ev.start_mark;
	if (is_stream_end(&ev)) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if (next_is(p, is_empty_node) && next_is(p, is_document_end) && next_is(p, is_stream_end))
		return 0;
	return fail(p, &second, -EINVAL, "multiple YAML documents are not supported");
}

static int parse_stream(struct parser *p, json_t **ret)
{
	yaml_event_t ev;
	struct node root;
	bool empty;
	int r;

	r = skip_event(p); /* STREAM-START */
	if (r < 0)
		return r;
	r = next_event(p, &ev);
	if (r < 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return fail(p, NULL, -EINVAL, "empty document");
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	r = next_event(p, &ev);
	if (r < 0)
		return r;
	empty = is_empty_node(&ev);
	r = parse_node(p, &ev, 0, &root);
	if (r < 0)
		return r;
	r = check_value(p, &root);
	if (r == 0)
		r = skip_event(p); /* DOCUMENT-END */
	if (r == 0)
		r = expect_stream_end(p);
	if (r == 0 && empty)
		r = fail(p, NULL, -EINVAL, "empty document");
	if (r < 0) {
		json_decref(root.json);
		return r;
	}
	*ret = root.json;
	return 0;
}

/* @json (stolen) with every integral real turned into an integer, as
 * scalar_json() does; NULL when out of memory. */
static json_t *normalize_reals(json_t *json)
{
	const char *key;
	json_t *child, *fixed;
	size_t i;

	if (json_is_real(json) && is_int64(json_real_value(json))) {
		fixed = json_integer((json_int_t)json_real_value(json));
		json_decref(json);
		return fixed;
	}
	if (json_is_object(json)) {
		json_object_foreach(json, key, child)
			if (json_object_set_new(json, key, normalize_reals(json_incref(child))) < 0)
				goto fail;
	} else if (json_is_array(json)) {
		json_array_foreach(json, i, child)
			if (json_array_set_new(json, i, normalize_reals(json_incref(child))) < 0)
				goto fail;
	}
	return json;
fail:
	json_decref(json);
	return NULL;
}

/*
 * The argo CLI reads a body that is valid JSON as a whole as JSON
 * (workflow/common/parse.go). For most JSON the YAML reader gives the same
 * value, but libyaml refuses some valid JSON: surrogate-pair escapes
 * ("\ud83d\ude00", as Python's json.dumps writes non-BMP characters) and
 * keys over 1024 characters. Returns the value, or NULL when the
 * text is not such JSON, or holds duplicate keys or nests too deep, for the
 * YAML reader to report with a position (or when out of memory, for the
 * YAML reader to find out again).
 */
static json_t *load_json_body(const char *buf, size_t len)
{
	json_t *json;
	size_t nodes;
	int height;

	json = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!json)
		return NULL;
	tree_measure(json, &nodes, &height);
	if (height > YJ_MAX_DEPTH) {
		json_decref(json);
		return NULL;
	}
	return normalize_reals(json);
}

int yj_yaml_to_json(const char *buf, size_t len, json_t **ret_json, struct yj_error *err)
{
	struct parser p = { .buf = buf, .len = len, .err = err };
	locale_t c_locale, old_locale;
	json_t *json = NULL;
	size_t i;
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!buf && len > 0)
		return -EINVAL;
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return fail(&p, NULL, -ENOMEM, "out of memory");
	old_locale = uselocale(c_locale);
	json = load_json_body(buf, len);
	if (json) {
		uselocale(old_locale);
		freelocale(c_locale);
		*ret_json = json;
		return 0;
	}
	if (!yaml_parser_initialize(&p.yaml)) {
		uselocale(old_locale);
		freelocale(c_locale);
		return fail(&p, NULL, -ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&p.yaml, (const unsigned char *)(buf ? buf : ""), len);
	yaml_parser_set_encoding(&p.yaml, YAML_UTF8_ENCODING);

	r = parse_stream(&p, &json);

	uselocale(old_locale);
	freelocale(c_locale);
	yaml_parser_delete(&p.yaml);
	for (i = 0; i < p.n_anchors; i++) {
		free(p.anchors[i].name);
		json_decref(p.anchors[i].value);
	}
	free(p.anchors);
	free(p.slots);
	if (r < 0)
		return r;
	*ret_json = json;
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing YAML
 */

struct output {
	char *data;
	size_t len, cap;
};

static int write_output(void *data, unsigned char *buffer, size_t size)
{
	struct output *out = data;

	if (size + 1 > out->cap - out->len) {
		size_t cap = out->cap ? out->cap : 4096;
		char *grown;

		while (size + 1 > cap - out->len)
			cap *= 2;
		grown = realloc(out->data, cap);
		if (!grown)
			return 0;
		out->data = grown;
		out->cap = cap;
	}
	memcpy(out->data + out->len, buffer, size);
	out->len += size;
	out->data[out->len] = '\0';
	return 1;
}

/* Hand @ev to the emitter, which takes it over whatever happens. */
static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	if (yaml_emitter_emit(em, ev))
		return 0;
	return em->error == YAML_EMITTER_ERROR ? -EINVAL : -ENOMEM;
}

/*
 * go-yaml v2's key order (sorter.go keyList.Less) for string keys: runs of
 * digits compare by value, letters sort after other characters. Go asks
 * unicode.IsLetter/IsDigit; here every non-ASCII character counts as a
 * letter and only ASCII digits as digits, which differs from Go only for
 * non-ASCII symbols and digits in keys.
 */
static bool is_letter(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static uint32_t rune_at(const char *s, size_t len, size_t *size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = utf8_seq(u, len), i;
	uint32_t c;

	if (n <= 1) {
		*size = 1;
		return u[0];
	}
	c = u[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		c = c << 6 | (u[i] & 0x3f);
	*size = n;
	return c;
}

static int key_compare(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	while (i < la && i < lb) {
		size_t sa, sb, ai, bi, j;
		uint32_t ra = rune_at(a + i, la - i, &sa), rb = rune_at(b + i, lb - i, &sb);
		bool al, bl;
		int64_t an = 0, bn = 0;

		if (ra == rb) {
			i += sa;
			continue;
		}
		al = is_letter(ra);
		bl = is_letter(rb);
		if (al && bl)
			return ra < rb ? -1 : 1;
		if (al || bl)
			return bl ? -1 : 1;
		if (ra == '0' || rb == '0') {
			for (j = i; j > 0 && is_digit(a[j - 1]); j--)
				if (a[j - 1] != '0') {
					an = bn = 1;
					break;
				}
		}
		/* Go's int64 arithmetic wraps around on long digit runs. */
		for (ai = i; ai < la && is_digit(a[ai]); ai++)
			an = (int64_t)((uint64_t)an * 10 + (uint64_t)(a[ai] - '0'));
		for (bi = i; bi < lb && is_digit(b[bi]); bi++)
			bn = (int64_t)((uint64_t)bn * 10 + (uint64_t)(b[bi] - '0'));
		if (an != bn)
			return an < bn ? -1 : 1;
		if (ai != bi)
			return ai < bi ? -1 : 1;
		return ra < rb ? -1 : 1;
	}
	return la < lb ? -1 : la > lb ? 1 : 0;
}

/* Stable merge sort of @n keys (safe whatever the comparison does). */
static void sort_keys(const char **keys, const char **tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_keys(keys, tmp, mid);
	sort_keys(keys + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = key_compare(keys[j], keys[i]) < 0 ? keys[j++] : keys[i++];
	while (i < mid)
		tmp[k++] = keys[i++];
	while (j < n)
		tmp[k++] = keys[j++];
	memcpy(keys, tmp, n * sizeof(*keys));
}

/*
 * Whether @s, written as a plain scalar, reads back as this string. That is
 * go-yaml v2's encoder test (resolves to !!str and is no base-60 number,
 * timestamps count as non-strings), plus numbers out of float range such as
 * "1e999", which go-yaml reads as strings but other YAML readers do not.
 */
static int plain_reads_back(const char *s, size_t len, bool *ret)
{
	struct scalar sc;
	enum rtag rt;
	char stack[64], *plain = stack;
	size_t i, n = 0;
	int r;

	r = resolve_plain(s, len, true, &sc, &rt);
	if (r < 0)
		return r;
	/* "<<" resolves to a string but as a plain key it is a merge key */
	*ret = rt == RT_STR && !base60_float(s, len) && !word_is(s, len, "<<");
	if (!*ret || len == 0 || s[0] == '\0' || !strchr("+-.0123456789", s[0]))
		return 0;
	if (len >= sizeof(stack)) {
		plain = malloc(len);
		if (!plain)
			return -ENOMEM;
	}
	for (i = 0; i < len; i++)
		if (s[i] != '_')
			plain[n++] = s[i];
	*ret = !yaml_style_float(plain, n);
	if (plain != stack)
		free(plain);
	return 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *text, size_t len, bool plain_implicit,
		       yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
					  plain_implicit, !plain_implicit || style != YAML_PLAIN_SCALAR_STYLE,
					  style))
		return -ENOMEM;
	return emit(em, &ev);
}

/*
 * A string: a literal block when it has line breaks, double quotes when a
 * plain scalar would read back as something else, and otherwise whatever
 * libyaml's analysis allows (plain, else single, else double quotes).
 * libyaml itself falls back to double quotes when a literal block cannot
 * hold the text exactly (trailing spaces, tabs and other characters it
 * escapes) or in a simple key, and adds an indentation indicator ("|2")
 * when the first line starts with a space. U+2028/U+2029 are written raw by
 * libyaml and are line breaks to YAML 1.1 readers but text to YAML 1.2
 * ones: strings holding them are always double-quoted, where they are
 * escaped ("\L", "\P") and mean the same to every reader.
 */
static int emit_string(yaml_emitter_t *em, const char *s, size_t len)
{
	bool plain;
	int r;

	if (len > INT_MAX)
		return -EINVAL;
	if (memmem(s, len, "\xe2\x80\xa8", 3) || memmem(s, len, "\xe2\x80\xa9", 3))
		return emit_scalar(em, s, len, false, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	if (memchr(s, '\n', len))
		return emit_scalar(em, s, len, false, YAML_LITERAL_SCALAR_STYLE);
	r = plain_reads_back(s, len, &plain);
	if (r < 0)
		return r;
	if (!plain)
		return emit_scalar(em, s, len, false, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return emit_scalar(em, s, len, true, YAML_ANY_SCALAR_STYLE);
}

static int emit_value(yaml_emitter_t *em, const json_t *json, int depth);

static int emit_object(yaml_emitter_t *em, const json_t *json, int depth)
{
	size_t n = json_object_size(json), i = 0;
	const char **keys = NULL;
	const char *key;
	yaml_event_t ev;
	json_t *value;
	int r;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						 n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE))
		return -ENOMEM;
	r = emit(em, &ev);
	if (r < 0)
		return r;
	if (n > 0) {
		keys = malloc(2 * n * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		json_object_foreach((json_t *)json, key, value)
			keys[i++] = key;
		sort_keys(keys, keys + n, n);
	}
	for (i = 0; i < n && r == 0; i++) {
		r = emit_string(em, keys[i], strlen(keys[i]));
		if (r == 0)
			r = emit_value(em, json_object_get(json, keys[i]), depth);
	}
	free(keys);
	if (r < 0)
		return r;
	yaml_mapping_end_event_initialize(&ev);
	return emit(em, &ev);
}

static int emit_array(yaml_emitter_t *em, const json_t *json, int depth)
{
	size_t n = json_array_size(json), i;
	yaml_event_t ev;
	int r;

	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						  n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE))
		return -ENOMEM;
	r = emit(em, &ev);
	for (i = 0; i < n && r == 0; i++)
		r = emit_value(em, json_array_get(json, i), depth);
	if (r < 0)
		return r;
	yaml_sequence_end_event_initialize(&ev);
	return emit(em, &ev);
}

/* @json inside @depth collections. Numbers are written as go-yaml v2 writes
 * them: integers in decimal, reals with FormatFloat(f, 'g', -1, 64). */
static int emit_value(yaml_emitter_t *em, const json_t *json, int depth)
{
	char buf[40];

	switch (json_typeof(json)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= YJ_MAX_DEPTH)
			return -EINVAL;
		return json_is_object(json) ? emit_object(em, json, depth + 1)
					    : emit_array(em, json, depth + 1);
	case JSON_STRING:
		return emit_string(em, json_string_value(json), json_string_length(json));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(json));
		break;
	case JSON_REAL: /* jansson holds no NaN or infinity */
		go_format_float(json_real_value(json), false, buf, sizeof(buf));
		break;
	case JSON_TRUE:
		return emit_scalar(em, "true", 4, true, YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return emit_scalar(em, "false", 5, true, YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		return emit_scalar(em, "null", 4, true, YAML_PLAIN_SCALAR_STYLE);
	}
	return emit_scalar(em, buf, strlen(buf), true, YAML_PLAIN_SCALAR_STYLE);
}

static int emit_document(yaml_emitter_t *em, const json_t *json)
{
	yaml_event_t ev;
	int r;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	r = emit(em, &ev);
	if (r == 0 && !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))
		r = -ENOMEM;
	if (r == 0)
		r = emit(em, &ev);
	if (r == 0)
		r = emit_value(em, json, 0);
	if (r == 0) {
		yaml_document_end_event_initialize(&ev, 1);
		r = emit(em, &ev);
	}
	if (r == 0) {
		yaml_stream_end_event_initialize(&ev);
		r = emit(em, &ev);
	}
	return r;
}

int yj_json_to_yaml(const json_t *json, char **ret_text, size_t *ret_len)
{
	struct output out = { 0 };
	yaml_emitter_t em;
	locale_t c_locale, old_locale;
	int r;

	if (!json)
		return -EINVAL;
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_locale == (locale_t)0)
		return -ENOMEM;
	if (!yaml_emitter_initialize(&em)) {
		freelocale(c_locale);
		return -ENOMEM;
	}
	old_locale = uselocale(c_locale);
	yaml_emitter_set_output(&em, write_output, &out);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);

	r = emit_document(&em, json);
	if (r == 0 && !yaml_emitter_flush(&em))
		r = -ENOMEM;
	/* libyaml closes a stream whose last scalar is open-ended (a "|+"
	 * block) with a "..." document end marker; a single document needs
	 * none, the block keeps its trailing line breaks up to the end. */
	if (r == 0 && out.len >= 5 && strcmp(out.data + out.len - 5, "\n...\n") == 0) {
		out.len -= 4;
		out.data[out.len] = '\0';
	}

	yaml_emitter_delete(&em);
	uselocale(old_locale);
	freelocale(c_locale);
	if (r < 0) {
		free(out.data);
		return r;
	}
	*ret_text = out.data;
	*ret_len = out.len;
	return 0;
}
