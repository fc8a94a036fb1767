"""Workflow templates, cluster workflow templates and cron workflows: CRUD, errors, lists."""

import base64
import copy
import json
import re
import unittest

from emulator_fixture import Emulator

WFT = "/api/v1/workflow-templates/argo"
CWFT = "/api/v1/cluster-workflow-templates"
CRON = "/api/v1/cron-workflows/argo"


def template(name, message="hi", labels=None):
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta,
            "spec": {"entrypoint": "main",
                     "arguments": {"parameters": [{"name": "message", "value": message}]},
                     "templates": [{"name": "main",
                                    "inputs": {"parameters": [{"name": "message"}]},
                                    "container": {"image": "busybox",
                                                  "command": ["echo"],
                                                  "args": ["{{inputs.parameters.message}}"]}}]}}


def cron(name, schedule="*/5 * * * *"):
    return {"metadata": {"name": name},
            "spec": {"schedules": [schedule],
                     "workflowSpec": {"entrypoint": "main",
                                      "templates": [{"name": "main",
                                                     "container": {"image": "busybox"}}]}}}


class TemplateCrudMixin:
    """Shared checks; subclasses set BASE, BODY_KEY, make(), the not-found messages."""

    def create(self, obj):
        return self.emu.call("POST", self.BASE, {self.BODY_KEY: obj, "namespace": "argo"})

    def test_create_get_update_delete(self):
        status, created = self.create(self.make("crud"))
        self.assertEqual(status, 200)
        meta = created["metadata"]
        self.assertEqual(meta["name"], "crud")
        self.assertRegex(meta["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-")
        self.assertRegex(meta["resourceVersion"], r"^\d+$")
        self.assertRegex(meta["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(meta["generation"], 1)
        self.assertTrue(meta["managedFields"])
        self.assertEqual(meta["managedFields"][0]["fieldsType"], "FieldsV1")
        if self.NAMESPACED:
            self.assertEqual(meta["namespace"], "argo")
        else:
            self.assertNotIn("namespace", meta)
        self.assertNotIn("kind", created)

        status, got = self.emu.call("GET", self.BASE + "/crud")
        self.assertEqual(status, 200)
        self.assertEqual(got["metadata"]["uid"], meta["uid"])

        changed = copy.deepcopy(got)
        self.mutate(changed)
        status, updated = self.emu.call("PUT", self.BASE + "/ignored-path-name",
                                        {self.BODY_KEY: changed})
        self.assertEqual(status, 200)
        self.assertGreater(int(updated["metadata"]["resourceVersion"]),
                           int(meta["resourceVersion"]))
        self.assertEqual(updated["metadata"]["generation"], 2)
        self.assertEqual(updated["metadata"]["uid"], meta["uid"])
        self.assertEqual(updated["metadata"]["creationTimestamp"], meta["creationTimestamp"])

        # stale resourceVersion -> 409
        status, body = self.emu.call("PUT", self.BASE + "/crud", {self.BODY_KEY: changed})
        self.assertEqual(status, 409)
        self.assertEqual(body["code"], 6)
        self.assertIn("the object has been modified", body["message"])
        self.assertIn('%s "crud"' % self.PLURAL, body["message"])

        # missing resourceVersion -> 400
        del changed["metadata"]["resourceVersion"]
        status, body = self.emu.call("PUT", self.BASE + "/crud", {self.BODY_KEY: changed})
        self.assertEqual(status, 400)
        self.assertEqual(body["code"], 3)
        self.assertIn("must be specified for an update", body["message"])

        self.assertEqual(self.emu.call("DELETE", self.BASE + "/crud"), (200, {}))
        status, body = self.emu.call("GET", self.BASE + "/crud")
        self.assertEqual(status, 404)
        self.assertEqual(body, {"code": 5, "message": self.GET_NOT_FOUND % "crud"})
        status, body = self.emu.call("DELETE", self.BASE + "/crud")
        self.assertEqual(status, 404)
        self.assertEqual(body, {"code": 5, "message": '%s "crud" not found' % self.PLURAL})

    def test_create_existing_is_409(self):
        self.assertEqual(self.create(self.make("twice"))[0], 200)
        status, body = self.create(self.make("twice"))
        self.assertEqual(status, 409)
        self.assertEqual(body, {"code": 6, "message": '%s "twice" already exists' % self.PLURAL})

    def test_missing_body_object(self):
        status, body = self.emu.call("POST", self.BASE, {"namespace": "argo"})
        self.assertEqual((status, body), self.MISSING)
        status, body = self.emu.call("POST", self.BASE, None)
        self.assertEqual((status, body), self.MISSING)

    def test_update_of_missing_object_is_404(self):
        obj = self.make("ghost")
        obj["metadata"]["resourceVersion"] = "5"
        status, body = self.emu.call("PUT", self.BASE + "/ghost", {self.BODY_KEY: obj})
        self.assertEqual(status, 404)
        self.assertEqual(body["message"], '%s "ghost" not found' % self.PLURAL)

    def test_generate_name_and_invalid_names(self):
        obj = self.make("x")
        obj["metadata"] = {"generateName": "gen-"}
        status, created = self.create(obj)
        self.assertEqual(status, 200)
        self.assertRegex(created["metadata"]["name"], r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        obj["metadata"] = {}
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        self.assertIn("name or generateName is required", body["message"])
        obj["metadata"] = {"name": "Bad_Name"}
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        self.assertIn("RFC 1123", body["message"])

    def test_list_paging_is_opaque_and_sorted(self):
        for i in range(5):
            self.assertEqual(self.create(self.make("page-%d" % (4 - i)))[0], 200)
        names, cont, pages = [], "", 0
        while True:
            query = "?listOptions.limit=2" + ("&listOptions.continue=" + cont if cont else "")
            status, body = self.emu.call("GET", self.BASE + query)
            self.assertEqual(status, 200)
            pages += 1
            page = [i["metadata"]["name"] for i in body["items"]]
            self.assertEqual(page, sorted(page))
            names += page
            cont = body["metadata"].get("continue", "")
            if not cont:
                self.assertNotIn("remainingItemCount", body["metadata"])
                break
            self.assertFalse(cont.isdigit())
            self.assertGreater(body["metadata"]["remainingItemCount"], 0)
            self.assertEqual(body["items"][0]["kind"], self.KIND)
        mine = [n for n in names if n.startswith("page-")]
        self.assertEqual(mine, ["page-%d" % i for i in range(5)])
        self.assertGreaterEqual(pages, 3)
        status, body = self.emu.call("GET", self.BASE + "?listOptions.continue=%25%25bad")
        self.assertEqual((status, body["code"]), (400, 3))

    def test_label_and_field_selectors(self):
        obj = self.make("sel-a")
        obj["metadata"]["labels"] = {"team": "a", "tier": "gold"}
        self.create(obj)
        obj = self.make("sel-b")
        obj["metadata"]["labels"] = {"team": "b"}
        self.create(obj)

        def names(query):
            status, body = self.emu.call("GET", self.BASE + "?" + query)
            self.assertEqual(status, 200, body)
            return sorted(i["metadata"]["name"] for i in body["items"]
                          if i["metadata"]["name"].startswith("sel-"))
        self.assertEqual(names("listOptions.labelSelector=team%3Da"), ["sel-a"])
        self.assertEqual(names("listOptions.labelSelector=team%21%3Da"), ["sel-b"])
        self.assertEqual(names("listOptions.labelSelector=team%20in%20(a,b)"),
                         ["sel-a", "sel-b"])
        self.assertEqual(names("listOptions.labelSelector=tier"), ["sel-a"])
        self.assertEqual(names("listOptions.labelSelector=%21tier"), ["sel-b"])
        self.assertEqual(names("listOptions.fieldSelector=metadata.name%3Dsel-b"), ["sel-b"])
        status, body = self.emu.call("GET", self.BASE + "?listOptions.labelSelector=%3Dx")
        self.assertEqual((status, body["code"]), (400, 3))
        status, body = self.emu.call("GET", self.BASE + "?listOptions.fieldSelector=spec.x%3D1")
        self.assertEqual((status, body["code"]), (400, 3))

    def test_dry_run_does_not_store(self):
        status, body = self.emu.call("POST", self.BASE, {self.BODY_KEY: self.make("dry"),
                                                         "createOptions": {"dryRun": ["All"]}})
        self.assertEqual(status, 200)
        self.assertEqual(body["metadata"]["name"], "dry")
        self.assertEqual(self.emu.call("GET", self.BASE + "/dry")[0], 404)

    def test_case_insensitive_body_fields(self):
        key = self.BODY_KEY[0].upper() + self.BODY_KEY[1:]
        status, _ = self.emu.call("POST", self.BASE, {key: self.make("casey")})
        self.assertEqual(status, 200)


class WorkflowTemplateTest(TemplateCrudMixin, unittest.TestCase):
    BASE = WFT
    BODY_KEY = "template"
    PLURAL = "workflowtemplates.argoproj.io"
    KIND = "WorkflowTemplate"
    NAMESPACED = True
    GET_NOT_FOUND = 'workflowtemplate.argoproj.io "%s" not found'
    MISSING = (400, {"code": 3, "message": "workflow template was not found in the request body"})

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    @staticmethod
    def make(name):
        return template(name)

    def test_parameter_values_come_back_as_strings(self):
        # AnyString: bools and numbers are kept as their text, like the Go type does
        obj = template("anystring", message=True)
        obj["spec"]["arguments"]["parameters"].append({"name": "n", "value": 1.0,
                                                       "enum": [1, False, "x"]})
        status, created = self.create(obj)
        self.assertEqual(status, 200)
        params = created["spec"]["arguments"]["parameters"]
        self.assertEqual(params[0]["value"], "true")
        self.assertEqual(params[1]["value"], "1")
        self.assertEqual(params[1]["enum"], ["1", "false", "x"])
        status, got = self.emu.call("GET", WFT + "/anystring")
        self.assertEqual(got["spec"]["arguments"]["parameters"][0]["value"], "true")

    @staticmethod
    def mutate(obj):
        obj["spec"]["arguments"]["parameters"][0]["value"] = "changed"

    def test_empty_list_items_is_an_empty_array(self):
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/empty-ns")
        self.assertEqual(status, 200)
        self.assertEqual(body["items"], [])
        self.assertIn("resourceVersion", body["metadata"])

    def test_name_pattern(self):
        for name in ("np-alpha", "np-beta", "np-gamma", "other"):
            self.create(template(name))
        status, body = self.emu.call("GET", WFT + "?namePattern=np-&listOptions.limit=2")
        self.assertEqual(status, 200)
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["np-alpha", "np-beta"])
        cont = body["metadata"]["continue"]
        self.assertEqual(cont, body["items"][-1]["metadata"]["resourceVersion"])
        status, body = self.emu.call("GET", WFT + "?namePattern=np-&listOptions.limit=2"
                                     "&listOptions.continue=" + cont)
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["np-gamma"])
        self.assertNotIn("continue", body["metadata"])

    def test_validation(self):
        bad = template("bad")
        bad["spec"]["templates"][0]["container"]["image"] = ""
        status, body = self.create(bad)
        self.assertEqual(status, 400)
        self.assertEqual(body["message"], "templates.main.container.image may not be empty")
        bad = template("bad")
        del bad["spec"]["templates"][0]["container"]
        status, body = self.create(bad)
        self.assertEqual(status, 400)
        self.assertIn("template type unspecified", body["message"])
        bad = template("bad")
        bad["spec"]["entrypoint"] = "nope"
        status, body = self.create(bad)
        self.assertEqual((status, body["message"]), (400, "template name 'nope' undefined"))
        # a workflow template may leave parameter values to submission time
        ok = template("no-value")
        del ok["spec"]["arguments"]["parameters"][0]["value"]
        self.assertEqual(self.create(ok)[0], 200)

    def test_lint(self):
        status, body = self.emu.call("POST", WFT + "/lint", {"template": template("linted")})
        self.assertEqual(status, 200)
        self.assertEqual(body["metadata"]["name"], "linted")
        self.assertEqual(self.emu.call("GET", WFT + "/linted")[0], 404)
        bad = template("linted")
        bad["spec"]["entrypoint"] = "nope"
        status, body = self.emu.call("POST", WFT + "/lint", {"template": bad})
        self.assertEqual((status, body["code"]), (400, 3))

    def test_typed_defaults_in_replies(self):
        status, body = self.create(template("typed"))
        tmpl = body["spec"]["templates"][0]
        self.assertEqual(tmpl["metadata"], {})
        self.assertEqual(tmpl["outputs"], {})
        self.assertEqual(tmpl["container"]["resources"], {})

    def test_namespace_mismatch(self):
        obj = template("elsewhere")
        obj["metadata"]["namespace"] = "other"
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        self.assertIn("does not match the namespace", body["message"])

    def test_html_special_characters_are_escaped_like_go(self):
        status, headers, raw = self.emu.request("POST", WFT, {"template": template(
            "escaped", message="a<b>&c")})
        self.assertEqual(status, 200)
        self.assertIn(b"a\\u003cb\\u003e\\u0026c", raw)


class ClusterWorkflowTemplateTest(TemplateCrudMixin, unittest.TestCase):
    BASE = CWFT
    BODY_KEY = "template"
    PLURAL = "clusterworkflowtemplates.argoproj.io"
    KIND = "ClusterWorkflowTemplate"
    NAMESPACED = False
    GET_NOT_FOUND = 'clusterworkflowtemplate.argoproj.io "%s" not found'
    MISSING = (400, {"code": 3,
                     "message": "cluster workflow template was not found in the request body"})

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def create(self, obj):
        return self.emu.call("POST", self.BASE, {self.BODY_KEY: obj})

    @staticmethod
    def make(name):
        return template(name)

    @staticmethod
    def mutate(obj):
        obj["spec"]["arguments"]["parameters"][0]["value"] = "changed"

    def test_lint(self):
        status, body = self.emu.call("POST", CWFT + "/lint", {"template": template("lint-c")})
        self.assertEqual(status, 200)


class CronWorkflowTest(TemplateCrudMixin, unittest.TestCase):
    BASE = CRON
    BODY_KEY = "cronWorkflow"
    PLURAL = "cronworkflows.argoproj.io"
    KIND = "CronWorkflow"
    NAMESPACED = True
    GET_NOT_FOUND = 'cronworkflows.argoproj.io "%s" not found'
    MISSING = (404, {"code": 5, "message": "cronWorkflow was not found in the request body"})

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    @staticmethod
    def make(name):
        return cron(name)

    @staticmethod
    def mutate(obj):
        obj["spec"]["schedules"] = ["0 * * * *"]

    def test_suspend_resume(self):
        self.create(cron("sus"))
        status, body = self.emu.call("PUT", CRON + "/sus/suspend", {})
        self.assertEqual((status, body["spec"]["suspend"]), (200, True))
        status, body = self.emu.call("PUT", CRON + "/sus/resume")
        self.assertEqual((status, body["spec"]["suspend"]), (200, False))
        status, body = self.emu.call("PUT", CRON + "/nope/suspend")
        self.assertEqual(status, 404)

    def test_validation(self):
        status, body = self.create(cron("bad-cron", schedule="every day"))
        self.assertEqual(status, 400)
        self.assertIn("cron schedule every day is malformed", body["message"])
        obj = cron("both")
        obj["spec"]["schedule"] = "* * * * *"
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        obj = cron("no-entry")
        del obj["spec"]["workflowSpec"]["entrypoint"]
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        self.assertEqual(body["message"], "cannot validate Workflow: spec.entrypoint is required")
        obj = cron("x" * 53)
        status, body = self.create(obj)
        self.assertEqual(status, 400)
        self.assertIn("must not be more than 52 characters", body["message"])

    def test_lint(self):
        status, body = self.emu.call("POST", CRON + "/lint", {"cronWorkflow": cron("lc")})
        self.assertEqual(status, 200)
        status, body = self.emu.call("POST", CRON + "/lint",
                                     {"cronWorkflow": cron("lc", "bad")})
        self.assertEqual(status, 400)


class OpaqueTokenTest(unittest.TestCase):
    def test_continue_token_looks_like_kubernetes(self):
        with Emulator(step_seconds=0) as emu:
            for name in ("a", "b"):
                emu.call("POST", WFT, {"template": template(name)})
            status, body = emu.call("GET", WFT + "?listOptions.limit=1")
            token = body["metadata"]["continue"]
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            self.assertEqual(decoded["v"], "meta.k8s.io/v1")
            self.assertTrue(re.match(r"^argo/a", decoded["start"]))


if __name__ == "__main__":
    unittest.main()
