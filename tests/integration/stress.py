#!/usr/bin/env python3
"""The workers and the checks of t_74_stress.sh.

  stress.py worker KIND START PHASES MNT DIR
      one worker process: from the time START (seconds since the epoch) on, through the phases
      PHASES ("NAME:SECONDS,NAME:SECONDS..."), the operations of KIND through the real tools (ls,
      cat, cp, rm, tail -f) on the mount MNT, one JSON record per operation appended to
      DIR/KIND.jsonl (what it did, in which phase, the exit status, the errno its error message
      names). KIND is writer-N (cp creates, cp updates, rm of its own templates s-PHASE-N-I, cp
      of invalid ones), lister (ls and ls -l), reader (cat of templates and of the seed's runs'
      files), submitter-N (cp of submit options to argo/submit/stress-sub-N, then cat of it) or
      tailer (tail -f of the newest run's log).
  stress.py check DIR URL TOKEN JOURNAL
      compare the records of DIR with the server (its API at URL, with TOKEN) and its request
      journal; print the figures; exit 1 with a line per disagreement.
"""
import collections
import errno
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import yaml

NS = "argo"
WT = NS + "/workflow-templates"
# runs of the emulator's seed: the reader reads these, not the new ones, so that the daemon's
# cache of whole runs (bounded, but to megabytes) does not grow from one phase to the next
SEED_RUNS = ["hello-seeded", "ci-main-1", "report-1", "broken-build"]
MAX_ALIVE = 10  # templates of one writer on the server at a time
HUNG = 30  # seconds: an operation still running after that is recorded as hung
# every strerror text, longest first (so that a text is not taken for one it contains)
ERRNO_TEXTS = sorted(((os.strerror(n), name) for n, name in errno.errorcode.items()),
                     key=lambda t: -len(t[0]))
ENV = dict(os.environ, LC_ALL="C")


def errno_of(stderr):
    for text, name in ERRNO_TEXTS:
        if text in stderr:
            return name
    return "?"


class Worker:
    def __init__(self, kind, start, phases, mnt, out):
        self.kind, self.start, self.mnt = kind, float(start), mnt
        self.phases = [(p.split(":")[0], float(p.split(":")[1])) for p in phases.split(",")]
        self.phase = self.phases[0][0]
        self.rng = random.Random(kind)
        self.alive = []  # a writer's templates on the server
        self.files = os.path.join(out, "files")
        os.makedirs(self.files, exist_ok=True)
        self.log = open(os.path.join(out, kind + ".jsonl"), "a", encoding="utf-8")

    def run(self, op, argv, **fields):
        """Run argv, record it as op with fields; return (ok, stdout)."""
        start = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=HUNG, env=ENV)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "hung", e.stdout or "", "hung: %s" % e
        # `timeout` ends a `tail -f` that was still following: 124 is its success
        ok = rc == 0 or (op == "tail" and rc == 124)
        rec = dict(fields, op=op, worker=self.kind, phase=self.phase, rc=rc, ok=ok,
                   seconds=round(time.monotonic() - start, 3),
                   errno=None if ok else errno_of(err), stderr=err.strip()[:300])
        if op == "tail":
            rec["output"] = out
        self.log.write(json.dumps(rec) + "\n")
        self.log.flush()
        return ok, out

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def loop(self):
        step = getattr(self, self.kind.split("-")[0])
        time.sleep(max(0.0, self.start - time.time()))
        end = self.start
        for phase, seconds in self.phases:
            self.phase = phase
            end += seconds
            i = 0
            while time.time() < end:
                step(i)
                i += 1

    # writer-N: its own templates, each created once, updated, removed; at most MAX_ALIVE at a
    # time, so that the directory (and what a listing costs) stays the same size phase after phase
    def writer(self, i):
        n = self.kind.split("-")[1]
        roll = self.rng.random()
        if self.alive and (roll < 0.3 or len(self.alive) >= MAX_ALIVE):
            name = self.alive.pop(self.rng.randrange(len(self.alive)))
            self.run("rm", ["rm", self.path(WT, name + ".yaml")], name=name)
        elif self.alive and roll < 0.55:
            name = self.rng.choice(self.alive)
            self.cp_template("update", name, "%s-update-%d" % (name, i))
        else:
            name = "s-%s-%s-%d" % (self.phase, n, i)
            kind = "create"
            if roll > 0.95:
                kind = "bad-local"    # refused by argofs: no request
            elif roll > 0.9:
                kind = "bad-server"   # refused by the server's validation
            if self.cp_template(kind, name, "%s-created" % name) and kind == "create":
                self.alive.append(name)

    def cp_template(self, kind, name, message):
        doc = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "CronWorkflow" if kind == "bad-local" else "WorkflowTemplate",
            "metadata": {"name": name, "labels": {"stress": self.kind}},
            "spec": {
                "entrypoint": "main",
                "arguments": {"parameters": [{"name": "message", "value": message}]},
                "templates": [{"name": "main", "container": {
                    "image": "" if kind == "bad-server" else "busybox",
                    "command": ["echo"], "args": ["{{workflow.parameters.message}}"]}}],
            },
        }
        src = os.path.join(self.files, "%s.%d.yaml" % (name, time.monotonic_ns()))
        with open(src, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f)
        ok, _ = self.run("cp", ["cp", src, self.path(WT, name + ".yaml")],
                         name=name, kind=kind, file=src)
        return ok

    def lister(self, i):
        dirs = [[], [NS], [WT], [NS, "workflows"], [NS, "submit"], [".argofs"]]
        d = dirs[i % len(dirs)]
        self.run("ls", ["ls", "-l" if i % 2 else "-a", self.path(*d)], path="/".join(d))

    def reader(self, i):
        ok, out = self.run("ls", ["ls", self.path(WT)], path=WT)
        names = out.split() if ok else []
        for name in self.rng.sample(names, min(3, len(names))):
            self.run("cat", ["cat", self.path(WT, name)], path=WT + "/" + name,
                     name=name[:-len(".yaml")])
        run = self.rng.choice(SEED_RUNS)
        for f in ("phase", "summary", "workflow.yaml"):
            self.run("cat", ["cat", self.path(NS, "workflows", run, f)],
                     path="%s/workflows/%s/%s" % (NS, run, f))

    def submitter(self, i):
        template = "stress-sub-" + self.kind.split("-")[1]
        message = "%s-%s-%d" % (self.kind, self.phase, i)
        src = os.path.join(self.files, "%s.submit" % message)
        with open(src, "w", encoding="utf-8") as f:
            yaml.safe_dump({"parameters": {"message": message}, "labels": {"stress": "run"}}, f)
        entry = self.path(NS, "submit", template)
        ok, _ = self.run("submit", ["cp", src, entry], template=template, message=message)
        if ok:
            ok, out = self.run("cat", ["cat", entry], path="%s/submit/%s" % (NS, template))
            with open(os.path.join(self.files, "submitted"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"message": message, "workflow": out.strip() if ok else None})
                        + "\n")

    def tailer(self, i):
        ok, name = self.run("readlink", ["readlink", self.path(NS, "workflows", "@latest")])
        if not ok:
            return
        name = name.strip()
        ok, out = self.run("cat", ["cat", self.path(NS, "workflows", name, "phase")],
                           path="%s/workflows/%s/phase" % (NS, name))
        self.run("tail", ["timeout", "2.5", "tail", "-n", "+1", "-f",
                          self.path(NS, "workflows", name, "log")],
                 workflow=name, finished_before=ok and out.strip() in ("Succeeded", "Failed"))


def api(url, token, path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def contains(have, want):
    """Everything of want is in have (dicts: a subset of keys; lists: element by element)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and contains(have[k], v)
                                              for k, v in want.items())
    if isinstance(want, list):
        return (isinstance(have, list) and len(have) == len(want)
                and all(contains(h, w) for h, w in zip(have, want)))
    return have == want


def check(out, url, token, journal_file):
    records = []
    for f in sorted(os.listdir(out)):
        if f.endswith(".jsonl"):
            with open(os.path.join(out, f), encoding="utf-8") as fh:
                records += [json.loads(line) for line in fh]
    with open(journal_file, encoding="utf-8") as fh:
        journal = [json.loads(line) for line in fh if line.strip()]
    problems = []

    # the figures
    figures = collections.OrderedDict()
    for r in records:
        key = r["op"] + (" " + r["kind"] if "kind" in r else "")
        fig = figures.setdefault(key, [0, 0, collections.Counter()])
        fig[0] += 1
        if r["ok"]:
            fig[1] += 1
        else:
            fig[2][r["errno"]] += 1
    print("operations (%d in all):" % len(records))
    for key, (n, ok, errs) in sorted(figures.items()):
        print("  %-16s %5d done, %5d ok, %4d failed %s" % (
            key, n, ok, n - ok, " ".join("%s=%d" % e for e in sorted(errs.items()))))

    # which failures are expected: invalid templates (EINVAL), and a file that went away while
    # another worker read or listed it (removed, or a refused new file, which is not kept):
    # ENOENT, or ESTALE when it went between the lookup and the open or stat (libfuse has no
    # path for it any more)
    removed = {r["name"] for r in records if (r["op"] == "rm" and r["ok"]) or
               (r.get("kind", "").startswith("bad-") and not r["ok"])}
    for r in records:
        if r["ok"]:
            if r.get("kind", "").startswith("bad-"):
                problems.append("an invalid template was accepted: %s" % r["name"])
            continue
        if r.get("kind", "").startswith("bad-") and r["errno"] == "EINVAL":
            continue
        if r["errno"] in ("ENOENT", "ESTALE") and r["op"] in ("cat", "ls") and any(
                "/%s.yaml" % name in r["stderr"] for name in removed):
            continue
        problems.append("%s %s failed unexpectedly: rc %s: %s" % (
            r["op"], r.get("path", r.get("name", "")), r["rc"], r["stderr"]))

    # the templates: what each writer's successful operations say, on the server
    items = json.loads(api(url, token, "/api/v1/workflow-templates/" + NS))["items"] or []
    server = {i["metadata"]["name"]: i for i in items}
    by_name = collections.OrderedDict()
    for r in records:
        if r["worker"].startswith("writer-"):
            by_name.setdefault(r["name"], []).append(r)
    requests = collections.Counter()
    for e in journal:
        wt = "/api/v1/workflow-templates/" + NS
        if e["method"] == "POST" and e["path"] == wt and isinstance(e["body"], dict):
            name = ((e["body"].get("template") or {}).get("metadata") or {}).get("name")
        elif e["method"] in ("PUT", "DELETE") and e["path"].startswith(wt + "/"):
            name = e["path"][len(wt) + 1:]
        else:
            continue
        ok = e["status"] is not None and 200 <= e["status"] < 300
        requests[(e["method"], name, ok)] += 1
    present = set()
    for name, ops in by_name.items():
        content, gone = None, False
        for r in ops:
            if r["ok"] and r["op"] == "cp":
                content = r["file"]
            elif r["ok"] and r["op"] == "rm":
                gone = True
        creates = sum(r["ok"] and r.get("kind") == "create" for r in ops)
        updates = sum(r["ok"] and r.get("kind") == "update" for r in ops)
        removes = sum(r["ok"] and r["op"] == "rm" for r in ops)
        attempts = sum(r["op"] == "cp" and r["kind"] != "update" for r in ops)
        expect = [("POST", True, creates), ("PUT", True, updates), ("DELETE", True, removes)]
        for method, ok, n in expect:
            if requests[(method, name, ok)] != n:
                problems.append("%s: %d successful %s in the journal, %d successful operations"
                                % (name, requests[(method, name, ok)], method, n))
        if requests[("POST", name, True)] + requests[("POST", name, False)] > attempts:
            problems.append("%s: more POSTs than cp attempts" % name)
        if any(r.get("kind") == "bad-local" for r in ops) and (
                requests[("POST", name, True)] + requests[("POST", name, False)]):
            problems.append("%s: a template refused by argofs was sent" % name)
        if content is None or gone:
            if name in server:
                problems.append("%s is on the server (%s)" % (
                    name, "removed by a successful rm" if gone else "no cp of it succeeded"))
            continue
        present.add(name)
        with open(content, encoding="utf-8") as fh:
            written = yaml.safe_load(fh)
        del written["apiVersion"], written["kind"]
        if name not in server:
            problems.append("%s is not on the server" % name)
        elif not contains(server[name], written):
            problems.append("%s on the server is not the text of its last successful cp: %s"
                            % (name, json.dumps(server[name]["spec"])))
    extra = {n for n in server if n.startswith("s-")} - present
    if extra:
        problems.append("templates on the server that no operation made: %s" % sorted(extra))

    # the runs: one per successful submit, with its parameter
    submits = [r for r in records if r["op"] == "submit"]
    ok_submits = {r["message"] for r in submits if r["ok"]}
    with open(os.path.join(out, "files", "submitted"), encoding="utf-8") as fh:
        named = {d["message"]: d["workflow"] for d in map(json.loads, fh)}
    query = urllib.parse.urlencode({"listOptions.labelSelector": "stress=run"})
    runs = json.loads(api(url, token, "/api/v1/workflows/%s?%s" % (NS, query)))["items"] or []
    run_message = {}
    for w in runs:
        params = w["spec"].get("arguments", {}).get("parameters") or []
        run_message[w["metadata"]["name"]] = {p["name"]: p.get("value") for p in params}.get(
            "message")
    sent = sum(e["method"] == "POST" and e["path"] == "/api/v1/workflows/%s/submit" % NS
               and e["status"] == 200 for e in journal)
    if not len(runs) == sent == len(ok_submits):
        problems.append("%d successful submit writes, %d accepted by the server, %d runs"
                        % (len(ok_submits), sent, len(runs)))
    for message in ok_submits:
        if run_message.get(named.get(message)) != message:
            problems.append("the run of submit %s (%s) is not on the server with its parameter"
                            % (message, named.get(message)))

    # tail -f: what it showed is the start of the run's log; all of it for a finished run
    full = 0
    for r in records:
        if r["op"] != "tail" or not r["ok"]:
            continue
        log = "".join("%s: %s\n" % (d["result"]["podName"], d["result"]["content"])
                      for d in map(json.loads, api(url, token, "/api/v1/workflows/%s/%s/log?%s" % (
                          NS, r["workflow"], "logOptions.container=main")).splitlines())
                      if "result" in d)
        if not log.startswith(r["output"]):
            problems.append("tail -f of %s showed %r, the log is %r"
                            % (r["workflow"], r["output"], log))
        elif r["finished_before"] and r["output"] != log:
            problems.append("tail -f of the finished %s showed %r of %r"
                            % (r["workflow"], r["output"], log))
        full += bool(log) and r["output"] == log
    print("server: %d templates made by the writers, %d runs submitted; %d tail -f saw a whole log"
          % (len(present), len(runs), full))

    for kind in ("cp create", "cp update", "rm", "submit", "tail", "ls", "cat"):
        if figures.get(kind, [0, 0])[1] == 0:
            problems.append("no %s succeeded: the load did not run" % kind)
    if full == 0:
        problems.append("no tail -f saw a whole log")
    for p in problems:
        print("  MISMATCH: " + p)
    return 1 if problems else 0


def main(argv):
    if argv[1] == "worker":
        Worker(*argv[2:7]).loop()
        return 0
    if argv[1] == "check":
        return check(*argv[2:6])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
