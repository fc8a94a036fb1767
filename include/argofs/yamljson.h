/*
 * yamljson.h - YAML <-> JSON with the argo CLI's rules (sigs.k8s.io/yaml on
 * go-yaml v2: YAML 1.1 scalars), built on libyaml and jansson.
 *
 * Input side: one document, block or flow style, anchors/aliases/merge keys
 * resolved, duplicate keys refused, bounded depth and alias expansion.
 * Output side: libyaml's emitter, keys sorted as kubectl does, strings quoted
 * whenever they would read back as something else, multi-line strings as
 * literal blocks. JSON -> YAML -> JSON is the identity.
 */
#ifndef ARGOFS_YAMLJSON_H
#define ARGOFS_YAMLJSON_H

#include <stddef.h>
#include <jansson.h>

/* Limits on what the parser accepts (documented in docs/filesystem.md). */
#define YJ_MAX_DEPTH 64            /* nested mappings/sequences */
#define YJ_MAX_ALIAS_NODES 100000  /* nodes produced by alias expansion */

struct yj_error {
	int line;       /* 1-based, 0 when unknown */
	int column;     /* 1-based (characters), 0 when unknown */
	char message[256]; /* without the position: "mapping values are not
			      allowed in this context", "key \"a\" already
			      set in map"...; valid UTF-8, one line */
};

/* Parse @len bytes of UTF-8 YAML holding exactly one document (a text that
 * is valid JSON as a whole is read as JSON, as the argo CLI does). Returns
 * 0 and a new reference in *ret_json (a tree that shares no node; floats
 * with an integral value in the int64 range are json integers), or a
 * negative errno with @err filled (err may be NULL): -EINVAL for a syntax
 * error, more than one document (a trailing "---" with nothing after it is
 * fine), duplicate key, .inf/.nan, a value its tag refuses (`!!int abc`),
 * depth or alias limit exceeded, NUL byte or invalid UTF-8; -ENOMEM. No
 * document, or one with no content, gives -EINVAL "empty document". Merge
 * keys: explicit keys override merged ones (go-yaml v2 in strict mode
 * would refuse such a key as already set). */
int yj_yaml_to_json(const char *buf, size_t len, json_t **ret_json,
		    struct yj_error *err);

/* Emit @json (borrowed) as a YAML document (no "---", ends with a newline)
 * that yj_yaml_to_json() reads back as an equal value (reals with an
 * integral value in the int64 range come back as integers). Returns 0 and
 * a malloc'd NUL-terminated buffer (caller frees) in *ret_text with its
 * length in *ret_len, or -EINVAL (NULL @json, nesting deeper than
 * YJ_MAX_DEPTH, a string over INT_MAX bytes) / -ENOMEM. */
int yj_json_to_yaml(const json_t *json, char **ret_text, size_t *ret_len);

#endif
