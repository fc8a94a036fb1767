"""Events and WorkflowEventBindings, the selector subset, and seed loading."""

import os
import shutil
import sys
import tempfile
import unittest

from emulator_fixture import Emulator, HERE, SEED_DIR

sys.path.insert(0, HERE)
from argoemu import events  # noqa: E402


class SelectorTest(unittest.TestCase):
    ENV = {"namespace": "argo", "discriminator": "github",
           "payload": {"ref": "refs/heads/main", "n": 3, "list": [1, 2], "nested": {"a": "b"}},
           "metadata": {"x-github-event": ["push"]}}

    def ev(self, text):
        return events.evaluate(text, self.ENV)

    def test_subset(self):
        self.assertTrue(self.ev('discriminator == "github"'))
        self.assertTrue(self.ev("payload.ref == 'refs/heads/main'"))
        self.assertTrue(self.ev('metadata["x-github-event"] == ["push"]'))
        self.assertTrue(self.ev('payload.nested["a"] == "b" && payload.n == 3'))
        self.assertTrue(self.ev('payload.n != 4 and not (payload.n == 4)'))
        self.assertTrue(self.ev('"push" in metadata["x-github-event"]'))
        self.assertTrue(self.ev("payload.list[1] == 2"))
        self.assertTrue(self.ev('payload.missing == nil || false'))
        self.assertFalse(self.ev('namespace == "other"'))
        self.assertEqual(self.ev("payload.nested"), {"a": "b"})

    def test_errors(self):
        for bad in ('sprig.trim(payload.ref) == "x"', "payload.n + 1", 'payload.ref ==',
                    "unknown == 1", '"a" in "b"'):
            with self.assertRaises(events.SelectorError, msg=bad):
                self.ev(bad)


class EventsWithSeedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        os.makedirs(os.path.join(cls.tmp, "argo"))
        with open(os.path.join(cls.tmp, "argo", "objects.yaml"), "w") as fh:
            fh.write("""
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: echo-it}
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
metadata: {name: on-push}
spec:
  event:
    selector: payload.ref == "main" && metadata["x-event"] == ["push"]
  submit:
    workflowTemplateRef: {name: echo-it}
    metadata: {labels: {from: event}}
    arguments:
      parameters:
        - name: message
          valueFrom: {event: payload.text}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowEventBinding
metadata: {name: broken}
spec:
  event:
    selector: discriminator == "broken" && sprig.upper(payload.x) == "X"
""")
        cls.emu = Emulator(tokens=["secret", "limited=team-z"], step_seconds=0,
                           seed=cls.tmp).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tmp)

    def workflows(self):
        status, body = self.emu.call("GET", "/api/v1/workflows/argo")
        return body["items"] or []

    def test_matching_event_submits_the_template(self):
        before = len(self.workflows())
        status, body = self.emu.call("POST", "/api/v1/events/argo/anything",
                                     {"ref": "main", "text": "from the event"},
                                     headers={"X-Event": "push"})
        self.assertEqual((status, body), (200, {}))
        items = self.workflows()
        self.assertEqual(len(items), before + 1)
        wf = [w for w in items if w["metadata"]["labels"].get("from") == "event"][0]
        labels = wf["metadata"]["labels"]
        self.assertEqual(labels["workflows.argoproj.io/workflow-event-binding"], "on-push")
        self.assertEqual(labels["workflows.argoproj.io/workflow-template"], "echo-it")
        self.assertTrue(wf["metadata"]["name"].startswith("echo-it-"))
        self.assertEqual(wf["spec"]["arguments"]["parameters"],
                         [{"name": "message", "value": '"from the event"'}])
        self.emu.ticks(2)
        status, messages = self.emu.stream_messages(
            "/api/v1/workflows/argo/%s/log?logOptions.container=main" % wf["metadata"]["name"])
        self.assertEqual([m["result"]["content"] for m in messages], ['"from the event"'])

    def test_non_matching_event_is_accepted_and_ignored(self):
        before = len(self.workflows())
        for body, headers in (({"ref": "dev"}, {"X-Event": "push"}),
                              ({"ref": "main"}, {"X-Event": "tag"})):
            status, reply = self.emu.call("POST", "/api/v1/events/argo/d", body,
                                          headers=headers)
            self.assertEqual((status, reply), (200, {}))
        self.assertEqual(len(self.workflows()), before)
        # any JSON is a payload; without bindings nothing is evaluated
        for body in ([1, 2, 3], "just a string", None):
            status, reply = self.emu.call("POST", "/api/v1/events/no-bindings/d", body)
            self.assertEqual((status, reply), (200, {}))
        # a selector that cannot be evaluated on the payload fails the dispatch
        status, reply = self.emu.call("POST", "/api/v1/events/argo/d", [1, 2, 3])
        self.assertEqual((status, reply["code"]), (500, 13))

    def test_empty_discriminator_needs_trailing_slash(self):
        self.assertEqual(self.emu.call("POST", "/api/v1/events/argo/", {})[0], 200)
        self.assertEqual(self.emu.call("POST", "/api/v1/events/argo", {})[0], 501)

    def test_selector_evaluation_error_is_500(self):
        status, body = self.emu.call("POST", "/api/v1/events/argo/broken", {"x": "x"})
        self.assertEqual((status, body["code"]), (500, 13))

    def test_auth_and_rights(self):
        # without Authorization the webhook interceptor runs first; this seed has no
        # argo-workflows-webhook-clients Secret, so it fails the request (test_webhooks.py)
        status, headers, body = self.emu.request("POST", "/api/v1/events/argo/d", {}, token=None)
        self.assertEqual((status, body), (403, b'{"message": "failed to process webhook request"}'))
        self.assertEqual(self.emu.call("POST", "/api/v1/events/argo/d", {}, token="bad")[0], 401)
        # no binding matched: nothing to create, so no rights needed
        self.assertEqual(self.emu.call("POST", "/api/v1/events/argo/d", {"ref": "x"},
                                       token="limited")[0], 200)
        status, body = self.emu.call("POST", "/api/v1/events/argo/d",
                                     {"ref": "main", "text": "t"}, token="limited",
                                     headers={"X-Event": "push"})
        self.assertEqual((status, body["code"]), (403, 7))

    def test_list_bindings(self):
        status, body = self.emu.call("GET", "/api/v1/workflow-event-bindings/argo")
        self.assertEqual(status, 200)
        self.assertEqual([b["metadata"]["name"] for b in body["items"]], ["broken", "on-push"])
        self.assertEqual(body["items"][0]["kind"], "WorkflowEventBinding")
        status, body = self.emu.call("GET", "/api/v1/workflow-event-bindings/argo?"
                                     "listOptions.limit=1")
        self.assertIn("continue", body["metadata"])
        status, body = self.emu.call("GET", "/api/v1/workflow-event-bindings/nothing")
        self.assertEqual(body["items"], [])


class ProjectSeedTest(unittest.TestCase):
    """The seed shipped in tests/emulator/seed (what the demo uses)."""

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(step_seconds=0, seed=SEED_DIR).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def test_namespaces_and_kinds(self):
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/argo")
        names = [i["metadata"]["name"] for i in body["items"]]
        self.assertIn("hello-template", names)
        self.assertGreaterEqual(len(names), 3)
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/team-a")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["team-a-etl"])
        status, body = self.emu.call("GET", "/api/v1/cluster-workflow-templates")
        self.assertTrue(body["items"])
        status, body = self.emu.call("GET", "/api/v1/cron-workflows/argo")
        self.assertTrue(body["items"])
        status, body = self.emu.call("GET", "/api/v1/workflow-event-bindings/argo")
        self.assertTrue(body["items"])

    def test_finished_workflows_with_logs(self):
        status, body = self.emu.call("GET", "/api/v1/workflows/argo")
        phases = {i["metadata"]["name"]: i["status"]["phase"] for i in body["items"]}
        self.assertIn("Failed", phases.values())
        self.assertGreaterEqual(list(phases.values()).count("Succeeded"), 2)
        for name, phase in phases.items():
            status, wf = self.emu.call("GET", "/api/v1/workflows/argo/" + name)
            self.assertTrue(wf["status"]["nodes"], name)
            self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/completed"],
                             "true")
            status, messages = self.emu.stream_messages(
                "/api/v1/workflows/argo/%s/log?logOptions.container=main" % name)
            self.assertTrue(messages, name)

    def test_create_then_submit_hello_template(self):
        status, wf = self.emu.call("POST", "/api/v1/workflows/argo/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "hello-template",
            "submitOptions": {"parameters": ["message=seeded hello"]}})
        self.assertEqual(status, 200)
        self.emu.ticks(2)
        status, messages = self.emu.stream_messages(
            "/api/v1/workflows/argo/%s/log?logOptions.container=main" % wf["metadata"]["name"])
        self.assertEqual([m["result"]["content"] for m in messages], ["seeded hello"])

    def test_github_push_binding(self):
        status, _ = self.emu.call("POST", "/api/v1/events/argo/github", {
            "ref": "refs/heads/main", "head_commit": {"message": "fix typo"}},
            headers={"X-GitHub-Event": "push"})
        self.assertEqual(status, 200)
        status, body = self.emu.call(
            "GET", "/api/v1/workflows/argo?listOptions.labelSelector="
            "workflows.argoproj.io/workflow-event-binding%3Don-push-to-main")
        self.assertEqual(len(body["items"]), 1)


class SeedRulesTest(unittest.TestCase):
    def test_live_annotation_and_directory_namespace(self):
        tmp = tempfile.mkdtemp()
        try:
            os.makedirs(os.path.join(tmp, "ns-from-dir"))
            with open(os.path.join(tmp, "ns-from-dir", "wf.yml"), "w") as fh:
                fh.write("""
kind: Workflow
metadata:
  name: live-one
  annotations: {emulator.argofs/run: live}
spec:
  entrypoint: main
  templates: [{name: main, container: {image: x, command: [echo, hi]}}]
""")
            with Emulator(step_seconds=0, seed=tmp) as emu:
                status, wf = emu.call("GET", "/api/v1/workflows/ns-from-dir/live-one")
                self.assertEqual(status, 200)
                self.assertEqual(wf["status"]["phase"], "Pending")
                self.assertNotIn("annotations", wf["metadata"])
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
