"""Bearer-token authentication, namespace rights and userinfo.

Token specs (command line, tokens file, control endpoint) have the form
    TOKEN            all namespaces and cluster-scoped resources
    TOKEN=*          the same
    TOKEN=ns1,ns2    only these namespaces (no cluster-scoped resources, no all-namespace lists)
optionally followed by flags, each after a ";", that stand for Kubernetes RBAC rules:
    ;nowatch         may not watch workflows (a Role granting list but not watch); the Argo
                     Server hands the watch on to Kubernetes, which refuses it with 403
    ;nosecrets       no access to Secrets at all
    ;rosecrets       Secrets read-only (get, list)
    ;namespaces      may list namespaces even though limited to some namespaces
    ;nonamespaces    may not list namespaces (by default only unrestricted tokens may)
TOKEN is what the client sends after "Bearer ".  A spec starting with "Basic " is compared with
the whole Authorization value instead (the Argo side only).  A spec whose ";" parts are not all
known flags is taken whole as the token, as before flags existed.

The same tokens work on both listeners, as on a cluster where the Argo Server runs in client
auth mode and hands the bearer token on to the Kubernetes API.  Besides the configured tokens,
the token of a service account (the `token` of its kubernetes.io/service-account-token Secret,
see kube.py) is accepted: it acts as `TOKEN=<its namespace>;nosecrets` with the user
system:serviceaccount:NS:NAME.

Authentication is disabled (the real server's `--auth-mode server`) only when no --token and no
--tokens-file were given and the control endpoint never set tokens.

The tokens file is re-read whenever its mtime (or size) changes; the control endpoint replaces
the command-line set.  The active set is the union of both.
"""

import base64
import json
import os
import re
import threading
import urllib.parse

from . import errors

_NS_LIST = re.compile(r"^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(,[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$")
DEFAULT_USER = "system:serviceaccount:argo:argo-emulator"


FLAGS = ("nowatch", "nosecrets", "rosecrets", "namespaces", "nonamespaces")


class TokenSpec:
    def __init__(self, token, namespaces, flags=frozenset(), user=None):
        self.token = token            # str
        self.namespaces = namespaces  # None = everything, else frozenset of namespaces
        self.flags = frozenset(flags)  # Kubernetes-side restrictions (FLAGS)
        self.user = user              # fixed user name (service accounts), else from the JWT

    @classmethod
    def parse(cls, spec):
        spec = spec.strip()
        if not spec:
            raise ValueError("empty token spec")
        flags = frozenset()
        head, sep, tail = spec.partition(";")
        if sep and head.strip():
            parts = [p.strip() for p in tail.split(";")]
            if all(p in FLAGS for p in parts):
                spec, flags = head.strip(), frozenset(parts)
        token, sep, scope = spec.rpartition("=")
        if sep and token and _NS_LIST.match(scope):
            return cls(token, None if scope == "*" else frozenset(scope.split(",")), flags)
        return cls(spec, None, flags)


def decode_jwt_claims(token):
    """The unverified payload of a JWT as a dict, or None when `token` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


class Principal:
    """Who is calling: the matched token spec (None when auth is disabled) and JWT claims."""

    def __init__(self, spec, claims):
        self.spec = spec
        self.claims = claims

    @property
    def user(self):
        if self.spec is not None and self.spec.user:
            return self.spec.user
        if self.claims and isinstance(self.claims.get("sub"), str) and self.claims["sub"]:
            return self.claims["sub"]
        return DEFAULT_USER

    def kube_allowed(self, verb, resource, namespace):
        """May this principal `verb` core `resource` in `namespace` ("" = cluster scope) on the
        Kubernetes API?  See the module docstring for the rules."""
        spec = self.spec
        if spec is None:
            return True
        if resource == "namespaces":
            if "nonamespaces" in spec.flags:
                return False
            if spec.namespaces is None or "namespaces" in spec.flags:
                return True
            return verb == "get" and namespace in spec.namespaces
        if resource == "secrets":
            if "nosecrets" in spec.flags:
                return False
            if "rosecrets" in spec.flags and verb not in ("get", "list"):
                return False
        return spec.namespaces is None or (namespace != "" and namespace in spec.namespaces)

    def allowed(self, namespace):
        """namespace "" means cluster scope / all namespaces."""
        if self.spec is None or self.spec.namespaces is None:
            return True
        return namespace != "" and namespace in self.spec.namespaces

    def check(self, verb, resource, namespace, name=None, group=errors.GROUP):
        """Raise a Kubernetes-style 403 (code 7) unless the principal may use `namespace` (and,
        for a watch, may watch)."""
        nowatch = verb == "watch" and self.spec is not None and "nowatch" in self.spec.flags
        if self.allowed(namespace) and not nowatch:
            return
        qualified = "%s.%s" % (resource, group) if group else resource
        subject = '%s "%s"' % (qualified, name) if name else qualified
        where = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
        raise errors.ApiError(
            errors.PERMISSION_DENIED,
            '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s'
            % (subject, self.user, verb, resource, group, where))

    def userinfo(self):
        """GetUserInfoResponse: built from the unverified JWT payload; empty fields omitted."""
        claims = self.claims or {}
        out = {}
        for key, claim in (("issuer", "iss"), ("subject", "sub"), ("email", "email"),
                           ("name", "name")):
            if isinstance(claims.get(claim), str) and claims[claim]:
                out[key] = claims[claim]
        groups = claims.get("groups")
        if isinstance(groups, list) and groups:
            out["groups"] = [str(g) for g in groups]
        if claims.get("email_verified") is True:
            out["emailVerified"] = True
        sub = out.get("subject", "")
        if sub.startswith("system:serviceaccount:"):
            rest = sub[len("system:serviceaccount:"):].split(":", 1)
            if len(rest) == 2:
                out["serviceAccountNamespace"], out["serviceAccountName"] = rest
        return out


class Auth:
    def __init__(self, specs=(), tokens_file=None):
        self._lock = threading.Lock()
        self._specs = [TokenSpec.parse(s) for s in specs]
        self._file = tokens_file
        self._file_stamp = None
        self._file_specs = []
        self._enabled = bool(self._specs) or bool(tokens_file)
        self.service_account_lookup = None   # token -> (namespace, name) or None
        self._reload_file()

    @property
    def enabled(self):
        return self._enabled

    def replace(self, specs):
        """Control endpoint: replace the command-line token set and enable auth."""
        parsed = [TokenSpec.parse(s) for s in specs]
        with self._lock:
            self._specs = parsed
            self._enabled = True

    def _reload_file(self):
        if not self._file:
            return
        try:
            st = os.stat(self._file)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if stamp == self._file_stamp:
                return
            with open(self._file, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except OSError:
            stamp, lines = None, []
        specs = []
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                specs.append(TokenSpec.parse(line))
        self._file_stamp = stamp
        self._file_specs = specs

    def snapshot(self):
        with self._lock:
            self._reload_file()
            return {"enabled": self._enabled,
                    "tokens": [s.token for s in self._specs + self._file_specs]}

    def _service_account(self, token):
        lookup = self.service_account_lookup
        found = lookup(token) if lookup else None
        if not found:
            return None
        ns, name = found
        return TokenSpec(token, frozenset([ns]), frozenset(["nosecrets"]),
                         user="system:serviceaccount:%s:%s" % (ns, name))

    def authenticate_kube(self, headers):
        """The Principal for a Kubernetes API request, or None (401).  Bearer tokens only (the
        scheme is case-insensitive there); no cookies, no Basic."""
        value = headers.get("Authorization") or ""
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        with self._lock:
            self._reload_file()
            if not self._enabled:
                return Principal(None, decode_jwt_claims(token) if token else None)
            specs = self._specs + self._file_specs
        if scheme.lower() != "bearer" or not token:
            return None
        for spec in specs:
            if not spec.token.startswith("Basic ") and spec.token == token:
                return Principal(spec, decode_jwt_claims(token))
        spec = self._service_account(token)
        return Principal(spec, decode_jwt_claims(token)) if spec else None

    def authenticate(self, headers, authorization=None):
        """The Principal for a request, or ApiError 16.  `headers` is an http.client message;
        `authorization` replaces its Authorization header (webhook verification)."""
        value = authorization if authorization is not None else headers.get("Authorization")
        if value is None:
            value = _cookie(headers.get("Cookie"), "authorization")
        with self._lock:
            self._reload_file()
            if not self._enabled:
                claims = None
                if value and value.startswith("Bearer "):
                    claims = decode_jwt_claims(value[len("Bearer "):])
                return Principal(None, claims)
            specs = self._specs + self._file_specs
        if value:
            for spec in specs:
                if spec.token.startswith("Basic "):
                    if value == spec.token:
                        return Principal(spec, None)
                elif value.startswith("Bearer ") and value[len("Bearer "):] == spec.token:
                    return Principal(spec, decode_jwt_claims(spec.token))
            if value.startswith("Bearer "):
                spec = self._service_account(value[len("Bearer "):])
                if spec is not None:
                    return Principal(spec, decode_jwt_claims(spec.token))
        raise errors.ApiError(errors.UNAUTHENTICATED, errors.TOKEN_NOT_VALID)


def _cookie(header, name):
    if not header:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return urllib.parse.unquote(value)
    return None
