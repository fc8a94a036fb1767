"""Webhook verification on POST /api/v1/events/{ns}/{discriminator}, as the Argo Server's
webhook interceptor does it (server/auth/webhook, go-playground/webhooks v6).

The interceptor wraps the whole API, before routing and body decoding, and acts only on a POST
whose path starts with /api/v1/events/NS/ and that has NO Authorization header (a cookie does
not count):
  1. it reads the Secret argo-workflows-webhook-clients in NS (with the server's own rights, so
     here straight from the emulator's Kubernetes store); missing: 403;
  2. a body over 2 MiB: 403;
  3. it tries each data key (a service account name) in turn; the value is YAML
     `type: github|gitlab|bitbucket|bitbucketserver` and `secret: ...`.  A value that is not a
     YAML mapping: 403.  The real server tries the keys in Go map order (random); the emulator
     in key order.  An unknown type makes the real server call a nil matcher and panic; the
     emulator treats it as no match;
  4. on the first match it reads the service account (missing: 403), then its token Secret:
     the first of the account's `secrets`, else the annotation
     workflows.argoproj.io/service-account-token.name, else "<account>.service-account-token"
     (missing: 403), and the request goes on with `Authorization: Bearer <data.token>`;
  5. with no match the request goes on without Authorization, so client auth answers 401.
Every 403 has the body {"message": "failed to process webhook request"} (that exact text, sent
as text/plain by Go's content sniffing), never the gRPC error shape.

The per-type checks (all need a non-empty body that decodes as the library's payload struct; the
emulator requires a JSON object or null):
  github           X-GitHub-Event one of GITHUB_EVENTS; when the secret is not empty,
                   X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(secret, body), the prefix
                   optional, compared in constant time
  gitlab           X-Gitlab-Event one of GITLAB_EVENTS; when the secret is not empty,
                   X-Gitlab-Token equal to it (constant time)
  bitbucket        X-Event-Key one of BITBUCKET_EVENTS; when the secret is not empty,
                   X-Hook-UUID equal to it
  bitbucketserver  X-Event-Key one of BITBUCKETSERVER_EVENTS; when the secret is not empty,
                   X-Hub-Signature whose characters after the 7th ("sha256=") are the hex
                   HMAC-SHA256 (a shorter header panics the real server: no match here)
"""

import hashlib
import hmac
import json
import re

from .kube import b64decode

PREFIX = "/api/v1/events/"
CLIENTS_SECRET = "argo-workflows-webhook-clients"
TOKEN_NAME_ANNOTATION = "workflows.argoproj.io/service-account-token.name"
MAX_BODY = 2 << 20
FAILED = object()
FAILED_BODY = b'{"message": "failed to process webhook request"}'

GITHUB_EVENTS = frozenset("""
check_run check_suite code_scanning_alert commit_comment create delete dependabot_alert
deploy_key deployment deployment_status fork github_app_authorization gollum installation
installation_repositories integration_installation integration_installation_repositories
issue_comment issues label member membership milestone meta organization org_block page_build
ping project_card project_column project public pull_request pull_request_review
pull_request_review_comment push release repository repository_vulnerability_alert
security_advisory status team team_add watch workflow_dispatch workflow_job workflow_run
""".split())
GITLAB_EVENTS = frozenset(["Push Hook", "Tag Push Hook", "Issue Hook", "Confidential Issue Hook",
                           "Note Hook", "Merge Request Hook", "Wiki Page Hook", "Pipeline Hook",
                           "Build Hook", "Job Hook", "System Hook"])
BITBUCKET_EVENTS = frozenset("""
repo:push repo:fork repo:updated repo:commit_comment_created repo:commit_status_created
repo:commit_status_updated issue:created issue:updated issue:comment_created pullrequest:created
pullrequest:updated pullrequest:approved pullrequest:unapproved pullrequest:fulfilled
pullrequest:rejected pullrequest:comment_created pullrequest:comment_updated
pullrequest:comment_deleted
""".split())
BITBUCKETSERVER_EVENTS = frozenset("""
repo:refs_changed repo:modified repo:forked repo:comment:added repo:comment:edited
repo:comment:deleted pr:opened pr:from_ref_updated pr:modified pr:merged pr:declined pr:deleted
pr:reviewer:updated pr:reviewer:approved pr:reviewer:unapproved pr:reviewer:needs_work
pr:comment:added pr:comment:edited pr:comment:deleted
""".split())


def _bytes(text):
    return (text or "").encode("latin-1", "replace")


def _payload_ok(body):
    """json.Unmarshal into the library's payload struct: an object, or null."""
    try:
        value = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return False
    return value is None or isinstance(value, dict)


def _hmac_hex(secret, body):
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().encode()


def github_match(secret, headers, body):
    if (headers.get("X-GitHub-Event") or "") not in GITHUB_EVENTS or not body:
        return False
    if secret:
        signature = headers.get("X-Hub-Signature-256") or ""
        if not signature:
            return False
        if signature.startswith("sha256="):
            signature = signature[len("sha256="):]
        if not hmac.compare_digest(_bytes(signature), _hmac_hex(secret, body)):
            return False
    return _payload_ok(body)


def gitlab_match(secret, headers, body):
    if (headers.get("X-Gitlab-Event") or "") not in GITLAB_EVENTS or not body:
        return False
    if secret:
        token = hashlib.sha512(_bytes(headers.get("X-Gitlab-Token"))).digest()
        if not hmac.compare_digest(token, hashlib.sha512(secret.encode("utf-8")).digest()):
            return False
    return _payload_ok(body)


def bitbucket_match(secret, headers, body):
    if not body:
        return False
    uuid = headers.get("X-Hook-UUID") or ""
    event = headers.get("X-Event-Key") or ""
    if (secret and uuid != secret) or event not in BITBUCKET_EVENTS:
        return False
    return _payload_ok(body)


def bitbucketserver_match(secret, headers, body):
    if (headers.get("X-Event-Key") or "") not in BITBUCKETSERVER_EVENTS or not body:
        return False
    if secret:
        signature = headers.get("X-Hub-Signature") or ""
        if len(signature) < 7:
            return False
        if not hmac.compare_digest(_bytes(signature[7:]), _hmac_hex(secret, body)):
            return False
    return _payload_ok(body)


MATCHERS = {"github": github_match, "gitlab": gitlab_match, "bitbucket": bitbucket_match,
            "bitbucketserver": bitbucketserver_match}


# -- the client entries -----------------------------------------------------------------------

_BOOL = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
         "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"}
_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"}


def _scalar(text):
    """A YAML flow scalar as sigs.k8s.io/yaml hands it to a string field."""
    text = text.strip()
    if text[:1] in ('"', "'"):
        quoted = re.match(r'"(?:[^"\\]|\\.)*"' if text[0] == '"' else r"'(?:[^']|'')*'", text)
        rest = text[quoted.end():].strip() if quoted else ""
        if not quoted or (rest and not rest.startswith("#")):
            raise ValueError("bad quoted scalar")
        if text[0] == '"':
            return json.loads(quoted.group(0))
        return quoted.group(0)[1:-1].replace("''", "'")
    text = re.split(r"\s#", text, 1)[0].strip()
    if text.startswith("#"):
        text = ""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in _BOOL:
        return "true" if text in _TRUE else "false"
    if text[0] in "[{|>&*!%@`":
        raise ValueError("unsupported YAML in a webhook client entry")
    if re.match(r"^[-+]?[0-9]+$", text):
        return str(int(text))
    return text


def parse_client(data):
    """(type, secret) from one entry of the clients Secret.  Raises ValueError when the entry
    is not a YAML mapping (the real server then answers 403).  The emulator reads flat
    mappings (`key: value` lines or a JSON object), which is what the entries are."""
    text = data.decode("utf-8")
    body = [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and line.strip() != "---"]
    joined = "\n".join(body).strip()
    if not joined or joined in ("~", "null"):
        return "", ""
    if joined.startswith("{"):
        obj = json.loads(joined)
        if not isinstance(obj, dict):
            raise ValueError("not a mapping")
    else:
        obj = {}
        for line in body:
            if line[0] in " \t":
                raise ValueError("nested YAML is not supported in a webhook client entry")
            key, sep, value = line.partition(":")
            if not sep or (value and value[0] not in " \t"):
                raise ValueError("not a mapping")
            obj[_scalar(key) or ""] = _scalar(value)
    out = {"type": "", "secret": ""}
    for key, value in obj.items():
        field = str(key).lower()     # encoding/json matches field names case-insensitively
        if field not in out:
            continue
        if isinstance(value, (dict, list)):
            raise ValueError("cannot unmarshal into a string field")
        out[field] = "" if value is None else (("true" if value else "false")
                                               if isinstance(value, bool) else str(value))
    return out["type"], out["secret"]


def token_secret_name(account):
    secrets = account.get("secrets") or []
    if secrets and isinstance(secrets[0], dict):
        return secrets[0].get("name") or ""
    annotations = (account.get("metadata") or {}).get("annotations") or {}
    if TOKEN_NAME_ANNOTATION in annotations:
        return annotations[TOKEN_NAME_ANNOTATION]
    return account["metadata"]["name"] + ".service-account-token"


def intercept(emu, path, headers, body):
    """For a POST without Authorization: None (go on without auth), FAILED (403) or the
    Authorization value to go on with.  `path` is the decoded URL path."""
    if not path.startswith(PREFIX):
        return None
    parts = path[len(PREFIX):].split("/", 1)
    if len(parts) != 2:
        return None
    namespace = parts[0]
    kube = emu.kube
    clients = kube.get_secret(namespace, CLIENTS_SECRET)
    if clients is None or len(body) > MAX_BODY:
        return FAILED
    for account_name, value in sorted((clients.get("data") or {}).items()):
        try:
            kind, secret = parse_client(b64decode(value))
        except (ValueError, UnicodeDecodeError):
            return FAILED
        matcher = MATCHERS.get(kind)
        if matcher is None or not matcher(secret, headers, body):
            continue
        account = kube.service_account(namespace, account_name)
        if account is None:
            return FAILED
        token_secret = kube.get_secret(namespace, token_secret_name(account))
        if token_secret is None:
            return FAILED
        token = b64decode((token_secret.get("data") or {}).get("token") or "")
        return "Bearer " + token.decode("utf-8", "replace")
    return None
