"""The Kubernetes core objects the emulator keeps: Secrets, ServiceAccounts and Namespaces, and
the Status errors the Kubernetes API server answers with.

This is the state behind the Kubernetes API listener (kubeapi.py) and behind webhook
verification (webhooks.py), which reads the Secret argo-workflows-webhook-clients the way the
Argo Server does, with its own service account.

Objects are plain dicts in Kubernetes JSON form (apiVersion v1), stored without kind and
apiVersion; `present` adds them for single-object replies.  resourceVersion comes from the same
global counter as the Argo objects (one etcd revision for the whole cluster).  All access goes
through the Argo store's lock.

Secrets behave as on the API server:
  * `data` values are base64 (checked on write), `stringData` is merged into `data` on every
    write (create, update, patch) and never stored or returned;
  * `type` defaults to Opaque and cannot change; `immutable: true` freezes data and itself;
  * names are RFC 1123 subdomains, data keys match [-._a-zA-Z0-9]+, 1 MiB at most in total;
  * a write that changes nothing keeps the resourceVersion (the API server's no-op update);
  * a kubernetes.io/service-account-token Secret needs the annotation
    kubernetes.io/service-account.name; when it has no `token`, one is generated (JWT-shaped,
    like the token controller's), together with the `namespace` key.
A token found in such a Secret, whose service account exists, authenticates as
system:serviceaccount:NS:SA (see token_spec).

Namespaces are the ones seeded as kind Namespace plus every namespace that holds an object
(Argo's or these); each gets its metadata the first time it is seen.
"""

import base64
import binascii
import copy
import json
import random
import re
import secrets as pysecrets
import uuid

from .store import rfc3339

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
SA_UID_ANNOTATION = "kubernetes.io/service-account.uid"
MAX_SECRET_BYTES = 1024 * 1024

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
             "'-' or '.', and must start and end with an alphanumeric character (e.g. "
             "'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
            "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')")
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "labels", "annotations",
               "ownerReferences", "finalizers", "managedFields")
# fields a client may set in metadata; the rest is the server's
_META_CLIENT = ("name", "generateName", "namespace", "labels", "annotations", "ownerReferences",
                "finalizers")


# -- Status errors ----------------------------------------------------------------------------

class KubeError(Exception):
    """A failed request: HTTP `code` and a metav1.Status body."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def body(self):
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message}
        if self.reason:
            out["reason"] = self.reason
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType",
           422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
           503: "ServiceUnavailable", 504: "Timeout"}


def status_for(code, message):
    """A Status body for an injected failure (fault "fail" on the Kubernetes listener)."""
    return KubeError(code, REASONS.get(code, "Unknown"), message).body()


def bad_request(message):
    return KubeError(400, "BadRequest", message)


def unauthorized():
    return KubeError(401, "Unauthorized", "Unauthorized")


def forbidden(user, verb, resource, namespace, name=None):
    subject = '%s "%s"' % (resource, name) if name else resource
    where = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    details = {"name": name, "kind": resource} if name else {"kind": resource}
    return KubeError(403, "Forbidden",
                     '%s is forbidden: User "%s" cannot %s resource "%s" in API group "" %s'
                     % (subject, user, verb, resource, where), details)


def not_found(resource, name):
    return KubeError(404, "NotFound", '%s "%s" not found' % (resource, name),
                     {"name": name, "kind": resource})


def no_resource():
    return KubeError(404, "NotFound", "the server could not find the requested resource", {})


def method_not_allowed():
    return KubeError(405, "MethodNotAllowed",
                     "the server does not allow this method on the requested resource", {})


def already_exists(resource, name):
    return KubeError(409, "AlreadyExists", '%s "%s" already exists' % (resource, name),
                     {"name": name, "kind": resource})


def conflict(resource, name, why=None):
    return KubeError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                     % (resource, name, why or "the object has been modified; please apply your "
                        "changes to the latest version and try again"),
                     {"name": name, "kind": resource})


def unsupported_media_type(accepted):
    return KubeError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types "
                     "include: " + ", ".join(accepted))


class FieldError:
    """One entry of a 422 Invalid: field, type (reason), detail."""

    TYPES = {"FieldValueInvalid": "Invalid value", "FieldValueRequired": "Required value",
             "FieldValueForbidden": "Forbidden", "FieldValueTooLong": "Too long"}

    def __init__(self, reason, field, detail, value=None, show_value=False):
        self.reason = reason
        self.field = field
        self.detail = detail
        self.value = value
        self.show_value = show_value

    @property
    def message(self):
        text = self.TYPES[self.reason]
        if self.show_value:
            text += ": %s" % json.dumps(self.value)
        return "%s: %s" % (text, self.detail) if self.detail else text

    def __str__(self):
        return "%s: %s" % (self.field, self.message)


def invalid(kind, name, field_errors):
    """The API server's 422 Invalid: `Kind "name" is invalid: <errors>`."""
    text = (str(field_errors[0]) if len(field_errors) == 1
            else "[%s]" % ", ".join(str(e) for e in field_errors))
    causes = [{"reason": e.reason, "message": e.message, "field": e.field}
              for e in field_errors]
    return KubeError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, text),
                     {"name": name, "kind": kind, "causes": causes})


# -- helpers ----------------------------------------------------------------------------------

def b64(text):
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode()


def b64decode(value):
    """Go's base64.StdEncoding as encoding/json applies it to []byte: strict, padded;
    \\r and \\n are skipped.  Raises ValueError('illegal base64 data at input byte N')."""
    text = value.replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        pos = 0
        for pos, ch in enumerate(text):
            if not (ch.isascii() and (ch.isalnum() or ch in "+/=")):
                break
        else:
            pos = max(0, len(text) - (len(text) % 4 or 4))
        raise ValueError("illegal base64 data at input byte %d" % pos) from None


def _ordered_meta(meta):
    out = {k: meta[k] for k in _META_ORDER if k in meta}
    out.update((k, v) for k, v in meta.items() if k not in out)
    return out


def present(kind, obj, in_list=False):
    """The JSON of a stored object as the API server writes it: kind and apiVersion first, except
    for list items."""
    obj = copy.deepcopy(obj)
    if in_list:
        return obj
    out = {"kind": kind, "apiVersion": "v1"}
    out.update(obj)
    return out


def _fields_v1(secret):
    out = {}
    meta = secret.get("metadata") or {}
    fmeta = {}
    for key in ("labels", "annotations"):
        if meta.get(key):
            fmeta["f:" + key] = {"f:" + k: {} for k in sorted(meta[key])}
    if fmeta:
        out["f:metadata"] = fmeta
    if secret.get("data"):
        out["f:data"] = {"f:" + k: {} for k in sorted(secret["data"])}
    if "immutable" in secret:
        out["f:immutable"] = {}
    out["f:type"] = {}
    return out


def jwt_token(claims):
    """A JWT-shaped service-account token (header.payload.signature, base64url, unsigned in
    substance: the emulator recognises tokens by value, never by signature)."""
    def part(value):
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    sig = base64.urlsafe_b64encode(pysecrets.token_bytes(32)).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "RS256", "kid": "argo-emulator"}), part(claims), sig)


# -- the store --------------------------------------------------------------------------------

class KubeStore:
    def __init__(self, store):
        self.store = store          # the Argo store: its lock and resourceVersion counter
        self.lock = store.lock
        self._secrets = {}          # (ns, name) -> secret (without kind/apiVersion)
        self._accounts = {}         # (ns, name) -> service account
        self._namespaces = {}       # name -> namespace
        self._explicit = set()      # namespaces created as objects (seed kind Namespace)

    # -- namespaces -------------------------------------------------------------------------

    def _namespace_names(self):
        names = set(self._namespaces)
        names.update(self.store.namespaces())
        names.update(ns for ns, _ in self._secrets)
        names.update(ns for ns, _ in self._accounts)
        names.discard("")
        return names

    def _ensure_namespace(self, name):
        if name in self._namespaces or not name:
            return
        self._namespaces[name] = {
            "metadata": {"name": name, "uid": str(uuid.uuid4()),
                         "resourceVersion": self.store.next_resource_version(),
                         "creationTimestamp": rfc3339(),
                         "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}}

    def add_namespace(self, obj):
        """Seed: a Namespace object (labels and annotations are kept)."""
        meta = obj.get("metadata") or {}
        name = meta.get("name") or ""
        if not _NAME_RE.match(name) or len(name) > 63:
            raise ValueError('invalid namespace name "%s"' % name)
        with self.lock:
            self._ensure_namespace(name)
            stored = self._namespaces[name]["metadata"]
            labels = dict(meta.get("labels") or {})
            labels["kubernetes.io/metadata.name"] = name
            stored["labels"] = labels
            if meta.get("annotations"):
                stored["annotations"] = dict(meta["annotations"])
            self._namespaces[name]["metadata"] = _ordered_meta(stored)
            self._explicit.add(name)

    def namespaces(self):
        """Copies of all namespaces, by name."""
        with self.lock:
            for name in self._namespace_names():
                self._ensure_namespace(name)
            return [copy.deepcopy(self._namespaces[n]) for n in sorted(self._namespaces)]

    def namespace(self, name):
        with self.lock:
            if name in self._namespace_names():
                self._ensure_namespace(name)
                return copy.deepcopy(self._namespaces[name])
            return None

    # -- service accounts -------------------------------------------------------------------

    def add_service_account(self, namespace, obj):
        """Seed: a ServiceAccount (metadata and `secrets` are kept)."""
        meta = obj.get("metadata") or {}
        name = meta.get("name") or ""
        if not _NAME_RE.match(name) or len(name) > 253:
            raise ValueError('ServiceAccount "%s" is invalid: metadata.name: %s' % (name,
                                                                                    _NAME_MSG))
        with self.lock:
            if (namespace, name) in self._accounts:
                raise ValueError('serviceaccounts "%s" already exists' % name)
            stored = {"metadata": {"name": name, "namespace": namespace,
                                   "uid": str(uuid.uuid4()),
                                   "resourceVersion": self.store.next_resource_version(),
                                   "creationTimestamp": rfc3339()}}
            for key in ("labels", "annotations"):
                if meta.get(key):
                    stored["metadata"][key] = dict(meta[key])
            if obj.get("secrets"):
                stored["secrets"] = copy.deepcopy(obj["secrets"])
            self._accounts[(namespace, name)] = stored
            self._ensure_namespace(namespace)

    def service_account(self, namespace, name):
        with self.lock:
            obj = self._accounts.get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def token_spec(self, token):
        """(namespace, service account) whose token Secret holds `token`, or None."""
        if not token:
            return None
        with self.lock:
            for (ns, _), secret in self._secrets.items():
                if secret.get("type") != SA_TOKEN_TYPE:
                    continue
                data = secret.get("data") or {}
                try:
                    value = b64decode(data.get("token") or "").decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    continue
                if not pysecrets.compare_digest(value.encode(), token.encode()):
                    continue
                sa = ((secret["metadata"].get("annotations") or {})
                      .get(SA_NAME_ANNOTATION) or "")
                if (ns, sa) in self._accounts:
                    return ns, sa
        return None

    # -- secrets ----------------------------------------------------------------------------

    def get_secret(self, namespace, name):
        with self.lock:
            obj = self._secrets.get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list_secrets(self, namespace):
        with self.lock:
            return [copy.deepcopy(v) for k, v in sorted(self._secrets.items())
                    if k[0] == namespace]

    def count(self):
        with self.lock:
            return {"secrets": len(self._secrets), "serviceaccounts": len(self._accounts),
                    "namespaces": len(self._namespace_names())}

    def _normalise(self, namespace, body, name_hint=None):
        """The Secret a request body describes, decoded as the API server would: stringData
        merged into data, type defaulted, client metadata only.  Raises KubeError 400/422."""
        if not isinstance(body, dict):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                              "cannot unmarshal %s into Go value of type v1.Secret"
                              % ("array" if isinstance(body, list) else "string"
                                 if isinstance(body, str) else "number"))
        if body.get("apiVersion") not in (None, "", "v1"):
            raise bad_request("the API version in the data (%s) does not match the expected "
                              "API version (v1)" % body["apiVersion"])
        if body.get("kind") not in (None, "", "Secret"):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: the kind "
                              "in the data (%s) does not match the expected kind (Secret)"
                              % body["kind"])
        meta = body.get("metadata")
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                              "cannot unmarshal %s into Go struct field Secret.metadata of type "
                              "v1.ObjectMeta" % type(meta).__name__)
        for key in ("labels", "annotations"):
            value = meta.get(key)
            if value is not None and (not isinstance(value, dict) or
                                      not all(isinstance(v, str) for v in value.values())):
                raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                                  "cannot unmarshal into Go struct field ObjectMeta.metadata.%s "
                                  "of type map[string]string" % key)
        data = body.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                              "cannot unmarshal %s into Go struct field Secret.data of type "
                              "map[string][]uint8" % type(data).__name__)
        out_data = {}
        for key, value in data.items():
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                                  "cannot unmarshal %s into Go struct field Secret.data of type "
                                  "[]uint8" % type(value).__name__)
            try:
                out_data[key] = b64(b64decode(value))
            except ValueError as exc:
                raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: %s"
                                  % exc) from None
        string_data = body.get("stringData") or {}
        if not isinstance(string_data, dict) or \
                not all(isinstance(v, str) for v in string_data.values()):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                              "cannot unmarshal into Go struct field Secret.stringData of type "
                              "map[string]string")
        for key, value in string_data.items():
            out_data[key] = b64(value)
        secret_type = body.get("type") or "Opaque"
        if not isinstance(secret_type, str):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                              "cannot unmarshal into Go struct field Secret.type of type "
                              "v1.SecretType")
        out_meta = {k: copy.deepcopy(meta[k]) for k in _META_CLIENT if meta.get(k)}
        for key in ("uid", "resourceVersion"):
            if meta.get(key):
                out_meta[key] = str(meta[key])
        if namespace and out_meta.get("namespace") not in (None, "", namespace):
            raise bad_request("the namespace of the provided object does not match the namespace "
                              "sent on the request")
        out_meta["namespace"] = namespace
        secret = {"metadata": out_meta}
        if body.get("immutable") is not None:
            if not isinstance(body["immutable"], bool):
                raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: "
                                  "cannot unmarshal into Go struct field Secret.immutable of "
                                  "type bool")
            secret["immutable"] = body["immutable"]
        secret["data"] = out_data
        secret["type"] = secret_type
        return secret

    @staticmethod
    def _validate(secret):
        meta = secret["metadata"]
        name = meta.get("name") or ""
        errs = []
        if not name:
            errs.append(FieldError("FieldValueRequired", "metadata.name",
                                   "name or generateName is required"))
        elif len(name) > 253 or not _NAME_RE.match(name):
            errs.append(FieldError("FieldValueInvalid", "metadata.name", _NAME_MSG, name, True))
        total = 0
        for key, value in secret["data"].items():
            if len(key) > 253 or not _KEY_RE.match(key) or key in (".", "..") \
                    or key.startswith(".."):
                detail = (_KEY_MSG if not _KEY_RE.match(key) else "must not be '.'" if key == "."
                          else "must not be '..'" if key == ".." else
                          "must not start with '..'" if key.startswith("..")
                          else "must be no more than 253 characters")
                errs.append(FieldError("FieldValueInvalid", "data[%s]" % key, detail, key, True))
            total += len(base64.b64decode(value))
        if total > MAX_SECRET_BYTES:
            errs.append(FieldError("FieldValueTooLong", "data",
                                   "must have at most %d bytes" % MAX_SECRET_BYTES))
        if secret["type"] == SA_TOKEN_TYPE and \
                not (meta.get("annotations") or {}).get(SA_NAME_ANNOTATION):
            errs.append(FieldError("FieldValueRequired",
                                   "metadata.annotations[%s]" % SA_NAME_ANNOTATION, ""))
        if errs:
            raise invalid("Secret", name, errs)

    def _fill_token(self, secret):
        """The token controller's part for service-account-token Secrets."""
        if secret["type"] != SA_TOKEN_TYPE:
            return
        meta = secret["metadata"]
        ns = meta["namespace"]
        sa = meta["annotations"][SA_NAME_ANNOTATION]
        data = secret["data"]
        if not data.get("token"):
            account = self._accounts.get((ns, sa))
            data["token"] = b64(jwt_token({
                "iss": "kubernetes/serviceaccount",
                "kubernetes.io/serviceaccount/namespace": ns,
                "kubernetes.io/serviceaccount/secret.name": meta["name"],
                "kubernetes.io/serviceaccount/service-account.name": sa,
                "kubernetes.io/serviceaccount/service-account.uid":
                    account["metadata"]["uid"] if account else "",
                "sub": "system:serviceaccount:%s:%s" % (ns, sa)}))
        data.setdefault("namespace", b64(ns))

    def _managed(self, secret, manager, operation):
        meta = secret["metadata"]
        entries = [e for e in meta.get("managedFields") or [] if e.get("manager") != manager]
        entries.append({"manager": manager, "operation": operation, "apiVersion": "v1",
                        "time": rfc3339(), "fieldsType": "FieldsV1",
                        "fieldsV1": _fields_v1(secret)})
        meta["managedFields"] = entries

    @staticmethod
    def _ordered(secret):
        out = {"metadata": _ordered_meta(secret["metadata"])}
        if "immutable" in secret:
            out["immutable"] = secret["immutable"]
        if secret.get("data"):
            out["data"] = dict(sorted(secret["data"].items()))
        out["type"] = secret["type"]
        return out

    def create_secret(self, namespace, body, manager="", dry_run=False):
        """POST: the stored Secret.  Raises KubeError 400/409/422."""
        secret = self._normalise(namespace, body)
        meta = secret["metadata"]
        with self.lock:
            if not meta.get("name") and meta.get("generateName"):
                for _ in range(100):
                    meta["name"] = meta["generateName"] + "".join(
                        random.choice(_SUFFIX_ALPHABET) for _ in range(5))
                    if (namespace, meta["name"]) not in self._secrets:
                        break
            if meta.get("resourceVersion"):
                # the storage layer refuses it, with a bare 500 (no reason)
                raise KubeError(500, None, "resourceVersion should not be set on objects to be "
                                "created")
            self._validate(secret)
            name = meta["name"]
            if (namespace, name) in self._secrets:
                raise already_exists("secrets", name)
            meta.pop("uid", None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = rfc3339()
            self._fill_token(secret)
            self._managed(secret, manager, "Update")
            secret = self._ordered(secret)
            if dry_run:
                return copy.deepcopy(secret)
            secret["metadata"]["resourceVersion"] = self.store.next_resource_version()
            secret["metadata"] = _ordered_meta(secret["metadata"])
            self._secrets[(namespace, name)] = secret
            self._ensure_namespace(namespace)
            return copy.deepcopy(secret)

    def replace_secret(self, namespace, name, body, manager="", dry_run=False,
                       operation="Update", expected_rv=None):
        """PUT (and the last step of PATCH): the stored Secret.  `body` is the whole new object.
        Raises KubeError 400/404/409/422."""
        secret = self._normalise(namespace, body)
        meta = secret["metadata"]
        if meta.get("name", "") != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL "
                              "(%s)" % (meta.get("name", ""), name))
        with self.lock:
            current = self._secrets.get((namespace, name))
            if current is None:
                raise not_found("secrets", name)
            cmeta = current["metadata"]
            rv = meta.pop("resourceVersion", None)
            if rv and rv != cmeta["resourceVersion"]:
                raise conflict("secrets", name)
            if expected_rv and expected_rv != cmeta["resourceVersion"]:
                raise conflict("secrets", name)
            uid = meta.pop("uid", None)
            errs = []
            if uid and uid != cmeta["uid"]:
                errs.append(FieldError("FieldValueInvalid", "metadata.uid",
                                       "field is immutable", uid, True))
            if secret["type"] != current["type"]:
                errs.append(FieldError("FieldValueInvalid", "type", "field is immutable",
                                       secret["type"], True))
            if current.get("immutable"):
                if secret.get("data", {}) != current.get("data", {}):
                    errs.append(FieldError("FieldValueForbidden", "data",
                                           "field is immutable when `immutable` is set"))
                if secret.get("immutable") is not True:
                    errs.append(FieldError("FieldValueForbidden", "immutable",
                                           "field is immutable when `immutable` is set"))
            if errs:
                raise invalid("Secret", name, errs)
            self._validate(secret)
            meta.pop("generateName", None)
            if cmeta.get("generateName"):
                meta["generateName"] = cmeta["generateName"]
            meta["uid"] = cmeta["uid"]
            meta["creationTimestamp"] = cmeta["creationTimestamp"]
            meta["managedFields"] = copy.deepcopy(cmeta.get("managedFields") or [])
            self._fill_token(secret)
            secret = self._ordered(secret)
            unchanged = (self._comparable(secret) == self._comparable(current))
            if unchanged:
                return copy.deepcopy(current)
            self._managed(secret, manager, operation)
            secret["metadata"]["resourceVersion"] = cmeta["resourceVersion"]
            if dry_run:
                secret["metadata"] = _ordered_meta(secret["metadata"])
                return copy.deepcopy(secret)
            secret["metadata"]["resourceVersion"] = self.store.next_resource_version()
            secret["metadata"] = _ordered_meta(secret["metadata"])
            self._secrets[(namespace, name)] = secret
            return copy.deepcopy(secret)

    @staticmethod
    def _comparable(secret):
        out = copy.deepcopy(secret)
        for key in ("resourceVersion", "managedFields"):
            out["metadata"].pop(key, None)
        return out

    def patch_secret(self, namespace, name, apply, manager="", dry_run=False):
        """PATCH: `apply(current_json)` returns the patched JSON (raising KubeError); the result
        is then stored like a PUT, atomically with the read."""
        with self.lock:
            current = self._secrets.get((namespace, name))
            if current is None:
                raise not_found("secrets", name)
            patched = apply(present("Secret", current))
            if isinstance(patched, dict) and isinstance(patched.get("metadata"), dict):
                patched["metadata"].pop("managedFields", None)
                patched["metadata"].pop("creationTimestamp", None)
            return self.replace_secret(namespace, name, patched, manager, dry_run, "Update")

    def delete_secret(self, namespace, name, uid=None, resource_version=None, dry_run=False):
        with self.lock:
            current = self._secrets.get((namespace, name))
            if current is None:
                raise not_found("secrets", name)
            cmeta = current["metadata"]
            if uid is not None and uid != cmeta["uid"]:
                raise conflict("secrets", name, "Precondition failed: UID in precondition: %s, "
                               "UID in object meta: %s" % (uid, cmeta["uid"]))
            if resource_version is not None and resource_version != cmeta["resourceVersion"]:
                raise conflict("secrets", name, "Precondition failed: ResourceVersion in "
                               "precondition: %s, ResourceVersion in object meta: %s"
                               % (resource_version, cmeta["resourceVersion"]))
            if not dry_run:
                del self._secrets[(namespace, name)]
                self.store.next_resource_version()
            return copy.deepcopy(current)

    def seed_secret(self, namespace, obj):
        """Seed: create a Secret from a YAML document (same rules as POST)."""
        try:
            return self.create_secret(namespace, obj, manager="seed")
        except KubeError as exc:
            raise ValueError(exc.message) from None
