"""POST /api/v1/events/{ns}/{discriminator}: WorkflowEventBinding matching and submission.

The real server evaluates each binding's `spec.event.selector` with expr-lang against
{namespace, discriminator, payload, metadata}; `metadata` holds the request headers whose
lowercased name starts with "x-", each as a list of strings.  This module implements a subset
of expr-lang, enough for real selectors:
    literals   "str" 'str' 123 1.5 true false nil [a, b]
    access     payload.a.b   payload["a"]   metadata["x-github-event"]   list[0]
    operators  == != && || ! and or not, `in` (list membership / map key), parentheses
Anything else (function calls, arithmetic, ...) makes the selector fail to evaluate, which the
server reports as 500 since dispatch is synchronous.

Each matching binding creates a Workflow from spec.submit.workflowTemplateRef (generateName
"<template>-", labels workflow-template / cluster-workflow-template and
workflow-event-binding, spec.submit.metadata labels/annotations), with parameters from the
`valueFrom.event` expressions, JSON-encoded.

Webhook verification (requests without an Authorization header, checked against the Secret
argo-workflows-webhook-clients) happens before this, in webhooks.py, called by
server.Handler.handle_api; a verified request arrives here as its service account.
"""

import json
import re

from . import errors
from .store import RESOURCES

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op>==|!=|&&|\|\||[!()\[\],.])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
)""", re.X)


class SelectorError(Exception):
    pass


def _tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SelectorError("unexpected character at %d: %r" % (pos, text[pos:pos + 10]))
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            body = value[1:-1]
            value = json.loads('"%s"' % body.replace('"', '\\"').replace("\\'", "'")) \
                if value[0] == "'" else json.loads(value)
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        elif kind == "ident" and value in ("and", "or", "not", "in"):
            kind, value = "op", {"and": "&&", "or": "||", "not": "!", "in": "in"}[value]
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text, env):
        self.tokens = _tokenize(text)
        self.pos = 0
        self.env = env
        self.skip = 0       # > 0 while parsing the short-circuited side of && / ||

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise SelectorError("expected %r, found %r" % (value, tok[1]))
        self.pos += 1
        return tok

    def parse(self):
        value = self.or_()
        if self.pos != len(self.tokens):
            raise SelectorError("unexpected token %r" % (self.peek()[1],))
        return value

    def _short(self, parse, skip):
        if skip:
            self.skip += 1
            try:
                parse()
            finally:
                self.skip -= 1
            return None
        return parse()

    def or_(self):
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self._short(self.and_, bool(value))
            value = bool(value) or bool(right)
        return value

    def and_(self):
        value = self.not_()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self._short(self.not_, not value)
            value = bool(value) and bool(right)
        return value

    def not_(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not self.not_()
        return self.cmp()

    def cmp(self):
        left = self.postfix()
        tok = self.peek()
        if tok in (("op", "=="), ("op", "!=")):
            self.take()
            right = self.postfix()
            return (left == right) if tok[1] == "==" else (left != right)
        if tok == ("op", "in"):
            self.take()
            right = self.postfix()
            if self.skip:
                return None
            if isinstance(right, (list, dict)):
                return left in right
            raise SelectorError("invalid operation: in (mismatched types)")
        return left

    def postfix(self):
        value = self.primary()
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.take()
                kind, name = self.take()
                if kind != "ident":
                    raise SelectorError("expected a field name after '.'")
                value = _member(value, name) if not self.skip else None
            elif tok == ("op", "["):
                self.take()
                key = self.or_()
                self.take("]")
                value = _member(value, key) if not self.skip else None
            elif tok == ("op", "("):
                self.call()
                value = None
            else:
                return value

    def call(self):
        """Function calls parse (so a short-circuited one is harmless) but cannot run."""
        self.take("(")
        while self.peek() != ("op", ")"):
            self.or_()
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        if not self.skip:
            raise SelectorError("function calls are not supported by the emulator")

    def primary(self):
        kind, value = self.take()
        if kind in ("str", "num"):
            return value
        if kind == "ident":
            if value == "true":
                return True
            if value == "false":
                return False
            if value == "nil":
                return None
            if self.skip:
                return None
            if value not in self.env:
                raise SelectorError("unknown name %s" % value)
            return self.env[value]
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if (kind, value) == ("op", "["):
            items = []
            while self.peek() != ("op", "]"):
                items.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take("]")
            return items
        raise SelectorError("unexpected token %r" % (value,))


def _member(value, key):
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if -len(value) <= key < len(value) else None
    if value is None:
        return None
    raise SelectorError("cannot fetch %r from %s" % (key, type(value).__name__))


def evaluate(expression, env):
    """The value of an expr-lang `expression` (subset) in `env`.  Raises SelectorError."""
    return _Parser(expression, env).parse()


def event_metadata(headers):
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low.startswith("x-"):
            out.setdefault(low, []).append(value)
    return out


def receive(req, namespace, discriminator):
    from . import api, validate
    store = req.emu.store
    env = {"namespace": namespace, "discriminator": discriminator, "payload": req.body,
           "metadata": event_metadata(req.headers)}
    for binding in store.list("workfloweventbindings", namespace):
        spec = binding.get("spec") or {}
        selector = (spec.get("event") or {}).get("selector") or ""
        try:
            matched = bool(evaluate(selector, env))
        except SelectorError as exc:
            raise errors.ApiError(errors.INTERNAL,
                                  'failed to evaluate workflow template expression "%s": %s'
                                  % (selector, exc)) from None
        submit = spec.get("submit")
        if not matched or not isinstance(submit, dict):
            continue
        ref = submit.get("workflowTemplateRef") or {}
        tmpl_name = ref.get("name", "")
        cluster = bool(ref.get("clusterScope"))
        resource = "clusterworkflowtemplates" if cluster else "workflowtemplates"
        if store.get(resource, namespace, tmpl_name) is None:
            raise errors.ApiError(errors.INTERNAL, 'failed to get workflow template: %s "%s" '
                                  "not found" % (RESOURCES[resource].qualified, tmpl_name))
        labels = {api.LABEL_CWFT if cluster else api.LABEL_WFT: tmpl_name,
                  "workflows.argoproj.io/workflow-event-binding": binding["metadata"]["name"]}
        smeta = submit.get("metadata") or {}
        labels.update(smeta.get("labels") or {})
        wf = {"metadata": {"generateName": tmpl_name + "-", "labels": labels},
              "spec": {"workflowTemplateRef": {"name": tmpl_name}}}
        if cluster:
            wf["spec"]["workflowTemplateRef"]["clusterScope"] = True
        if smeta.get("annotations"):
            wf["metadata"]["annotations"] = dict(smeta["annotations"])
        params = []
        for param in (submit.get("arguments") or {}).get("parameters") or []:
            source = (param.get("valueFrom") or {}).get("event")
            if source:
                try:
                    value = evaluate(source, env)
                except SelectorError as exc:
                    raise errors.ApiError(errors.INTERNAL,
                                          'failed to evaluate workflow template expression '
                                          '"%s": %s' % (source, exc)) from None
                params.append({"name": param.get("name", ""),
                               "value": json.dumps(value, separators=(",", ":"))})
            elif "value" in param:
                params.append({"name": param.get("name", ""), "value": param["value"]})
        if params:
            wf["spec"]["arguments"] = {"parameters": params}
        req.principal.check("create", "workflows", namespace)
        api.creator_label(req, wf)
        validate.validate_workflow(store, namespace, wf, submit=True)
        created = store.create("workflows", namespace, wf)
        req.emu.controller.observe(namespace, created["metadata"]["name"])
    return {}
