#!/usr/bin/env python3
"""The argofs benchmarks (issue 8).  Run through bench/run.sh, which builds what this needs.

    measure.py --argofs PATH --yj-bench PATH --work DIR [--quick] [--reps N] [--out FILE]

Starts the Argo Server emulator with generated seed data (bench/gen_seed.py), mounts argofs
against it and prints each figure next to a baseline measured in the same run on the same
emulator (curl, or Python's PyYAML C loader for the converter).  Every wall time is the median
of --reps runs, timed with time.perf_counter() around the command; beside it come the requests
the emulator journalled during the run, the emulator's CPU time (from /proc/PID/stat) and the
client's CPU time (argofs daemon + the tool, or curl), so that a slow emulator is not mistaken
for a slow client.  Nothing here asserts a timing: targets are printed, not enforced.
"""

import argparse
import collections
import datetime
import glob
import json
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EMULATOR = os.path.join(ROOT, "tests", "emulator", "argo_emulator.py")
EXAMPLES = os.path.join(os.path.dirname(ROOT), "shared", "argo", "examples")
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# -- processes ------------------------------------------------------------------------------

def proc_cpu(pid):
    """User + system CPU seconds of a live process (0.0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def proc_status(pid, key):
    """A kB field of /proc/PID/status (VmHWM, VmRSS) in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def sh(cmd, timeout, check=False):
    """Run a shell command in its own process group, bounded in time.  Returns (rc, stdout);
    rc is None on timeout (the group is killed)."""
    p = subprocess.Popen(["/bin/sh", "-c", cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, ""
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (cmd, p.returncode, err.decode()[-500:]))
    if p.returncode != 0 and err:
        log("%s: exit %d: %s" % (cmd[:80], p.returncode, err.decode(errors="replace")[-300:].strip()))
    return p.returncode, out.decode(errors="replace")


def end_process(proc):
    """SIGTERM, then SIGKILL when it is still there after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Emulator:
    def __init__(self, work, seed, token, timeout):
        self.ready = os.path.join(work, "emulator.ready")
        self.journal = os.path.join(work, "journal.jsonl")
        self.logfile = open(os.path.join(work, "emulator.log"), "w")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, EMULATOR, "--port", "0", "--ready-file", self.ready,
             "--token", token, "--journal", self.journal, "--step-seconds", "0",
             "--seed", seed], stdout=self.logfile, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + timeout
        while not (os.path.exists(self.ready) and os.path.getsize(self.ready)):
            if self.proc.poll() is not None:
                raise RuntimeError("the emulator exited: see emulator.log")
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not load its seed within %d s" % timeout)
            time.sleep(0.2)
        with open(self.ready) as fh:
            self.url = fh.read().strip()
        self.load_seconds = time.perf_counter() - t0
        self.load_cpu = proc_cpu(self.pid)

    def cpu(self):
        return proc_cpu(self.pid)

    def mark(self):
        return os.path.getsize(self.journal) if os.path.exists(self.journal) else 0

    def entries(self, since):
        with open(self.journal, "rb") as fh:
            fh.seek(since)
            data = fh.read()
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            end_process(self.proc)
        self.logfile.close()


class Mount:
    def __init__(self, argofs, url, mnt, token_file, opts, logpath, ttl=60):
        os.makedirs(mnt, exist_ok=True)
        self.mnt = mnt
        self.logfile = open(logpath, "w")
        o = "token_file=%s,cache_ttl=%d" % (token_file, ttl) + ("," + opts if opts else "")
        self.proc = subprocess.Popen([argofs, url, mnt, "-f", "-o", o],
                                     stdout=self.logfile, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 30
        while not os.path.ismount(mnt):
            if self.proc.poll() is not None:
                raise RuntimeError("argofs exited with %d: see %s" % (self.proc.returncode, logpath))
            if time.monotonic() > deadline:
                raise RuntimeError("argofs did not mount within 30 s")
            time.sleep(0.05)

    def cpu(self):
        return proc_cpu(self.pid)

    def drop_caches(self):
        """SIGHUP: argofs drops its caches (handled by a thread: give it a moment)."""
        os.kill(self.pid, signal.SIGHUP)
        time.sleep(0.3)

    def drop_pages(self, directory):
        """Make the kernel drop the page cache of the files of DIRECTORY, which argofs keeps
        from one open to the next while a document's text is unchanged: a cold read must fetch
        them through argofs again.  The directory is listed first, so that opening the files
        costs one list call, not a GET each."""
        names = os.listdir(directory)
        for name in names:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)

    def stop(self):
        if self.proc.poll() is None:
            subprocess.run(["fusermount3", "-u", self.mnt], stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                subprocess.run(["fusermount3", "-uz", self.mnt], stderr=subprocess.DEVNULL)
                end_process(self.proc)
        self.logfile.close()


# -- timing ---------------------------------------------------------------------------------

class Run:
    """One timed run: wall time, requests, emulator and client CPU."""

    def __init__(self, wall, requests, emu_cpu, client_cpu, rc, out, entries):
        self.wall, self.requests, self.emu_cpu = wall, requests, emu_cpu
        self.client_cpu, self.rc, self.out, self.entries = client_cpu, rc, out, entries


def timed(emu, cmd, timeout, mount=None, prepare=None):
    if prepare:
        prepare()
    mark = emu.mark()
    e0, c0 = emu.cpu(), children_cpu()
    d0 = mount.cpu() if mount else 0.0
    t0 = time.perf_counter()
    rc, out = sh(cmd, timeout)
    wall = time.perf_counter() - t0
    time.sleep(0.05)  # the journal line is written once the reply status is known
    d1 = mount.cpu() if mount else 0.0
    entries = emu.entries(mark)
    return Run(wall, len(entries), emu.cpu() - e0, (children_cpu() - c0) + (d1 - d0), rc, out,
               entries)


class Series:
    def __init__(self, runs):
        self.runs = runs
        ok = [r for r in runs if r.rc is not None]
        self.timed_out = len(ok) < len(runs)
        pick = ok or runs

        def med(attr):
            return statistics.median(getattr(r, attr) for r in pick)
        self.wall, self.emu_cpu, self.client_cpu = med("wall"), med("emu_cpu"), med("client_cpu")
        self.requests = med("requests")


def forget_kernel_names(warm_dir):
    """Empty the kernel's dentry and inode caches (vm.drop_caches=2), then read WARM_DIR's
    files back in.  Between runs of a cp benchmark the names of the previous run, deleted
    behind argofs's back by the cleanup, are still positive dentries in the kernel for
    entry_timeout; each would cost cp two failed GETATTRs and a LOOKUP more than a name the
    kernel has never seen, which is what the first run measures.  Needs root; without it the
    later runs keep those names (noted once)."""
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("2\n")
    except OSError as e:
        if not getattr(forget_kernel_names, "warned", False):
            log("cannot empty the kernel's name cache (%s): runs after the first include stale names" % e)
            forget_kernel_names.warned = True
        return
    for name in os.listdir(warm_dir):
        with open(os.path.join(warm_dir, name), "rb") as fh:
            fh.read()


def series(reps, emu, cmd, timeout, mount=None, prepare=None):
    runs = []
    for _ in range(reps):
        runs.append(timed(emu, cmd, timeout, mount, prepare))
        if runs[-1].rc is None:
            log("timed out after %d s: %s" % (timeout, cmd[:100]))
            break  # one timeout is enough evidence; do not spend the budget again
    return Series(runs)


# -- curl baselines -------------------------------------------------------------------------

def q(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def curl_config(path, token, requests):
    """A curl -K file: one transfer per (method, url, body file or None), one process, so one
    keep-alive connection.  Each transfer writes 'STATUS NEW_CONNECTIONS'."""
    with open(path, "w") as fh:
        for i, (method, url, body) in enumerate(requests):
            if i:
                fh.write("next\n")
            fh.write("silent\nshow-error\noutput = \"/dev/null\"\n")
            fh.write("header = %s\n" % q("Authorization: Bearer " + token))
            fh.write("write-out = \"%{http_code} %{num_connects}\\n\"\n")
            if body:
                fh.write("header = \"Content-Type: application/json\"\n")
                fh.write("data-binary = %s\n" % q("@" + body))
            if method not in ("GET", "POST") or (method == "POST" and not body):
                fh.write("request = %s\n" % method)
            fh.write("url = %s\n" % q(url))
    return "curl -K %s" % path


def curl_stats(out):
    """(transfers, non-2xx, connections) from the write-out lines."""
    codes, conns = [], 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            codes.append(int(parts[0]))
            conns += int(parts[1])
    return len(codes), sum(1 for c in codes if not 200 <= c < 300), conns


def url_of(base, entry):
    query = urllib.parse.urlencode(entry.get("query") or {}, doseq=True)
    return base + entry["path"] + ("?" + query if query else "")


# -- report ---------------------------------------------------------------------------------

def fmt_s(v):
    if v is None:
        return "-"
    return "%.3f s" % v if v < 10 else "%.1f s" % v


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    return "%.2fx" % (a / b)


def fmt_req(v):
    if v is None:
        return "-"
    return "%d" % v if float(v).is_integer() else "%.1f" % v


class Report:
    def __init__(self):
        self.rows = []
        self.notes = []

    def row(self, num, what, argofs, base, ratio, target, req, emu, client):
        self.rows.append((num, what, argofs, base, ratio, target, req, emu, client))

    def series_row(self, num, what, a, b, target, base_label=None):
        """a: argofs Series, b: baseline Series (or None)."""
        argofs = fmt_s(a.wall) + (" (TIMEOUT)" if a.timed_out else "")
        base = (fmt_s(b.wall) + (" " + base_label if base_label else "")) if b else "-"
        self.row(num, what, argofs, base, fmt_ratio(a.wall, b.wall if b else None), target,
                 "%s / %s" % (fmt_req(a.requests), fmt_req(b.requests) if b else "-"),
                 "%s / %s" % (fmt_s(a.emu_cpu), fmt_s(b.emu_cpu) if b else "-"),
                 "%s / %s" % (fmt_s(a.client_cpu), fmt_s(b.client_cpu) if b else "-"))

    def note(self, text):
        self.notes.append(text)
        log(text)

    def render(self, header):
        lines = list(header) + [""]
        lines.append("| # | measurement | argofs | baseline | ratio | target | requests (argofs / baseline) "
                     "| emulator CPU (argofs / baseline) | client CPU (argofs / baseline) |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for r in sorted(self.rows, key=lambda r: (int(r[0][0]), r[0])):
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
        if self.notes:
            lines.append("")
            lines.extend("- " + n for n in self.notes)
        return "\n".join(lines) + "\n"


# -- the benchmarks -------------------------------------------------------------------------

def route(entry):
    """GET /api/v1/workflows/{ns}/{name} etc.: the request's shape, for breakdowns."""
    parts = entry["path"].split("/")
    if len(parts) >= 4 and parts[1] == "api":
        res = parts[3]
        rest = parts[4:]
        shape = [res]
        cluster = res == "cluster-workflow-templates"
        for i, p in enumerate(rest):
            if i == 0 and not cluster:
                shape.append("{ns}")
            elif (i == 1 and not cluster) or (i == 0 and cluster):
                shape.append("{name}")
            else:
                shape.append(p)
        return "%s %s" % (entry["method"], "/".join(shape))
    return "%s %s" % (entry["method"], entry["path"])


def breakdown(entries):
    c = collections.Counter(route(e) for e in entries)
    return ", ".join("%s: %d" % (k, v) for k, v in c.most_common())


def bench_converter(args, rep):
    """7: YAML->JSON and JSON->YAML throughput, argofs (yj_bench) vs PyYAML's C loader."""
    if not os.path.isdir(EXAMPLES):
        rep.note("7: skipped: the Argo examples (../shared/argo/examples from the project root) are absent")
        rep.row("7", "YAML→JSON / JSON→YAML throughput", "skipped", "-", "-", "faster", "-", "-", "-")
        return
    corpus = os.path.join(args.work, "corpus")
    jdir = os.path.join(args.work, "corpus-json")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(jdir, exist_ok=True)
    ndocs = 0
    for fn in sorted(os.listdir(EXAMPLES)):
        if not fn.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(EXAMPLES, fn), encoding="utf-8") as fh:
            text = fh.read()
        # one document per file: the converter takes exactly one, like the files argofs reads
        for i, part in enumerate(re.split(r"(?m)^---[ \t]*$\n?", text)):
            if re.search(r"(?m)^[^#\s]", part):
                with open(os.path.join(corpus, "%s.%d.yaml" % (fn.rsplit(".", 1)[0], i)), "w",
                          encoding="utf-8") as out:
                    out.write(part)
                ndocs += 1
    seconds = 0.5 if args.quick else 2.0
    files = sorted(glob.glob(os.path.join(corpus, "*.yaml")))
    p = subprocess.run([args.yj_bench, "-t", str(seconds), "-j", jdir] + files,
                       capture_output=True, text=True, timeout=120)
    skipped = [l for l in p.stderr.splitlines() if l.startswith("skip ")]
    m = re.search(r"RESULT files=(\d+) yaml_bytes=(\d+) json_bytes=(\d+) "
                  r"yaml2json_mbps=([\d.]+) json2yaml_mbps=([\d.]+)", p.stdout)
    if p.returncode != 0 or not m:
        rep.note("7: yj_bench failed: %s" % (p.stderr.strip()[-300:]))
        return
    nfiles, ybytes, jbytes = int(m.group(1)), int(m.group(2)), int(m.group(3))
    c_y2j, c_j2y = float(m.group(4)), float(m.group(5))

    import yaml  # python3-yaml
    if not getattr(yaml, "__with_libyaml__", False):
        rep.note("7: PyYAML has no libyaml here: the Python baseline is not the C loader")
    docs = []
    for jf in sorted(glob.glob(os.path.join(jdir, "*.json"))):
        yf = os.path.join(corpus, os.path.basename(jf)[:-5])
        with open(yf, "rb") as a, open(jf, "rb") as b:
            docs.append((a.read(), b.read()))

    def y2j():
        for ytext, _ in docs:
            json.dumps(yaml.load(ytext, Loader=yaml.CSafeLoader), separators=(",", ":"),
                       default=str)

    def j2y():
        for _, jtext in docs:
            yaml.dump(json.loads(jtext), Dumper=yaml.CSafeDumper, default_flow_style=False)

    def rate(fn, nbytes):
        t0, passes = time.perf_counter(), 0
        while True:
            fn()
            passes += 1
            el = time.perf_counter() - t0
            if el >= seconds or passes >= 100000:
                return nbytes * passes / el / 1e6
    py_y2j, py_j2y = rate(y2j, ybytes), rate(j2y, jbytes)
    what = "%d documents of %d Argo examples (%.0f KB YAML, %.0f KB JSON)" % (
        nfiles, len([f for f in os.listdir(EXAMPLES) if f.endswith((".yaml", ".yml"))]),
        ybytes / 1e3, jbytes / 1e3)
    rep.row("7a", "YAML→JSON, " + what, "%.1f MB/s" % c_y2j,
            "%.1f MB/s (PyYAML CSafeLoader + json)" % py_y2j, "%.2fx faster" % (c_y2j / py_y2j),
            "faster", "-", "-", "-")
    rep.row("7b", "JSON→YAML, same documents", "%.1f MB/s" % c_j2y,
            "%.1f MB/s (json + PyYAML CSafeDumper)" % py_j2y, "%.2fx faster" % (c_j2y / py_j2y),
            "faster", "-", "-", "-")
    if skipped:
        rep.note("7: %d of %d documents refused by argofs's converter and left out of both sides: %s"
                 % (len(skipped), ndocs, "; ".join(s[5:].replace(corpus + "/", "") for s in skipped)))


def main():
    ap = argparse.ArgumentParser(description="argofs benchmarks (issue 8)")
    ap.add_argument("--argofs", required=True)
    ap.add_argument("--yj-bench", required=True)
    ap.add_argument("--work", required=True, help="a scratch directory (emptied by run.sh)")
    ap.add_argument("--quick", action="store_true", help="small N, for a fast check")
    ap.add_argument("--reps", type=int, help="repetitions per timed figure (median)")
    ap.add_argument("--out", help="also write the table (markdown) to this file")
    args = ap.parse_args()

    quick = args.quick
    reps = args.reps or (2 if quick else 3)
    N_WF = 1000 if quick else 5000          # 1, 2: workflows in the listed namespace
    N_TPL = 100 if quick else 500           # 3: templates read with cat
    N_CP = 50 if quick else 200             # 4: templates copied in
    N_NS = 20                               # 5: namespaces walked by find
    NS_WF, NS_TPL = (5, 3) if quick else (25, 10)
    N_RSS = 4000 if quick else 20000        # 6: workflows listed before reading VmHWM
    RSS_NS = 4                              # ... in namespaces of N_RSS / RSS_NS (see README)
    T_CMD = 120 if quick else 300           # bound on each timed command
    per_rss_ns = N_RSS // RSS_NS

    cores = os.cpu_count()
    load_start = os.getloadavg()[0]
    usable = len(os.sched_getaffinity(0))
    rep = Report()
    t_start = time.monotonic()

    # 7 first, while nothing else runs (the emulator's start-up is CPU bound).
    log("7: converter throughput")
    bench_converter(args, rep)

    token = "bench-" + os.urandom(8).hex()
    token_file = os.path.join(args.work, "token")
    with open(token_file, "w") as fh:
        fh.write(token + "\n")
    os.chmod(token_file, 0o600)

    seed = os.path.join(args.work, "seed")
    bodies = os.path.join(args.work, "bodies")
    ns_list = ["ns%02d" % i for i in range(1, N_NS + 1)]
    rss_ns = ["argo"] + ["rss%d" % i for i in range(1, RSS_NS)]
    gen = [sys.executable, os.path.join(HERE, "gen_seed.py"), seed,
           "--ns", "argo:%d:%d" % (N_WF, N_TPL),
           "--bodies", bodies, "--bodies-count", str(N_CP), "--bodies-ns", "argo"]
    if per_rss_ns != N_WF:
        raise SystemExit("N_RSS / RSS_NS must equal N_WF (the benchmark-1 namespace is reused)")
    for ns in rss_ns[1:]:
        gen += ["--ns", "%s:%d:0" % (ns, per_rss_ns)]
    for ns in ns_list:
        gen += ["--ns", "%s:%d:%d" % (ns, NS_WF, NS_TPL)]
    subprocess.run(gen, check=True, timeout=300)

    total_wf = N_WF * RSS_NS + NS_WF * N_NS
    log("starting the emulator with %d workflows and %d templates (it runs every workflow "
        "through its controller: this takes a while)" % (total_wf, N_TPL + NS_TPL * N_NS))
    emu = Emulator(args.work, seed, token, timeout=300 if quick else 900)
    log("emulator ready in %.1f s (%.1f s CPU) at %s" % (emu.load_seconds, emu.load_cpu, emu.url))
    mounts = []

    def mount(name, opts="", ttl=60):
        m = Mount(args.argofs, emu.url, os.path.join(args.work, name), token_file, opts,
                  os.path.join(args.work, name + ".log"), ttl)
        mounts.append(m)
        return m

    try:
        A = mount("mnt")
        mnt = A.mnt
        wf_dir = os.path.join(mnt, "argo", "workflows")
        tpl_dir = os.path.join(mnt, "argo", "workflow-templates")

        # 1. ls -l of N_WF workflows, cold (SIGHUP drops argofs's caches before each run).
        log("1: ls -l of %d workflows, %d runs" % (N_WF, reps))
        ls_cmd = "ls -l %s > /dev/null" % wf_dir
        a1 = series(reps, emu, ls_cmd, T_CMD, A, prepare=A.drop_caches)
        lists = [e for e in a1.runs[0].entries if e["path"] == "/api/v1/workflows/argo"]
        others = [e for e in a1.runs[0].entries if e["path"] != "/api/v1/workflows/argo"]
        cfg1 = curl_config(os.path.join(args.work, "curl-list.cfg"), token,
                           [("GET", url_of(emu.url, e), None) for e in lists])
        b1 = series(reps, emu, cfg1, T_CMD)
        n, bad, conns = curl_stats(b1.runs[-1].out)
        unpaged = lists[0].copy() if lists else None
        b1u = None
        if unpaged:
            unpaged["query"] = {k: v for k, v in unpaged["query"].items()
                                if not k.startswith("listOptions.")}
            cfg1u = curl_config(os.path.join(args.work, "curl-list1.cfg"), token,
                                [("GET", url_of(emu.url, unpaged), None)])
            b1u = series(reps, emu, cfg1u, T_CMD)
        rep.series_row("1", "`ls -l NS/workflows`, %d workflows, cold cache" % N_WF, a1, b1, "≤ 1.5x",
                       "(curl: the same %d page URLs, 1 process)" % len(lists))
        if b1u:
            rep.series_row("1b", "same `ls -l` vs one unpaged list call", a1, b1u, "-",
                           "(curl: 1 request, no listOptions.limit)")
        pages = (N_WF + 499) // 500
        rep.note("1: argofs's requests in the first run: %s (pages of one list: %d); "
                 "the curl baseline made %d transfers over %d connection(s), %d not 2xx"
                 % (breakdown(a1.runs[0].entries), pages, n, conns, bad))
        if lists:
            rep.note("1: the list URL argofs used (first page): `%s`"
                     % url_of("", lists[0]))
        if others:
            rep.note("1: requests other than the list: %s" % breakdown(others))
        mem_a = []

        def mem(label):
            mem_a.append("%s %.1f/%.1f" % (label, proc_status(A.pid, "VmHWM") / MIB,
                                           proc_status(A.pid, "VmRSS") / MIB))
        mem("after 1")
        if any(r.requests == 0 for r in a1.runs):
            rep.note("1: WARNING: a cold run made no request (did SIGHUP not drop the caches?)")

        # 2. the same ls -l within the TTL.
        log("2: ls -l again within cache_ttl")
        a2 = series(reps, emu, ls_cmd, T_CMD, A)
        rc, out = sh("ls -l %s | wc -l" % wf_dir, T_CMD)
        rep.series_row("2", "`ls -l` again within cache_ttl (60 s)", a2, b1, "0 requests",
                       "(curl of bench 1)")
        rep.note("2: `ls -l` printed %s lines for %d workflows (plus `total` and `@latest`)"
                 % (out.strip(), N_WF))
        mem("after 2")

        # 3. cat of N_TPL templates, cold, vs curl GET of each object on one connection.
        log("3: cat of %d templates" % N_TPL)
        cat_cmd = "cat %s/* > /dev/null" % tpl_dir

        def cold_templates():
            A.drop_pages(tpl_dir)
            A.drop_caches()

        a3 = series(reps, emu, cat_cmd, T_CMD, A, prepare=cold_templates)
        cfg3 = curl_config(os.path.join(args.work, "curl-get.cfg"), token,
                           [("GET", "%s/api/v1/workflow-templates/argo/tpl-%05d" % (emu.url, i), None)
                            for i in range(N_TPL)])
        b3 = series(reps, emu, cfg3, T_CMD)
        n, bad, conns = curl_stats(b3.runs[-1].out)
        rep.series_row("3", "`cat NS/workflow-templates/*`, %d templates, cold cache" % N_TPL,
                       a3, b3, "≤ 1.0x", "(curl: %d GETs, 1 process)" % N_TPL)
        a3w = series(reps, emu, cat_cmd, T_CMD, A)
        rep.series_row("3b", "the same `cat` within cache_ttl (what FUSE alone costs)", a3w, b3,
                       "-", "(curl of bench 3)")
        rep.note("3: argofs's requests: %s; curl: %d transfers, %d connection(s), %d not 2xx"
                 % (breakdown(a3.runs[0].entries), n, conns, bad))
        mem("after 3")

        # 4. cp of N_CP template files vs curl POSTing the same bodies on one connection.
        log("4: cp of %d templates" % N_CP)
        names = ["bench-new-%04d" % i for i in range(N_CP)]
        cfg_del = curl_config(os.path.join(args.work, "curl-del.cfg"), token,
                              [("DELETE", "%s/api/v1/workflow-templates/argo/%s" % (emu.url, nm), None)
                               for nm in names])

        def delete_new():
            sh(cfg_del, T_CMD)

        def fresh_start():  # the same for both: the 200 gone, bodies read in, the kernel's names gone
            delete_new()
            forget_kernel_names(bodies)

        def prep_argofs():
            fresh_start()
            A.drop_caches()
            sh("ls %s > /dev/null" % tpl_dir, T_CMD)  # the directory is listed: cp measures creates

        cp_cmd = "cp %s/*.yaml %s/" % (bodies, tpl_dir)
        a4 = series(reps, emu, cp_cmd, T_CMD, A, prepare=prep_argofs)
        cfg4 = curl_config(os.path.join(args.work, "curl-post.cfg"), token,
                           [("POST", "%s/api/v1/workflow-templates/argo" % emu.url,
                             os.path.join(bodies, nm + ".json")) for nm in names])
        b4 = series(reps, emu, cfg4, T_CMD, prepare=fresh_start)
        n, bad, conns = curl_stats(b4.runs[-1].out)
        rep.series_row("4", "`cp` of %d template files into NS/workflow-templates/" % N_CP, a4, b4,
                       "≤ 1.3x", "(curl: %d POSTs, 1 process)" % N_CP)
        bad_argofs = sum(1 for e in a4.runs[-1].entries if not 200 <= (e.get("status") or 0) < 300)
        rep.note("4: argofs's requests (last run): %s, %d not 2xx (cp exit %s); curl: %d transfers, "
                 "%d connection(s), %d not 2xx"
                 % (breakdown(a4.runs[-1].entries), bad_argofs, a4.runs[-1].rc, n, conns, bad))
        delete_new()
        mem("after 4")
        rep.note("1-4: the daemon's VmHWM/VmRSS in MiB: " + ", ".join(mem_a))
        A.stop()
        mounts.remove(A)

        # 1c. the same cold ls -l with a cache_ttl shorter than the listing takes: a listing is
        # stamped with the time its first page was asked for, so when fetching it takes longer
        # than cache_ttl, every lstat() finds it stale and lists the namespace again.
        if a1.wall >= 3:
            log("1c: ls -l of %d workflows with cache_ttl=1" % N_WF)
            D = mount("mnt-ttl1", ttl=1)
            t1c = int(max(30, 4 * a1.wall))
            a1c = series(1, emu, ls_cmd.replace(mnt, D.mnt), t1c, D)
            rep.series_row("1c", "`ls -l` of the %d workflows, cold, cache_ttl=1 s (shorter than "
                           "the %.0f s the listing takes)" % (N_WF, a1.wall), a1c, b1,
                           "pages of one list", "(curl of bench 1)")
            if a1c.timed_out:
                rep.note("1c: `ls -l` did not finish within %d s (%.0f x the cold `ls -l` of bench 1): "
                         "%d list requests, %.1f times the %d pages of one list"
                         % (t1c, t1c / a1.wall, a1c.requests, a1c.requests / max(pages, 1), pages))
            D.stop()
            mounts.remove(D)
        else:
            rep.note("1c: skipped: the listing (%.1f s) is not slower than a 1 s cache_ttl here" % a1.wall)

        # 5. find over N_NS namespaces.
        log("5: find over %d namespaces" % N_NS)
        B = mount("mnt-find", "namespace=" + ":".join(ns_list))
        a5 = series(1, emu, "find %s | wc -l" % B.mnt, T_CMD, B)
        entries_found = a5.runs[0].out.strip()
        rc, dirs = sh("find %s -type d | wc -l" % B.mnt, T_CMD)
        a5b = series(1, emu, "find %s | wc -l" % B.mnt, T_CMD, B)
        rep.series_row("5", "`find MOUNT | wc -l`, %d namespaces (%d workflows, %d templates each), "
                       "cold" % (N_NS, NS_WF, NS_TPL), a5, None, "O(directories)")
        rep.series_row("5b", "the same `find` again within cache_ttl", a5b, None, "0 requests")
        ndirs = int(dirs.strip() or 0)
        rep.note("5: find printed %s entries, %d directories (%d of them workflows); %d requests = "
                 "%.1f per directory; by route: %s"
                 % (entries_found, ndirs, NS_WF * N_NS, a5.runs[0].requests,
                    a5.runs[0].requests / max(ndirs, 1), breakdown(a5.runs[0].entries)))
        if a5b.requests:
            rep.note("5b: requests by route: %s" % breakdown(a5b.runs[0].entries))
        B.stop()
        mounts.remove(B)

        # 6. peak RSS after listing N_RSS workflows (a fresh daemon).
        log("6: peak RSS after listing %d workflows" % N_RSS)
        C = mount("mnt-rss")
        idle_hwm = proc_status(C.pid, "VmHWM")
        walls, reqs = [], 0
        e0 = emu.cpu()
        timed_out = False
        for ns in rss_ns:
            r = timed(emu, "ls -l %s/%s/workflows | wc -l" % (C.mnt, ns), T_CMD, C)
            walls.append(r.wall)
            reqs += r.requests
            if r.rc is None:
                timed_out = True
                break
            if r.out.strip() != str(per_rss_ns + 2):  # + "total" and @latest
                rep.note("6: `ls -l %s/workflows` printed %s lines, expected %d"
                         % (ns, r.out.strip(), per_rss_ns + 2))
        hwm, rss = proc_status(C.pid, "VmHWM"), proc_status(C.pid, "VmRSS")
        rep.row("6", "peak RSS (VmHWM) of the daemon after `ls -l` of %d workflows (%d namespaces x %d)"
                % (N_RSS, RSS_NS, per_rss_ns),
                "%.1f MiB%s" % (hwm / MIB, " (TIMEOUT)" if timed_out else ""),
                "64 MiB (target)", "%.2fx" % (hwm / (64 * MIB)), "≤ 64 MiB",
                "%d / -" % reqs, "%s / -" % fmt_s(emu.cpu() - e0), "-")
        rep.note("6: VmHWM %.1f MiB at mount, %.1f MiB after the listings (VmRSS now %.1f MiB; "
                 "%.0f bytes of peak per workflow listed); listing took %s"
                 % (idle_hwm / MIB, hwm / MIB, rss / MIB, (hwm - idle_hwm) / N_RSS,
                    " + ".join("%.1f s" % w for w in walls)))
        C.stop()
        mounts.remove(C)
    finally:
        for m in mounts:
            m.stop()
        emu_total = emu.cpu()
        emu.stop()

    loadavg = os.getloadavg()
    header = [
        "argofs benchmarks, %s%s: %d cores (%d usable), load average %.2f at the start, %.2f at the end; %s; "
        "Python %s; release build; emulator: HTTP/1.1 without TLS on 127.0.0.1, TCP_NODELAY"
        % (datetime.date.today().isoformat(), " (--quick)" if quick else "", cores, usable,
           load_start, loadavg[0], platform.platform(terse=True), platform.python_version()),
        "",
        "Times are medians of %d runs (wall clock); ratio = argofs / baseline. The emulator loaded "
        "%d workflows and %d templates in %.0f s (%.0f s CPU) and used %.0f s CPU in all."
        % (reps, total_wf, N_TPL + NS_TPL * N_NS, emu.load_seconds, emu.load_cpu, emu_total),
    ]
    text = rep.render(header)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    log("done in %.0f s" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
