"""The request journal: one JSON object per line per /api/ (or other non-control) request,
flushed immediately, written once the reply status is known.

Entry: {"method", "path", "query", "headers", "body", "status"} plus "fault" when a fault
was injected ("fail", "drop" or "hang"; a hung request has status null).
  path     the raw path, percent-encoding kept
  query    decoded dict of lists (urllib.parse.parse_qs, blank values kept)
  headers  lowercased names: authorization, content-type, accept, cookie and every x-* header
  body     parsed JSON, or the raw text when it is not JSON, or null when empty
The in-memory copy (GET /_emulator/journal) holds the same entries.
"""

import json
import threading

SELECTED = ("authorization", "content-type", "accept", "cookie")


def select_headers(headers):
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low in SELECTED or low.startswith("x-"):
            out[low] = value
    return out


def body_value(raw):
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Journal:
    def __init__(self, path=None):
        self._lock = threading.Lock()
        self._entries = []
        self._fh = open(path, "a", encoding="utf-8") if path else None

    def record(self, entry):
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            self._entries.append(entry)
            if self._fh:
                self._fh.write(line + "\n")
                self._fh.flush()

    def entries(self):
        with self._lock:
            return list(self._entries)

    def reset(self):
        """Forget the in-memory entries and truncate the journal file."""
        with self._lock:
            self._entries = []
            if self._fh:
                self._fh.seek(0)
                self._fh.truncate()
                self._fh.flush()
