"""The simulated controller: phases, nodes, logs, failures, parameters, actions."""

import sys
import time
import unittest

from emulator_fixture import Emulator, HERE
from test_templates import template
from test_workflows import workflow

sys.path.insert(0, HERE)
from argoemu import controller as ctl  # noqa: E402

WF = "/api/v1/workflows/argo"


def logs(emu, name, query="logOptions.container=main"):
    status, messages = emu.stream_messages("%s/%s/log?%s" % (WF, name, query))
    assert status == 200, status
    return [m["result"]["content"] for m in messages if "result" in m]


def steps_workflow(name, groups, extra_templates=()):
    """groups: [[(step name, command list)]]"""
    templates = [{"name": "main", "steps": [[{"name": s, "template": "t-" + s}
                                             for s, _ in group] for group in groups]}]
    for group in groups:
        for s, cmd in group:
            templates.append({"name": "t-" + s,
                              "container": {"image": "alpine", "command": list(cmd)}})
    templates.extend(extra_templates)
    return {"metadata": {"name": name}, "spec": {"entrypoint": "main", "templates": templates}}


class SimulateTest(unittest.TestCase):
    """What a container prints (pure function)."""

    def check(self, tmpl, lines, code=0):
        self.assertEqual(ctl.simulate(tmpl), (lines, code))

    def test_commands(self):
        self.check({"container": {"command": ["echo"], "args": ["hello", "world"]}},
                   ["hello world"])
        self.check({"container": {"command": ["cowsay"], "args": ["moo"]}}, ["moo"])
        self.check({"container": {"command": ["sh", "-c"],
                                  "args": ["echo one; echo 'two words' && exit 3; echo no"]}},
                   ["one", "two words"], 3)
        self.check({"container": {"command": ["sh", "-c", "echo x > /tmp/f; echo -n y"]}},
                   ["y"])
        self.check({"container": {"command": ["sh", "-c", "exit 0; echo no"]}}, [])
        self.check({"container": {"image": "x"}}, [])
        self.check({"container": {"command": ["printf"], "args": ["a %s\\nb", "1"]}},
                   ["a 1", "b"])

    def test_scripts(self):
        self.check({"script": {"command": ["python"],
                               "source": "print('hi')\nx = 1\nprint(\"there\")\nsys.exit(4)"}},
                   ["hi", "there"], 4)
        self.check({"script": {"command": ["bash"], "source": "echo a\nexit 1\necho b"}},
                   ["a"], 1)
        self.check({"script": {"command": ["node"], "source": "console.log('n');"}}, ["n"])

    def test_ids_and_pod_names(self):
        self.assertEqual(ctl.fnv32a(""), 0x811C9DC5)
        self.assertEqual(ctl.node_id("wf", "wf"), "wf")
        self.assertEqual(ctl.node_id("wf", "wf[0].a"), "wf-%d" % ctl.fnv32a("wf[0].a"))
        self.assertEqual(ctl.pod_name("wf", "wf[0].a", "tmpl"),
                         "wf-tmpl-%d" % ctl.fnv32a("wf[0].a"))
        self.assertEqual(ctl.substitute({"a": ["{{ x }} {{y}}"]}, {"x": "1"}),
                         {"a": ["1 {{y}}"]})


class ManualControllerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(tokens=["secret"], step_seconds=0).start()
        cls.emu.call("POST", "/api/v1/workflow-templates/argo",
                     {"template": template("hello-template", message="default message")})

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def create(self, wf):
        status, body = self.emu.call("POST", WF, {"workflow": wf})
        self.assertEqual(status, 200, body)
        return body["metadata"]["name"]

    def get(self, name):
        status, body = self.emu.call("GET", WF + "/" + name)
        self.assertEqual(status, 200, body)
        return body

    def test_single_container_lifecycle(self):
        name = self.create(workflow("single", command=("echo", "hello there")))
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Pending")
        self.assertIsNone(wf["status"]["startedAt"])
        self.emu.ticks(1)
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Running")
        self.assertRegex(wf["status"]["startedAt"], r"Z$")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/phase"], "Running")
        node = wf["status"]["nodes"]["single"]
        self.assertEqual((node["type"], node["phase"], node["templateName"], node["displayName"]),
                         ("Pod", "Running", "main", "single"))
        self.assertIsNone(node["finishedAt"])
        self.assertEqual(logs(self.emu, name), ["hello there"])
        self.emu.ticks(1)
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Succeeded")
        self.assertEqual(wf["status"]["progress"], "1/1")
        self.assertRegex(wf["status"]["finishedAt"], r"Z$")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/completed"], "true")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/phase"], "Succeeded")
        node = wf["status"]["nodes"]["single"]
        self.assertEqual(node["phase"], "Succeeded")
        self.assertEqual(node["outputs"], {"exitCode": "0"})
        self.assertEqual([m for m in logs(self.emu, name, "logOptions.container=main&podName="
                                          + name)], ["hello there"])

    def test_steps_and_failure(self):
        name = self.create(steps_workflow("steps-fail", [
            [("first", ["echo", "one"])],
            [("boom", ["sh", "-c", "echo about to fail; exit 1"]), ("ok", ["echo", "fine"])],
            [("never", ["echo", "never"])]]))
        self.emu.ticks(1)   # Running, group 0
        self.emu.ticks(1)   # first done, group 1 started
        wf = self.get(name)
        by_name = {n["name"]: n for n in wf["status"]["nodes"].values()}
        self.assertEqual(by_name[name]["type"], "Steps")
        self.assertEqual(by_name[name + "[0]"]["type"], "StepGroup")
        self.assertEqual(by_name[name + "[0].first"]["phase"], "Succeeded")
        self.assertEqual(by_name[name + "[1].boom"]["phase"], "Running")
        self.assertEqual(by_name[name + "[1].boom"]["boundaryID"], name)
        self.emu.ticks(1)   # boom fails
        wf = self.get(name)
        by_name = {n["name"]: n for n in wf["status"]["nodes"].values()}
        boom = by_name[name + "[1].boom"]
        self.assertEqual((boom["phase"], boom["message"]), ("Failed", "Error (exit code 1)"))
        self.assertEqual(boom["outputs"]["exitCode"], "1")
        self.assertEqual(by_name[name + "[1].ok"]["phase"], "Succeeded")
        self.assertNotIn(name + "[2]", by_name)
        self.assertEqual(wf["status"]["phase"], "Failed")
        self.assertEqual(wf["status"]["message"], "child '%s' failed" % boom["id"])
        self.assertEqual(by_name[name]["phase"], "Failed")
        self.assertEqual(wf["status"]["progress"], "3/3")
        self.assertEqual(sorted(logs(self.emu, name)), ["about to fail", "fine", "one"])

    def test_dag_order(self):
        def task(name, deps=None, depends=None):
            t = {"name": name, "template": "echo",
                 "arguments": {"parameters": [{"name": "m", "value": name}]}}
            if deps:
                t["dependencies"] = deps
            if depends:
                t["depends"] = depends
            return t
        wf = {"metadata": {"name": "dag-1"}, "spec": {"entrypoint": "d", "templates": [
            {"name": "d", "dag": {"tasks": [task("D", depends="B && C.Succeeded"),
                                            task("A"), task("B", ["A"]), task("C", ["A"])]}},
            {"name": "echo", "inputs": {"parameters": [{"name": "m"}]},
             "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.m}}"]}}]}}
        name = self.create(wf)
        order = []
        for _ in range(6):
            self.emu.ticks(1)
            got = logs(self.emu, name)
            order.append(got)
        self.assertEqual(order[0], ["A"])
        self.assertEqual(sorted(order[1]), ["A", "B", "C"])
        self.assertEqual(sorted(order[2]), ["A", "B", "C", "D"])
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Succeeded")
        dag = wf["status"]["nodes"][name]
        self.assertEqual(dag["type"], "DAG")
        self.assertEqual(len(dag["children"]), 4)

    def test_dag_failure_blocks_dependents(self):
        wf = {"metadata": {"name": "dag-fail"}, "spec": {"entrypoint": "d", "templates": [
            {"name": "d", "dag": {"tasks": [
                {"name": "a", "template": "bad"},
                {"name": "b", "template": "good", "dependencies": ["a"]},
                {"name": "c", "template": "good"}]}},
            {"name": "bad", "container": {"image": "x", "command": ["sh", "-c", "exit 2"]}},
            {"name": "good", "container": {"image": "x", "command": ["echo", "ok"]}}]}}
        name = self.create(wf)
        self.emu.ticks(4)
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Failed")
        names = {n["name"] for n in wf["status"]["nodes"].values()}
        self.assertNotIn(name + ".b", names)
        self.assertIn(name + ".c", names)

    def test_parameters_from_template_and_arguments(self):
        status, wf = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "hello-template",
            "submitOptions": {"parameters": ["message=custom text"]}})
        name = wf["metadata"]["name"]
        self.emu.ticks(2)
        self.assertEqual(logs(self.emu, name), ["custom text"])
        wf = self.get(name)
        self.assertEqual(wf["status"]["phase"], "Succeeded")
        self.assertEqual(wf["status"]["storedWorkflowTemplateSpec"]["entrypoint"], "main")
        node = wf["status"]["nodes"][name]
        self.assertEqual(node["inputs"]["parameters"], [{"name": "message",
                                                         "value": "custom text"}])
        status, wf = self.emu.call("POST", WF + "/submit", {
            "resourceKind": "WorkflowTemplate", "resourceName": "hello-template"})
        self.emu.ticks(2)
        self.assertEqual(logs(self.emu, wf["metadata"]["name"]), ["default message"])

    def test_workflow_parameters_and_with_items(self):
        wf = {"metadata": {"name": "items"}, "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "greeting", "value": "hi"}]},
            "templates": [
                {"name": "main", "steps": [[{"name": "say", "template": "say",
                                             "withItems": ["a", "b"],
                                             "arguments": {"parameters": [
                                                 {"name": "who", "value": "{{item}}"}]}}]]},
                {"name": "say", "inputs": {"parameters": [{"name": "who"}]},
                 "container": {"image": "x", "command": ["echo"], "args": [
                     "{{workflow.parameters.greeting}} {{inputs.parameters.who}} "
                     "from {{workflow.name}}"]}}]}}
        name = self.create(wf)
        self.emu.ticks(3)
        self.assertEqual(sorted(logs(self.emu, name)), ["hi a from items", "hi b from items"])
        displays = {n["displayName"] for n in self.get(name)["status"]["nodes"].values()}
        self.assertTrue({"say(0:a)", "say(1:b)"} <= displays)

    def test_script_result_feeds_next_step(self):
        wf = {"metadata": {"name": "results"}, "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [
                [{"name": "gen", "template": "gen"}],
                [{"name": "use", "template": "use", "arguments": {"parameters": [
                    {"name": "v", "value": "{{steps.gen.outputs.result}}"}]}}]]},
            {"name": "gen", "script": {"image": "python", "command": ["python"],
                                       "source": "print('42')"}},
            {"name": "use", "inputs": {"parameters": [{"name": "v"}]},
             "container": {"image": "x", "command": ["echo", "got {{inputs.parameters.v}}"]}}]}}
        name = self.create(wf)
        self.emu.ticks(4)
        self.assertEqual(logs(self.emu, name), ["42", "got 42"])

    def test_suspend_resume_and_refusals(self):
        name = self.create(steps_workflow("susp", [[("a", ["echo", "a"])],
                                                   [("b", ["echo", "b"])]]))
        self.emu.ticks(1)
        status, wf = self.emu.call("PUT", WF + "/susp/suspend", {})
        self.assertEqual((status, wf["spec"]["suspend"]), (200, True))
        self.emu.ticks(5)
        self.assertEqual(self.get(name)["status"]["phase"], "Running")
        self.assertEqual(logs(self.emu, name), ["a"])
        status, wf = self.emu.call("PUT", WF + "/susp/resume", {})
        self.assertEqual(status, 200)
        self.assertNotIn("suspend", wf["spec"])
        self.emu.ticks(3)
        self.assertEqual(self.get(name)["status"]["phase"], "Succeeded")
        status, body = self.emu.call("PUT", WF + "/susp/suspend")
        self.assertEqual((status, body), (400, {"code": 3,
                                                "message": "cannot suspend completed workflows"}))
        self.assertEqual(self.emu.call("PUT", WF + "/susp/resume")[0], 200)
        for action in ("stop", "terminate"):
            status, body = self.emu.call("PUT", WF + "/susp/" + action)
            self.assertEqual((status, body), (500, {"code": 13, "message":
                                                    'cannot shutdown a completed workflow: '
                                                    'workflow: "susp", namespace: "argo"'}))
        status, body = self.emu.call("PUT", WF + "/nope/stop")
        self.assertEqual(status, 404)

    def test_suspend_template_and_set(self):
        wf = {"metadata": {"name": "approve"}, "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "wait", "template": "wait"}],
                                       [{"name": "after", "template": "say"}]]},
            {"name": "wait", "suspend": {},
             "outputs": {"parameters": [{"name": "answer", "valueFrom": {"supplied": {}}}]}},
            {"name": "say", "container": {"image": "x", "command": ["echo", "after"]}}]}}
        name = self.create(wf)
        self.emu.ticks(3)
        wf = self.get(name)
        wait = [n for n in wf["status"]["nodes"].values() if n["type"] == "Suspend"][0]
        self.assertEqual(wait["phase"], "Running")
        status, body = self.emu.call("PUT", WF + "/approve/set", {"phase": "Running"})
        self.assertEqual((status, body["code"]), (400, 3))
        status, body = self.emu.call("PUT", WF + "/approve/set", {"message": "x"})
        self.assertEqual((status, body["code"]), (500, 13))
        status, body = self.emu.call("PUT", WF + "/approve/set", {
            "nodeFieldSelector": "displayName=nothing", "phase": "Succeeded"})
        self.assertEqual(status, 500)
        self.assertIn("no suspend nodes matching nodeFieldSelector", body["message"])
        status, body = self.emu.call("PUT", WF + "/approve/set", {
            "nodeFieldSelector": "displayName=wait", "outputParameters": '{"answer":"yes"}',
            "message": "approved"})
        self.assertEqual(status, 200, body)
        node = body["status"]["nodes"][wait["id"]]
        self.assertEqual(node["outputs"]["parameters"][0]["value"], "yes")
        self.assertEqual(node["message"], "approved")
        status, body = self.emu.call("PUT", WF + "/approve/resume", {
            "nodeFieldSelector": "displayName=wait"})
        self.assertEqual(status, 200)
        self.emu.ticks(3)
        self.assertEqual(self.get(name)["status"]["phase"], "Succeeded")
        self.assertEqual(logs(self.emu, name), ["after"])

    def test_stop_and_terminate_running(self):
        for action, strategy in (("terminate", "Terminate"), ("stop", "Stop")):
            name = self.create(workflow("shut-" + action, command=("echo", "x")))
            self.emu.ticks(1)
            status, wf = self.emu.call("PUT", "%s/%s/%s" % (WF, name, action), {})
            self.assertEqual(status, 200)
            self.assertEqual(wf["spec"]["shutdown"], strategy)
            self.assertEqual(wf["status"]["phase"], "Failed")
            self.assertEqual(wf["status"]["message"], "Stopped with strategy '%s'" % strategy)
            self.assertEqual(wf["status"]["nodes"][name]["phase"], "Failed")

    def test_retry(self):
        name = self.create(steps_workflow("retry-me", [[("ok", ["echo", "ok"])],
                                                       [("bad", ["sh", "-c", "exit 1"])]]))
        status, body = self.emu.call("PUT", WF + "/retry-me/retry", {})
        self.assertEqual((status, body), (400, {"code": 3, "message":
                                                "Cannot retry a workflow in phase Pending"}))
        self.emu.ticks(4)
        self.assertEqual(self.get(name)["status"]["phase"], "Failed")
        status, wf = self.emu.call("PUT", WF + "/retry-me/retry", {"parameters": ["p=1"]})
        self.assertEqual(status, 200, wf)
        self.assertEqual(wf["status"]["phase"], "Running")
        self.assertNotIn(name + "[1].bad", {n["name"] for n in wf["status"]["nodes"].values()})
        kept = [n for n in wf["status"]["nodes"].values() if n["name"] == name + "[0].ok"]
        self.assertEqual(kept[0]["phase"], "Succeeded")
        self.assertEqual(wf["metadata"]["labels"]["workflows.argoproj.io/phase"], "Running")
        self.assertNotIn("workflows.argoproj.io/completed", wf["metadata"]["labels"])
        self.emu.ticks(3)
        self.assertEqual(self.get(name)["status"]["phase"], "Failed")
        self.assertEqual(logs(self.emu, name), ["ok"])
        succeeded = self.create(workflow("retry-ok"))
        self.emu.ticks(3)
        status, body = self.emu.call("PUT", "%s/%s/retry" % (WF, succeeded), {})
        self.assertEqual((status, body["message"]),
                         (400, "To retry a succeeded workflow, set the options "
                               "restartSuccessful and nodeFieldSelector"))
        status, body = self.emu.call("PUT", "%s/%s/retry" % (WF, succeeded), {
            "restartSuccessful": True, "nodeFieldSelector": "displayName=retry-ok"})
        self.assertEqual(status, 200)
        self.emu.ticks(3)
        self.assertEqual(self.get(succeeded)["status"]["phase"], "Succeeded")

    def test_resubmit(self):
        name = self.create(workflow("orig", command=("echo", "x")))
        status, body = self.emu.call("PUT", WF + "/orig/resubmit", {"memoized": True})
        self.assertEqual((status, body["message"]),
                         (400, "workflow must be Failed/Error to resubmit in memoized mode"))
        status, new = self.emu.call("PUT", WF + "/orig/resubmit", {"parameters": ["a=b"]})
        self.assertEqual(status, 200)
        self.assertRegex(new["metadata"]["name"], r"^orig-[a-z0-9]{5}$")
        labels = new["metadata"]["labels"]
        self.assertEqual(labels["workflows.argoproj.io/resubmitted-from-workflow"], "orig")
        self.assertEqual(new["spec"]["arguments"]["parameters"], [{"name": "a", "value": "b"}])
        self.emu.ticks(2)
        self.assertEqual(self.get(new["metadata"]["name"])["status"]["phase"], "Succeeded")
        self.assertEqual(name, "orig")

    def test_logs_options(self):
        name = self.create({"metadata": {"name": "many-lines"}, "spec": {
            "entrypoint": "main", "templates": [{"name": "main", "container": {
                "image": "x", "command": ["sh", "-c"],
                "args": ["echo alpha; echo beta; echo gamma; echo delta"]}}]}})
        self.emu.ticks(2)
        self.assertEqual(logs(self.emu, name), ["alpha", "beta", "gamma", "delta"])
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&grep=ta$"),
                         ["beta", "delta"])
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&grep=^g"), ["gamma"])
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&logOptions.tailLines=2"),
                         ["gamma", "delta"])
        self.assertEqual(logs(self.emu, name, ""), [])
        self.assertEqual(logs(self.emu, name, "logOptions.container=wait"), [])
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&podName=other"), [])
        stamped = logs(self.emu, name, "logOptions.container=main&logOptions.timestamps=true")
        self.assertRegex(stamped[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z alpha$")
        future = int(time.time()) + 3600
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&"
                              "logOptions.sinceTime.seconds=%d" % future), [])
        self.assertEqual(logs(self.emu, name, "logOptions.container=main&"
                              "logOptions.limitBytes=12"), ["alpha", "beta"])
        # the deprecated per-pod route
        status, messages = self.emu.stream_messages("%s/%s/%s/log?logOptions.container=main"
                                                    % (WF, name, name))
        self.assertEqual([m["result"]["content"] for m in messages][:1], ["alpha"])
        self.assertEqual(messages[0]["result"]["podName"], name)
        status, body = self.emu.call("GET", WF + "/nope/log?logOptions.container=main")
        self.assertEqual((status, body["code"]), (404, 5))
        status, messages = self.emu.stream_messages(
            "%s/%s/log?logOptions.container=main&grep=(" % (WF, name))
        self.assertEqual(status, 200)
        self.assertEqual(messages[-1]["error"]["grpc_code"], 13)


class TimedControllerTest(unittest.TestCase):
    def test_step_seconds_drive_the_clock(self):
        with Emulator(tokens=["secret"], step_seconds=0.1) as emu:
            status, wf = emu.call("POST", WF, {"workflow": steps_workflow(
                "timed", [[("a", ["echo", "a"])], [("b", ["echo", "b"])]])})
            start = time.monotonic()
            done = emu.wait_workflow("argo", "timed", timeout=10)
            elapsed = time.monotonic() - start
            self.assertEqual(done["status"]["phase"], "Succeeded")
            # Running at +0.1, a done at +0.2, b done at +0.3
            self.assertGreaterEqual(elapsed, 0.25)
            self.assertEqual(logs(emu, "timed"), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
