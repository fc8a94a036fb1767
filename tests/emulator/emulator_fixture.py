"""Start the Argo Server emulator as a subprocess, like a user would, and talk to it.

Reusable by other test suites:

    from emulator_fixture import Emulator
    with Emulator(tokens=["secret"], step_seconds=0.05) as emu:
        status, body = emu.call("GET", "/api/v1/version", token="secret")

    with Emulator(kube=True) as emu:     # also the Kubernetes API listener (--kube-port 0)
        status, body = emu.kube_call("GET", "/api/v1/namespaces")

The emulator listens on a free port (--port 0); the fixture waits for the ready file, so tests
never race or collide.  Its stderr goes to a file in the temporary directory and is included in
the error when start-up fails.
"""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "argo_emulator.py")
SEED_DIR = os.path.join(HERE, "seed")


class StreamReply:
    """A streaming response and its connection."""

    def __init__(self, conn, resp):
        self.conn = conn
        self.resp = resp

    def readline(self):
        return self.resp.readline()

    def read(self):
        return self.resp.read()

    def close(self):
        self.resp.close()
        self.conn.close()


class Emulator:
    def __init__(self, tokens=("secret",), step_seconds=0.05, seed=None, tls=None,
                 tokens_file=None, managed_namespace=None, extra_args=(), journal=True,
                 start_timeout=15.0, kube=False, kube_tls=None):
        """tls, kube_tls: None for HTTP, or (cert_path, key_path).  kube: also start the
        Kubernetes API listener (kube_url)."""
        self.kube = kube or bool(kube_tls)
        self.kube_tls = kube_tls
        self.kube_url = None
        self.tokens = list(tokens)
        self.step_seconds = step_seconds
        self.seed = seed
        self.tls = tls
        self.tokens_file = tokens_file
        self.managed_namespace = managed_namespace
        self.extra_args = list(extra_args)
        self.use_journal = journal
        self.start_timeout = start_timeout
        self.tmp = None
        self.proc = None
        self.url = None
        self.journal_path = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="argo-emulator-")
        ready = os.path.join(self.tmp, "ready")
        self.stderr_path = os.path.join(self.tmp, "stderr")
        cmd = [sys.executable, SCRIPT, "--port", "0", "--ready-file", ready,
               "--step-seconds", str(self.step_seconds)]
        for token in self.tokens:
            cmd += ["--token", token]
        if self.tokens_file:
            cmd += ["--tokens-file", self.tokens_file]
        if self.seed:
            cmd += ["--seed", self.seed]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.managed_namespace:
            cmd += ["--managed-namespace", self.managed_namespace]
        if self.use_journal:
            self.journal_path = os.path.join(self.tmp, "journal.jsonl")
            cmd += ["--journal", self.journal_path]
        kube_ready = os.path.join(self.tmp, "kube-ready")
        if self.kube:
            cmd += ["--kube-port", "0", "--kube-ready-file", kube_ready]
        if self.kube_tls:
            cmd += ["--kube-tls-cert", self.kube_tls[0], "--kube-tls-key", self.kube_tls[1]]
        cmd += self.extra_args
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready) as fh:
                    self.url = fh.read().strip()
                if self.kube:
                    with open(kube_ready) as fh:
                        self.kube_url = fh.read().strip()
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        message = self.stderr()
        self.stop()
        raise RuntimeError("emulator did not start: %s" % message)

    def stderr(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- HTTP -------------------------------------------------------------------------------------

    @property
    def host_port(self):
        parsed = urllib.parse.urlsplit(self.url)
        return parsed.hostname, parsed.port

    def connection(self, timeout=10.0, url=None, tls=None):
        parsed = urllib.parse.urlsplit(url or self.url)
        host, port = parsed.hostname, parsed.port
        if parsed.scheme == "https":
            ctx = ssl.create_default_context(cafile=(tls or self.tls)[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method, path, body=None, token="", headers=None, raw=None, timeout=10.0):
        """(status, headers dict (lower-case names), body bytes).  token "" = the first
        configured token, None = no Authorization header."""
        hdrs = dict(headers or {})
        if token == "":
            token = self.tokens[0].split("=")[0] if self.tokens else None
        if token is not None and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            conn.close()

    def call(self, method, path, body=None, token="", headers=None, raw=None):
        """(status, parsed JSON body)."""
        status, _, payload = self.request(method, path, body, token, headers, raw)
        return status, (json.loads(payload) if payload else None)

    def kube_request(self, method, path, body=None, token="", headers=None, raw=None,
                     content_type="application/json", timeout=10.0):
        """A request to the Kubernetes listener: (status, headers, body bytes).  token "" = the
        first configured token, None = no Authorization header."""
        hdrs = dict(headers or {})
        if token == "":
            token = self.tokens[0].split("=")[0].split(";")[0] if self.tokens else None
        if token is not None and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if data is not None and content_type:
            hdrs.setdefault("Content-Type", content_type)
        conn = self.connection(timeout, self.kube_url, self.kube_tls)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            conn.close()

    def kube_call(self, method, path, body=None, token="", **kwargs):
        """(status, parsed JSON body) from the Kubernetes listener."""
        status, headers, payload = self.kube_request(method, path, body, token, **kwargs)
        if payload and headers.get("content-type", "").startswith("application/json"):
            return status, json.loads(payload)
        return status, payload.decode("utf-8", "replace") if payload else None

    def stream(self, path, token="", headers=None, timeout=10.0):
        """Open a streaming GET; returns (status, headers, reply).  Read lines with
        reply.readline(); reply.close() closes the connection."""
        hdrs = dict(headers or {})
        if token == "":
            token = self.tokens[0].split("=")[0] if self.tokens else None
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        conn = self.connection(timeout)
        conn.request("GET", path, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, StreamReply(conn,
                                                                                       resp)

    def stream_messages(self, path, token="", headers=None, timeout=10.0):
        """Read a whole (finite) JSON stream: a list of decoded messages."""
        status, _, reply = self.stream(path, token, headers, timeout)
        try:
            lines = reply.read().decode().splitlines()
        finally:
            reply.close()
        return status, [json.loads(line) for line in lines if line.strip()]

    # -- control ----------------------------------------------------------------------------------

    def control(self, method, name, body=None):
        status, payload = self.call(method, "/_emulator/" + name, body, token=None)
        if status != 200:
            raise RuntimeError("control %s %s failed: %s %s" % (method, name, status, payload))
        return payload

    def journal(self):
        """Entries of the journal file."""
        with open(self.journal_path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def ticks(self, n=1):
        return self.control("POST", "controller", {"ticks": n})

    def wait_for(self, predicate, timeout=10.0, interval=0.02):
        """Poll predicate() until it returns a true value; return it (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met within %.1fs" % timeout)
            time.sleep(interval)

    def wait_workflow(self, ns, name, phases=("Succeeded", "Failed", "Error"), timeout=10.0):
        def check():
            status, wf = self.call("GET", "/api/v1/workflows/%s/%s" % (ns, name))
            if status == 200 and (wf.get("status") or {}).get("phase") in phases:
                return wf
            return None
        return self.wait_for(check, timeout)
