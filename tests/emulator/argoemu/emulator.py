"""The emulator as one object: wires store, auth, faults, journal, controller and the listener,
and implements the /_emulator control endpoint.

Control endpoint (never journalled, never faulted, no auth):
  GET  /_emulator/state            url, auth, faults, refusing, step_seconds, object counts
  GET  /_emulator/journal          {"entries": [...]}  (same entries as the journal file)
  POST /_emulator/reset-journal    forget the entries and truncate the journal file
  POST /_emulator/faults           see faults.py; plus {"refuse": bool, "for_ms": N}
  POST /_emulator/tokens           {"tokens": ["TOKEN[=ns,...]", ...]} replaces the --token set
  POST /_emulator/controller       {"ticks": N} runs N controller ticks now (default 1)
  POST /_emulator/watches/close    ends every open watch stream with the "EOF" error chunk
"""

import ssl
import threading

from . import api
from .auth import Auth
from .controller import Controller
from .faults import Faults
from .journal import Journal
from .server import Listener
from .store import RESOURCES, Store


class Emulator:
    def __init__(self, host="127.0.0.1", port=0, tokens=(), tokens_file=None, journal=None,
                 step_seconds=1.0, managed_namespace="", tls_cert=None, tls_key=None,
                 verbose=False):
        self.store = Store()
        self.auth = Auth(tokens, tokens_file)
        self.faults = Faults()
        self.journal = Journal(journal)
        self.controller = Controller(self.store, step_seconds)
        self.managed_namespace = managed_namespace
        self.verbose = verbose
        self.version = api.VERSION["version"]
        self.stopping = threading.Event()
        self.watch_generation = 0
        self.tls_context = None
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(tls_cert, tls_key)
            self.tls_context = ctx
        self.step_seconds = float(step_seconds)
        self.listener = None
        self._host, self._port = host, port

    def load_seed(self, directory):
        from . import seed
        return seed.load(self, directory)

    def start(self):
        self.controller.start()
        self.listener = Listener(self, self._host, self._port, self.tls_context)
        return self.listener.url

    @property
    def url(self):
        return self.listener.url if self.listener else None

    def stop(self):
        self.stopping.set()
        self.controller.stop()
        self.store.close()
        if self.listener:
            self.listener.shutdown()

    # -- control endpoint ------------------------------------------------------------------

    def control(self, method, name, body):
        """The reply (dict) for a control request, or None when there is no such request.
        Raises ValueError for a bad body."""
        if method == "GET" and name == "state":
            return {"url": self.url, "auth": self.auth.snapshot(),
                    "faults": self.faults.snapshot(),
                    "refusing": self.listener.refusing if self.listener else False,
                    "step_seconds": self.step_seconds,
                    "watch_generation": self.watch_generation,
                    "objects": {r: len(self.store.list(r)) for r in RESOURCES}}
        if method == "GET" and name == "journal":
            return {"entries": self.journal.entries()}
        if method != "POST":
            return None
        if name == "reset-journal":
            self.journal.reset()
            return {}
        if name == "faults":
            self.faults.configure(body)
            if "refuse" in body:
                for_ms = body.get("for_ms")
                self.listener.refuse(bool(body["refuse"]), int(for_ms) if for_ms else None)
            snap = self.faults.snapshot()
            snap["refusing"] = self.listener.refusing
            return snap
        if name == "tokens":
            tokens = body.get("tokens")
            if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                raise ValueError('"tokens" must be a list of strings')
            self.auth.replace(tokens)
            return self.auth.snapshot()
        if name == "controller":
            return {"active": self.controller.advance(int(body.get("ticks", 1)))}
        if name == "watches/close":
            with self.store.lock:
                self.watch_generation += 1
                self.store.cond.notify_all()
            return {"watch_generation": self.watch_generation}
        return None
