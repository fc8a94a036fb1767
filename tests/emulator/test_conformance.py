"""Conformance of the emulator with the Argo Server's swagger.json.

1. Every route in argoemu.api.ROUTES exists in swagger.json with the same method (path
   templates compared structurally: variable names do not matter).
2. A representative call of every route returns JSON that validates against the schema of the
   operation's 200 response (streams: every message), with a small $ref-resolving walker:
   types, properties (unknown properties are errors unless additionalProperties allows them),
   items.  Go's encoding/json writes nil slices, maps and pointers and zero metav1.Time as
   null, so null is accepted for arrays, objects and date-time strings, and only there.

The Kubernetes API subset (argoemu.kubeapi.ROUTES, served on the --kube-port listener) is
deliberately not checked here: it is not part of the Argo Server's API, so swagger.json does not
describe it.  Its contract is the Kubernetes API server's, covered by test_kube.py;
RouteTableTest.test_kubernetes_routes_are_excluded only keeps the two route tables apart.

The reference is ../shared/argo/swagger.json relative to the project root (override the shared
directory with ARGOFS_SHARED_DIR).  Without it the tests are skipped, never passed.
"""

import json
import os
import re
import sys
import unittest

from emulator_fixture import Emulator, HERE, SEED_DIR

sys.path.insert(0, HERE)
from argoemu.api import ROUTES  # noqa: E402
from argoemu.kubeapi import ROUTES as KUBE_ROUTES  # noqa: E402


def swagger_path():
    shared = os.environ.get("ARGOFS_SHARED_DIR") or os.path.join(HERE, "..", "..", "..",
                                                                  "shared")
    return os.path.normpath(os.path.join(shared, "argo", "swagger.json"))


def load_swagger(test):
    path = swagger_path()
    if not os.path.exists(path):
        test.skipTest("reference ../shared/argo/swagger.json absent: conformance not checked")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def shape(template):
    return re.sub(r"\{[^}]*\}", "{}", template)


class SchemaError(AssertionError):
    pass


class Walker:
    def __init__(self, swagger):
        self.defs = swagger.get("definitions", {})

    def resolve(self, schema):
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/definitions/"):
                raise SchemaError("unsupported $ref %s" % ref)
            schema = self.defs[ref[len("#/definitions/"):]]
            seen += 1
            if seen > 50:
                raise SchemaError("$ref loop at %s" % ref)
        return schema

    def check(self, value, schema, path="$"):
        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind is None and "properties" in schema:
            kind = "object"
        if value is None:
            if kind in ("array", "object") or schema.get("format") == "date-time":
                return
            if kind is None:
                return
            raise SchemaError("%s: null where %s expected" % (path, kind))
        if kind == "object":
            if not isinstance(value, dict):
                raise SchemaError("%s: %r is not an object" % (path, type(value).__name__))
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key, sub in value.items():
                if key in props:
                    self.check(sub, props[key], "%s.%s" % (path, key))
                elif isinstance(extra, dict):
                    self.check(sub, extra, "%s[%s]" % (path, key))
                elif extra is True or (not props and extra is None):
                    continue
                else:
                    raise SchemaError("%s: unknown property %r" % (path, key))
        elif kind == "array":
            if not isinstance(value, list):
                raise SchemaError("%s: %r is not an array" % (path, type(value).__name__))
            for i, item in enumerate(value):
                self.check(item, schema.get("items", {}), "%s[%d]" % (path, i))
        elif kind == "string":
            if not isinstance(value, str):
                raise SchemaError("%s: %r is not a string" % (path, value))
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SchemaError("%s: %r is not an integer" % (path, value))
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SchemaError("%s: %r is not a number" % (path, value))
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise SchemaError("%s: %r is not a boolean" % (path, value))


class WalkerSelfTest(unittest.TestCase):
    """The walker must be able to fail."""

    def test_rejects_mismatches(self):
        swagger = load_swagger(self)
        walker = Walker(swagger)
        wf = {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow"}
        walker.check({"metadata": {"name": "x"}, "spec": {}, "status": {}}, wf)
        for bad in ({"metadata": {"name": 3}}, {"metadata": {"bogus": 1}},
                    {"spec": {"templates": {}}}, {"status": {"phase": None}},
                    {"metadata": {"labels": {"a": 1}}}):
            with self.assertRaises(SchemaError, msg=bad):
                walker.check(bad, wf)


class RouteTableTest(unittest.TestCase):
    def test_every_route_is_in_swagger(self):
        swagger = load_swagger(self)
        known = {(m.upper(), shape(p)) for p, ops in swagger["paths"].items() for m in ops
                 if m != "parameters"}
        for route in ROUTES:
            self.assertIn((route.method, shape(route.template)), known,
                          "%s %s is not in swagger.json" % (route.method, route.template))

    def test_kubernetes_routes_are_excluded(self):
        """Kubernetes routes are excluded from the swagger checks on purpose: they belong to
        the Kubernetes API (another listener, as on a cluster), not to the Argo Server, so the
        Argo swagger has none of them.  Check that no Kubernetes route is in the Argo route
        table or in swagger.json, so that excluding them hides nothing."""
        swagger = load_swagger(self)
        argo = {shape(r.template) for r in ROUTES}
        documented = {shape(p) for p in swagger["paths"]}
        self.assertTrue(KUBE_ROUTES)
        for template, methods in KUBE_ROUTES:
            self.assertNotIn(shape(template), argo, template)
            self.assertNotIn(shape(template), documented, template)

    def test_declared_query_parameters_exist(self):
        swagger = load_swagger(self)
        for route in ROUTES:
            ops = {shape(p): ops for p, ops in swagger["paths"].items()}[shape(route.template)]
            params = {p["name"] for p in ops[route.method.lower()].get("parameters", [])
                      if p.get("in") == "query"}
            for name in route.query:
                self.assertIn(name, params, "%s %s: query parameter %s"
                              % (route.method, route.template, name))


def template(name):
    return {"metadata": {"name": name},
            "spec": {"entrypoint": "main",
                     "templates": [{"name": "main", "container": {"image": "alpine",
                                                                  "command": ["echo", "x"]}}]}}


def running_workflow(name):
    """Stays Running: its only step waits on a suspend template."""
    return {"metadata": {"name": name},
            "spec": {"entrypoint": "main",
                     "templates": [{"name": "main", "steps": [[{"name": "wait",
                                                                "template": "wait"}]]},
                                   {"name": "wait", "suspend": {}}]}}


class ReplySchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0, seed=SEED_DIR).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        swagger = load_swagger(self)
        self.walker = Walker(swagger)
        self.ops = {(m.upper(), shape(p)): op for p, ops in swagger["paths"].items()
                    for m, op in ops.items() if m != "parameters"}

    def calls(self):
        """(method, template, path, body) per route; some set up state as they go."""
        emu = self.emu
        for name in ("conf-suspend", "conf-stop", "conf-term"):
            emu.call("POST", "/api/v1/workflows/argo", {"workflow": running_workflow(name)})
        status, approval = emu.call("POST", "/api/v1/workflows/argo/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "approval"})
        emu.ticks(3)
        emu.call("PUT", "/api/v1/workflows/argo/conf-suspend/suspend")
        pod = [n for n in emu.call("GET", "/api/v1/workflows/argo/ci-main-1")[1]["status"]
               ["nodes"].values() if n["type"] == "Pod"][0]

        def rv(path):
            return emu.call("GET", path)[1]

        wft = "/api/v1/workflow-templates/argo"
        cwft = "/api/v1/cluster-workflow-templates"
        cron = "/api/v1/cron-workflows/argo"
        wf = "/api/v1/workflows/argo"
        cron_obj = {"metadata": {"name": "conf-cron"},
                    "spec": {"schedules": ["* * * * *"], "workflowSpec": template("x")["spec"]}}
        yield "GET", "/api/v1/info", "/api/v1/info", None
        yield "GET", "/api/v1/version", "/api/v1/version", None
        yield "GET", "/api/v1/userinfo", "/api/v1/userinfo", None
        yield "POST", "/api/v1/tracking/event", "/api/v1/tracking/event", {"name": "x"}

        base = "/api/v1/workflow-templates/{namespace}"
        yield "POST", base, wft, {"template": template("conf-wft")}
        yield "GET", base, wft, None
        yield "POST", base + "/lint", wft + "/lint", {"template": template("conf-lint")}
        yield "GET", base + "/{name}", wft + "/conf-wft", None
        yield "PUT", base + "/{name}", wft + "/conf-wft", {"template": rv(wft + "/conf-wft")}
        yield "DELETE", base + "/{name}", wft + "/conf-wft", None

        base = "/api/v1/cluster-workflow-templates"
        yield "POST", base, cwft, {"template": template("conf-cwft")}
        yield "GET", base, cwft, None
        yield "POST", base + "/lint", cwft + "/lint", {"template": template("conf-lint")}
        yield "GET", base + "/{name}", cwft + "/conf-cwft", None
        yield "PUT", base + "/{name}", cwft + "/conf-cwft", {"template": rv(cwft + "/conf-cwft")}
        yield "DELETE", base + "/{name}", cwft + "/conf-cwft", None

        base = "/api/v1/cron-workflows/{namespace}"
        yield "POST", base, cron, {"cronWorkflow": cron_obj}
        yield "GET", base, cron, None
        yield "POST", base + "/lint", cron + "/lint", {"cronWorkflow": cron_obj}
        yield "GET", base + "/{name}", cron + "/conf-cron", None
        yield "PUT", base + "/{name}", cron + "/conf-cron", {"cronWorkflow":
                                                              rv(cron + "/conf-cron")}
        yield "PUT", base + "/{name}/suspend", cron + "/conf-cron/suspend", {}
        yield "PUT", base + "/{name}/resume", cron + "/conf-cron/resume", {}
        yield "DELETE", base + "/{name}", cron + "/conf-cron", None

        base = "/api/v1/workflows/{namespace}"
        yield "POST", base, wf, {"workflow": template("conf-wf")}
        yield "GET", base, wf, None
        yield "POST", base + "/lint", wf + "/lint", {"workflow": template("conf-lint")}
        yield "POST", base + "/submit", wf + "/submit", {"resourceKind": "WorkflowTemplate",
                                                         "resourceName": "hello-template"}
        yield "GET", base + "/{name}", wf + "/hello-seeded", None
        yield "PUT", base + "/{name}/retry", wf + "/broken-build/retry", {}
        yield "PUT", base + "/{name}/resubmit", wf + "/hello-seeded/resubmit", {}
        yield "PUT", base + "/{name}/suspend", wf + "/conf-stop/suspend", {}
        yield "PUT", base + "/{name}/resume", wf + "/conf-suspend/resume", {}
        yield "PUT", base + "/{name}/terminate", wf + "/conf-term/terminate", {}
        yield "PUT", base + "/{name}/stop", wf + "/conf-stop/stop", {}
        yield ("PUT", base + "/{name}/set", wf + "/%s/set" % approval["metadata"]["name"],
               {"nodeFieldSelector": "displayName=approve", "phase": "Succeeded"})
        yield ("GET", base + "/{name}/log",
               wf + "/ci-main-1/log?logOptions.container=main", None)
        yield ("GET", base + "/{name}/{podName}/log",
               wf + "/ci-main-1/%s/log?logOptions.container=main"
               % ("ci-main-1-" + pod["templateName"] + "-" + pod["id"].rsplit("-", 1)[1]), None)
        yield ("GET", "/api/v1/workflow-events/{namespace}",
               "/api/v1/workflow-events/argo?listOptions.timeoutSeconds=1", None)
        yield "DELETE", base + "/{name}", wf + "/conf-wf", None

        yield ("POST", "/api/v1/events/{namespace}/{discriminator}", "/api/v1/events/argo/github",
               {"ref": "refs/heads/main", "head_commit": {"message": "m"}})
        yield ("GET", "/api/v1/workflow-event-bindings/{namespace}",
               "/api/v1/workflow-event-bindings/argo", None)

    def test_replies_validate(self):
        covered = set()
        for method, template_path, path, body in self.calls():
            route = [r for r in ROUTES if r.method == method and r.template == template_path]
            self.assertEqual(len(route), 1, "%s %s not a route" % (method, template_path))
            covered.add((method, template_path))
            op = self.ops[(method, shape(template_path))]
            schema = op["responses"]["200"]["schema"]
            with self.subTest(method=method, path=path):
                if route[0].stream:
                    status, messages = self.emu.stream_messages(path)
                    self.assertEqual(status, 200)
                    self.assertTrue(messages, "empty stream")
                    for msg in messages:
                        self.walker.check(msg, schema)
                else:
                    status, reply = self.emu.call(method, path, body)
                    self.assertEqual(status, 200, reply)
                    self.walker.check(reply, schema)
        missing = {(r.method, r.template) for r in ROUTES} - covered
        self.assertEqual(missing, set(), "routes without a representative call")


if __name__ == "__main__":
    unittest.main()
