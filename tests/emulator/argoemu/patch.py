"""The three patch formats of the Kubernetes API server, on plain JSON values.

  merge_patch      application/merge-patch+json (RFC 7386): objects merge recursively, a null
                   value deletes the key, anything else (lists included) replaces
  strategic_patch  application/strategic-merge-patch+json, the subset a Secret needs: a JSON
                   merge patch plus the `$patch: replace` / `$patch: delete` directives on
                   objects, and metadata.finalizers merged as a set (its patchStrategy)
  json_patch       application/json-patch+json (RFC 6902): add, remove, replace, move, copy,
                   test, applied in order to a copy; the first failure aborts the whole patch

Errors: BadPatch for a patch document that cannot be decoded (the API server answers 400) and
PatchFailed for a patch that cannot be applied, e.g. a failed `test` (the API server answers
422).  Both carry the message of the Go library the API server uses (evanphx/json-patch).
"""

import copy


class BadPatch(Exception):
    pass


class PatchFailed(Exception):
    pass


# -- RFC 7386 ------------------------------------------------------------------------------

def merge_patch(target, patch):
    """The result of applying the merge patch `patch` to `target` (neither is modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# -- strategic merge (the part a Secret uses) ------------------------------------------------

_SET_LISTS = {("metadata", "finalizers")}


def strategic_patch(target, patch, path=()):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive not in (None, "replace", "delete", "merge"):
        raise PatchFailed('Unknown patch type: %s' % directive)
    body = {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: strategic_patch(None, v, path + (k,)) for k, v in body.items()
                if v is not None}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in body.items():
        if key.startswith("$"):
            continue        # $retainKeys, $setElementOrder/...: ordering hints, no effect here
        if value is None:
            out.pop(key, None)
            continue
        sub = path + (key,)
        if sub in _SET_LISTS and isinstance(value, list) and isinstance(out.get(key), list):
            merged = list(out[key])
            merged.extend(v for v in value if v not in merged)
            out[key] = merged
            continue
        result = strategic_patch(out.get(key), value, sub)
        if result is None and isinstance(value, dict) and value.get("$patch") == "delete":
            out.pop(key, None)
        else:
            out[key] = result
    return out


# -- RFC 6902 ------------------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise PatchFailed('JSON pointer must be empty or start with a "/": %r' % (path,))
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(token, length, allow_end):
    if token == "-" and allow_end:
        return length
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchFailed("Unable to access invalid index: %s" % token)
    idx = int(token)
    if idx > length or (idx == length and not allow_end):
        raise PatchFailed("Unable to access invalid index: %d" % idx)
    return idx


def _parent(doc, parts, op, path):
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list):
            node = node[_index(part, len(node), False)]
        else:
            raise PatchFailed("%s operation does not apply: doc is missing path: \"%s\""
                              % (op, path))
    if not isinstance(node, (dict, list)):
        raise PatchFailed("%s operation does not apply: doc is missing path: \"%s\"" % (op, path))
    return node


def _get(doc, path):
    node = doc
    for part in _pointer(path):
        if isinstance(node, dict):
            if part not in node:
                return False, None
            node = node[part]
        elif isinstance(node, list):
            try:
                node = node[_index(part, len(node), False)]
            except PatchFailed:
                return False, None
        else:
            return False, None
    return True, node


def _add(doc, path, value, op="add"):
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent = _parent(doc, parts, op, path)
    if isinstance(parent, dict):
        parent[parts[-1]] = copy.deepcopy(value)
    else:
        parent.insert(_index(parts[-1], len(parent), True), copy.deepcopy(value))
    return doc


def _remove(doc, path, op="remove"):
    parts = _pointer(path)
    if not parts:
        raise PatchFailed("%s operation does not apply: doc is missing path: \"%s\""
                          % (op, path))
    parent = _parent(doc, parts, op, path)
    if isinstance(parent, dict):
        if parts[-1] not in parent:
            raise PatchFailed("Unable to remove nonexistent key: %s: missing value" % parts[-1])
        return parent.pop(parts[-1])
    return parent.pop(_index(parts[-1], len(parent), False))


def decode_json_patch(patch):
    """Check the shape of a JSON patch document (400 when wrong)."""
    if not isinstance(patch, list):
        raise BadPatch("json: cannot unmarshal %s into Go value of type jsonpatch.Patch"
                       % _go_type(patch))
    for op in patch:
        if not isinstance(op, dict):
            raise BadPatch("json: cannot unmarshal %s into Go value of type jsonpatch.Operation"
                           % _go_type(op))
    return patch


def _go_type(value):
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "number"


def json_patch(doc, patch):
    """Apply the RFC 6902 patch `patch` (a list) to a copy of `doc` and return it."""
    decode_json_patch(patch)
    doc = copy.deepcopy(doc)
    for op in patch:
        kind = op.get("op")
        path = op.get("path")
        if kind not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchFailed("Unexpected kind: %s" % kind)
        if path is None:
            raise PatchFailed("%s operation missing path" % kind)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchFailed("%s operation missing value" % kind)
        if kind == "add":
            doc = _add(doc, path, op["value"])
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            found, _ = _get(doc, path)
            if not found:
                raise PatchFailed("replace operation does not apply: doc is missing key: %s"
                                  % path)
            if path == "":
                doc = copy.deepcopy(op["value"])
            else:
                _remove(doc, path, "replace")
                doc = _add(doc, path, op["value"], "replace")
        elif kind in ("move", "copy"):
            source = op.get("from")
            if source is None:
                raise PatchFailed("%s operation missing from" % kind)
            found, value = _get(doc, source)
            if not found:
                raise PatchFailed("%s operation does not apply: doc is missing from path: %s"
                                  % (kind, source))
            if kind == "move":
                if path.startswith(source + "/"):
                    raise PatchFailed("move operation does not apply: from path is a prefix "
                                      "of the path")
                _remove(doc, source, "move")
            doc = _add(doc, path, value, kind)
        else:  # test
            found, value = _get(doc, path)
            if (not found and op["value"] is not None) or (found and value != op["value"]) \
                    or (found and type(value) is bool) != (type(op["value"]) is bool):
                raise PatchFailed("testing value %s failed: test failed" % path)
    return doc
