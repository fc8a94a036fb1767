"""Streaming replies: pod logs and the workflow watch, in grpc-gateway's two wire forms.

  Accept exactly "text/event-stream":  Content-Type text/event-stream, each message
                                       `data: {"result":<msg>} \\n\\n` + "\\n", keepalive ":\\n" every 15 s
  otherwise:                           Content-Type application/json, `{"result":<msg>}\\n` per message
Both are chunked, status 200.  An error after the stream started is one last message
{"error":{"grpc_code","http_code","message","http_status"}}.  `fields` is applied to the whole
envelope (paths start with "result.").

A Stream wraps a generator yielding message dicts, None (idle: lets the writer send keepalives
and notice a departed client) or a StreamError (last message).
"""

import re
import time

from . import errors, jsonwire, listing
from .store import rfc3339

KEEPALIVE_SECONDS = 15.0
IDLE_POLL = 0.25


class StreamError:
    def __init__(self, code, message):
        self.code = code
        self.message = message

    def envelope(self):
        status = errors.GRPC_TO_HTTP.get(self.code, 500)
        return {"error": {"grpc_code": self.code, "http_code": status, "message": self.message,
                          "http_status": errors.HTTP_STATUS_TEXT.get(status, "")}}


class Stream:
    def __init__(self, source, fields=""):
        self.source = source
        self.cleaner = listing.Cleaner(fields)


def write_stream(handler, stream):
    """Send `stream` on the handler's connection (headers, chunks, terminating chunk)."""
    sse = handler.headers.get("Accept") == "text/event-stream"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream" if sse else "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Grpc-Metadata-Argo-Version", handler.server.emu.version)
    handler.end_headers()
    handler.wfile.flush()
    last_write = time.monotonic()

    def chunk(data):
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()

    def frame(envelope):
        body = jsonwire.dumpb(envelope)
        return b"data: " + body + b" \n\n\n" if sse else body + b"\n"

    try:
        for item in stream.source:
            if item is None:
                if handler.client_gone():
                    handler.close_connection = True
                    return
                if sse and time.monotonic() - last_write >= KEEPALIVE_SECONDS:
                    chunk(b":\n")
                    last_write = time.monotonic()
                continue
            if isinstance(item, StreamError):
                chunk(frame(item.envelope()))
                break
            chunk(frame(stream.cleaner.clean({"result": item})))
            last_write = time.monotonic()
        chunk(b"")
    except OSError:
        handler.close_connection = True
    finally:
        close = getattr(stream.source, "close", None)
        if close:
            close()


# -- logs -------------------------------------------------------------------------------------

def _completed(wf):
    return ((wf.get("metadata") or {}).get("labels") or {}).get(
        "workflows.argoproj.io/completed") == "true"


def log_stream(req, ns, name, pod):
    """GET .../log: the workflow's pod log lines, merged in time order.  Lines exist only for the
    container "main"; without logOptions.container nothing is returned (Argo pods have several
    containers, see argo-workflows issue #13384).  With logOptions.follow the stream ends once
    the workflow has completed (or was deleted) and every line was sent."""
    store = req.emu.store
    container = req.q("logOptions.container", None)
    follow = req.q_bool("logOptions.follow")
    timestamps = req.q_bool("logOptions.timestamps")
    tail = req.q_int("logOptions.tailLines", -1) if req.q("logOptions.tailLines") else -1
    limit_bytes = req.q_int("logOptions.limitBytes", 0)
    since = None
    if req.q("logOptions.sinceSeconds"):
        since = time.time() - req.q_int("logOptions.sinceSeconds")
    if req.q("logOptions.sinceTime.seconds"):
        since = req.q_int("logOptions.sinceTime.seconds") + \
            req.q_int("logOptions.sinceTime.nanos") / 1e9
    grep_text = req.q("grep")

    def gen():
        grep = None
        if grep_text:
            try:
                grep = re.compile(grep_text)
            except re.error as exc:
                yield StreamError(errors.INTERNAL, "error parsing regexp: %s: `%s`"
                                  % (exc, grep_text))
                return
        sent = 0
        first = True
        used = {}
        while True:
            wf = store.get("workflows", ns, name)
            done = wf is None or _completed(wf)
            lines = store.logs(ns, name)
            new, sent = lines[sent:], len(lines)
            new = [e for e in new if e["container"] == container and (not pod or
                                                                     e["podName"] == pod)]
            if first and tail >= 0:
                keep = []
                for p in dict.fromkeys(e["podName"] for e in new):
                    own = [e for e in new if e["podName"] == p]
                    keep.extend(own[len(own) - tail:] if tail else [])
                new = keep
            first = False
            new.sort(key=lambda e: e["time"])
            for e in new:
                if since is not None and e["time"] < since:
                    continue
                if grep and not grep.search(e["content"]):
                    continue
                content = e["content"]
                if timestamps:
                    content = "%s %s" % (_rfc3339nano(e["time"]), content)
                if limit_bytes > 0:
                    size = len(content.encode()) + 1
                    if used.get(e["podName"], 0) + size > limit_bytes:
                        continue
                    used[e["podName"]] = used.get(e["podName"], 0) + size
                yield {"content": content, "podName": e["podName"]}
            if not follow or done or req.emu.stopping.is_set():
                return
            store.wait_change(IDLE_POLL)
            yield None

    return Stream(gen(), req.q("fields"))


def _rfc3339nano(t):
    whole = int(t)
    nanos = int(round((t - whole) * 1e9))
    if nanos >= 1000000000:
        whole, nanos = whole + 1, 0
    return rfc3339(whole)[:-1] + (".%09d" % nanos).rstrip("0").rstrip(".") + "Z"


# -- watch ------------------------------------------------------------------------------------

def watch_stream(req, ns):
    """GET /api/v1/workflow-events/{ns}: synthetic ADDED events for existing workflows (unless
    listOptions.resourceVersion is given: then the retained events after it, or, when events
    after it are no longer retained, a "too old resource version" error), then ADDED /
    MODIFIED / DELETED as they happen.  Ends with a ResourceExhausted "EOF" error chunk when the
    watch closes (listOptions.timeoutSeconds, POST /_emulator/watches/close, shutdown)."""
    from . import api
    emu = req.emu
    store = emu.store
    req.principal.check("watch", "workflows", ns)
    label_preds = listing.parse_label_selector(req.q("listOptions.labelSelector"))
    selector = req.q("listOptions.fieldSelector")
    match = re.search(r"(?:^|,)metadata\.name==?([^,]*)", selector)
    if match:
        wf = api.fetch_workflow(req, ns, match.group(1))
        selector = selector[:match.start(1)] + wf["metadata"]["name"] + selector[match.end(1):]
    field_preds = listing.parse_k8s_field_selector(selector)
    rv = req.q("listOptions.resourceVersion")
    timeout = req.q_int("listOptions.timeoutSeconds")
    server_cleaner = listing.Cleaner(req.q("fields")).without_prefix("result.object.")

    def wanted(obj):
        if ns and (obj.get("metadata") or {}).get("namespace") != ns:
            return False
        return listing.labels_match(label_preds, obj) and all(p(obj) for p in field_preds)

    def message(kind, obj):
        out = jsonwire.present("workflows", obj)
        if server_cleaner.active:
            out = jsonwire.normalise_workflow(server_cleaner.clean(out))
        return {"type": kind, "object": out}

    def gen():
        generation = emu.watch_generation
        deadline = time.monotonic() + timeout if timeout > 0 else None
        with store.lock:
            seq = store.current_seq()
            compacted = store.compacted_resource_version()
            too_old = rv and rv != "0" and int(rv) < compacted
            if too_old:
                initial = []
            elif rv and rv != "0":
                backlog, _ = store.events_after(
                    0, "workflows", 0,
                    lambda o: int(o["metadata"].get("resourceVersion", "0")) > int(rv) and wanted(o))
                initial = [(t, o) for _, t, o in backlog]
            else:
                initial = [("ADDED", o) for o in store.list("workflows", ns) if wanted(o)]
        if too_old:
            # the Kubernetes watch sends an ERROR event with a 410 Expired Status, which the
            # Argo Server turns into an error that ends the stream
            yield StreamError(errors.INTERNAL, "too old resource version: %s (%d)" % (rv, compacted))
            return
        for kind, obj in initial:
            yield message(kind, obj)
        while True:
            if (emu.stopping.is_set() or emu.watch_generation != generation
                    or (deadline is not None and time.monotonic() >= deadline)):
                yield StreamError(errors.RESOURCE_EXHAUSTED, "EOF")
                return
            batch, seq = store.events_after(seq, "workflows", IDLE_POLL, wanted)
            for _, kind, obj in batch:
                yield message(kind, obj)
            if not batch:
                yield None

    return Stream(gen(), req.q("fields"))

