"""Run-time fault injection, set through POST /_emulator/faults.

  {"delay_ms": N}                                   delay every non-control reply by N ms (0 = off)
  {"fail_next": N, "status": S, "code": C, "message": M}
                                                    the next N requests get HTTP S with
                                                    {"code":C,"message":M} (defaults 503/14/"emulated failure")
  {"drop_next": N}                                  the next N requests get their real headers and
                                                    half the body, then the connection is closed
  {"hang_next": N}                                  the next N requests are read and never answered
                                                    until the client disconnects
  {"refuse": true [, "for_ms": N]}                  close the listening socket (connections are
                                                    refused) until {"refuse": false} or N ms
  {"reset": true}                                   clear everything

Keys may be combined.  Only requests outside /_emulator/ are affected; a request takes at most
one of hang, fail, drop, in that order.
"""

import threading


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        self.delay_ms = 0
        self.fail_next = 0
        self.fail_status = 503
        self.fail_code = 14
        self.fail_message = "emulated failure"
        self.drop_next = 0
        self.hang_next = 0

    def configure(self, spec):
        """Apply a control request (dict).  Raises ValueError on a bad value."""
        with self._lock:
            if spec.get("reset"):
                self.reset()
            if "delay_ms" in spec:
                self.delay_ms = _nonneg(spec, "delay_ms")
            if "fail_next" in spec:
                self.fail_next = _nonneg(spec, "fail_next")
                self.fail_status = int(spec.get("status", 503))
                self.fail_code = int(spec.get("code", 14))
                self.fail_message = str(spec.get("message", "emulated failure"))
            if "drop_next" in spec:
                self.drop_next = _nonneg(spec, "drop_next")
            if "hang_next" in spec:
                self.hang_next = _nonneg(spec, "hang_next")

    def take(self):
        """Consume the fault for one request: (delay_seconds, kind or None, detail)."""
        with self._lock:
            delay = self.delay_ms / 1000.0
            if self.hang_next > 0:
                self.hang_next -= 1
                return delay, "hang", None
            if self.fail_next > 0:
                self.fail_next -= 1
                return delay, "fail", (self.fail_status, self.fail_code, self.fail_message)
            if self.drop_next > 0:
                self.drop_next -= 1
                return delay, "drop", None
            return delay, None, None

    def snapshot(self):
        with self._lock:
            return {"delay_ms": self.delay_ms, "fail_next": self.fail_next,
                    "status": self.fail_status, "code": self.fail_code,
                    "message": self.fail_message, "drop_next": self.drop_next,
                    "hang_next": self.hang_next}


def _nonneg(spec, key):
    value = int(spec[key])
    if value < 0:
        raise ValueError("%s must not be negative" % key)
    return value
