"""Workflow create/get/list/delete/submit/lint: bodies, errors, paging, projection, selectors."""

import unittest
import urllib.parse

from emulator_fixture import Emulator
from test_templates import template

WF = "/api/v1/workflows/argo"


def workflow(name=None, generate=None, command=("echo", "hello"), labels=None):
    meta = {}
    if name:
        meta["name"] = name
    if generate:
        meta["generateName"] = generate
    if labels:
        meta["labels"] = labels
    return {"metadata": meta,
            "spec": {"entrypoint": "main",
                     "templates": [{"name": "main",
                                    "container": {"image": "busybox",
                                                  "command": list(command)}}]}}


class WorkflowApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0).start()
        cls.emu.call("POST", "/api/v1/workflow-templates/argo",
                     {"template": template("hello-template")})
        cls.emu.call("POST", "/api/v1/cluster-workflow-templates",
                     {"template": template("cluster-hello")})
        cls.emu.call("POST", "/api/v1/cron-workflows/argo", {"cronWorkflow": {
            "metadata": {"name": "nightly"},
            "spec": {"schedules": ["0 1 * * *"],
                     "workflowSpec": {"workflowTemplateRef": {"name": "hello-template"}}}}})

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def create(self, wf, ns="argo"):
        return self.emu.call("POST", "/api/v1/workflows/" + ns,
                             {"namespace": ns, "workflow": wf})

    def test_create_reply_is_what_the_api_server_stored(self):
        status, wf = self.create(workflow("created-1"))
        self.assertEqual(status, 200)
        self.assertEqual(wf["metadata"]["name"], "created-1")
        self.assertEqual(wf["metadata"]["namespace"], "argo")
        # the controller has not touched it yet: an empty status, typed as Go writes it
        self.assertEqual(wf["status"], {"startedAt": None, "finishedAt": None})
        self.assertEqual(wf["spec"]["arguments"], {})
        status, got = self.emu.call("GET", WF + "/created-1")
        self.assertEqual(got["status"]["phase"], "Pending")
        labels = got["metadata"]["labels"]
        self.assertEqual(labels["workflows.argoproj.io/phase"], "Pending")
        self.assertEqual(labels["workflows.argoproj.io/completed"], "false")

    def test_generate_name(self):
        status, wf = self.create(workflow(generate="gen-"))
        self.assertEqual(status, 200)
        self.assertRegex(wf["metadata"]["name"], r"^gen-[a-z0-9]{5}$")

    def test_create_errors(self):
        status, body = self.emu.call("POST", WF, {"namespace": "argo"})
        self.assertEqual((status, body), (400, {"code": 3,
                                                "message": "workflow body not specified"}))
        self.assertEqual(self.create(workflow("dup"))[0], 200)
        status, body = self.create(workflow("dup"))
        self.assertEqual((status, body), (409, {"code": 6, "message":
                                                'workflows.argoproj.io "dup" already exists'}))
        bad = workflow("no-entry")
        del bad["spec"]["entrypoint"]
        status, body = self.create(bad)
        self.assertEqual((status, body), (400, {"code": 3,
                                                "message": "spec.entrypoint is required"}))
        status, body = self.create({"metadata": {"name": "ref-missing"},
                                    "spec": {"workflowTemplateRef": {"name": "nope"}}})
        self.assertEqual((status, body), (404, {"code": 5, "message":
                                                'workflowtemplates.argoproj.io "nope" not found'}))
        status, body = self.create({"metadata": {"name": "ref-and-templates"},
                                    "spec": {"workflowTemplateRef": {"name": "hello-template"},
                                             "templates": workflow()["spec"]["templates"]}})
        self.assertEqual(status, 400)
        self.assertIn("Templates is invalid field", body["message"])
        status, body = self.create(workflow("x" * 64))
        self.assertEqual(status, 400)
        self.assertIn("must not be more than 63 characters", body["message"])
        status, body = self.create({"metadata": {"name": "p"}, "spec": {
            "entrypoint": "main", "arguments": {"parameters": [{"name": "a"}]},
            "templates": workflow()["spec"]["templates"]}})
        self.assertEqual(status, 400)
        self.assertEqual(body["message"],
                         "spec.arguments.a.value or spec.arguments.a.valueFrom is required")

    def test_dry_runs(self):
        status, body = self.emu.call("POST", WF, {"workflow": workflow("dry-1"),
                                                  "createOptions": {"dryRun": ["All"]}})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.call("GET", WF + "/dry-1")[0], 404)
        status, body = self.emu.call("POST", WF, {"workflow": workflow("dry-2"),
                                                  "serverDryRun": True})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.call("GET", WF + "/dry-2")[0], 404)

    def test_get_not_found_and_latest(self):
        status, body = self.emu.call("GET", WF + "/missing")
        self.assertEqual((status, body), (404, {"code": 5, "message":
                                                'workflows.argoproj.io "missing" not found'}))
        status, body = self.emu.call("GET", "/api/v1/workflows/empty-ns/@latest")
        self.assertEqual((status, body), (404, {"code": 5, "message": "no workflows found"}))
        self.create(workflow("latest-a"))
        self.create(workflow("latest-b"))
        status, body = self.emu.call("GET", WF + "/@latest")
        self.assertEqual((status, body["metadata"]["name"]), (200, "latest-b"))

    def test_get_fields(self):
        self.create(workflow("fields-1"))
        status, body = self.emu.call("GET", WF + "/fields-1?fields=metadata.name,status.phase")
        self.assertEqual(status, 200)
        self.assertEqual(body["metadata"], {"name": "fields-1", "creationTimestamp": None})
        self.assertEqual(body["status"]["phase"], "Pending")
        self.assertNotIn("templates", body["spec"])
        status, body = self.emu.call("GET", WF + "/fields-1?fields=-spec,metadata.managedFields")
        self.assertEqual(body["spec"], {"arguments": {}})
        self.assertNotIn("managedFields", body["metadata"])
        self.assertIn("uid", body["metadata"])

    def test_delete(self):
        self.create(workflow("doomed"))
        self.assertEqual(self.emu.call("DELETE", WF + "/doomed"), (200, {}))
        self.assertEqual(self.emu.call("DELETE", WF + "/doomed")[0], 404)

    def test_list_empty_items_is_null(self):
        status, body = self.emu.call("GET", "/api/v1/workflows/nothing-here")
        self.assertEqual(status, 200)
        self.assertIsNone(body["items"])
        self.assertNotIn("continue", body["metadata"])

    def test_list_paging_offsets(self):
        ns = "paging"
        for i in range(5):
            self.create(workflow("pg-%d" % i), ns)
        names, cont = [], None
        while True:
            query = "?listOptions.limit=2"
            if cont:
                query += "&listOptions.continue=" + cont
            status, body = self.emu.call("GET", "/api/v1/workflows/%s%s" % (ns, query))
            self.assertEqual(status, 200)
            names += [i["metadata"]["name"] for i in body["items"]]
            self.assertEqual(body["items"][0]["kind"], "Workflow")
            cont = body["metadata"].get("continue")
            if not cont:
                break
            self.assertEqual(cont, str(len(names)))
        # unfinished workflows: newest first
        self.assertEqual(names, ["pg-4", "pg-3", "pg-2", "pg-1", "pg-0"])
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?listOptions.continue=abc" % ns)
        self.assertEqual((status, body), (400, {"code": 3,
                                                "message": "listOptions.continue must be int"}))
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?listOptions.limit=0" % ns)
        self.assertEqual(len(body["items"]), 5)
        status, body = self.emu.call(
            "GET", "/api/v1/workflows/%s?listOptions.limit=2&listOptions.fieldSelector="
            "ext.showRemainingItemCount%%3Dtrue" % ns)
        self.assertEqual(body["metadata"]["remainingItemCount"], 3)

    def test_list_projection_like_the_cli(self):
        ns = "proj"
        self.create(workflow("proj-1"), ns)
        fields = ("metadata,items.metadata,items.spec,items.status.phase,items.status.message,"
                  "items.status.finishedAt,items.status.startedAt,"
                  "items.status.estimatedDuration,items.status.progress")
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?fields=%s" % (ns, fields))
        self.assertEqual(status, 200)
        self.assertIn("resourceVersion", body["metadata"])
        item = body["items"][0]
        self.assertEqual(item["metadata"]["name"], "proj-1")
        self.assertIn("templates", item["spec"])
        self.assertEqual(set(item["status"]), {"phase", "startedAt", "finishedAt"})
        self.assertNotIn("kind", item)
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?fields=-items.spec" % ns)
        self.assertEqual(body["items"][0]["spec"], {"arguments": {}})
        self.assertEqual(body["items"][0]["kind"], "Workflow")
        # listing only items.* drops the list metadata (typed back to {})
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?fields=items.metadata.name"
                                     % ns)
        self.assertEqual(body["metadata"], {})
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?fields=metadata" % ns)
        self.assertIsNone(body["items"])

    def test_list_selectors(self):
        ns = "sel"
        self.create(workflow("sel-a", labels={"team": "a"}), ns)
        self.create(workflow("sel-b", labels={"team": "b"}), ns)
        self.create(workflow("other"), ns)

        def names(query):
            status, body = self.emu.call("GET", "/api/v1/workflows/%s?%s" % (ns, query))
            self.assertEqual(status, 200, body)
            return sorted(i["metadata"]["name"] for i in body["items"] or [])

        q = urllib.parse.quote
        self.assertEqual(names("listOptions.labelSelector=" + q("team=a")), ["sel-a"])
        self.assertEqual(names("listOptions.labelSelector=" + q("workflows.argoproj.io/phase="
                                                                "Pending,team")),
                         ["sel-a", "sel-b"])
        self.assertEqual(names("listOptions.fieldSelector=" + q("metadata.name=sel-b")),
                         ["sel-b"])
        self.assertEqual(names("listOptions.fieldSelector=" + q("metadata.name!=sel-b")),
                         ["other", "sel-a"])
        self.assertEqual(names("listOptions.fieldSelector=" + q("metadata.name=sel-") +
                               "&nameFilter=Prefix"), ["sel-a", "sel-b"])
        self.assertEqual(names("listOptions.fieldSelector=" + q("metadata.name=the") +
                               "&nameFilter=Contains"), ["other"])
        self.assertEqual(names("listOptions.fieldSelector=" + q("metadata.namespace=sel")),
                         ["other", "sel-a", "sel-b"])
        self.assertEqual(names("listOptions.fieldSelector=" +
                               q("spec.startedAt>2000-01-01T00:00:00Z")), [])
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?listOptions.fieldSelector=%s"
                                     % (ns, q("status.phase=Running")))
        self.assertEqual((status, body), (400, {"code": 3, "message":
                                                "unsupported requirement status.phase=Running"}))
        status, body = self.emu.call("GET", "/api/v1/workflows/%s?createdAfter=yesterday" % ns)
        self.assertEqual((status, body["code"]), (500, 13))
        self.assertEqual(names("createdAfter=2000-01-01T00:00:00Z"), ["other", "sel-a", "sel-b"])
        self.assertEqual(names("finishedBefore=2999-01-01T00:00:00Z"), [])

    def test_all_namespaces(self):
        self.create(workflow("ns1-wf"), "ns1")
        self.create(workflow("ns2-wf"), "ns2")
        status, body = self.emu.call("GET", "/api/v1/workflows/")
        names = {i["metadata"]["name"] for i in body["items"]}
        self.assertTrue({"ns1-wf", "ns2-wf"} <= names)

    def test_submit_from_workflow_template(self):
        status, wf = self.emu.call("POST", WF + "/submit", {
            "namespace": "argo", "resourceKind": "WorkflowTemplate",
            "resourceName": "hello-template",
            "submitOptions": {"parameters": ["message=from submit", "extra=1"],
                              "labels": "a=b,c=d", "annotations": "note=x"}})
        self.assertEqual(status, 200, wf)
        self.assertRegex(wf["metadata"]["name"], r"^hello-template-[a-z0-9]{5}$")
        self.assertEqual(wf["metadata"]["generateName"], "hello-template-")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/workflow-template"],
                         "hello-template")
        self.assertEqual(wf["metadata"]["labels"]["a"], "b")
        self.assertEqual(wf["metadata"]["annotations"], {"note": "x"})
        self.assertEqual(wf["spec"]["workflowTemplateRef"], {"name": "hello-template"})
        # unknown parameters are accepted and kept, as the real server does
        self.assertEqual(wf["spec"]["arguments"]["parameters"],
                         [{"name": "message", "value": "from submit"},
                          {"name": "extra", "value": "1"}])

    def test_submit_kinds_and_errors(self):
        for kind in ("workflowtemplate", "workflowtemplates", "wftmpl"):
            status, _ = self.emu.call("POST", WF + "/submit", {
                "resourceKind": kind, "resourceName": "hello-template"})
            self.assertEqual(status, 200, kind)
        status, wf = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "ClusterWorkflowTemplate", "resourceName": "cluster-hello",
            "submitOptions": {"name": "fixed-name", "entryPoint": "main"}})
        self.assertEqual(status, 200)
        self.assertEqual(wf["metadata"]["name"], "fixed-name")
        self.assertEqual(wf["spec"]["workflowTemplateRef"],
                         {"name": "cluster-hello", "clusterScope": True})
        self.assertEqual(wf["spec"]["entrypoint"], "main")
        status, wf = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "cwf", "resourceName": "nightly"})
        self.assertEqual(status, 200)
        self.assertRegex(wf["metadata"]["name"], r"^nightly-\d+$")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"],
                         "nightly")
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "Workflow", "resourceName": "x"})
        self.assertEqual((status, body), (400, {"code": 3, "message":
                                                "Resource kind 'Workflow' is not supported for "
                                                "submitting"}))
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "nope"})
        self.assertEqual((status, body["code"]), (404, 5))
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "CronWorkflow", "resourceName": "nope"})
        self.assertEqual((status, body["message"]),
                         (404, 'cronworkflows.argoproj.io "nope" not found'))
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "hello-template",
            "submitOptions": {"parameters": ["novalue"]}})
        self.assertEqual((status, body), (500, {"code": 13, "message":
                                                "expected parameter of the form: NAME=VALUE. "
                                                "Received: novalue"}))
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "hello-template",
            "submitOptions": {"dryRun": True}})
        self.assertEqual(status, 200)
        self.assertNotIn("uid", body["metadata"])

    def test_submit_requires_parameter_values(self):
        tmpl = template("needs-value")
        del tmpl["spec"]["arguments"]["parameters"][0]["value"]
        self.emu.call("POST", "/api/v1/workflow-templates/argo", {"template": tmpl})
        status, body = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "needs-value"})
        self.assertEqual((status, body["message"]),
                         (400, "spec.arguments.message.value or spec.arguments.message."
                               "valueFrom is required"))
        status, _ = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "needs-value",
            "submitOptions": {"parameters": ["message=given"]}})
        self.assertEqual(status, 200)

    def test_lint(self):
        status, body = self.emu.call("POST", WF + "/lint", {"workflow": workflow("lint-1")})
        self.assertEqual((status, body["metadata"]["name"]), (200, "lint-1"))
        self.assertEqual(self.emu.call("GET", WF + "/lint-1")[0], 404)
        bad = workflow("lint-2")
        bad["spec"]["entrypoint"] = "nope"
        status, body = self.emu.call("POST", WF + "/lint", {"workflow": bad})
        self.assertEqual((status, body), (500, {"code": 2, "message":
                                                "template name 'nope' undefined"}))
        status, body = self.emu.call("POST", WF + "/lint", {})
        self.assertEqual((status, body), (500, {"code": 2, "message":
                                                "unable to get a workflow"}))

    def test_forbidden_namespace(self):
        emu = self.emu
        emu.control("POST", "tokens", {"tokens": ["secret", "limited=argo"]})
        try:
            status, body = emu.call("POST", "/api/v1/workflows/other",
                                    {"workflow": workflow("f")}, token="limited")
            self.assertEqual(status, 403)
            self.assertIn('cannot create resource "workflows"', body["message"])
            status, body = emu.call("GET", "/api/v1/workflows/other/x", token="limited")
            self.assertEqual(status, 403)
        finally:
            emu.control("POST", "tokens", {"tokens": ["secret"]})


if __name__ == "__main__":
    unittest.main()
