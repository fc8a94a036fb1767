#!/usr/bin/env python3
"""A deliberately broken "Argo Server" for the bad-input tests (t_71_bad_input.sh).

The emulator stays faithful to the real server, so replies no real server should send live
here instead. Python standard library only.

  hostile_server.py --ready-file F

It listens on 127.0.0.1 (a free port), writes "http://127.0.0.1:PORT" to F once listening,
answers /api/v1/version, /api/v1/info and /api/v1/userinfo sensibly (so that argofs mounts),
and serves the list of workflow templates of namespace NS as follows:

  names       items named "good-one" and "ok.two", and items that must be skipped: names with
              '/', "..", ".", "", upper case, 300 characters, a number, null, no metadata,
              metadata as a string, an item that is a string, a list
  notjson     200 with a body that is not JSON
  itemsobject "items" is an object, not a list
  itemsstring "items" is a string
  toplist     the whole reply is a JSON list
  oversize    200 announcing a 100 MiB body (over argofs's 64 MiB cap) and sending a part of it
  chunked     200 streaming 65 MiB of JSON without a Content-Length (chunked)
  duplicates  "twin" twice, with different contents (and its workflows list, too)
  endless     every page holds one item and a "continue" token: a list that never ends

Any other namespace, and any other list (cron workflows, workflows, cluster workflow
templates), is empty; any single object is 404. Each request is logged as one
line "METHOD PATH" on stderr.
"""

import argparse
import json
import os
import sys
import tempfile
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIB = 1024 * 1024


def template(name, image="busybox"):
    return {"metadata": {"name": name, "namespace": "names", "resourceVersion": "1",
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"entrypoint": "main",
                     "templates": [{"name": "main", "container": {"image": image}}]}}


def workflow(name, day):
    return {"metadata": {"name": name, "namespace": "duplicates", "resourceVersion": day,
                         "creationTimestamp": "2026-01-%sT00:00:00Z" % day},
            "status": {"phase": "Succeeded"}}


def bad_names():
    good = [template("good-one"), template("ok.two")]
    bad = [template(n) for n in ("../escape", "a/b", "..", ".", "", "UPPER", "x" * 300,
                                 "with space", "trailing-", "new\nline")]
    bad += [{"metadata": {"name": 5}}, {"metadata": {"name": None}}, {"spec": {}},
            {"metadata": "just a string"}, "an item that is a string", [1, 2, 3]]
    return {"metadata": {"resourceVersion": "7"}, "items": bad[:5] + good[:1] + bad[5:] + good[1:]}


LISTS = {
    "names": lambda: bad_names(),
    "itemsobject": lambda: {"metadata": {}, "items": {"good-one": template("good-one")}},
    "itemsstring": lambda: {"metadata": {}, "items": "good-one"},
    "toplist": lambda: [template("good-one")],
    "duplicates": lambda: {"metadata": {}, "items": [template("twin"),
                                                      template("twin", "alpine:3.20-and-more")]},
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        sys.stderr.write("GET %s\n" % self.path)
        sys.stderr.flush()
        path = parsed.path
        if path == "/api/v1/version":
            return self.reply(200, {"version": "v3.7.2-hostile"})
        if path in ("/api/v1/info", "/api/v1/userinfo"):
            return self.reply(200, {})
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:3] == ["api", "v1", "workflow-templates"]:
            return self.list_reply(parts[3], urllib.parse.parse_qs(parsed.query))
        if parts == ["api", "v1", "workflows", "duplicates"]:
            return self.reply(200, {"metadata": {}, "items": [workflow("twin", "01"),
                                                              workflow("twin", "02")]})
        if parts[:2] == ["api", "v1"] and len(parts) == (3 if "cluster" in parts[2] else 4):
            return self.reply(200, {"metadata": {}, "items": []})
        return self.reply(404, {"code": 5, "message": "not found"})

    def list_reply(self, ns, query):
        if ns in LISTS:
            return self.reply(200, LISTS[ns]())
        if ns == "notjson":
            return self.reply(200, b"<html>this is not JSON</html>", "text/html")
        if ns == "oversize":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(100 * MIB))
            self.end_headers()
            try:
                self.wfile.write(b'{"items":[' + b" " * MIB)
            except OSError:
                pass
            self.close_connection = True
            return None
        if ns == "chunked":
            return self.chunked_reply(65 * MIB)
        if ns == "endless":
            page = int(query.get("listOptions.continue", ["0"])[0] or 0)
            return self.reply(200, {"metadata": {"continue": str(page + 1)},
                                    "items": [template("page-%d" % page)]})
        return self.reply(200, {"metadata": {}, "items": []})

    def chunked_reply(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b" " * MIB
        try:
            self.write_chunk(b'{"items":[')
            for _ in range(size // MIB):
                self.write_chunk(chunk)
            self.write_chunk(b"]}")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.ready_file)))
    with os.fdopen(fd, "w") as f:
        f.write("http://127.0.0.1:%d\n" % server.server_address[1])
    os.rename(tmp, args.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
