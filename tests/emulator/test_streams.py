"""Streaming: log follow, the workflow watch in chunked-JSON and SSE form, envelope fields."""

import http.client
import json
import sys
import threading
import unittest
import urllib.parse

from emulator_fixture import Emulator, HERE
from test_workflows import workflow
from test_controller import steps_workflow

WF = "/api/v1/workflows/argo"
WATCH = "/api/v1/workflow-events/argo"


def read_json_messages(reply, count):
    out = []
    while len(out) < count:
        line = reply.readline()
        if not line:
            break
        if line.strip():
            out.append(json.loads(line))
    return out


def read_sse_messages(reply, count):
    """Parse `data: ...` lines like the argo CLI (skips lines of 6 bytes or fewer)."""
    out = []
    while len(out) < count:
        line = reply.readline()
        if not line:
            break
        if len(line) <= 6:
            continue
        assert line.startswith(b"data: "), line
        out.append(json.loads(line[len(b"data: "):]))
    return out


class LogFollowTest(unittest.TestCase):
    def test_follow_streams_until_the_workflow_ends(self):
        with Emulator(step_seconds=0.15) as emu:
            emu.call("POST", WF, {"workflow": steps_workflow(
                "followed", [[("a", ["echo", "first"])], [("b", ["echo", "second"])],
                             [("c", ["echo", "third"])]])})
            status, headers, reply = emu.stream(
                WF + "/followed/log?logOptions.container=main&logOptions.follow=true")
            try:
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertEqual(headers["transfer-encoding"], "chunked")
                self.assertIn("grpc-metadata-argo-version", headers)
                body = reply.read()   # returns only once the stream has ended
            finally:
                reply.close()
            lines = [json.loads(l)["result"]["content"] for l in body.decode().splitlines()]
            self.assertEqual(lines, ["first", "second", "third"])
            status, wf = emu.call("GET", WF + "/followed")
            self.assertEqual(wf["status"]["phase"], "Succeeded")

    def test_follow_sse(self):
        with Emulator(step_seconds=0.05) as emu:
            emu.call("POST", WF, {"workflow": workflow("sse-log", command=("echo", "x y"))})
            status, headers, reply = emu.stream(
                WF + "/sse-log/log?logOptions.container=main&logOptions.follow=true",
                headers={"Accept": "text/event-stream"})
            try:
                self.assertEqual(headers["content-type"], "text/event-stream")
                raw = reply.read()
            finally:
                reply.close()
            self.assertEqual(raw, b'data: {"result":{"content":"x y","podName":"sse-log"}}'
                                  b' \n\n\n')


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.emu = Emulator(step_seconds=0).start()
        self.emu.call("POST", WF, {"workflow": workflow("existing")})

    def tearDown(self):
        self.emu.stop()

    def test_json_watch_sends_added_then_changes(self):
        status, headers, reply = self.emu.stream(WATCH)
        try:
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/json")
            first = read_json_messages(reply, 1)[0]
            self.assertEqual(first["result"]["type"], "ADDED")
            self.assertEqual(first["result"]["object"]["metadata"]["name"], "existing")
            self.assertNotIn("kind", first["result"]["object"])
            self.emu.call("POST", WF, {"workflow": workflow("new-one")})
            events = read_json_messages(reply, 2)
            self.assertEqual([(e["result"]["type"], e["result"]["object"]["metadata"]["name"])
                              for e in events], [("ADDED", "new-one"), ("MODIFIED", "new-one")])
            self.assertEqual(events[1]["result"]["object"]["status"]["phase"], "Pending")
            self.emu.call("DELETE", WF + "/new-one")
            deleted = read_json_messages(reply, 1)[0]
            self.assertEqual(deleted["result"]["type"], "DELETED")
            self.emu.control("POST", "watches/close")
            end = read_json_messages(reply, 1)[0]
            self.assertEqual(end, {"error": {"grpc_code": 8, "http_code": 429, "message": "EOF",
                                             "http_status": "Too Many Requests"}})
            self.assertEqual(reply.read(), b"")
        finally:
            reply.close()

    def test_watch_resumes_from_a_resource_version_until_compacted(self):
        rv = self.emu.call("GET", WF)[1]["metadata"]["resourceVersion"]
        self.emu.call("POST", WF, {"workflow": workflow("after-list")})
        status, _, reply = self.emu.stream(WATCH + "?listOptions.resourceVersion=" + rv)
        try:
            self.assertEqual(status, 200)
            first = read_json_messages(reply, 1)[0]
            self.assertEqual((first["result"]["type"], first["result"]["object"]["metadata"]["name"]),
                             ("ADDED", "after-list"))
        finally:
            reply.close()
        compacted = self.emu.control("POST", "watches/compact")["compacted_resource_version"]
        self.assertGreater(int(compacted), int(rv))
        status, _, reply = self.emu.stream(WATCH + "?listOptions.resourceVersion=" + rv)
        try:
            self.assertEqual(status, 200)
            self.assertEqual(read_json_messages(reply, 1)[0], {"error": {
                "grpc_code": 13, "http_code": 500, "http_status": "Internal Server Error",
                "message": "too old resource version: %s (%s)" % (rv, compacted)}})
            self.assertEqual(reply.read(), b"")
        finally:
            reply.close()
        # from the compacted version on, nothing is missing
        status, _, reply = self.emu.stream(WATCH + "?listOptions.resourceVersion=" + compacted)
        try:
            self.emu.call("DELETE", WF + "/after-list")
            deleted = read_json_messages(reply, 1)[0]
            self.assertEqual(deleted["result"]["type"], "DELETED")
        finally:
            reply.close()

    def test_a_token_without_watch_may_list_but_not_watch(self):
        with Emulator(tokens=["secret", "lister;nowatch"]) as emu:
            status, _ = emu.call("GET", WF, token="lister")
            self.assertEqual(status, 200)
            status, body = emu.call("GET", WATCH, token="lister")
            self.assertEqual(status, 403)
            self.assertEqual(body["code"], 7)
            self.assertIn('cannot watch resource "workflows"', body["message"])

    def test_sse_watch_with_fields_applies_to_the_envelope(self):
        fields = "result.type,result.object.metadata.name,result.object.status.phase"
        status, headers, reply = self.emu.stream(WATCH + "?fields=" + fields,
                                                 headers={"Accept": "text/event-stream"})
        try:
            self.assertEqual(headers["content-type"], "text/event-stream")
            first = read_sse_messages(reply, 1)[0]
            self.assertEqual(first, {"result": {"type": "ADDED", "object": {
                "metadata": {"name": "existing"}, "status": {"phase": "Pending"}}}})
        finally:
            reply.close()
        # a bare path does not start with "result." and strips everything
        status, headers, reply = self.emu.stream(WATCH + "?fields=metadata.name")
        try:
            self.assertEqual(read_json_messages(reply, 1)[0], {})
        finally:
            reply.close()

    def test_field_selector_name_and_errors(self):
        self.emu.call("POST", WF, {"workflow": workflow("other")})
        status, _, reply = self.emu.stream(WATCH + "?listOptions.fieldSelector="
                                           "metadata.name%3Dexisting")
        try:
            first = read_json_messages(reply, 1)[0]
            self.assertEqual(first["result"]["object"]["metadata"]["name"], "existing")
            self.emu.control("POST", "controller", {"ticks": 1})
            nxt = read_json_messages(reply, 1)[0]
            self.assertEqual(nxt["result"]["object"]["metadata"]["name"], "existing")
            self.assertEqual(nxt["result"]["type"], "MODIFIED")
        finally:
            reply.close()
        status, body = self.emu.call("GET", WATCH + "?listOptions.fieldSelector="
                                     "metadata.name%3Dmissing")
        self.assertEqual((status, body["code"]), (404, 5))
        status, body = self.emu.call("GET", WATCH, token="bad")
        self.assertEqual(status, 401)
        status, _, reply = self.emu.stream(WATCH + "?listOptions.fieldSelector="
                                           "metadata.name%3D%40latest")
        try:
            self.assertEqual(read_json_messages(reply, 1)[0]["result"]["object"]["metadata"]
                             ["name"], "other")
        finally:
            reply.close()

    def test_timeout_and_resource_version(self):
        status, wf = self.emu.call("GET", WF + "/existing")
        rv = wf["metadata"]["resourceVersion"]
        self.emu.call("POST", WF, {"workflow": workflow("later")})
        status, messages = self.emu.stream_messages(
            WATCH + "?listOptions.timeoutSeconds=1&listOptions.resourceVersion=" + rv)
        self.assertEqual(status, 200)
        names = [(m["result"]["type"], m["result"]["object"]["metadata"]["name"])
                 for m in messages if "result" in m]
        self.assertEqual(names, [("ADDED", "later"), ("MODIFIED", "later")])
        self.assertEqual(messages[-1]["error"]["message"], "EOF")

    def test_label_selector_and_all_namespaces(self):
        self.emu.call("POST", "/api/v1/workflows/team-b",
                      {"workflow": workflow("labelled", labels={"watch": "me"})})
        status, messages = self.emu.stream_messages(
            "/api/v1/workflow-events/?listOptions.timeoutSeconds=1&"
            "listOptions.labelSelector=watch%3Dme")
        names = {m["result"]["object"]["metadata"]["name"] for m in messages if "result" in m}
        self.assertEqual(names, {"labelled"})

    def test_client_disconnect_releases_the_stream(self):
        status, _, reply = self.emu.stream(WATCH)
        read_json_messages(reply, 1)
        reply.close()
        # the emulator keeps serving (the stream thread notices the departed client)
        results = []
        t = threading.Thread(target=lambda: results.append(self.emu.call("GET", WF)[0]))
        t.start()
        t.join(5)
        self.assertEqual(results, [200])


class KeepaliveTest(unittest.TestCase):
    """In-process, with the 15 s keepalive period shortened."""

    def test_sse_keepalive_line(self):
        sys.path.insert(0, HERE)
        from argoemu import streams
        from argoemu.emulator import Emulator as InProcess
        saved = streams.KEEPALIVE_SECONDS
        streams.KEEPALIVE_SECONDS = 0.3
        emu = InProcess(step_seconds=0)
        try:
            url = urllib.parse.urlsplit(emu.start())
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            conn.request("GET", WATCH, headers={"Accept": "text/event-stream"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.readline(), b":\n")
            conn.close()
        finally:
            streams.KEEPALIVE_SECONDS = saved
            emu.stop()


if __name__ == "__main__":
    unittest.main()
