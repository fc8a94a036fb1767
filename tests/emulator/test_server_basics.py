"""Start-up, auth, token rotation, info/version/userinfo, unknown routes, request decoding,
TLS, the journal and fault injection."""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from emulator_fixture import Emulator, SCRIPT

TOKEN_MSG = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"


def make_jwt(claims):
    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (b64({"alg": "RS256", "kid": "x"}), b64(claims), "c2ln")


class StartupTest(unittest.TestCase):
    def test_ready_file_holds_url_and_port_is_listening(self):
        with Emulator() as emu:
            self.assertRegex(emu.url, r"^http://127\.0\.0\.1:\d+$")
            host, port = emu.host_port
            socket.create_connection((host, port), timeout=2).close()

    def test_two_instances_get_different_ports(self):
        with Emulator() as a, Emulator() as b:
            self.assertNotEqual(a.url, b.url)

    def test_bad_arguments_fail(self):
        proc = subprocess.run([sys.executable, SCRIPT, "--tls-cert", "x"], capture_output=True,
                              timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"--tls-key", proc.stderr)

    def test_bad_seed_is_fatal(self):
        tmp = tempfile.mkdtemp()
        try:
            with open(os.path.join(tmp, "bad.yaml"), "w") as fh:
                fh.write("kind: Pod\nmetadata: {name: x}\n")
            emu = Emulator(seed=tmp, start_timeout=10)
            with self.assertRaises(RuntimeError) as ctx:
                emu.start()
            self.assertIn("unsupported document kind", str(ctx.exception))
        finally:
            shutil.rmtree(tmp)


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.jwt = make_jwt({"iss": "https://kubernetes.default.svc",
                            "sub": "system:serviceaccount:argo:argo-ui",
                            "email": "ui@example.com", "groups": ["dev", "ops"],
                            "email_verified": True})
        cls.emu = Emulator(tokens=["secret", "teamtoken=team-a", cls.jwt + "=argo,team-a",
                                   "star=*"], step_seconds=0).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def test_missing_token_is_401_without_version_header(self):
        status, headers, body = self.emu.request("GET", "/api/v1/info", token=None)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body), {"code": 16, "message": TOKEN_MSG})
        self.assertNotIn("grpc-metadata-argo-version", headers)
        self.assertEqual(headers["content-type"], "application/json")

    def test_unknown_token_is_401(self):
        status, body = self.emu.call("GET", "/api/v1/version", token="wrong")
        self.assertEqual((status, body), (401, {"code": 16, "message": TOKEN_MSG}))

    def test_bearer_prefix_is_case_sensitive_and_basic_is_unknown(self):
        for value in ("bearer secret", "Basic c2VjcmV0", "secret", "Bearer  secret"):
            status, _ = self.emu.call("GET", "/api/v1/version", token=None,
                                      headers={"Authorization": value})
            self.assertEqual(status, 401, value)

    def test_cookie_carries_token(self):
        status, _ = self.emu.call("GET", "/api/v1/version", token=None,
                                  headers={"Cookie": "x=1; authorization=Bearer%20secret"})
        self.assertEqual(status, 200)

    def test_success_has_version_header(self):
        status, headers, body = self.emu.request("GET", "/api/v1/version")
        self.assertEqual(status, 200)
        self.assertEqual(headers["grpc-metadata-argo-version"], json.loads(body)["version"])
        self.assertEqual(set(json.loads(body)), {"version", "buildDate", "gitCommit", "gitTag",
                                                 "gitTreeState", "goVersion", "compiler",
                                                 "platform"})

    def test_info(self):
        status, body = self.emu.call("GET", "/api/v1/info")
        self.assertEqual(status, 200)
        self.assertNotIn("managedNamespace", body)
        self.assertEqual(body["modals"], {"feedback": True, "firstTimeUser": True,
                                          "newVersion": True})

    def test_userinfo_from_jwt(self):
        status, body = self.emu.call("GET", "/api/v1/userinfo", token=self.jwt)
        self.assertEqual(status, 200)
        self.assertEqual(body, {"issuer": "https://kubernetes.default.svc",
                                "subject": "system:serviceaccount:argo:argo-ui",
                                "email": "ui@example.com", "groups": ["dev", "ops"],
                                "emailVerified": True, "serviceAccountNamespace": "argo",
                                "serviceAccountName": "argo-ui"})

    def test_userinfo_of_plain_token_is_empty(self):
        self.assertEqual(self.emu.call("GET", "/api/v1/userinfo"), (200, {}))

    def test_namespace_restricted_token(self):
        status, _ = self.emu.call("GET", "/api/v1/workflow-templates/team-a", token="teamtoken")
        self.assertEqual(status, 200)
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/argo",
                                     token="teamtoken")
        self.assertEqual(status, 403)
        self.assertEqual(body["code"], 7)
        self.assertEqual(body["message"],
                         'workflowtemplates.argoproj.io is forbidden: User '
                         '"system:serviceaccount:argo:argo-emulator" cannot list resource '
                         '"workflowtemplates" in API group "argoproj.io" in the namespace "argo"')
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/argo/x",
                                     token="teamtoken")
        self.assertEqual(status, 403)
        self.assertTrue(body["message"].startswith('workflowtemplates.argoproj.io "x" is '
                                                   'forbidden'))
        status, body = self.emu.call("GET", "/api/v1/cluster-workflow-templates",
                                     token="teamtoken")
        self.assertEqual(status, 403)
        self.assertIn("at the cluster scope", body["message"])
        # the user named in the message is the JWT subject
        status, body = self.emu.call("GET", "/api/v1/cron-workflows/other", token=self.jwt)
        self.assertEqual(status, 403)
        self.assertIn('User "system:serviceaccount:argo:argo-ui"', body["message"])

    def test_workflow_list_forbidden_message(self):
        status, body = self.emu.call("GET", "/api/v1/workflows/argo", token="teamtoken")
        self.assertEqual(status, 403)
        self.assertEqual(body, {"code": 7, "message":
                                'Permission denied, you are not allowed to list workflows in '
                                'namespace "argo". Maybe you want to specify a namespace with '
                                'query parameter `.namespace=argo`?'})
        status, _ = self.emu.call("GET", "/api/v1/workflows/", token="teamtoken")
        self.assertEqual(status, 403)
        status, _ = self.emu.call("GET", "/api/v1/workflows/", token="star")
        self.assertEqual(status, 200)

    def test_unknown_route_and_method_are_501(self):
        for method, path in (("GET", "/api/v1/nothing"), ("GET", "/api/v1/workflows"),
                             ("PATCH", "/api/v1/workflows/argo/x"),
                             ("POST", "/api/v1/info"), ("GET", "/api/v2/info"),
                             ("POST", "/api/v1/events/argo")):
            status, headers, body = self.emu.request(method, path, token=None)
            self.assertEqual(status, 501, (method, path))
            self.assertEqual(json.loads(body), {"code": 12, "message": "Not Implemented"})
            self.assertNotIn("grpc-metadata-argo-version", headers)

    def test_outside_api_serves_html(self):
        status, headers, body = self.emu.request("GET", "/workflows/argo", token=None)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))

    def test_malformed_query_and_body_are_400(self):
        status, body = self.emu.call("GET", "/api/v1/workflow-templates/argo?listOptions.limit=x")
        self.assertEqual(status, 400)
        self.assertEqual(body["code"], 3)
        self.assertIn("listOptions.limit", body["message"])
        status, body = self.emu.call("GET", "/api/v1/workflows/argo/x/log?logOptions.follow=yes")
        self.assertEqual((status, body["code"]), (400, 3))
        status, body = self.emu.call("POST", "/api/v1/workflow-templates/argo", raw=b"{nope")
        self.assertEqual((status, body["code"]), (400, 3))
        status, body = self.emu.call("POST", "/api/v1/workflow-templates/argo", raw=b"[1]")
        self.assertEqual((status, body["code"]), (400, 3))
        # malformed input is rejected before authentication, as the gateway decodes first
        status, _ = self.emu.call("GET", "/api/v1/workflows/argo?listOptions.limit=x",
                                  token=None)
        self.assertEqual(status, 400)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = self.emu.connection()
        try:
            for _ in range(3):
                conn.request("GET", "/api/v1/version",
                             headers={"Authorization": "Bearer secret"})
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                self.assertIsNotNone(resp.getheader("Content-Length"))
                resp.read()
        finally:
            conn.close()


class AuthDisabledTest(unittest.TestCase):
    def test_no_tokens_means_server_mode(self):
        with Emulator(tokens=(), managed_namespace="argo") as emu:
            self.assertEqual(emu.call("GET", "/api/v1/version", token=None)[0], 200)
            self.assertEqual(emu.call("GET", "/api/v1/version", token="anything")[0], 200)
            self.assertEqual(emu.call("GET", "/api/v1/info", token=None)[1]["managedNamespace"],
                             "argo")
            state = emu.control("GET", "state")
            self.assertFalse(state["auth"]["enabled"])


class RotationTest(unittest.TestCase):
    def test_tokens_file_is_reread_on_change(self):
        tmp = tempfile.mkdtemp()
        try:
            path = os.path.join(tmp, "tokens")
            with open(path, "w") as fh:
                fh.write("# comment\nfirst\n")
            with Emulator(tokens=(), tokens_file=path) as emu:
                self.assertEqual(emu.call("GET", "/api/v1/version", token="first")[0], 200)
                self.assertEqual(emu.call("GET", "/api/v1/version", token="second")[0], 401)
                time.sleep(0.01)
                with open(path + ".new", "w") as fh:
                    fh.write("second=argo\n")
                os.replace(path + ".new", path)
                self.assertEqual(emu.call("GET", "/api/v1/version", token="second")[0], 200)
                self.assertEqual(emu.call("GET", "/api/v1/version", token="first")[0], 401)
                status, _ = emu.call("GET", "/api/v1/workflow-templates/team-a",
                                     token="second")
                self.assertEqual(status, 403)
                os.unlink(path)
                self.assertEqual(emu.call("GET", "/api/v1/version", token="second")[0], 401)
        finally:
            shutil.rmtree(tmp)

    def test_control_endpoint_replaces_tokens(self):
        with Emulator(tokens=["old"]) as emu:
            self.assertEqual(emu.call("GET", "/api/v1/version", token="old")[0], 200)
            emu.control("POST", "tokens", {"tokens": ["new=argo"]})
            self.assertEqual(emu.call("GET", "/api/v1/version", token="old")[0], 401)
            self.assertEqual(emu.call("GET", "/api/v1/version", token="new")[0], 200)
            with self.assertRaises(RuntimeError):
                emu.control("POST", "tokens", {"tokens": "nope"})


@unittest.skipUnless(shutil.which("openssl"), "openssl command not found: TLS not tested")
class TLSTest(unittest.TestCase):
    def test_https_with_self_signed_certificate(self):
        tmp = tempfile.mkdtemp()
        try:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                            "-subj", "/O=ArgoProj/CN=localhost", "-keyout", key, "-out", cert,
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
            with Emulator(tls=(cert, key)) as emu:
                self.assertTrue(emu.url.startswith("https://127.0.0.1:"))
                status, body = emu.call("GET", "/api/v1/version")
                self.assertEqual(status, 200)
                self.assertEqual(emu.call("GET", "/api/v1/version", token="bad")[0], 401)
                # a plain-HTTP request on the TLS port does not get an API answer
                import http.client
                host, port = emu.host_port
                conn = http.client.HTTPConnection(host, port, timeout=5)
                with self.assertRaises((http.client.HTTPException, OSError)):
                    conn.request("GET", "/api/v1/version")
                    resp = conn.getresponse()
                    if resp.status == 200:
                        raise AssertionError("plain HTTP answered on TLS port")
                    raise http.client.HTTPException("rejected")
                conn.close()
                # a client that never handshakes does not block others
                silent = socket.create_connection((host, port))
                self.assertEqual(emu.call("GET", "/api/v1/version")[0], 200)
                silent.close()
        finally:
            shutil.rmtree(tmp)


class JournalTest(unittest.TestCase):
    def test_entries(self):
        with Emulator() as emu:
            emu.call("POST", "/api/v1/workflow-templates/argo?x=1&x=2&empty=",
                     {"template": {"metadata": {"name": "j"}, "spec": {"templates": []}}},
                     headers={"X-Trace": "abc", "User-Agent": "ua"})
            emu.call("GET", "/api/v1/version", token="nope")
            emu.request("PUT", "/api/v1/workflow-templates/argo/j", raw=b"not json")
            emu.control("GET", "state")
            entries = emu.journal()
            self.assertEqual(len(entries), 3)
            first = entries[0]
            self.assertEqual(first["method"], "POST")
            self.assertEqual(first["path"], "/api/v1/workflow-templates/argo")
            self.assertEqual(first["query"], {"x": ["1", "2"], "empty": [""]})
            self.assertEqual(first["headers"]["authorization"], "Bearer secret")
            self.assertEqual(first["headers"]["x-trace"], "abc")
            self.assertEqual(first["headers"]["content-type"], "application/json")
            self.assertNotIn("user-agent", first["headers"])
            self.assertEqual(first["body"]["template"]["metadata"]["name"], "j")
            self.assertEqual(first["status"], 200)
            self.assertEqual(entries[1]["status"], 401)
            self.assertIsNone(entries[1]["body"])
            self.assertEqual(entries[2]["body"], "not json")
            self.assertEqual(entries[2]["status"], 400)
            self.assertEqual(emu.control("GET", "journal")["entries"], entries)
            emu.control("POST", "reset-journal")
            self.assertEqual(emu.journal(), [])
            self.assertEqual(emu.control("GET", "journal")["entries"], [])


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.emu = Emulator().start()

    def tearDown(self):
        self.emu.stop()

    def test_fail_next(self):
        self.emu.control("POST", "faults", {"fail_next": 2, "status": 503, "code": 14,
                                            "message": "unavailable"})
        for _ in range(2):
            status, headers, body = self.emu.request("GET", "/api/v1/version")
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(body), {"code": 14, "message": "unavailable"})
            self.assertNotIn("grpc-metadata-argo-version", headers)
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)
        self.assertEqual([e.get("fault") for e in self.emu.journal()], ["fail", "fail", None])

    def test_control_requests_are_not_faulted(self):
        self.emu.control("POST", "faults", {"fail_next": 1})
        self.emu.control("GET", "state")
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 503)

    def test_delay(self):
        self.emu.control("POST", "faults", {"delay_ms": 300})
        start = time.monotonic()
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.emu.control("POST", "faults", {"delay_ms": 0})
        start = time.monotonic()
        self.emu.call("GET", "/api/v1/version")
        self.assertLess(time.monotonic() - start, 0.3)

    def test_drop_next_sends_half_a_body(self):
        self.emu.control("POST", "faults", {"drop_next": 1})
        import http.client
        conn = self.emu.connection()
        conn.request("GET", "/api/v1/version", headers={"Authorization": "Bearer secret"})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        with self.assertRaises(http.client.IncompleteRead):
            resp.read()
        conn.close()
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)

    def test_hang_next_never_answers(self):
        self.emu.control("POST", "faults", {"hang_next": 1})
        conn = self.emu.connection(timeout=0.5)
        conn.request("GET", "/api/v1/version", headers={"Authorization": "Bearer secret"})
        with self.assertRaises(socket.timeout):
            conn.getresponse()
        conn.close()
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)
        self.assertEqual(self.emu.journal()[0]["fault"], "hang")
        self.assertIsNone(self.emu.journal()[0]["status"])

    def test_refuse_and_reopen(self):
        control = self.emu.connection()
        control.request("POST", "/_emulator/faults", body=json.dumps({"refuse": True}))
        self.assertEqual(json.loads(control.getresponse().read())["refusing"], True)
        host, port = self.emu.host_port

        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=1).close()
        # the already-open connection still reaches the control endpoint
        control.request("POST", "/_emulator/faults", body=json.dumps({"refuse": False}))
        self.assertEqual(json.loads(control.getresponse().read())["refusing"], False)
        control.close()
        self.assertEqual(self.emu.call("GET", "/api/v1/version")[0], 200)

    def test_refuse_for_a_while(self):
        self.emu.control("POST", "faults", {"refuse": True, "for_ms": 400})
        host, port = self.emu.host_port
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=1).close()

        def back():
            try:
                return self.emu.call("GET", "/api/v1/version")[0] == 200
            except ConnectionError:
                return False
        self.emu.wait_for(back, timeout=5)

    def test_bad_fault_request(self):
        with self.assertRaises(RuntimeError):
            self.emu.control("POST", "faults", {"delay_ms": -1})
        with self.assertRaises(RuntimeError):
            self.emu.control("POST", "no-such-thing", {})

    def test_faults_apply_concurrently_to_separate_requests(self):
        self.emu.control("POST", "faults", {"fail_next": 1})
        results = []

        def worker():
            results.append(self.emu.call("GET", "/api/v1/version")[0])
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 200, 200, 503])


if __name__ == "__main__":
    unittest.main()
