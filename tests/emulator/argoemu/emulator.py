"""The emulator as one object: wires store, auth, faults, journal, controller and the listener,
and implements the /_emulator control endpoint.

Control endpoint (never journalled, never faulted, no auth):
  GET  /_emulator/state            url, auth, faults, refusing, step_seconds, object counts
  GET  /_emulator/journal          {"entries": [...]}  (same entries as the journal file)
  POST /_emulator/reset-journal    forget the entries and truncate the journal file
  POST /_emulator/faults           see faults.py; plus {"refuse": bool, "for_ms": N}; with
                                   {"listener": "kube"} they apply to the Kubernetes listener
  POST /_emulator/tokens           {"tokens": ["TOKEN[=ns,...]", ...]} replaces the --token set
  POST /_emulator/controller       {"ticks": N} runs N controller ticks now (default 1)
  POST /_emulator/watches/close    ends every open watch stream with the "EOF" error chunk
  POST /_emulator/watches/compact  forgets the retained watch events (etcd compaction)
"""

import ssl
import threading

from . import api
from .auth import Auth
from .controller import Controller
from .faults import Faults
from .journal import Journal
from .kube import KubeStore
from .server import KubeHandler, Listener
from .store import RESOURCES, Store


class Emulator:
    def __init__(self, host="127.0.0.1", port=0, tokens=(), tokens_file=None, journal=None,
                 step_seconds=1.0, managed_namespace="", tls_cert=None, tls_key=None,
                 verbose=False, kube_host=None, kube_port=None, kube_tls_cert=None,
                 kube_tls_key=None):
        self.store = Store()
        self.kube = KubeStore(self.store)
        self.auth = Auth(tokens, tokens_file)
        self.auth.service_account_lookup = self.kube.token_spec
        self.faults = Faults()
        self.kube_faults = Faults()
        self.journal = Journal(journal)
        self.controller = Controller(self.store, step_seconds)
        self.managed_namespace = managed_namespace
        self.verbose = verbose
        self.version = api.VERSION["version"]
        self.stopping = threading.Event()
        self.watch_generation = 0
        self.tls_context = _tls(tls_cert, tls_key)
        self.kube_tls_context = _tls(kube_tls_cert, kube_tls_key)
        self.step_seconds = float(step_seconds)
        self.listener = None
        self.kube_listener = None
        self._host, self._port = host, port
        self._kube_host = kube_host or host
        self._kube_port = kube_port

    def load_seed(self, directory):
        from . import seed
        return seed.load(self, directory)

    def start(self):
        self.controller.start()
        if self._kube_port is not None:
            self.kube_listener = Listener(self, self._kube_host, self._kube_port,
                                          self.kube_tls_context, KubeHandler)
        self.listener = Listener(self, self._host, self._port, self.tls_context)
        return self.listener.url

    @property
    def url(self):
        return self.listener.url if self.listener else None

    @property
    def kube_url(self):
        return self.kube_listener.url if self.kube_listener else None

    def stop(self):
        self.stopping.set()
        self.controller.stop()
        self.store.close()
        if self.listener:
            self.listener.shutdown()
        if self.kube_listener:
            self.kube_listener.shutdown()

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
                    "objects": {r: len(self.store.list(r)) for r in RESOURCES},
                    "kube": {"url": self.kube_url, "faults": self.kube_faults.snapshot(),
                             "refusing": (self.kube_listener.refusing
                                          if self.kube_listener else False),
                             "objects": self.kube.count()}}
        if method == "GET" and name == "journal":
            return {"entries": self.journal.entries()}
        if method != "POST":
            return None
        if name == "reset-journal":
            self.journal.reset()
            return {}
        if name == "faults":
            target = body.get("listener", "argo")
            if target not in ("argo", "kube"):
                raise ValueError('"listener" must be "argo" or "kube"')
            faults, listener = ((self.faults, self.listener) if target == "argo"
                                else (self.kube_faults, self.kube_listener))
            if listener is None:
                raise ValueError("no Kubernetes listener (start with --kube-port)")
            faults.configure(body)
            if "refuse" in body:
                for_ms = body.get("for_ms")
                listener.refuse(bool(body["refuse"]), int(for_ms) if for_ms else None)
            snap = faults.snapshot()
            snap["refusing"] = listener.refusing
            snap["listener"] = target
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
        if name == "watches/compact":
            return {"compacted_resource_version": str(self.store.compact())}
        return None


def _tls(cert, key):
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx
