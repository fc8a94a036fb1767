"""The Kubernetes API subset, served on its own listener (--kube-port), as a cluster serves the
Kubernetes API on another address than the Argo Server.

    GET    /version
    GET    /api/v1/namespaces                          NamespaceList
    GET    /api/v1/namespaces/{name}                   Namespace
    GET    /api/v1/namespaces/{ns}/secrets             SecretList
    POST   /api/v1/namespaces/{ns}/secrets             201 Secret
    GET    /api/v1/namespaces/{ns}/secrets/{name}      Secret
    PUT    /api/v1/namespaces/{ns}/secrets/{name}      Secret (stale resourceVersion: 409)
    PATCH  /api/v1/namespaces/{ns}/secrets/{name}      Secret; merge, strategic merge, JSON patch
    DELETE /api/v1/namespaces/{ns}/secrets/{name}      Status Success

Order of checks, as in the API server's filter chain: authentication (401 for a missing or
unknown bearer token), then the route (404 Status for an unknown resource under /api or /apis,
a plain "404 page not found" elsewhere, 405 for a method the resource does not serve), then
authorization (403), then content type (415) and body decoding (400), then the handler (404,
409, 422).  Errors are metav1.Status objects (kube.KubeError).

List options: labelSelector, fieldSelector (metadata.name, metadata.namespace; `type` for
secrets, status.phase for namespaces), limit and continue (the same opaque token as the Argo
lists).  dryRun=All is honoured on writes; fieldManager (else the User-Agent up to its first
"/") names the managedFields entry.  watch is not emulated (400).
"""

import json
import urllib.parse

from . import listing, patch
from .errors import ApiError
from .kube import (KubeError, bad_request, forbidden, method_not_allowed, no_resource,
                   not_found, present, unauthorized, unsupported_media_type)

VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.4", "gitCommit":
           "0000000000000000000000000000000000000000", "gitTreeState": "clean",
           "buildDate": "2025-08-01T00:00:00Z", "goVersion": "go1.24.5", "compiler": "gc",
           "platform": "linux/amd64"}

PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json")
BODY_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")


class KubeRequest:
    def __init__(self, emu, method, params, query, headers, raw, principal):
        self.emu = emu
        self.method = method
        self.params = params
        self.query = query
        self.headers = headers
        self.raw = raw
        self.principal = principal

    def q(self, name, default=""):
        values = self.query.get(name)
        return values[0] if values else default

    def check(self, verb, resource, namespace, name=None):
        if not self.principal.kube_allowed(verb, resource, namespace):
            raise forbidden(self.principal.user, verb, resource, namespace, name)

    @property
    def manager(self):
        manager = self.q("fieldManager")
        if manager:
            return manager[:128]
        return (self.headers.get("User-Agent") or "").split("/")[0][:128]

    def dry_run(self, kind):
        values = self.query.get("dryRun") or []
        for value in values:
            if value != "All":
                raise KubeError(422, "Invalid", '%s.meta.k8s.io "" is invalid: dryRun: '
                                'Unsupported value: "%s": supported values: "All"'
                                % (kind, value),
                                {"group": "meta.k8s.io", "kind": kind, "causes": [
                                    {"reason": "FieldValueNotSupported", "message":
                                     'Unsupported value: "%s": supported values: "All"' % value,
                                     "field": "dryRun"}]})
        return bool(values)

    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def body(self):
        """The decoded body of a create/update (JSON, or YAML when PyYAML is present)."""
        ctype = self.content_type() or "application/json"
        if ctype == "application/yaml":
            try:
                import yaml  # python3-yaml, optional here as for --seed
            except ImportError:
                raise unsupported_media_type(BODY_TYPES[:1]) from None
            try:
                return yaml.safe_load(self.raw.decode("utf-8")) if self.raw.strip() else None
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise bad_request("couldn't get version/kind; json parse error: %s"
                                  % str(exc).splitlines()[0]) from None
        if ctype != "application/json":
            raise unsupported_media_type(BODY_TYPES)
        return decode_json(self.raw, "couldn't get version/kind; json parse error: ")


def decode_json(raw, prefix=""):
    if not raw.strip():
        raise bad_request(prefix + "unexpected end of JSON input")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad_request(prefix + "invalid character in string literal") from None
    except json.JSONDecodeError as exc:
        char = raw.decode("utf-8", "replace")[exc.pos:exc.pos + 1]
        if not char:
            raise bad_request(prefix + "unexpected end of JSON input") from None
        raise bad_request(prefix + "invalid character %r looking for beginning of value"
                          % char) from None


# -- lists ------------------------------------------------------------------------------------

def _field_selector(text, fields):
    preds = []
    if not text or not text.strip():
        return preds
    for term in text.split(","):
        term = term.strip()
        for op in ("!=", "==", "="):
            key, sep, value = term.partition(op)
            if sep:
                break
        else:
            raise bad_request('invalid selector: \'%s\'; can\'t understand \'%s\''
                              % (text, term))
        key = key.strip()
        if key not in fields:
            raise bad_request('field label not supported: %s' % key)
        getter = fields[key]
        if op == "!=":
            preds.append(lambda o, g=getter, v=value.strip(): g(o) != v)
        else:
            preds.append(lambda o, g=getter, v=value.strip(): g(o) == v)
    return preds


def _list(req, kind, items, fields):
    for name in ("watch",):
        if req.q(name).lower() in ("1", "t", "true"):
            raise bad_request("watch is not supported by the emulator")
    try:
        labels = listing.parse_label_selector(req.q("labelSelector"))
    except ApiError as exc:
        raise bad_request(exc.message) from None
    fields = _field_selector(req.q("fieldSelector"), fields)
    items = [o for o in items if listing.labels_match(labels, o) and all(p(o) for p in fields)]
    limit_text = req.q("limit")
    try:
        limit = int(limit_text) if limit_text else 0
    except ValueError:
        raise bad_request('strconv.ParseInt: parsing "%s": invalid syntax' % limit_text) \
            from None
    try:
        page, meta = listing.k8s_page(items, limit, req.q("continue"),
                                      req.emu.store.resource_version(), bool(labels or fields))
    except ApiError as exc:
        raise bad_request(exc.message) from None
    return 200, {"kind": kind + "List", "apiVersion": "v1", "metadata": meta,
                 "items": [present(kind, o, in_list=True) for o in page]}


def _meta_getter(key):
    return lambda o: (o.get("metadata") or {}).get(key, "")


# -- handlers ---------------------------------------------------------------------------------

def get_version(req):
    return 200, dict(VERSION)


def list_namespaces(req):
    req.check("list", "namespaces", "")
    return _list(req, "Namespace", req.emu.kube.namespaces(),
                 {"metadata.name": _meta_getter("name"),
                  "status.phase": lambda o: (o.get("status") or {}).get("phase", "")})


def get_namespace(req):
    name = req.params["name"]
    if not req.principal.kube_allowed("get", "namespaces", name):
        raise forbidden(req.principal.user, "get", "namespaces", "", name)
    obj = req.emu.kube.namespace(name)
    if obj is None:
        raise not_found("namespaces", name)
    return 200, present("Namespace", obj)


def list_secrets(req):
    ns = req.params["namespace"]
    req.check("list", "secrets", ns)
    return _list(req, "Secret", req.emu.kube.list_secrets(ns),
                 {"metadata.name": _meta_getter("name"),
                  "metadata.namespace": _meta_getter("namespace"),
                  "type": lambda o: o.get("type", "")})


def create_secret(req):
    ns = req.params["namespace"]
    req.check("create", "secrets", ns)
    dry = req.dry_run("CreateOptions")
    body = req.body()
    return 201, present("Secret", req.emu.kube.create_secret(ns, body, req.manager, dry))


def get_secret(req):
    ns, name = req.params["namespace"], req.params["name"]
    req.check("get", "secrets", ns, name)
    obj = req.emu.kube.get_secret(ns, name)
    if obj is None:
        raise not_found("secrets", name)
    return 200, present("Secret", obj)


def replace_secret(req):
    ns, name = req.params["namespace"], req.params["name"]
    req.check("update", "secrets", ns, name)
    dry = req.dry_run("UpdateOptions")
    body = req.body()
    return 200, present("Secret", req.emu.kube.replace_secret(ns, name, body, req.manager, dry))


def patch_secret(req):
    ns, name = req.params["namespace"], req.params["name"]
    req.check("patch", "secrets", ns, name)
    ctype = req.content_type()
    if ctype not in PATCH_TYPES:
        raise unsupported_media_type(PATCH_TYPES)
    dry = req.dry_run("PatchOptions")
    if ctype == "application/merge-patch+json":
        try:
            document = json.loads(req.raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid JSON Patch") from None

        def apply(current):
            return patch.merge_patch(current, document)
    elif ctype == "application/strategic-merge-patch+json":
        document = decode_json(req.raw)
        if not isinstance(document, dict):
            raise bad_request("json: cannot unmarshal %s into Go value of type "
                              "map[string]interface {}" % patch._go_type(document))

        def apply(current):
            try:
                return patch.strategic_patch(current, document)
            except patch.PatchFailed as exc:
                raise bad_request(str(exc)) from None
    else:
        document = decode_json(req.raw)
        try:
            patch.decode_json_patch(document)
        except patch.BadPatch as exc:
            raise bad_request(str(exc)) from None

        def apply(current):
            try:
                return patch.json_patch(current, document)
            except patch.PatchFailed:
                # NewGenericServerResponse(422, ...): the library's text is not returned
                raise KubeError(422, "Invalid", "the server rejected our request due to an "
                                "error in our request", {}) from None
    return 200, present("Secret", req.emu.kube.patch_secret(ns, name, apply, req.manager, dry))


def delete_secret(req):
    ns, name = req.params["namespace"], req.params["name"]
    req.check("delete", "secrets", ns, name)
    options = {}
    if req.raw.strip():
        options = decode_json(req.raw, "couldn't get version/kind; json parse error: ")
        if not isinstance(options, dict):
            raise bad_request("couldn't get version/kind; json parse error: json: cannot "
                              "unmarshal %s into Go value of type struct" % patch._go_type(options))
    pre = options.get("preconditions") or {}
    uid = pre.get("uid") if isinstance(pre, dict) else None
    rv = pre.get("resourceVersion") if isinstance(pre, dict) else None
    uid = req.q("preconditions.uid", uid)
    rv = req.q("preconditions.resourceVersion", rv)
    dry = req.dry_run("DeleteOptions") or options.get("dryRun") == ["All"]
    gone = req.emu.kube.delete_secret(ns, name, uid or None, rv or None, dry)
    return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                 "details": {"name": name, "kind": "secrets", "uid": gone["metadata"]["uid"]}}


ROUTES = [
    ("/version", {"GET": get_version}),
    ("/api/v1/namespaces", {"GET": list_namespaces}),
    ("/api/v1/namespaces/{name}", {"GET": get_namespace}),
    ("/api/v1/namespaces/{namespace}/secrets", {"GET": list_secrets, "POST": create_secret}),
    ("/api/v1/namespaces/{namespace}/secrets/{name}",
     {"GET": get_secret, "PUT": replace_secret, "PATCH": patch_secret, "DELETE": delete_secret}),
]


def _match(template, segments):
    want = template.strip("/").split("/")
    if len(want) != len(segments):
        return None
    params = {}
    for w, got in zip(want, segments):
        if w.startswith("{"):
            if not got:
                return None
            params[w[1:-1]] = got
        elif w != got:
            return None
    return params


def handle(emu, method, parsed, headers, raw):
    """(status, result): result is a JSON value, a KubeError or a (content_type, bytes) pair."""
    principal = emu.auth.authenticate_kube(headers)
    if principal is None:
        return 401, unauthorized()
    path = parsed.path
    segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
    for template, methods in ROUTES:
        params = _match(template, segments)
        if params is None:
            continue
        handler = methods.get(method)
        if handler is None:
            err = method_not_allowed()
            return err.code, err
        req = KubeRequest(emu, method, params,
                          urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                          headers, raw, principal)
        try:
            return handler(req)
        except KubeError as exc:
            return exc.code, exc
    if path == "/api" or path.startswith(("/api/", "/apis")):
        err = no_resource()
        return err.code, err
    return 404, ("text/plain; charset=utf-8", b"404 page not found\n")
