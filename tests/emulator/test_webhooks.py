"""Webhook verification on POST /api/v1/events/{ns}/{discriminator}: requests without an
Authorization header, checked against the Secret argo-workflows-webhook-clients."""

import base64
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from emulator_fixture import Emulator, HERE, SEED_DIR

sys.path.insert(0, HERE)
from argoemu import webhooks  # noqa: E402

GITHUB_SECRET = "emulator-github-hook-secret"     # tests/emulator/seed/argo/webhooks.yaml
FAILED = {"message": "failed to process webhook request"}
CLIENTS = "/api/v1/namespaces/argo/secrets/argo-workflows-webhook-clients"


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url, body, headers):
    """POST like curl does it: no Authorization header.  (status, headers, body bytes)."""
    req = urllib.request.Request(url, data=body, method="POST", headers=dict(
        {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/test"}, **headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class GitHubSeedTest(unittest.TestCase):
    """The project seed: a GitHub client for service account github.com in argo."""

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["admin"], step_seconds=0, seed=SEED_DIR, kube=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def push(self, payload, secret=GITHUB_SECRET, ns="argo", event="push", extra=None):
        body = json.dumps(payload).encode()
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": "d-1"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = sign(secret, body)
        headers.update(extra or {})
        return post(self.emu.url + "/api/v1/events/%s/github" % ns, body, headers)

    def bound_workflows(self):
        code, body = self.emu.call("GET", "/api/v1/workflows/argo?listOptions.labelSelector="
                                   "workflows.argoproj.io/workflow-event-binding%3Don-push-to-main")
        return body["items"] or []

    def test_signed_push_submits_the_bound_template(self):
        before = {w["metadata"]["name"] for w in self.bound_workflows()}
        code, headers, body = self.push({"ref": "refs/heads/main",
                                         "head_commit": {"message": "signed push"}})
        self.assertEqual((code, json.loads(body)), (200, {}))
        new = [w for w in self.bound_workflows() if w["metadata"]["name"] not in before]
        self.assertEqual(len(new), 1)
        wf = new[0]
        self.assertTrue(wf["metadata"]["name"].startswith("hello-template-"))
        labels = wf["metadata"]["labels"]
        self.assertEqual(labels["workflows.argoproj.io/workflow-template"], "hello-template")
        # it ran as the service account (its token is a JWT with that subject)
        self.assertEqual(labels["workflows.argoproj.io/creator"],
                         "system-serviceaccount-argo-github.com")
        self.assertEqual(wf["spec"]["arguments"]["parameters"],
                         [{"name": "message", "value": '"signed push"'}])
        # the journal shows the request as sent: no Authorization
        entry = [e for e in self.emu.journal() if e["path"] == "/api/v1/events/argo/github"][-1]
        self.assertNotIn("authorization", entry["headers"])
        self.assertEqual(entry["status"], 200)
        # it runs like any workflow
        self.emu.ticks(2)
        code, messages = self.emu.stream_messages(
            "/api/v1/workflows/argo/%s/log?logOptions.container=main" % wf["metadata"]["name"])
        self.assertEqual([m["result"]["content"] for m in messages], ['"signed push"'])

    def test_verified_but_not_bound(self):
        before = len(self.bound_workflows())
        code, _, body = self.push({"ref": "refs/heads/dev", "head_commit": {"message": "x"}})
        self.assertEqual((code, json.loads(body)), (200, {}))
        self.assertEqual(len(self.bound_workflows()), before)

    def test_unverified_requests_go_on_without_auth(self):
        before = len(self.bound_workflows())
        unauthenticated = {"code": 16, "message": "token not valid. see "
                           "https://argo-workflows.readthedocs.io/en/latest/faq/"}
        payload = {"ref": "refs/heads/main", "head_commit": {"message": "forged"}}
        for secret, event, extra in (("wrong secret", "push", None),     # bad signature
                                     (None, "push", None),               # no signature
                                     (GITHUB_SECRET, "not_an_event", None),
                                     (GITHUB_SECRET, "", None)):
            code, headers, body = self.push(payload, secret, event=event, extra=extra)
            self.assertEqual((code, json.loads(body)), (401, unauthenticated), (secret, event))
        # the signature is over the exact bytes: re-encoded JSON does not verify
        body = json.dumps(payload).encode()
        code, _, _ = post(self.emu.url + "/api/v1/events/argo/github", body.replace(b": ", b":"),
                          {"X-GitHub-Event": "push", "X-Hub-Signature-256":
                           sign(GITHUB_SECRET, body)})
        self.assertEqual(code, 401)
        # the "sha256=" prefix is optional; the hex must be lower case
        sig = sign(GITHUB_SECRET, body)
        for value, expected in ((sig[len("sha256="):], 200), (sig.upper(), 401)):
            code, _, _ = post(self.emu.url + "/api/v1/events/argo/github", body,
                              {"X-GitHub-Event": "push", "X-Hub-Signature-256": value})
            self.assertEqual(code, expected, value)
        # a payload GitHub's library cannot decode is no match
        raw = b'["not", "an", "object"]'
        code, _, _ = post(self.emu.url + "/api/v1/events/argo/github", raw,
                          {"X-GitHub-Event": "push",
                           "X-Hub-Signature-256": sign(GITHUB_SECRET, raw)})
        self.assertEqual(code, 401)
        self.assertEqual(len(self.bound_workflows()), before + 1)

    def test_missing_secret_is_403_with_the_odd_body(self):
        code, headers, body = self.push({"ref": "refs/heads/main"}, ns="team-a")
        self.assertEqual(code, 403)
        self.assertEqual(body, b'{"message": "failed to process webhook request"}')
        self.assertEqual(json.loads(body), FAILED)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertNotIn("Grpc-Metadata-Argo-Version", headers)
        # before routing and decoding: even a path with no route, or a body that is not JSON
        code, _, body = post(self.emu.url + "/api/v1/events/team-a/a/b", b"not json", {})
        self.assertEqual((code, json.loads(body)), (403, FAILED))

    def test_body_over_2_mib(self):
        big = json.dumps({"ref": "refs/heads/main", "pad": "x" * (2 << 20)}).encode()
        code, _, body = post(self.emu.url + "/api/v1/events/argo/github", big,
                             {"X-GitHub-Event": "push",
                              "X-Hub-Signature-256": sign(GITHUB_SECRET, big)})
        self.assertEqual((code, json.loads(body)), (403, FAILED))

    def test_only_without_authorization(self):
        payload = {"ref": "refs/heads/main", "head_commit": {"message": "m"}}
        # a valid signature does not rescue a bad bearer token
        code, _, _ = self.push(payload, extra={"Authorization": "Bearer nope"})
        self.assertEqual(code, 401)
        # an empty Authorization header counts as present
        code, _, _ = self.push(payload, ns="team-a", extra={"Authorization": ""})
        self.assertEqual(code, 401)
        # with a token, a namespace without the clients secret is fine
        self.assertEqual(self.emu.call("POST", "/api/v1/events/team-a/github", payload)[0], 200)
        # not the events path, or no discriminator segment: no webhook processing
        code, _, _ = post(self.emu.url + "/api/v1/events/team-a", b"{}", {})
        self.assertEqual(code, 501)
        code, _, _ = post(self.emu.url + "/api/v1/workflows/team-a", b"{}", {})
        self.assertEqual(code, 401)

    def test_service_account_token(self):
        code, secret = self.emu.kube_call(
            "GET", "/api/v1/namespaces/argo/secrets/github.com.service-account-token")
        token = base64.b64decode(secret["data"]["token"]).decode()
        code, info = self.emu.call("GET", "/api/v1/userinfo", token=token)
        self.assertEqual((info["serviceAccountNamespace"], info["serviceAccountName"]),
                         ("argo", "github.com"))
        self.assertEqual(self.emu.call("GET", "/api/v1/workflows/argo", token=token)[0], 200)
        self.assertEqual(self.emu.call("GET", "/api/v1/workflow-templates/team-a",
                                       token=token)[0], 403)

    def test_clients_written_through_the_kubernetes_api_apply_at_once(self):
        """What argofs does: patch one entry of the clients secret, then an event verifies."""
        entry = "type: github\nsecret: rotated-secret\n"
        code, obj = self.emu.kube_call("PATCH", CLIENTS, {"stringData": {"github.com": entry}},
                                       content_type="application/merge-patch+json")
        self.assertEqual(code, 200, obj)
        try:
            payload = {"ref": "refs/heads/main", "head_commit": {"message": "rotated"}}
            self.assertEqual(self.push(payload, secret="rotated-secret")[0], 200)
            self.assertEqual(self.push(payload)[0], 401)
        finally:
            self.emu.kube_call("PATCH", CLIENTS, {"stringData": {
                "github.com": "type: github\nsecret: \"%s\"\n" % GITHUB_SECRET}},
                content_type="application/merge-patch+json")
        self.assertEqual(self.push({"ref": "refs/heads/dev"})[0], 200)


OTHER_SEED = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: echo}
spec:
  entrypoint: main
  arguments: {parameters: [{name: message, value: none}]}
  templates:
    - name: main
      inputs: {parameters: [{name: message}]}
      container: {image: x, command: [echo, "{{inputs.parameters.message}}"]}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowEventBinding
metadata: {name: any-hook}
spec:
  event: {selector: discriminator == "hook"}
  submit:
    workflowTemplateRef: {name: echo}
    arguments:
      parameters:
        - name: message
          valueFrom: {event: 'metadata["x-sender"][0]'}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: gitlab.com}
---
apiVersion: v1
kind: Secret
metadata:
  name: gitlab.com.service-account-token
  annotations: {kubernetes.io/service-account.name: gitlab.com}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bitbucket.org}
secrets: [{name: bb-token}]
---
apiVersion: v1
kind: Secret
metadata:
  name: bb-token
  annotations: {kubernetes.io/service-account.name: bitbucket.org}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: bitbucketserver
  annotations: {workflows.argoproj.io/service-account-token.name: bbs-token}
---
apiVersion: v1
kind: Secret
metadata:
  name: bbs-token
  annotations: {kubernetes.io/service-account.name: bitbucketserver}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: no-token}
---
apiVersion: v1
kind: Secret
metadata: {name: argo-workflows-webhook-clients}
stringData:
  gitlab.com: |
    type: gitlab
    secret: gl-secret
  bitbucket.org: "type: bitbucket\\nsecret: '6f0c2a9e-0000-4000-8000-000000000001'\\n"
  bitbucketserver: '{"type": "bitbucketserver", "secret": "bbs-secret"}'
  aaa-unknown-type: |
    type: gitea
    secret: gl-secret
---
apiVersion: v1
kind: Secret
metadata: {name: argo-workflows-webhook-clients, namespace: broken}
stringData:
  zz-bad: "- not\\n- a mapping\\n"
---
apiVersion: v1
kind: Secret
metadata: {name: argo-workflows-webhook-clients, namespace: orphans}
stringData:
  missing-account: "type: gitlab\\nsecret: orphan\\n"
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: no-token, namespace: orphans}
---
apiVersion: v1
kind: Secret
metadata: {name: argo-workflows-webhook-clients, namespace: tokenless}
stringData:
  no-token: "type: gitlab\\nsecret: tokenless\\n"
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: no-token, namespace: tokenless}
"""


class OtherTypesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        os.makedirs(os.path.join(cls.tmp, "argo"))
        with open(os.path.join(cls.tmp, "argo", "hooks.yaml"), "w") as fh:
            fh.write(OTHER_SEED)
        cls.emu = Emulator(tokens=["admin"], step_seconds=0, seed=cls.tmp, kube=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tmp)

    def hook(self, headers, body=b'{"object_kind": "push"}', ns="argo"):
        code, _, reply = post(self.emu.url + "/api/v1/events/%s/hook" % ns, body, headers)
        return code, json.loads(reply)

    def submitted_by(self, sender):
        code, body = self.emu.call("GET", "/api/v1/workflows/argo")
        return [w for w in body["items"] or []
                if w["spec"]["arguments"]["parameters"][0]["value"] == '"%s"' % sender]

    def test_gitlab(self):
        ok = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-secret", "X-Sender": "gl"}
        self.assertEqual(self.hook(ok), (200, {}))
        wf = self.submitted_by("gl")
        self.assertEqual(len(wf), 1)
        self.assertEqual(wf[0]["metadata"]["labels"]["workflows.argoproj.io/creator"],
                         "system-serviceaccount-argo-gitlab.com")
        for bad in (dict(ok, **{"X-Gitlab-Token": "nope"}), dict(ok, **{"X-Gitlab-Event": "Nope"}),
                    {"X-Gitlab-Event": "Push Hook"}):
            self.assertEqual(self.hook(bad)[0], 401, bad)
        self.assertEqual(self.hook(ok, body=b"")[0], 401)

    def test_bitbucket(self):
        ok = {"X-Event-Key": "repo:push", "X-Hook-UUID": "6f0c2a9e-0000-4000-8000-000000000001",
              "X-Sender": "bb"}
        self.assertEqual(self.hook(ok), (200, {}))
        self.assertEqual(len(self.submitted_by("bb")), 1)
        self.assertEqual(self.hook(dict(ok, **{"X-Hook-UUID": "other"}))[0], 401)
        self.assertEqual(self.hook(dict(ok, **{"X-Event-Key": "repo:nope"}))[0], 401)

    def test_bitbucket_server(self):
        body = b'{"eventKey": "repo:refs_changed"}'
        ok = {"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": sign("bbs-secret", body),
              "X-Sender": "bbs"}
        self.assertEqual(self.hook(ok, body), (200, {}))
        self.assertEqual(len(self.submitted_by("bbs")), 1)
        # the first 7 characters are not checked
        self.assertEqual(self.hook(dict(ok, **{"X-Hub-Signature": "XXXXXXX" + ok[
            "X-Hub-Signature"][7:], "X-Sender": "bbs2"}), body), (200, {}))
        self.assertEqual(self.hook(dict(ok, **{"X-Hub-Signature": "sha256"}), body)[0], 401)
        self.assertEqual(self.hook(dict(ok, **{"X-Hub-Signature": sign("x", body)}), body)[0],
                         401)

    def test_unknown_type_is_no_match(self):
        # the gitea entry sorts first and has the same secret: it must not match
        self.assertEqual(self.hook({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-secret",
                                    "X-Sender": "order"})[0], 200)
        self.assertEqual(self.submitted_by("order")[0]["metadata"]["labels"][
            "workflows.argoproj.io/creator"], "system-serviceaccount-argo-gitlab.com")

    def test_failures_are_403(self):
        for ns in ("broken", "orphans", "tokenless"):
            headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": {
                "broken": "x", "orphans": "orphan", "tokenless": "tokenless"}[ns]}
            self.assertEqual(self.hook(headers, ns=ns), (403, FAILED), ns)
        # no match at all in a namespace whose entries are fine: 401, not 403
        self.assertEqual(self.hook({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "zz"},
                                   ns="orphans")[0], 401)


class AuthDisabledWebhookTest(unittest.TestCase):
    def test_interceptor_runs_in_server_mode_too(self):
        with Emulator(tokens=(), step_seconds=0, seed=SEED_DIR) as emu:
            code, _, body = post(emu.url + "/api/v1/events/team-a/x", b"{}", {})
            self.assertEqual((code, json.loads(body)), (403, FAILED))
            code, _, body = post(emu.url + "/api/v1/events/argo/x", b"{}", {})
            self.assertEqual((code, json.loads(body)), (200, {}))


class ClientEntryTest(unittest.TestCase):
    def test_parse(self):
        parse = webhooks.parse_client
        self.assertEqual(parse(b"type: github\nsecret: \"shh!\"\n"), ("github", "shh!"))
        self.assertEqual(parse(b"# comment\ntype: gitlab   # trailing\nsecret: 'it''s'\n"),
                         ("gitlab", "it's"))
        self.assertEqual(parse(b'{"type": "bitbucket", "secret": "u"}'), ("bitbucket", "u"))
        self.assertEqual(parse(b"Type: github\nSECRET: 12345\nother: x\n"), ("github", "12345"))
        self.assertEqual(parse(b"type: github\nsecret: yes\n"), ("github", "true"))
        self.assertEqual(parse(b"type: github\n"), ("github", ""))
        self.assertEqual(parse(b""), ("", ""))
        for bad in (b"just a string", b"- a\n- b\n", b"type: [github]\n",
                    b"type: github\n  nested: x\n", b"\xff\xfe"):
            with self.assertRaises((ValueError, UnicodeDecodeError), msg=bad):
                parse(bad)

    def test_token_secret_name(self):
        name = webhooks.token_secret_name
        self.assertEqual(name({"metadata": {"name": "sa"}}), "sa.service-account-token")
        self.assertEqual(name({"metadata": {"name": "sa", "annotations": {
            webhooks.TOKEN_NAME_ANNOTATION: "t"}}}), "t")
        self.assertEqual(name({"metadata": {"name": "sa"}, "secrets": [{"name": "first"}]}),
                         "first")


if __name__ == "__main__":
    unittest.main()
