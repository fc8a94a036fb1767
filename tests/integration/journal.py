#!/usr/bin/env python3
"""Query the emulator's request journal (one JSON object per line).

  journal.py FILE count METHOD PATH       number of requests with that method and path
  journal.py FILE count-api               number of /api/ requests
  journal.py FILE body METHOD PATH [KEY]  JSON body of the last such request (or body[KEY]...,
                                          dotted), printed as compact JSON
  journal.py FILE header METHOD PATH NAME the header of the last such request
  journal.py FILE query METHOD PATH       the decoded query of the last such request, as JSON
  journal.py FILE paths                   "METHOD PATH" of every request, one per line

PATH is matched exactly against the request path (query excluded); a PATH ending in '*'
matches as a prefix.
"""
import json
import sys


def entries(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def matching(items, method, path):
    def ok(e):
        if e["method"] != method:
            return False
        if path.endswith("*"):
            return e["path"].startswith(path[:-1])
        return e["path"] == path
    return [e for e in items if ok(e)]


def main(argv):
    items = entries(argv[1])
    cmd = argv[2]
    if cmd == "count":
        print(len(matching(items, argv[3], argv[4])))
    elif cmd == "count-api":
        print(len([e for e in items if e["path"].startswith("/api/")]))
    elif cmd == "paths":
        for e in items:
            print(e["method"], e["path"])
    elif cmd in ("body", "header", "query"):
        found = matching(items, argv[3], argv[4])
        if not found:
            sys.exit("no %s %s in the journal" % (argv[3], argv[4]))
        last = found[-1]
        if cmd == "header":
            print(last["headers"].get(argv[5].lower(), ""))
            return
        if cmd == "query":
            print(json.dumps(last["query"], sort_keys=True, separators=(",", ":")))
            return
        value = last["body"]
        if len(argv) > 5:
            for key in argv[5].split("."):
                value = value.get(key) if isinstance(value, dict) else None
        print(json.dumps(value, sort_keys=True, separators=(",", ":")))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
