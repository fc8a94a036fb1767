"""List options: label selectors, field selectors, paging and the `fields` projection.

Two paging schemes, as on the real server:
  * Kubernetes lists (templates, cluster templates, cron workflows, event bindings): items in
    (namespace, name) order; `listOptions.continue` is an opaque token (base64 JSON, like the
    API server's); metadata.continue is set while items remain, and remainingItemCount too when
    no selector was given.
  * Workflow list (Argo's own store): `listOptions.continue` is a decimal offset; metadata.continue
    is the next offset whenever items remain (v3.6/3.7 behaviour).
"""

import base64
import json
import re

from . import errors
from .store import parse_rfc3339

# -- label selectors (Kubernetes syntax) ----------------------------------------------------

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def _split_terms(text):
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return terms


def parse_label_selector(text):
    """A list of predicate functions over a labels dict.  Raises ApiError 400 when malformed."""
    preds = []
    if not text or not text.strip():
        return preds
    for term in _split_terms(text):
        term = term.strip()
        m = re.match(r"^(%s)\s+(in|notin)\s+\((.*)\)$" % _KEY, term)
        if m:
            key, op = m.group(1), m.group(3)
            values = {v.strip() for v in m.group(4).split(",")}
            if not all(re.match("^%s$" % _VALUE, v) for v in values):
                raise _label_error(term)
            if op == "in":
                preds.append(lambda l, k=key, vs=values: k in l and l[k] in vs)
            else:
                preds.append(lambda l, k=key, vs=values: k not in l or l[k] not in vs)
            continue
        m = re.match(r"^(%s)\s*(==|=|!=)\s*(.*)$" % _KEY, term)
        if m:
            key, op, value = m.group(1), m.group(3), m.group(4).strip()
            if not re.match("^%s$" % _VALUE, value):
                raise _label_error(term)
            if op == "!=":
                preds.append(lambda l, k=key, v=value: l.get(k) != v)
            else:
                preds.append(lambda l, k=key, v=value: k in l and l[k] == v)
            continue
        m = re.match(r"^(!?)\s*(%s)$" % _KEY, term)
        if m:
            key = m.group(2)
            if m.group(1):
                preds.append(lambda l, k=key: k not in l)
            else:
                preds.append(lambda l, k=key: k in l)
            continue
        raise _label_error(term)
    return preds


def _label_error(term):
    return errors.ApiError(errors.INVALID_ARGUMENT,
                           "unable to parse requirement: invalid label selector term %r" % term)


def labels_match(preds, obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(p(labels) for p in preds)


# -- Kubernetes field selectors (custom resources: metadata.name and metadata.namespace) -----

def parse_k8s_field_selector(text):
    preds = []
    if not text or not text.strip():
        return preds
    for term in text.split(","):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  "invalid selector: '%s'; can't understand '%s'" % (text, term))
        field, op, value = m.groups()
        if field not in ("metadata.name", "metadata.namespace"):
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  '"%s" is not a known field selector: only "metadata.name", '
                                  '"metadata.namespace"' % field)
        attr = field.split(".", 1)[1]
        if op == "!=":
            preds.append(lambda o, a=attr, v=value: (o.get("metadata") or {}).get(a, "") != v)
        else:
            preds.append(lambda o, a=attr, v=value: (o.get("metadata") or {}).get(a, "") == v)
    return preds


# -- Kubernetes paging ---------------------------------------------------------------------

def encode_continue(resource_version, last_key):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(resource_version),
                      "start": last_key + "\u0000"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data.get("v") != "meta.k8s.io/v1" or not isinstance(data.get("start"), str):
            raise ValueError("unsupported continue token")
        return data["start"].rstrip("\u0000")
    except (ValueError, TypeError, AttributeError) as exc:
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "continue key is not valid: %s" % exc) from None


def k8s_page(items, limit, cont, resource_version, selected):
    """Page `items` (already in key order, already filtered).  `selected` tells whether a label
    or field selector was used (then remainingItemCount is not reported).
    Returns (page, list_meta)."""
    def key(obj):
        meta = obj.get("metadata") or {}
        return "%s/%s" % (meta.get("namespace", ""), meta.get("name", ""))
    if cont:
        start = decode_continue(cont)
        items = [o for o in items if key(o) > start]
    meta = {"resourceVersion": resource_version}
    if limit and limit > 0 and len(items) > limit:
        page = items[:limit]
        meta["continue"] = encode_continue(resource_version, key(page[-1]))
        if not selected:
            meta["remainingItemCount"] = len(items) - limit
        return page, meta
    return items, meta


# -- workflow list (server/utils/list_options.go) ------------------------------------------

class WorkflowListOptions:
    def __init__(self):
        self.namespace_preds = []
        self.name_preds = []
        self.started_after = None
        self.started_before = None
        self.show_remaining = False

    def match(self, wf, name_filter):
        meta = wf.get("metadata") or {}
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        for op, value in self.namespace_preds:
            if (ns == value) != (op != "!="):
                return False
        for op, value in self.name_preds:
            if op == "!=":
                if name == value:
                    return False
            elif name_filter == "Contains":
                if value not in name:
                    return False
            elif name_filter == "Prefix":
                if not name.startswith(value):
                    return False
            elif name != value:
                return False
        if self.started_after is not None or self.started_before is not None:
            started = parse_rfc3339((wf.get("status") or {}).get("startedAt") or "")
            if started is None:
                return False
            if self.started_after is not None and not started > self.started_after:
                return False
            if self.started_before is not None and not started < self.started_before:
                return False
        return True


def parse_workflow_field_selector(text):
    opts = WorkflowListOptions()
    if not text:
        return opts
    for term in text.split(","):
        m = re.match(r"^(metadata\.namespace|metadata\.name)(==|!=|=)(.*)$", term)
        if m:
            target = opts.namespace_preds if m.group(1) == "metadata.namespace" else opts.name_preds
            target.append((m.group(2), m.group(3)))
            continue
        m = re.match(r"^spec\.startedAt([<>])(.*)$", term)
        if m:
            when = parse_rfc3339(m.group(2))
            if when is None:
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      'parsing time "%s" as "2006-01-02T15:04:05Z07:00": '
                                      "cannot parse" % m.group(2))
            if m.group(1) == ">":
                opts.started_after = when
            else:
                opts.started_before = when
            continue
        if term == "ext.showRemainingItemCount=true":
            opts.show_remaining = True
            continue
        raise errors.ApiError(errors.INVALID_ARGUMENT, "unsupported requirement %s" % term)
    return opts


def workflow_sort_key(store):
    """Workflows.Less: unfinished first (newest creation first), then finishedAt descending."""
    def key(wf):
        finished = parse_rfc3339((wf.get("status") or {}).get("finishedAt") or "")
        order = store.creation_order(wf)
        if finished is None:
            return (0, -order, 0)
        return (1, -finished, -order)
    return key


# -- fields projection (util/fields/fields.go) ---------------------------------------------

class Cleaner:
    """`fields=a.b,c` keeps a key whose dotted path is listed (whole subtree) or is a string
    prefix of a listed path; `fields=-a.b` removes the listed paths.  Array indices are not part
    of paths.  An empty value does nothing."""

    def __init__(self, spec):
        spec = spec or ""
        self.exclude = spec.startswith("-")
        if self.exclude:
            spec = spec[1:]
        self.fields = set(spec.split(",")) if spec else set()

    @property
    def active(self):
        return bool(self.fields)

    def without_prefix(self, prefix):
        out = Cleaner("")
        out.exclude = self.exclude
        out.fields = {f[len(prefix):] if f.startswith(prefix) else f for f in self.fields}
        return out

    def clean(self, data):
        if not self.active:
            return data
        return self._walk("", data)

    def _walk(self, path, value):
        if isinstance(value, list):
            return [self._walk(path, v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, sub in value.items():
            p = key if not path else path + "." + key
            if self.exclude:
                if p not in self.fields:
                    out[key] = self._walk(p, sub)
            elif p in self.fields:
                out[key] = sub
            elif any(f.startswith(p) for f in self.fields):
                out[key] = self._walk(p, sub)
        return out
