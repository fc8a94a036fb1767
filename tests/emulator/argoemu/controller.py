"""The simulated workflow controller.

Deterministic, tick based (docs/emulator.md, "Controller rules"):
  * pickup (immediately after a workflow is created): status.phase Pending, labels
    workflows.argoproj.io/phase=Pending and workflows.argoproj.io/completed=false;
  * tick 1: phase Running, startedAt set, the entrypoint node starts: a container/script
    template becomes a Pod node that is Running and has written its log lines; a steps template
    starts its first step group, a dag template the tasks without dependencies;
  * every later tick: each Pod started in an earlier tick finishes (Succeeded, or Failed with
    "Error (exit code N)" when its command runs `exit N`, N != 0), then the next step group /
    the DAG tasks whose dependencies all succeeded start; a failed child fails its parents
    ("child '<node id>' failed") and the workflow;
  * when the entrypoint node is done the workflow gets its phase, finishedAt, message and
    labels (completed=true).
Ticks run every --step-seconds per workflow (counted from its pickup); with --step-seconds 0
they run only when POST /_emulator/controller {"ticks": N} asks.  Workflow actions (stop,
terminate, resume, set...) take effect at once, as the real controller reacts within moments.

All state lives in the workflow objects (status.nodes); per-workflow bookkeeping (tick count,
pod start ticks, exit codes) lives in memory keyed by uid.  Everything runs under the store's
lock.
"""

import ast
import copy
import heapq
import json
import re
import shlex
import threading
import time

from . import errors, validate
from .store import rfc3339
from .jsonwire import anystring

LABEL_PHASE = "workflows.argoproj.io/phase"
LABEL_COMPLETED = "workflows.argoproj.io/completed"
POD_TYPES = ("container", "script", "resource", "data", "http", "containerSet", "plugin")
FULFILLED = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")
MANAGER = "workflow-controller"


def fnv32a(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(wf_name, node_name):
    return wf_name if node_name == wf_name else "%s-%d" % (wf_name, fnv32a(node_name))


def pod_name(wf_name, node_name, template_name):
    """GeneratePodName, pod name version v2."""
    if node_name == wf_name:
        return wf_name
    return "%s-%s-%d" % (wf_name, template_name, fnv32a(node_name))


# -- what a container prints ------------------------------------------------------------------

def _shell_words(line):
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return line.split()


def _run_argv(argv, out):
    """One simple command.  Returns an exit code or None to continue."""
    if not argv:
        return None
    cmd = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if cmd == "exit":
        try:
            return int(args[0]) if args else 0
        except ValueError:
            return 2
    if cmd in ("echo", "cowsay", "say"):
        while cmd == "echo" and args and re.match(r"^-[neE]+$", args[0]):
            args = args[1:]
        out.extend(" ".join(args).split("\n"))
    elif cmd == "printf" and args:
        text = args[0].replace("\\n", "\n")
        for value in args[1:]:
            text = text.replace("%s", value, 1).replace("%d", value, 1)
        out.extend(text.rstrip("\n").split("\n"))
    elif cmd == "false":
        return 1
    return None


def _run_shell(script, out):
    for raw in script.splitlines():
        words = _shell_words(raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else "")
        command = []
        skip = False
        for word in words + [";"]:
            if word in (";", "&&", "||", "&"):
                if command and not skip:
                    code = _run_argv(command, out)
                    if code is not None and code != 0 and word != "||":
                        return code
                    if code == 0 and command[0] == "exit":
                        return 0
                command, skip = [], False
            elif word in ("|", ">", ">>", "<"):
                skip = True
            else:
                command.append(word)
    return 0


def _run_python(source, out):
    for raw in source.splitlines():
        line = raw.strip()
        m = re.match(r"^print\((.*)\)$", line)
        if m:
            try:
                out.append(str(ast.literal_eval(m.group(1))))
            except (ValueError, SyntaxError):
                pass
            continue
        m = re.match(r"^(?:sys\.)?exit\((\d+)\)$", line)
        if m:
            return int(m.group(1))
        if line.startswith("raise "):
            out.append("Traceback (most recent call last):")
            return 1
    return 0


def _run_node(source, out):
    for raw in source.splitlines():
        m = re.match(r"^\s*console\.log\((.*)\);?\s*$", raw)
        if m:
            try:
                out.append(str(ast.literal_eval(m.group(1))))
            except (ValueError, SyntaxError):
                pass
        m = re.match(r"^\s*process\.exit\((\d+)\);?\s*$", raw)
        if m:
            return int(m.group(1))
    return 0


def simulate(template):
    """(lines, exit code) a resolved container/script template produces."""
    out = []
    script = template.get("script")
    container = template.get("container") or script or {}
    command = [str(c) for c in container.get("command") or []]
    args = [str(a) for a in container.get("args") or []]
    if script is not None:
        interpreter = (command[0].rsplit("/", 1)[-1] if command else "sh")
        source = str(script.get("source", ""))
        if interpreter.startswith("python"):
            code = _run_python(source, out)
        elif interpreter in ("node", "nodejs"):
            code = _run_node(source, out)
        else:
            code = _run_shell(source, out)
        return out, code
    argv = command + args
    if argv and argv[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "zsh") and "-c" in argv:
        idx = argv.index("-c")
        return out, _run_shell(" ".join(argv[idx + 1: idx + 2]), out)
    code = _run_argv(argv, out)
    return out, code or 0


# -- substitution -------------------------------------------------------------------------------

_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


def substitute(value, scope):
    """Replace {{name}} placeholders found in `scope` inside strings of a JSON value."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(scope[m.group(1)]) if m.group(1) in scope
                        else m.group(0), value)
    if isinstance(value, list):
        return [substitute(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, scope) for k, v in value.items()}
    return value


def _param_value(param):
    for key in ("value", "default"):
        if param.get(key) is not None:
            return anystring(param[key])
    default = (param.get("valueFrom") or {}).get("default")
    return anystring(default) if default is not None else None


class _Runtime:
    def __init__(self):
        self.tick = 0
        self.started = {}        # pod node id -> tick it started in
        self.exit = {}           # pod node id -> exit code
        self.results = {}        # pod node id -> stdout (script result)


class Controller:
    def __init__(self, store, step_seconds):
        self.store = store
        self.step = float(step_seconds)
        self._rt = {}
        self._heap = []
        self._pending = {}
        self._seq = 0
        self._wake = threading.Condition(store.lock)
        self._stop = False
        self._thread = None

    # -- scheduling ----------------------------------------------------------------------------

    def start(self):
        if self.step > 0:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def stop(self):
        with self.store.lock:
            self._stop = True
            self._wake.notify_all()

    def _schedule(self, ns, name, at):
        """Make sure a tick of (ns, name) is due no later than `at` (one pending entry each)."""
        key = (ns, name)
        pending = self._pending.get(key)
        if pending is not None and pending[0] <= at:
            return
        self._seq += 1
        self._pending[key] = (at, self._seq)
        heapq.heappush(self._heap, (at, self._seq, ns, name))
        self._wake.notify_all()

    def _loop(self):
        with self.store.lock:
            while not self._stop:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    at, seq, ns, name = heapq.heappop(self._heap)
                    if self._pending.get((ns, name)) != (at, seq):
                        continue
                    del self._pending[(ns, name)]
                    if self._tick_one(ns, name):
                        self._schedule(ns, name, now + self.step)
                    continue
                timeout = (self._heap[0][0] - now) if self._heap else 1.0
                self._wake.wait(min(timeout, 1.0))

    def _runtime(self, wf):
        return self._rt.setdefault(wf["metadata"]["uid"], _Runtime())

    def observe(self, ns, name):
        """A new workflow: pick it up now (Pending) and schedule its ticks."""
        with self.store.lock:
            wf = self.store.get("workflows", ns, name)
            if wf is None or (wf.get("status") or {}).get("phase"):
                return
            self._runtime(wf)

            def pickup(obj):
                status = obj.setdefault("status", {})
                status["phase"] = "Pending"
                labels = obj["metadata"].setdefault("labels", {})
                labels[LABEL_PHASE] = "Pending"
                labels[LABEL_COMPLETED] = "false"
            self.store.mutate("workflows", ns, name, pickup, MANAGER)
            if self.step > 0:
                self._schedule(ns, name, time.monotonic() + self.step)

    def advance(self, ticks=1):
        """Run `ticks` ticks for every unfinished workflow now.  Returns how many workflows
        were still active after the last one."""
        active = 0
        with self.store.lock:
            for _ in range(max(0, int(ticks))):
                active = 0
                for wf in self.store.list("workflows"):
                    if self._tick_one(wf["metadata"]["namespace"], wf["metadata"]["name"]):
                        active += 1
        return active

    def run_to_completion(self, ns, name, max_ticks=1000):
        """Used for seed data: tick one workflow until it finishes (or waits on a suspend)."""
        with self.store.lock:
            for _ in range(max_ticks):
                if not self._tick_one(ns, name):
                    return

    # -- one tick ------------------------------------------------------------------------------

    def _tick_one(self, ns, name):
        """Advance one workflow by one tick.  Returns False once it needs no more ticks."""
        wf = self.store.get("workflows", ns, name)
        if wf is None:
            return False
        status = wf.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed", "Error"):
            return False
        rt = self._runtime(wf)
        spec = wf.get("spec") or {}
        if spec.get("suspend") and not spec.get("shutdown") and status.get("phase") == "Running":
            return True
        rt.tick += 1

        def step(obj):
            self._step(obj, rt)
        out = self.store.mutate("workflows", ns, name, step, MANAGER)
        return out is not None and (out.get("status") or {}).get("phase") not in (
            "Succeeded", "Failed", "Error")

    def _step(self, wf, rt):
        meta, status = wf["metadata"], wf.setdefault("status", {})
        if not status.get("phase"):
            status["phase"] = "Pending"
            meta.setdefault("labels", {})[LABEL_PHASE] = "Pending"
            meta["labels"][LABEL_COMPLETED] = "false"
            return
        run = _Run(self, wf, rt)
        if wf.get("spec", {}).get("shutdown"):
            run.shutdown(wf["spec"]["shutdown"])
            return
        if status["phase"] == "Pending":
            status["phase"] = "Running"
            status["startedAt"] = rfc3339()
            meta["labels"][LABEL_PHASE] = "Running"
            run.prepare()
        run.finish_pods()
        run.propagate()
        run.settle()

    # -- reactions to actions -------------------------------------------------------------------

    def react(self, ns, name):
        """Apply spec changes made by an action (shutdown) at once."""
        with self.store.lock:
            wf = self.store.get("workflows", ns, name)
            if wf is None:
                return
            rt = self._runtime(wf)
            if (wf.get("spec") or {}).get("shutdown") and \
                    (wf.get("status") or {}).get("phase") in ("Pending", "Running", None, ""):
                self.store.mutate("workflows", ns, name,
                                  lambda obj: _Run(self, obj, rt).shutdown(obj["spec"]["shutdown"]),
                                  MANAGER)
            elif self.step > 0 and (wf.get("status") or {}).get("phase") in ("Running",
                                                                             "Pending"):
                self._schedule(ns, name, time.monotonic() + self.step)

    # -- actions (called by the API with the workflow already fetched) ---------------------------

    def _reget(self, ns, name):
        wf = self.store.get("workflows", ns, name)
        if wf is None:
            raise errors.not_found("workflows.argoproj.io", name)
        return wf

    def action_suspend(self, req, ns, wf):
        name = wf["metadata"]["name"]
        if _completed(wf):
            raise errors.ApiError(errors.INVALID_ARGUMENT, "cannot suspend completed workflows")
        def suspend(obj):
            spec = obj.setdefault("spec", {})
            if spec.get("suspend"):
                return False
            spec["suspend"] = True
            return True
        self.store.mutate("workflows", ns, name, suspend)
        return self._reget(ns, name)

    def action_resume(self, req, ns, wf):
        name = wf["metadata"]["name"]
        selector = req.field("nodeFieldSelector") or ""
        if selector:
            self._update_suspended(ns, name, selector, "Succeeded", "", {})
        else:
            def resume(obj):
                changed = False
                if obj["spec"].get("suspend"):
                    obj["spec"].pop("suspend")
                    changed = True
                for node in ((obj.get("status") or {}).get("nodes") or {}).values():
                    if node.get("type") == "Suspend" and node.get("phase") == "Running":
                        node["phase"] = "Succeeded"
                        node["finishedAt"] = rfc3339()
                        changed = True
                return changed
            self.store.mutate("workflows", ns, name, resume)
        self.react(ns, name)
        return self._reget(ns, name)

    def _shutdown_action(self, req, ns, wf, strategy):
        name = wf["metadata"]["name"]
        selector = (req.field("nodeFieldSelector") or "") if strategy == "Stop" else ""
        if selector:
            self._update_suspended(ns, name, selector, "Failed", req.field("message") or "", {})
        else:
            if (wf.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error"):
                raise errors.ApiError(errors.INTERNAL,
                                      'cannot shutdown a completed workflow: workflow: "%s", '
                                      'namespace: "%s"' % (name, ns))
            def shutdown(obj):
                obj.setdefault("spec", {})["shutdown"] = strategy
            self.store.mutate("workflows", ns, name, shutdown)
        self.react(ns, name)
        return self._reget(ns, name)

    def action_stop(self, req, ns, wf):
        return self._shutdown_action(req, ns, wf, "Stop")

    def action_terminate(self, req, ns, wf):
        return self._shutdown_action(req, ns, wf, "Terminate")

    def action_set(self, req, ns, wf):
        name = wf["metadata"]["name"]
        phase = req.field("phase") or ""
        if phase not in ("Succeeded", "Failed", "Error", ""):
            raise errors.ApiError(errors.INVALID_ARGUMENT, "%s is an invalid phase to set to"
                                  % phase)
        outputs = {}
        raw = req.field("outputParameters") or ""
        if raw:
            try:
                outputs = json.loads(raw)
                if not isinstance(outputs, dict):
                    raise ValueError("json: cannot unmarshal into map[string]string")
            except ValueError as exc:
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      "unable to parse output parameter set request: %s"
                                      % exc) from None
        selector = req.field("nodeFieldSelector") or ""
        if not selector:
            raise errors.ApiError(errors.INTERNAL, "'set' currently only targets suspend nodes, "
                                  "use a node field selector to target them")
        self._update_suspended(ns, name, selector, phase, req.field("message") or "", outputs)
        self.react(ns, name)
        return self._reget(ns, name)

    def _update_suspended(self, ns, name, selector, phase, message, outputs):
        terms = _parse_node_selector(selector)
        problem = []

        def update(obj):
            hit = False
            for node in ((obj.get("status") or {}).get("nodes") or {}).values():
                if node.get("type") != "Suspend" or node.get("phase") != "Running":
                    continue
                if not _node_matches(terms, node):
                    continue
                if phase:
                    node["phase"] = phase
                    if phase in FULFILLED:
                        node["finishedAt"] = rfc3339()
                    hit = True
                if message:
                    node["message"] = message
                    hit = True
                for key, value in outputs.items():
                    params = (node.get("outputs") or {}).get("parameters") or []
                    target = next((p for p in params if p.get("name") == key), None)
                    if target is None:
                        problem.append("node is not expecting output parameter '%s'" % key)
                        return False
                    target["value"] = str(value)
                    target.pop("valueFrom", None)
                    hit = True
            if not hit:
                problem.append("currently, set only targets suspend nodes: no suspend nodes "
                               "matching nodeFieldSelector: %s" % selector)
                return False
            return True
        self.store.mutate("workflows", ns, name, update)
        if problem:
            raise errors.ApiError(errors.INTERNAL, problem[0])

    def action_retry(self, req, ns, wf):
        name = wf["metadata"]["name"]
        phase = (wf.get("status") or {}).get("phase", "")
        restart = bool(req.field("restartSuccessful"))
        selector = req.field("nodeFieldSelector") or ""
        if phase == "Succeeded":
            if not (restart and selector):
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      "To retry a succeeded workflow, set the options "
                                      "restartSuccessful and nodeFieldSelector")
        elif phase not in ("Failed", "Error"):
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  "Cannot retry a workflow in phase %s" % phase)
        terms = _parse_node_selector(selector) if (restart and selector) else None
        from .api import override_parameters
        dropped_pods = []

        def retry(obj):
            override_parameters(obj, req.field("parameters") or [])
            status = obj.setdefault("status", {})
            nodes = status.get("nodes") or {}
            keep = {nid for nid, n in nodes.items()
                    if n.get("type") == "Pod" and n.get("phase") == "Succeeded"
                    and not (terms is not None and _node_matches(terms, n))}
            parents = {}
            for nid, n in nodes.items():
                for child in n.get("children") or []:
                    parents[child] = nid
            for nid in list(keep):
                p = parents.get(nid)
                while p is not None:
                    keep.add(p)
                    p = parents.get(p)
            for nid, n in list(nodes.items()):
                if nid not in keep:
                    if n.get("type") == "Pod":
                        dropped_pods.append(_pod_of(obj, n))
                    del nodes[nid]
                    continue
                n["children"] = [c for c in n.get("children") or [] if c in keep]
                if not n["children"]:
                    n.pop("children")
                if n.get("type") != "Pod":
                    n["phase"] = "Running"
                    n.pop("message", None)
                    n.pop("finishedAt", None)
            status["nodes"] = nodes
            status["phase"] = "Running"
            status["startedAt"] = rfc3339()
            status.pop("finishedAt", None)
            status.pop("message", None)
            obj["spec"].pop("shutdown", None)
            labels = obj["metadata"].setdefault("labels", {})
            labels.pop(LABEL_COMPLETED, None)
            labels[LABEL_PHASE] = "Running"
            status["conditions"] = [{"status": "False", "type": "Completed"}]
        self.store.mutate("workflows", ns, name, retry)
        self.store.reset_logs(ns, name, set(dropped_pods))
        self.react(ns, name)
        return self._reget(ns, name)

    def action_resubmit(self, req, ns, wf):
        from . import api
        memoized = bool(req.field("memoized"))
        meta = wf["metadata"]
        if memoized and (wf.get("status") or {}).get("phase") not in ("Failed", "Error"):
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  "workflow must be Failed/Error to resubmit in memoized mode")
        new_meta = {"generateName": meta.get("generateName") or meta["name"] + "-"}
        skip = (api.LABEL_CREATOR, "workflows.argoproj.io/creator-email",
                "workflows.argoproj.io/creator-preferred-username", LABEL_PHASE,
                LABEL_COMPLETED, "workflows.argoproj.io/workflow-archiving-status")
        new_meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items()
                              if k not in skip}
        new_meta["labels"][api.LABEL_RESUBMITTED] = meta["name"]
        if meta.get("annotations"):
            new_meta["annotations"] = dict(meta["annotations"])
        if meta.get("ownerReferences"):
            new_meta["ownerReferences"] = copy.deepcopy(meta["ownerReferences"])
        spec = copy.deepcopy(wf.get("spec") or {})
        spec.pop("shutdown", None)
        new = {"metadata": new_meta, "spec": spec}
        api.creator_label(req, new)
        parameters = req.field("parameters")
        if parameters:
            api.override_parameters(new, parameters)
        req.principal.check("create", "workflows", ns)
        validate.validate_workflow(self.store, ns, new, submit=True)
        created = self.store.create("workflows", ns, new)
        self.observe(ns, created["metadata"]["name"])
        return self._reget(ns, created["metadata"]["name"])


def _completed(wf):
    return ((wf.get("metadata") or {}).get("labels") or {}).get(LABEL_COMPLETED) == "true"


def _pod_of(wf, node):
    return pod_name(wf["metadata"]["name"], node.get("name", ""), node.get("templateName", ""))


def _parse_node_selector(selector):
    """fields.ParseSelector subset: comma-separated key=value / key==value / key!=value."""
    terms = []
    for term in selector.split(","):
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise errors.ApiError(errors.INTERNAL,
                                  "invalid selector: '%s'; can't understand '%s'"
                                  % (selector, term))
        terms.append(m.groups())
    return terms


def _node_matches(terms, node):
    fields = {"displayName": node.get("displayName", ""),
              "templateName": node.get("templateName", ""),
              "phase": node.get("phase", ""), "name": node.get("name", ""),
              "id": node.get("id", "")}
    for param in (node.get("inputs") or {}).get("parameters") or []:
        fields["inputs.parameters.%s.value" % param.get("name")] = str(param.get("value", ""))
    for key, op, value in terms:
        if (fields.get(key, "") == value) != (op != "!="):
            return False
    return True


class _Run:
    """One pass of the controller over one workflow object (mutated in place)."""

    def __init__(self, ctl, wf, rt):
        self.ctl = ctl
        self.wf = wf
        self.rt = rt
        self.name = wf["metadata"]["name"]
        self.ns = wf["metadata"].get("namespace", "")
        self.status = wf.setdefault("status", {})
        self.nodes = self.status.setdefault("nodes", {})
        self.now = rfc3339()
        self.spec = self._spec()
        self.templates = {t.get("name"): t for t in self.spec.get("templates") or []}
        params = {}
        for p in (self.spec.get("arguments") or {}).get("parameters") or []:
            value = _param_value(p)
            if value is not None:
                params[p.get("name")] = value
        self.globals = {"workflow.name": self.name, "workflow.namespace": self.ns,
                        "workflow.uid": wf["metadata"].get("uid", ""),
                        "workflow.creationTimestamp": wf["metadata"].get("creationTimestamp",
                                                                         "")}
        for key, value in params.items():
            self.globals["workflow.parameters." + key] = value
        self.wf_params = params
        self.log_entries = []

    def _spec(self):
        stored = self.status.get("storedWorkflowTemplateSpec")
        if stored:
            return stored
        spec = self.wf.get("spec") or {}
        if spec.get("workflowTemplateRef"):
            try:
                resolved = validate.effective_spec(self.ctl.store, self.ns, self.wf)
            except errors.ApiError as exc:
                self.status["message"] = exc.message
                return {}
            self.status["storedWorkflowTemplateSpec"] = resolved
            return resolved
        return spec

    # -- lifecycle ------------------------------------------------------------------------------

    def prepare(self):
        self.status.setdefault("conditions", [])

    def root_id(self):
        return node_id(self.name, self.name)

    def propagate(self):
        if not self.status.get("phase") == "Running":
            return
        entry = self.spec.get("entrypoint", "")
        tmpl = self.templates.get(entry)
        if tmpl is None:
            self._finish_workflow("Error", self.status.get("message") or
                                  "template name '%s' undefined" % entry)
            return
        rid = self.root_id()
        scope = self._inputs_scope(tmpl, {p: v for p, v in self.wf_params.items()})
        if rid not in self.nodes:
            self._start(self.name, self.name, tmpl, scope, None, "")
        else:
            self._propagate(rid, tmpl, scope)

    def settle(self):
        """Progress, workflow phase and labels after a pass."""
        pods = [n for n in self.nodes.values() if n.get("type") == "Pod"]
        done = sum(1 for n in pods if n.get("phase") in FULFILLED)
        self.status["progress"] = "%d/%d" % (done, len(pods))
        self._node_progress()
        root = self.nodes.get(self.root_id())
        if root is None or root.get("phase") not in FULFILLED:
            return
        phase = root["phase"] if root["phase"] in ("Succeeded", "Failed", "Error") else "Succeeded"
        self._finish_workflow(phase, root.get("message", "") if phase != "Succeeded" else "")
        self._flush_logs()

    def _flush_logs(self):
        if self.log_entries:
            self.ctl.store.append_logs(self.ns, self.name, self.log_entries)
            self.log_entries = []

    def _finish_workflow(self, phase, message):
        self.status["phase"] = phase
        self.status["finishedAt"] = self.now
        self.status.setdefault("startedAt", self.now)
        if message:
            self.status["message"] = message
        labels = self.wf["metadata"].setdefault("labels", {})
        labels[LABEL_PHASE] = phase
        labels[LABEL_COMPLETED] = "true"
        self.status["conditions"] = [{"status": "False", "type": "PodRunning"},
                                     {"status": "True", "type": "Completed"}]
        pods = [n for n in self.nodes.values() if n.get("type") == "Pod"]
        if pods:
            self.status["resourcesDuration"] = {"cpu": len(pods), "memory": len(pods)}
        if not self.nodes:
            self.status.pop("nodes", None)

    def shutdown(self, strategy):
        message = "Stopped with strategy '%s'" % strategy
        for node in self.nodes.values():
            if node.get("phase") not in FULFILLED:
                node["phase"] = "Failed"
                node["message"] = message
                node["finishedAt"] = self.now
        if not self.status.get("startedAt"):
            self.status["startedAt"] = self.now
        self._finish_workflow("Failed", message)
        self._node_progress()

    # -- nodes ------------------------------------------------------------------------------------

    def _inputs_scope(self, tmpl, args):
        """{inputs.parameters.X: value} for a template invoked with `args` (name -> value)."""
        scope = dict(self.globals)
        params = []
        for p in (tmpl.get("inputs") or {}).get("parameters") or []:
            pname = p.get("name", "")
            value = args.get(pname)
            if value is None:
                value = _param_value(p)
            if value is not None:
                scope["inputs.parameters." + pname] = value
                params.append({"name": pname, "value": value})
        scope["__params__"] = params
        return scope

    def _new_node(self, name, display, tmpl, scope, parent, boundary, ntype):
        nid = node_id(self.name, name)
        node = {"id": nid, "name": name, "displayName": display, "type": ntype,
                "templateName": tmpl.get("name", ""), "templateScope": "local/" + self.name,
                "phase": "Running", "startedAt": self.now}
        if boundary:
            node["boundaryID"] = boundary
        if scope.get("__params__"):
            node["inputs"] = {"parameters": copy.deepcopy(scope["__params__"])}
        self.nodes[nid] = node
        if parent is not None:
            kids = self.nodes[parent].setdefault("children", [])
            if nid not in kids:
                kids.append(nid)
        return nid

    def _start(self, name, display, tmpl, scope, parent, boundary):
        kind = _template_kind(tmpl)
        if kind == "steps":
            nid = self._new_node(name, display, tmpl, scope, parent, boundary, "Steps")
            self._propagate(nid, tmpl, scope)
        elif kind == "dag":
            nid = self._new_node(name, display, tmpl, scope, parent, boundary, "DAG")
            self._propagate(nid, tmpl, scope)
        elif kind == "suspend":
            nid = self._new_node(name, display, tmpl, scope, parent, boundary, "Suspend")
            self.rt.started[nid] = (self.rt.tick, time.time())
            outputs = (tmpl.get("outputs") or {}).get("parameters")
            if outputs:
                self.nodes[nid]["outputs"] = {"parameters": copy.deepcopy(outputs)}
        else:
            nid = self._new_node(name, display, tmpl, scope, parent, boundary, "Pod")
            self._run_pod(nid, tmpl, scope)
        return nid

    def _run_pod(self, nid, tmpl, scope):
        node = self.nodes[nid]
        pod = pod_name(self.name, node["name"], node["templateName"])
        local = dict(scope)
        local["pod.name"] = pod
        resolved = substitute({k: v for k, v in tmpl.items() if k != "inputs"}, local)
        lines, code = simulate(resolved)
        node["hostNodeName"] = "emulator-node"
        node["progress"] = "0/1"
        self.rt.started[nid] = (self.rt.tick, time.time())
        self.rt.exit[nid] = code
        self.rt.results[nid] = "\n".join(lines)
        base = time.time()
        for i, line in enumerate(lines):
            self.log_entries.append({"time": base + i * 1e-6, "podName": pod,
                                     "container": "main", "content": line})
        self._flush_logs()

    def finish_pods(self):
        now_wall = time.time()
        for nid, node in self.nodes.items():
            if node.get("phase") != "Running":
                continue
            started = self.rt.started.get(nid)
            if node.get("type") == "Suspend":
                tmpl = self.templates.get(node.get("templateName"), {})
                duration = _duration((tmpl.get("suspend") or {}).get("duration"))
                if duration is not None and started is not None and \
                        (self.ctl.step == 0 or now_wall - started[1] >= duration):
                    node["phase"] = "Succeeded"
                    node["finishedAt"] = self.now
                continue
            if node.get("type") != "Pod":
                continue
            if started is not None and started[0] >= self.rt.tick:
                continue
            code = self.rt.exit.get(nid, 0)
            node["finishedAt"] = self.now
            node["progress"] = "1/1"
            node["resourcesDuration"] = {"cpu": 1, "memory": 1}
            outputs = {"exitCode": str(code)}
            if nid in self.rt.results and self.templates.get(node.get("templateName"),
                                                             {}).get("script") is not None:
                outputs["result"] = self.rt.results[nid]
            node["outputs"] = outputs
            if code == 0:
                node["phase"] = "Succeeded"
            else:
                node["phase"] = "Failed"
                node["message"] = "Error (exit code %d)" % code

    def _child_scope(self, step, parent_scope, extra=None):
        args = {}
        local = dict(parent_scope)
        local.update(extra or {})
        for p in (step.get("arguments") or {}).get("parameters") or []:
            value = _param_value(p)
            if value is not None:
                args[p.get("name")] = substitute(value, local)
        return args

    def _resolve_ref(self, step):
        if step.get("template"):
            return self.templates.get(step["template"])
        ref = step.get("templateRef")
        if isinstance(ref, dict):
            resource = "clusterworkflowtemplates" if ref.get("clusterScope") else \
                "workflowtemplates"
            holder = self.ctl.store.get(resource, self.ns, ref.get("name", ""))
            if holder:
                for t in (holder.get("spec") or {}).get("templates") or []:
                    if t.get("name") == ref.get("template"):
                        return t
        inline = step.get("inline")
        return inline if isinstance(inline, dict) else None

    def _expand(self, step, base_name, base_display, scope):
        """[(name, display, template, scope)] for a step or task, expanding withItems."""
        tmpl = self._resolve_ref(step)
        if tmpl is None:
            return []
        items = step.get("withItems")
        if not isinstance(items, list):
            return [(base_name, base_display, tmpl,
                     self._inputs_scope(tmpl, self._child_scope(step, scope)))]
        out = []
        for i, item in enumerate(items):
            text = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
            extra = {"item": text}
            if isinstance(item, dict):
                extra.update({"item." + k: anystring(v) for k, v in item.items()})
            suffix = "(%d:%s)" % (i, text)
            out.append((base_name + suffix, base_display + suffix, tmpl,
                        self._inputs_scope(tmpl, self._child_scope(step, scope, extra))))
        return out

    def _sibling_scope(self, scope, names, prefix):
        """Outputs of finished siblings: {{steps.X.outputs.result}} / {{tasks.X...}}."""
        out = dict(scope)
        for sname, node_name in names:
            nid = node_id(self.name, node_name)
            node = self.nodes.get(nid)
            if node and node.get("outputs"):
                for key in ("result", "exitCode"):
                    if key in node["outputs"]:
                        out["%s.%s.outputs.%s" % (prefix, sname, key)] = node["outputs"][key]
        return out

    def _propagate(self, nid, tmpl, scope):
        node = self.nodes.get(nid)
        if node is None or node.get("phase") in FULFILLED:
            return
        kind = node.get("type")
        if kind == "Steps":
            self._propagate_steps(node, tmpl, scope)
        elif kind == "DAG":
            self._propagate_dag(node, tmpl, scope)

    def _propagate_steps(self, node, tmpl, scope):
        groups = tmpl.get("steps") or []
        earlier = []
        for i, group in enumerate(groups):
            gname = "%s[%d]" % (node["name"], i)
            gid = node_id(self.name, gname)
            local = self._sibling_scope(scope, earlier, "steps")
            children = []
            for step in group or []:
                children.extend(self._expand(step, "%s.%s" % (gname, step.get("name", "")),
                                             step.get("name", ""), local))
            if gid not in self.nodes:
                # As in Argo, the Steps node links to the first group only; each later group
                # hangs below every node of the group before it.
                prev = self.nodes.get(node_id(self.name, "%s[%d]" % (node["name"], i - 1)))
                parents = (prev.get("children") or [prev["id"]]) if prev else [node["id"]]
                self._new_node(gname, "[%d]" % i, tmpl, {}, parents[0], node["id"], "StepGroup")
                for other in parents[1:]:
                    self.nodes[other].setdefault("children", []).append(gid)
            group_node = self.nodes[gid]
            if group_node.get("phase") not in FULFILLED:
                for cname, cdisplay, ctmpl, cscope in children:
                    cid = node_id(self.name, cname)
                    if cid not in self.nodes:
                        self._start(cname, cdisplay, ctmpl, cscope, gid, node["id"])
                    else:
                        self._propagate(cid, ctmpl, cscope)
                self._settle_group(group_node, [node_id(self.name, c[0]) for c in children])
            if group_node.get("phase") not in FULFILLED:
                return
            if group_node["phase"] != "Succeeded":
                self._done(node, "Failed", group_node.get("message", ""))
                return
            earlier.extend((step.get("name", ""), "%s.%s" % (gname, step.get("name", "")))
                           for step in group or [])
        self._done(node, "Succeeded", "")

    def _settle_group(self, group, child_ids):
        phases = [self.nodes[c].get("phase") for c in child_ids if c in self.nodes]
        if len(phases) < len(child_ids) or any(p not in FULFILLED for p in phases):
            return
        for c in child_ids:
            if self.nodes[c].get("phase") in ("Failed", "Error"):
                self._done(group, "Failed", "child '%s' failed" % c)
                return
        self._done(group, "Succeeded", "")

    def _propagate_dag(self, node, tmpl, scope):
        """Start tasks whose dependencies all succeeded; a task behind a failed dependency
        never runs.  `depends` expressions are reduced to the task names they mention (all
        must succeed)."""
        tasks = (tmpl.get("dag") or {}).get("tasks") or []
        names = [t.get("name", "") for t in tasks]
        deps = {}
        for task in tasks:
            found = list(task.get("dependencies") or [])
            if task.get("depends"):
                found = [w.split(".")[0] for w in
                         re.findall(r"[A-Za-z0-9_\-]+(?:\.[A-Za-z]+)?", task["depends"])]
            deps[task.get("name", "")] = [d for d in found if d in names]

        def expansions(task, local):
            return self._expand(task, "%s.%s" % (node["name"], task.get("name", "")),
                                task.get("name", ""), local)

        ids = {t.get("name", ""): [node_id(self.name, c[0]) for c in expansions(t, scope)]
               for t in tasks}
        blocked = set()

        def state(name):
            present = [self.nodes.get(i) for i in ids[name]]
            if name in blocked or any(n and n.get("phase") in ("Failed", "Error")
                                      for n in present):
                return "failed"
            if present and all(n and n.get("phase") in FULFILLED for n in present):
                return "ok"
            return "pending"

        changed = True
        while changed:
            changed = False
            for name in names:
                if name in blocked or any(i in self.nodes for i in ids[name]):
                    continue
                if any(state(d) == "failed" for d in deps[name]):
                    blocked.add(name)
                    changed = True
        for task in tasks:
            name = task.get("name", "")
            if name in blocked or any(state(d) != "ok" for d in deps[name]):
                continue
            local = self._sibling_scope(scope, [(d, "%s.%s" % (node["name"], d))
                                                for d in deps[name]], "tasks")
            for cname, cdisplay, ctmpl, cscope in expansions(task, local):
                cid = node_id(self.name, cname)
                if cid not in self.nodes:
                    self._start(cname, cdisplay, ctmpl, cscope, node["id"], node["id"])
                else:
                    self._propagate(cid, ctmpl, cscope)
        present = [self.nodes[i] for name in names for i in ids[name] if i in self.nodes]
        if any(n.get("phase") not in FULFILLED for n in present):
            return
        if any(name not in blocked and state(name) != "ok" and
               not any(i in self.nodes for i in ids[name]) for name in names):
            if not any(n.get("phase") in ("Failed", "Error") for n in present):
                return
        failed = [n for n in present if n.get("phase") in ("Failed", "Error")]
        if failed:
            self._done(node, "Failed", "child '%s' failed" % failed[0]["id"])
        else:
            self._done(node, "Succeeded", "")

    def _done(self, node, phase, message):
        node["phase"] = phase
        node["finishedAt"] = self.now
        if message:
            node["message"] = message

    def _node_progress(self):
        """progress "done/total" of each composite node over the pods below it (node names are
        hierarchical: "wf[1].build", "wf.task")."""
        pods = [n for n in self.nodes.values() if n.get("type") == "Pod"]
        for node in self.nodes.values():
            if node.get("type") in ("Pod", "Suspend"):
                continue
            name = node.get("name", "")
            below = [p for p in pods if p.get("name", "").startswith(name)
                     and p.get("name", "")[len(name):len(name) + 1] in ("", ".", "[")]
            done = sum(1 for p in below if p.get("phase") in FULFILLED)
            node["progress"] = "%d/%d" % (done, len(below))


def _template_kind(tmpl):
    for kind in ("steps", "dag", "suspend"):
        if tmpl.get(kind) is not None:
            return kind
    return "pod"


def _duration(value):
    """Seconds for an Argo duration ("10", "10s", "2m", "1h"), or None."""
    if value is None:
        return None
    text = str(value).strip()
    m = re.match(r"^(\d+(?:\.\d+)?)([smh]?)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
