"""The Kubernetes API subset on the second listener: namespaces, secrets, patches, conflicts,
rights, the journal and faults."""

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

from emulator_fixture import Emulator, HERE, SCRIPT, SEED_DIR

sys.path.insert(0, HERE)
from argoemu import patch  # noqa: E402

SECRETS = "/api/v1/namespaces/argo/secrets"
MERGE = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"
JSONPATCH = "application/json-patch+json"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def unb64(text):
    return base64.b64decode(text).decode()


def status(code, reason, message, details=None):
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason}
    if details is not None:
        out["details"] = details
    out["code"] = code
    return out


class KubeTestBase(unittest.TestCase):
    TOKENS = ["admin", "teama=team-a", "teama-ns=team-a;namespaces", "ro=argo;rosecrets",
              "nosec;nosecrets", "nons;nonamespaces"]

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=cls.TOKENS, step_seconds=0, seed=SEED_DIR, kube=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def kube(self, method, path, body=None, token="", **kwargs):
        return self.emu.kube_call(method, path, body, token, **kwargs)

    def create(self, name, string_data=None, data=None, ns="argo", **extra):
        body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}}
        if string_data is not None:
            body["stringData"] = string_data
        if data is not None:
            body["data"] = data
        body.update(extra)
        code, obj = self.kube("POST", "/api/v1/namespaces/%s/secrets" % ns, body)
        self.assertEqual(code, 201, obj)
        return obj


class ListenerTest(KubeTestBase):
    def test_separate_listener(self):
        self.assertTrue(self.emu.kube_url.startswith("http://127.0.0.1:"))
        self.assertNotEqual(self.emu.kube_url, self.emu.url)
        # the Argo API is not on the Kubernetes port, and the reverse
        code, body = self.kube("GET", "/api/v1/workflows/argo")
        self.assertEqual((code, body), (404, status(404, "NotFound", "the server could not find "
                                                    "the requested resource", {})))
        self.assertEqual(self.emu.call("GET", SECRETS)[0], 501)
        code, body = self.kube("GET", "/healthz-not-here")
        self.assertEqual((code, body), (404, "404 page not found\n"))
        # the control endpoint lives on the Argo listener only
        self.assertEqual(self.kube("GET", "/_emulator/state", token=None)[0], 401)
        self.assertEqual(self.kube("GET", "/_emulator/state")[0], 404)

    def test_version_and_state(self):
        code, body = self.kube("GET", "/version")
        self.assertEqual(code, 200)
        self.assertEqual(body["major"], "1")
        state = self.emu.control("GET", "state")
        self.assertEqual(state["kube"]["url"], self.emu.kube_url)
        self.assertGreaterEqual(state["kube"]["objects"]["secrets"], 2)
        self.assertGreaterEqual(state["kube"]["objects"]["serviceaccounts"], 1)

    def test_authentication(self):
        unauthorized = status(401, "Unauthorized", "Unauthorized")
        for token, headers in ((None, None), ("wrong", None),
                               (None, {"Authorization": "Basic YWRtaW46YWRtaW4="}),
                               (None, {"Authorization": "Bearer"})):
            code, body = self.kube("GET", SECRETS, token=token, headers=headers)
            self.assertEqual((code, body), (401, unauthorized), (token, headers))
        self.assertEqual(self.kube("GET", "/version", token=None)[0], 401)
        self.assertEqual(self.kube("GET", "/nowhere", token="wrong")[0], 401)
        # the scheme is case-insensitive on the Kubernetes API (not on the Argo Server)
        code, _ = self.kube("GET", SECRETS, token=None, headers={"Authorization": "bearer admin"})
        self.assertEqual(code, 200)

    def test_method_not_allowed(self):
        code, body = self.kube("POST", SECRETS + "/x", {})
        self.assertEqual((code, body["reason"], body["code"]), (405, "MethodNotAllowed", 405))
        self.assertEqual(self.kube("DELETE", "/api/v1/namespaces")[0], 405)


class NamespaceTest(KubeTestBase):
    def test_list(self):
        code, body = self.kube("GET", "/api/v1/namespaces")
        self.assertEqual(code, 200)
        self.assertEqual((body["kind"], body["apiVersion"]), ("NamespaceList", "v1"))
        names = [n["metadata"]["name"] for n in body["items"]]
        self.assertIn("argo", names)
        self.assertIn("team-a", names)
        self.assertEqual(names, sorted(names))
        item = body["items"][names.index("argo")]
        self.assertNotIn("kind", item)
        self.assertEqual(item["status"], {"phase": "Active"})
        self.assertEqual(item["metadata"]["labels"], {"kubernetes.io/metadata.name": "argo"})
        for key in ("uid", "resourceVersion", "creationTimestamp"):
            self.assertTrue(item["metadata"][key], key)
        self.assertTrue(body["metadata"]["resourceVersion"])

    def test_a_namespace_appears_with_its_first_object(self):
        names = lambda: [n["metadata"]["name"]  # noqa: E731
                         for n in self.kube("GET", "/api/v1/namespaces")[1]["items"]]
        self.assertNotIn("brand-new", names())
        self.create("first", {"k": "v"}, ns="brand-new")
        self.assertIn("brand-new", names())
        # and via the Argo side too
        self.emu.call("POST", "/api/v1/workflow-templates/argo-made", {"template": {
            "metadata": {"name": "t"}, "spec": {"entrypoint": "m", "templates": [
                {"name": "m", "container": {"image": "x"}}]}}})
        self.assertIn("argo-made", names())
        code, ns = self.kube("GET", "/api/v1/namespaces/brand-new")
        self.assertEqual((code, ns["kind"], ns["metadata"]["name"]),
                         (200, "Namespace", "brand-new"))
        code, body = self.kube("GET", "/api/v1/namespaces/nope")
        self.assertEqual((code, body), (404, status(404, "NotFound", 'namespaces "nope" not found',
                                                    {"name": "nope", "kind": "namespaces"})))

    def test_selectors_and_paging(self):
        code, body = self.kube("GET", "/api/v1/namespaces?fieldSelector=metadata.name%3Dteam-a")
        self.assertEqual([n["metadata"]["name"] for n in body["items"]], ["team-a"])
        code, body = self.kube("GET", "/api/v1/namespaces?labelSelector=kubernetes.io/"
                               "metadata.name%3Dargo")
        self.assertEqual([n["metadata"]["name"] for n in body["items"]], ["argo"])
        code, page = self.kube("GET", "/api/v1/namespaces?limit=1")
        self.assertEqual(len(page["items"]), 1)
        self.assertIn("continue", page["metadata"])
        code, rest = self.kube("GET", "/api/v1/namespaces?limit=100&continue="
                               + page["metadata"]["continue"])
        self.assertNotIn(page["items"][0]["metadata"]["name"],
                         [n["metadata"]["name"] for n in rest["items"]])
        self.assertEqual(self.kube("GET", "/api/v1/namespaces?fieldSelector=spec.x%3D1")[0], 400)
        self.assertEqual(self.kube("GET", "/api/v1/namespaces?watch=true")[0], 400)

    def test_rights(self):
        forbidden = status(403, "Forbidden", 'namespaces is forbidden: User "system:serviceaccount'
                           ':argo:argo-emulator" cannot list resource "namespaces" in API group "" '
                           'at the cluster scope', {"kind": "namespaces"})
        self.assertEqual(self.kube("GET", "/api/v1/namespaces", token="teama"),
                         (403, forbidden))
        self.assertEqual(self.kube("GET", "/api/v1/namespaces", token="nons"), (403, forbidden))
        self.assertEqual(self.kube("GET", "/api/v1/namespaces", token="teama-ns")[0], 200)
        # a namespace-limited token may read its own namespace object
        self.assertEqual(self.kube("GET", "/api/v1/namespaces/team-a", token="teama")[0], 200)
        code, body = self.kube("GET", "/api/v1/namespaces/argo", token="teama")
        self.assertEqual(code, 403)
        self.assertEqual(body["message"], 'namespaces "argo" is forbidden: User "system:'
                         'serviceaccount:argo:argo-emulator" cannot get resource "namespaces" in '
                         'API group "" at the cluster scope')


class SecretCrudTest(KubeTestBase):
    def test_create_get_list(self):
        obj = self.create("crud-1", {"plain": "text"}, {"enc": b64("bytes")},
                          metadata={"name": "crud-1", "labels": {"app": "x"}})
        self.assertEqual((obj["kind"], obj["apiVersion"], obj["type"]), ("Secret", "v1", "Opaque"))
        self.assertEqual(obj["data"], {"enc": b64("bytes"), "plain": b64("text")})
        self.assertNotIn("stringData", obj)
        meta = obj["metadata"]
        self.assertEqual((meta["name"], meta["namespace"]), ("crud-1", "argo"))
        self.assertRegex(meta["uid"], r"^[0-9a-f-]{36}$")
        self.assertRegex(meta["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(meta["resourceVersion"].isdigit())
        code, got = self.kube("GET", SECRETS + "/crud-1")
        self.assertEqual((code, got), (200, obj))
        code, body = self.kube("GET", SECRETS + "?labelSelector=app%3Dx")
        self.assertEqual((body["kind"], body["apiVersion"]), ("SecretList", "v1"))
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["crud-1"])
        self.assertNotIn("kind", body["items"][0])
        code, body = self.kube("GET", SECRETS + "?fieldSelector=type%3Dkubernetes.io/"
                               "service-account-token")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]],
                         ["github.com.service-account-token"])
        code, body = self.kube("GET", "/api/v1/namespaces/empty-ns/secrets")
        self.assertEqual((code, body["items"]), (200, []))

    def test_not_found_and_already_exists(self):
        code, body = self.kube("GET", SECRETS + "/missing")
        self.assertEqual((code, body), (404, status(404, "NotFound", 'secrets "missing" not found',
                                                    {"name": "missing", "kind": "secrets"})))
        self.create("dup", {"a": "1"})
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "dup"}})
        self.assertEqual((code, body), (409, status(409, "AlreadyExists",
                                                    'secrets "dup" already exists',
                                                    {"name": "dup", "kind": "secrets"})))
        for method in ("PUT", "PATCH", "DELETE"):
            code, body = self.kube(method, SECRETS + "/missing",
                                   {"metadata": {"name": "missing"}} if method == "PUT" else {},
                                   content_type=MERGE if method == "PATCH" else
                                   "application/json")
            self.assertEqual((code, body["reason"]), (404, "NotFound"), method)

    def test_generate_name_and_dry_run(self):
        code, obj = self.kube("POST", SECRETS, {"metadata": {"generateName": "gen-"}})
        self.assertEqual(code, 201)
        self.assertRegex(obj["metadata"]["name"], r"^gen-[a-z0-9]{5}$")
        code, obj = self.kube("POST", SECRETS + "?dryRun=All", {"metadata": {"name": "dry"}})
        self.assertEqual(code, 201)
        self.assertNotIn("resourceVersion", obj["metadata"])
        self.assertEqual(self.kube("GET", SECRETS + "/dry")[0], 404)
        self.assertEqual(self.kube("POST", SECRETS + "?dryRun=Some",
                                   {"metadata": {"name": "dry"}})[0], 422)

    def test_validation(self):
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "Bad_Name"}})
        self.assertEqual((code, body["reason"]), (422, "Invalid"))
        self.assertTrue(body["message"].startswith('Secret "Bad_Name" is invalid: metadata.name: '
                                                   'Invalid value: "Bad_Name": a lowercase RFC '
                                                   '1123 subdomain'), body["message"])
        self.assertEqual(body["details"]["causes"][0]["field"], "metadata.name")
        code, body = self.kube("POST", SECRETS, {"metadata": {}})
        self.assertEqual(body["message"], 'Secret "" is invalid: metadata.name: Required value: '
                         'name or generateName is required')
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k"},
                                                 "stringData": {"a/b": "x"}})
        self.assertEqual((code, body["details"]["causes"][0]["field"]), (422, "data[a/b]"))
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k"}, "data": {"a": "!!"}})
        self.assertEqual((code, body["reason"]), (400, "BadRequest"))
        self.assertIn("illegal base64 data at input byte", body["message"])
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k", "namespace": "other"}})
        self.assertEqual((code, body["message"]), (400, "the namespace of the provided object does "
                                                   "not match the namespace sent on the request"))
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k"},
                                                 "data": {"big": b64("x" * (1024 * 1024 + 1))}})
        self.assertEqual((code, body["details"]["causes"][0]["reason"]),
                         (422, "FieldValueTooLong"))
        code, body = self.kube("POST", SECRETS, raw=b"{nope")
        self.assertEqual((code, body["reason"]), (400, "BadRequest"))
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k"}},
                               content_type="text/plain")
        self.assertEqual((code, body["reason"]), (415, "UnsupportedMediaType"))
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k"}, "type":
                                                 "kubernetes.io/service-account-token"})
        self.assertEqual((code, body["details"]["causes"][0]["field"]),
                         (422, "metadata.annotations[kubernetes.io/service-account.name]"))
        code, body = self.kube("POST", SECRETS, {"metadata": {"name": "k",
                                                              "resourceVersion": "12"}})
        self.assertEqual((code, body), (500, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "resourceVersion should not be set on objects to be created",
            "code": 500}))
        self.assertEqual(self.kube("GET", SECRETS + "/k")[0], 404)

    def test_yaml_body(self):
        code, obj = self.kube("POST", SECRETS, raw=b"metadata:\n  name: from-yaml\nstringData:\n"
                              b"  a: b\n", content_type="application/yaml")
        self.assertEqual((code, obj["data"]), (201, {"a": b64("b")}))

    def test_service_account_token_is_generated(self):
        obj = self.create("sa-tok", type="kubernetes.io/service-account-token",
                          metadata={"name": "sa-tok", "annotations": {
                              "kubernetes.io/service-account.name": "github.com"}})
        token = unb64(obj["data"]["token"])
        self.assertEqual(len(token.split(".")), 3)
        self.assertEqual(unb64(obj["data"]["namespace"]), "argo")
        # it authenticates as the service account: namespace argo, no secrets
        self.assertEqual(self.emu.call("GET", "/api/v1/workflow-templates/argo",
                                       token=token)[0], 200)
        code, body = self.kube("GET", SECRETS, token=token)
        self.assertEqual(code, 403)
        self.assertIn('User "system:serviceaccount:argo:github.com" cannot list', body["message"])

    def test_delete(self):
        obj = self.create("del-me", {"a": "1"})
        code, body = self.kube("DELETE", SECRETS + "/del-me",
                               {"preconditions": {"resourceVersion": "1"}})
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        self.assertEqual(body["message"], 'Operation cannot be fulfilled on secrets "del-me": '
                         'Precondition failed: ResourceVersion in precondition: 1, '
                         'ResourceVersion in object meta: %s' % obj["metadata"]["resourceVersion"])
        code, body = self.kube("DELETE", SECRETS + "/del-me?dryRun=All")
        self.assertEqual(code, 200)
        self.assertEqual(self.kube("GET", SECRETS + "/del-me")[0], 200)
        code, body = self.kube("DELETE", SECRETS + "/del-me", {"preconditions": {
            "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"]}})
        self.assertEqual((code, body), (200, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": "del-me", "kind": "secrets", "uid": obj["metadata"]["uid"]}}))
        self.assertEqual(self.kube("GET", SECRETS + "/del-me")[0], 404)


class SecretUpdateTest(KubeTestBase):
    def test_put_and_conflict(self):
        obj = self.create("put-1", {"a": "1"})
        rv = obj["metadata"]["resourceVersion"]
        obj["data"]["b"] = b64("2")
        code, new = self.kube("PUT", SECRETS + "/put-1", obj)
        self.assertEqual(code, 200, new)
        self.assertGreater(int(new["metadata"]["resourceVersion"]), int(rv))
        self.assertEqual(new["metadata"]["uid"], obj["metadata"]["uid"])
        self.assertEqual(new["data"], {"a": b64("1"), "b": b64("2")})
        # the old version is stale now
        code, body = self.kube("PUT", SECRETS + "/put-1", obj)
        self.assertEqual((code, body), (409, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'Operation cannot be fulfilled on secrets "put-1": the object has been '
                       'modified; please apply your changes to the latest version and try '
                       'again',
            "reason": "Conflict", "details": {"name": "put-1", "kind": "secrets"}, "code": 409}))
        # a write that changes nothing keeps the version
        code, same = self.kube("PUT", SECRETS + "/put-1", new)
        self.assertEqual(same["metadata"]["resourceVersion"], new["metadata"]["resourceVersion"])
        # without resourceVersion the update is unconditional (as for every Secret)
        code, last = self.kube("PUT", SECRETS + "/put-1", {"metadata": {"name": "put-1"},
                                                           "stringData": {"only": "this"}})
        self.assertEqual((code, last["data"]), (200, {"only": b64("this")}))

    def test_put_errors(self):
        obj = self.create("put-2", {"a": "1"})
        code, body = self.kube("PUT", SECRETS + "/put-2", dict(obj, metadata=dict(
            obj["metadata"], name="other")))
        self.assertEqual((code, body["message"]), (400, "the name of the object (other) does not "
                                                   "match the name on the URL (put-2)"))
        code, body = self.kube("PUT", SECRETS + "/put-2", dict(obj, type="kubernetes.io/tls"))
        self.assertEqual((code, body["reason"]), (422, "Invalid"))
        self.assertIn("type: Invalid value", body["message"])
        code, body = self.kube("PUT", SECRETS + "/put-2", dict(
            obj, metadata=dict(obj["metadata"], uid="00000000-0000-0000-0000-000000000000")))
        self.assertEqual((code, body["reason"]), (422, "Invalid"))

    def test_immutable(self):
        obj = self.create("frozen", {"a": "1"}, immutable=True)
        self.assertIs(obj["immutable"], True)
        code, body = self.kube("PATCH", SECRETS + "/frozen", {"stringData": {"a": "2"}},
                               content_type=MERGE)
        self.assertEqual((code, body["reason"]), (422, "Invalid"))
        # metadata may still change
        code, body = self.kube("PATCH", SECRETS + "/frozen",
                               {"metadata": {"labels": {"x": "y"}}}, content_type=MERGE)
        self.assertEqual(code, 200)

    def test_concurrent_puts_one_wins(self):
        obj = self.create("race", {"a": "0"})
        results = []

        def put(value):
            body = dict(obj, data={"a": b64(value)})
            results.append(self.kube("PUT", SECRETS + "/race", body)[0])
        threads = [threading.Thread(target=put, args=(str(i + 1),)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # (each writes a different value: a PUT that changes nothing is a no-op that keeps
        # the version, so a second one with the same version would also succeed)
        self.assertEqual(sorted(results), [200] + [409] * 7)


class SecretPatchTest(KubeTestBase):
    def test_merge_patch(self):
        obj = self.create("mp", {"keep": "k", "drop": "d"})
        code, new = self.kube("PATCH", SECRETS + "/mp",
                              {"data": {"drop": None, "add": b64("a")}}, content_type=MERGE)
        self.assertEqual(code, 200, new)
        self.assertEqual(new["data"], {"keep": b64("k"), "add": b64("a")})
        self.assertGreater(int(new["metadata"]["resourceVersion"]),
                           int(obj["metadata"]["resourceVersion"]))
        # stringData works in a patch too, and is merged into data
        code, new = self.kube("PATCH", SECRETS + "/mp", {"stringData": {"keep": "changed"}},
                              content_type=MERGE + "; charset=utf-8")
        self.assertEqual(unb64(new["data"]["keep"]), "changed")
        self.assertNotIn("stringData", new)
        # a resourceVersion in the patch is a precondition
        code, body = self.kube("PATCH", SECRETS + "/mp", {"metadata": {
            "resourceVersion": obj["metadata"]["resourceVersion"]}, "data": {"x": b64("x")}},
            content_type=MERGE)
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        code, body = self.kube("PATCH", SECRETS + "/mp", raw=b"{not json", content_type=MERGE)
        self.assertEqual((code, body["message"]), (400, "Invalid JSON Patch"))
        code, body = self.kube("PATCH", SECRETS + "/mp", {"metadata": {"name": "renamed"}},
                               content_type=MERGE)
        self.assertEqual(code, 400)

    def test_strategic_merge_patch(self):
        self.create("smp", {"a": "1", "b": "2"})
        code, new = self.kube("PATCH", SECRETS + "/smp", {"data": {"a": None, "c": b64("3")}},
                              content_type=SMP)
        self.assertEqual((code, new["data"]), (200, {"b": b64("2"), "c": b64("3")}))
        code, new = self.kube("PATCH", SECRETS + "/smp", {"data": {"$patch": "replace",
                                                                   "z": b64("26")}},
                              content_type=SMP)
        self.assertEqual(new["data"], {"z": b64("26")})

    def test_json_patch(self):
        obj = self.create("jp", {"a": "1"})
        rv = obj["metadata"]["resourceVersion"]
        ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
               {"op": "add", "path": "/data/b", "value": b64("2")},
               {"op": "replace", "path": "/data/a", "value": b64("one")},
               {"op": "add", "path": "/metadata/labels", "value": {"x/y": "z"}},
               {"op": "copy", "from": "/data/b", "path": "/data/c"},
               {"op": "remove", "path": "/data/b"}]
        code, new = self.kube("PATCH", SECRETS + "/jp", ops, content_type=JSONPATCH)
        self.assertEqual(code, 200, new)
        self.assertEqual(new["data"], {"a": b64("one"), "c": b64("2")})
        self.assertEqual(new["metadata"]["labels"], {"x/y": "z"})
        # the same test again fails: the version moved (optimistic concurrency)
        code, body = self.kube("PATCH", SECRETS + "/jp", ops[:2], content_type=JSONPATCH)
        self.assertEqual((code, body), (422, status(422, "Invalid", "the server rejected our "
                                                    "request due to an error in our request",
                                                    {})))
        self.assertEqual(self.kube("GET", SECRETS + "/jp")[1]["data"], new["data"])
        # removing a key that is not there, an unknown op: 422; not a list: 400
        for bad in ([{"op": "remove", "path": "/data/nope"}],
                    [{"op": "frob", "path": "/data/a"}]):
            self.assertEqual(self.kube("PATCH", SECRETS + "/jp", bad,
                                       content_type=JSONPATCH)[0], 422)
        self.assertEqual(self.kube("PATCH", SECRETS + "/jp", {"op": "add"},
                                   content_type=JSONPATCH)[0], 400)

    def test_unsupported_media_type(self):
        self.create("mt", {"a": "1"})
        expected = status(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                          "format - accepted media types include: application/json-patch+json, "
                          "application/merge-patch+json, application/strategic-merge-patch+json")
        for ctype in ("application/json", "application/apply-patch+yaml", "text/plain", None):
            code, body = self.kube("PATCH", SECRETS + "/mt", {"data": {}}, content_type=ctype)
            self.assertEqual((code, body), (415, expected), ctype)

    def test_concurrent_patches_of_different_keys_all_survive(self):
        self.create("shared", {"base": "0"})
        errors = []

        def writer(i):
            for kind in (MERGE, SMP, JSONPATCH):
                key = "k%d-%s" % (i, kind.split("/")[1].split("-")[0])
                body = ([{"op": "add", "path": "/data/" + key, "value": b64(key)}]
                        if kind == JSONPATCH else {"data": {key: b64(key)}})
                code, reply = self.kube("PATCH", SECRETS + "/shared", body, content_type=kind)
                if code != 200:
                    errors.append((code, reply))
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        data = self.kube("GET", SECRETS + "/shared")[1]["data"]
        self.assertEqual(len(data), 1 + 6 * 3)
        self.assertEqual(unb64(data["k3-json"]), "k3-json")
        # removing one key leaves the others
        code, new = self.kube("PATCH", SECRETS + "/shared", {"data": {"k0-merge": None}},
                              content_type=MERGE)
        self.assertEqual(len(new["data"]), 6 * 3)


class SecretRightsTest(KubeTestBase):
    def forbidden(self, verb, ns="argo", name=None, user="system:serviceaccount:argo:"
                  "argo-emulator"):
        subject = 'secrets "%s"' % name if name else "secrets"
        details = {"name": name, "kind": "secrets"} if name else {"kind": "secrets"}
        return status(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "secrets" '
                      'in API group "" in the namespace "%s"' % (subject, user, verb, ns),
                      details)

    def test_namespace_limited_token(self):
        self.assertEqual(self.kube("GET", SECRETS + "/x", token="teama"),
                         (403, self.forbidden("get", name="x")))
        self.assertEqual(self.kube("GET", SECRETS, token="teama"), (403, self.forbidden("list")))
        self.assertEqual(self.kube("POST", SECRETS, {"metadata": {"name": "x"}}, token="teama"),
                         (403, self.forbidden("create")))
        self.assertEqual(self.kube("GET", "/api/v1/namespaces/team-a/secrets",
                                   token="teama")[0], 200)

    def test_flags(self):
        self.create("ro-target", {"a": "1"})
        self.assertEqual(self.kube("GET", SECRETS + "/ro-target", token="ro")[0], 200)
        self.assertEqual(self.kube("GET", SECRETS, token="ro")[0], 200)
        self.assertEqual(self.kube("PATCH", SECRETS + "/ro-target", {}, token="ro",
                                   content_type=MERGE),
                         (403, self.forbidden("patch", name="ro-target")))
        self.assertEqual(self.kube("PUT", SECRETS + "/ro-target", {}, token="ro"),
                         (403, self.forbidden("update", name="ro-target")))
        self.assertEqual(self.kube("DELETE", SECRETS + "/ro-target", token="ro"),
                         (403, self.forbidden("delete", name="ro-target")))
        self.assertEqual(self.kube("GET", SECRETS + "/ro-target", token="nosec"),
                         (403, self.forbidden("get", name="ro-target")))
        # the flags do not limit the Argo side
        self.assertEqual(self.emu.call("GET", "/api/v1/workflows/argo", token="nosec")[0], 200)
        # the user of a JWT is its subject
        jwt = "e30." + base64.urlsafe_b64encode(
            b'{"sub":"system:serviceaccount:argo:jwt-user"}').decode().rstrip("=") + ".sig"
        self.emu.control("POST", "tokens", {"tokens": self.TOKENS + [jwt + "=team-a"]})
        code, body = self.kube("GET", SECRETS, token=jwt)
        self.assertEqual((code, body), (403, self.forbidden(
            "list", user="system:serviceaccount:argo:jwt-user")))


class JournalAndFaultsTest(KubeTestBase):
    def setUp(self):
        self.emu.control("POST", "faults", {"reset": True, "listener": "kube"})
        self.emu.control("POST", "faults", {"reset": True})

    def test_journal(self):
        self.emu.control("POST", "reset-journal")
        self.kube("PATCH", SECRETS + "/journalled", {"data": {}}, content_type=MERGE)
        entries = self.emu.journal()
        self.assertEqual(len(entries), 1)
        entry = entries[0]
        self.assertEqual({k: entry[k] for k in ("method", "path", "status", "listener", "body")},
                         {"method": "PATCH", "path": SECRETS + "/journalled", "status": 404,
                          "listener": "kube", "body": {"data": {}}})
        self.assertEqual(entry["headers"]["content-type"], MERGE)
        self.assertEqual(entry["headers"]["authorization"], "Bearer admin")
        self.emu.call("GET", "/api/v1/version")
        self.assertNotIn("listener", self.emu.journal()[-1])

    def test_fail_drop_and_delay(self):
        reply = self.emu.control("POST", "faults", {"listener": "kube", "fail_next": 1,
                                                    "status": 503, "message": "etcd is down"})
        self.assertEqual((reply["listener"], reply["fail_next"]), ("kube", 1))
        # the Argo listener is not affected
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)
        code, body = self.kube("GET", SECRETS)
        self.assertEqual((code, body), (503, status(503, "ServiceUnavailable", "etcd is down")))
        self.assertEqual(self.kube("GET", SECRETS)[0], 200)
        self.assertEqual(self.emu.journal()[-1]["status"], 200)
        self.assertEqual(self.emu.journal()[-2]["fault"], "fail")
        self.emu.control("POST", "faults", {"listener": "kube", "drop_next": 1})
        with self.assertRaises(Exception):
            self.kube("GET", SECRETS)
        self.assertEqual(self.kube("GET", SECRETS)[0], 200)

    def test_refuse(self):
        import http.client
        self.emu.control("POST", "faults", {"listener": "kube", "refuse": True, "for_ms": 300})
        with self.assertRaises((ConnectionError, OSError, http.client.HTTPException)):
            self.kube("GET", SECRETS, timeout=2)
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)
        self.emu.wait_for(lambda: not self.emu.control("GET", "state")["kube"]["refusing"])
        self.assertEqual(self.kube("GET", SECRETS)[0], 200)

    def test_bad_listener(self):
        code, body = self.emu.call("POST", "/_emulator/faults", {"listener": "nope"}, token=None)
        self.assertEqual(code, 400)


class NoKubeListenerTest(unittest.TestCase):
    def test_kube_faults_need_the_listener(self):
        with Emulator() as emu:
            code, body = emu.call("POST", "/_emulator/faults", {"listener": "kube",
                                                                "fail_next": 1}, token=None)
            self.assertEqual(code, 400)
            self.assertIsNone(emu.control("GET", "state")["kube"]["url"])

    def test_cli_checks(self):
        proc = subprocess.run([sys.executable, SCRIPT, "--kube-ready-file", "x"],
                              capture_output=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"--kube-port", proc.stderr)

    def test_auth_disabled_allows_everything(self):
        with Emulator(tokens=(), kube=True) as emu:
            code, body = emu.kube_call("POST", SECRETS, {"metadata": {"name": "open"}},
                                       token=None)
            self.assertEqual(code, 201)
            self.assertEqual(emu.kube_call("GET", "/api/v1/namespaces", token=None)[0], 200)


@unittest.skipUnless(shutil.which("openssl"), "openssl command not found: TLS not tested")
class KubeTLSTest(unittest.TestCase):
    def test_https_kube_listener(self):
        tmp = tempfile.mkdtemp()
        try:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
            with Emulator(kube_tls=(cert, key)) as emu:
                self.assertTrue(emu.kube_url.startswith("https://"))
                self.assertTrue(emu.url.startswith("http://"))
                self.assertEqual(emu.kube_call("GET", "/api/v1/namespaces")[0], 200)
        finally:
            shutil.rmtree(tmp)


class PatchFunctionsTest(unittest.TestCase):
    def test_merge_patch(self):
        self.assertEqual(patch.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]},
                                           {"a": {"b": None, "d": 3}, "l": [2], "n": None}),
                         {"a": {"c": 2, "d": 3}, "l": [2]})
        self.assertEqual(patch.merge_patch({"a": 1}, [1]), [1])

    def test_json_patch(self):
        doc = {"a/b": {"~x": [1, 2]}, "n": None}
        out = patch.json_patch(doc, [{"op": "add", "path": "/a~1b/~0x/-", "value": 3},
                                     {"op": "add", "path": "/a~1b/~0x/0", "value": 0},
                                     {"op": "move", "from": "/a~1b/~0x", "path": "/m"},
                                     {"op": "test", "path": "/n", "value": None},
                                     {"op": "test", "path": "/missing", "value": None}])
        self.assertEqual(out, {"a/b": {}, "n": None, "m": [0, 1, 2, 3]})
        self.assertEqual(doc, {"a/b": {"~x": [1, 2]}, "n": None})
        for bad in ([{"op": "test", "path": "/n", "value": 0}],
                    [{"op": "test", "path": "/t", "value": 1}],
                    [{"op": "replace", "path": "/zz", "value": 1}],
                    [{"op": "add", "path": "/x/y", "value": 1}],
                    [{"op": "add", "path": "/a~1b/~0x/5", "value": 1}],
                    [{"op": "move", "from": "/a~1b", "path": "/a~1b/c"}]):
            with self.assertRaises(patch.PatchFailed, msg=bad):
                patch.json_patch({"a/b": {"~x": [1, 2]}, "n": None, "t": True}, bad)
        with self.assertRaises(patch.BadPatch):
            patch.json_patch({}, {"op": "add"})

    def test_strategic_patch(self):
        base = {"metadata": {"finalizers": ["a"]}, "data": {"x": "1", "y": "2"}}
        self.assertEqual(patch.strategic_patch(base, {"metadata": {"finalizers": ["b", "a"]},
                                                      "data": {"$patch": "delete"}}),
                         {"metadata": {"finalizers": ["a", "b"]}})


if __name__ == "__main__":
    unittest.main()
