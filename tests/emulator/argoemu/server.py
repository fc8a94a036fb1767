"""HTTP(S) server: connection handling, dispatch to the API routes, faults, the journal and the
/_emulator control endpoint.

Two handlers share the plumbing: Handler serves the Argo Server API (and the control endpoint),
KubeHandler the Kubernetes API subset on the second listener (--kube-port).  Each listener has
its own faults; both write to the one journal (Kubernetes entries carry "listener": "kube").

HTTP/1.1 with keep-alive: normal replies carry Content-Length, streams use chunked transfer
encoding.  One daemon thread per connection (ThreadingHTTPServer).  With TLS the handshake runs
in the connection's thread, so a silent client cannot block the accept loop.
"""

import http.server
import json
import select
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse

from . import api, errors, jsonwire, kube, kubeapi, streams, webhooks
from .journal import body_value, select_headers

CONTROL_PREFIX = "/_emulator/"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, emu, handler, tls_context):
        self.emu = emu
        self.tls_context = tls_context
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        super().handle_error(request, client_address)


class Listener:
    """Owns the listening socket; can close it and re-open it on the same port (fault
    "refuse")."""

    def __init__(self, emu, host, port, tls_context, handler=None):
        self.emu = emu
        self.host = host
        self.tls_context = tls_context
        self.handler = handler or Handler
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self._reopen_timer = None
        self.port = port
        self._open()

    def _open(self):
        self._server = _Server((self.host, self.port), self.emu, self.handler, self.tls_context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self):
        scheme = "https" if self.tls_context else "http"
        host = self.host if ":" not in self.host else "[%s]" % self.host
        return "%s://%s:%d" % (scheme, host, self.port)

    @property
    def refusing(self):
        return self._server is None

    def refuse(self, on, for_ms=None):
        with self._lock:
            if self._reopen_timer:
                self._reopen_timer.cancel()
                self._reopen_timer = None
            if on and self._server is not None:
                # closed before the control reply goes out (this runs in a handler thread,
                # not in the serve_forever thread, so shutdown() cannot deadlock)
                server, self._server = self._server, None
                self._close(server)
                if for_ms:
                    self._reopen_timer = threading.Timer(for_ms / 1000.0, self.refuse, (False,))
                    self._reopen_timer.daemon = True
                    self._reopen_timer.start()
            elif not on and self._server is None:
                self._open()

    @staticmethod
    def _close(server):
        server.shutdown()
        server.server_close()

    def shutdown(self):
        with self._lock:
            if self._reopen_timer:
                self._reopen_timer.cancel()
            server, self._server = self._server, None
        if server is not None:
            self._close(server)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Go's net/http (the Argo Server, the Kubernetes API) sets TCP_NODELAY on
    # every connection; without it a kept-alive client waits for a delayed ACK
    # between a reply's headers and body on every request.
    disable_nagle_algorithm = True
    server_version = "argo-emulator"
    sys_version = ""

    serves_control = True
    journal_extra = {}

    def setup(self):
        ctx = self.server.tls_context
        if ctx is not None:
            self.request.settimeout(10)
            self.request = ctx.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):
                # wrap_socket() took the accepted socket over, so the server's own
                # shutdown_request() cannot end it: end the TLS connection here
                try:
                    self.request.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.request.close()

    def log_message(self, fmt, *args):
        if self.server.emu.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing ------------------------------------------------------------------------

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body, content_type="application/json", success=None,
              extra=None):
        data = body if isinstance(body, bytes) else jsonwire.dumpb(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if success if success is not None else status == 200:
            self.send_header("Grpc-Metadata-Argo-Version", api.VERSION["version"])
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _send_error(self, exc):
        self._send(exc.http_status, exc.body(), success=False)

    def _drop(self, status, body):
        """Fault "drop": full headers, half the body, then close the connection."""
        data = body if isinstance(body, bytes) else jsonwire.dumpb(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone(self):
        """True when the peer has closed its side (used while a stream is idle)."""
        sock = self.request
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            if isinstance(sock, ssl.SSLSocket):
                return True
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _hang(self):
        """Fault "hang": never answer; wait until the client gives up or the server stops."""
        self.close_connection = True
        emu = self.server.emu
        while not emu.stopping.is_set() and not self.client_gone():
            time.sleep(0.05)

    # -- dispatch --------------------------------------------------------------------------

    def faults(self):
        return self.server.emu.faults

    def fail_body(self, status, code, message):
        return {"code": code, "message": message}

    def dispatch(self):
        emu = self.server.emu
        parsed = urllib.parse.urlsplit(self.path)
        raw = self._read_body()
        if self.serves_control and parsed.path.startswith(CONTROL_PREFIX):
            self.control(parsed, raw)
            return
        entry = {"method": self.command, "path": parsed.path,
                 "query": urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                 "headers": select_headers(self.headers), "body": body_value(raw),
                 "status": None}
        entry.update(self.journal_extra)
        delay, fault, detail = self.faults().take()
        if delay:
            time.sleep(delay)
        if fault == "hang":
            entry["fault"] = "hang"
            emu.journal.record(entry)
            self._hang()
            return
        if fault == "fail":
            status, code, message = detail
            entry["fault"] = "fail"
            entry["status"] = status
            emu.journal.record(entry)
            self._send(status, self.fail_body(status, code, message), success=False)
            return
        status, result = self.route(parsed, raw)
        entry["status"] = status
        if fault == "drop":
            entry["fault"] = "drop"
            emu.journal.record(entry)
            if isinstance(result, streams.Stream):
                result = b'{"result":{"content":"partial'
                status = 200
            if isinstance(result, tuple):
                result = result[1]
            elif isinstance(result, (errors.ApiError, kube.KubeError)):
                result = result.body()
            self._drop(status, result)
            return
        emu.journal.record(entry)
        self.send_result(status, result)

    def send_result(self, status, result):
        if isinstance(result, errors.ApiError):
            self._send_error(result)
        elif isinstance(result, streams.Stream):
            streams.write_stream(self, result)
        elif isinstance(result, tuple):
            self._send(status, result[1], content_type=result[0], success=status == 200)
        else:
            self._send(200, result)

    def route(self, parsed, raw):
        return self.handle_api(parsed, raw)

    def handle_api(self, parsed, raw):
        """(status, result): result is a JSON value, a Stream, an ApiError or a
        (content_type, bytes) pair."""
        emu = self.server.emu
        path = parsed.path
        if not path.startswith("/api/"):
            return 200, ("text/html; charset=utf-8", INDEX_HTML)
        # The webhook interceptor wraps the gateway: it runs before routing and decoding.
        authorization = None
        if self.command == "POST" and "Authorization" not in self.headers:
            try:
                outcome = webhooks.intercept(emu, urllib.parse.unquote(path), self.headers, raw)
            except Exception:  # the real interceptor turns every error into its 403
                traceback.print_exc()
                outcome = webhooks.FAILED
            if outcome is webhooks.FAILED:
                return 403, ("text/plain; charset=utf-8", webhooks.FAILED_BODY)
            authorization = outcome
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
        if path.endswith("/") and path != "/":
            segments.append("")
        route, params = api.find_route(self.command, segments)
        if route is None:
            return 501, errors.not_implemented()
        try:
            query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
            _check_query(route, query)
            body = _decode_body(raw, route.payload)
            principal = emu.auth.authenticate(self.headers, authorization)
            req = api.Request(emu, self.command, path, params, query, body, self.headers,
                              principal)
            result = route.handler(req)
            return 200, result
        except errors.ApiError as exc:
            return exc.http_status, exc
        except Exception as exc:  # a bug in the emulator: report it like the server would
            traceback.print_exc()
            err = errors.ApiError(errors.INTERNAL, "emulator error: %s" % exc)
            return err.http_status, err

    # -- control endpoint -----------------------------------------------------------------

    def control(self, parsed, raw):
        emu = self.server.emu
        name = parsed.path[len(CONTROL_PREFIX):].strip("/")
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("control body must be a JSON object")
            reply = emu.control(self.command, name, body)
        except (ValueError, TypeError, KeyError) as exc:
            self._send(400, {"error": str(exc)}, success=False)
            return
        if reply is None:
            self._send(404, {"error": "unknown control request %s %s" % (self.command, name)},
                       success=False)
            return
        self._send(200, reply, success=False)


def _check_query(route, query):
    """grpc-gateway query decoding: malformed typed values give 400."""
    for name in route.query:
        kind = api.PARAM_TYPES.get(name)
        values = query.get(name)
        if not kind or not values:
            continue
        value = values[0]
        if kind == "bool":
            if value not in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE",
                             "false", "False"):
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      'type mismatch, parameter: %s, error: strconv.ParseBool: '
                                      'parsing "%s": invalid syntax' % (name, value))
        else:
            bits = 64 if kind == "int64" else 32
            ok = value.lstrip("+-").isdigit() and value.lstrip("+-").isascii()
            if not ok or not -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1):
                why = "invalid syntax" if not ok else "value out of range"
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      'type mismatch, parameter: %s, error: strconv.ParseInt: '
                                      'parsing "%s": %s' % (name, value, why))


def _decode_body(raw, payload=False):
    """The body as Go's encoding/json would take it: any Content-Type, empty allowed; a JSON
    object unless the route takes the whole body as its payload."""
    if not raw.strip():
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise errors.ApiError(errors.INVALID_ARGUMENT, "invalid character in request body") \
            from None
    except json.JSONDecodeError as exc:
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "invalid character %r looking for beginning of value (offset %d)"
                              % (raw[exc.pos:exc.pos + 1].decode("utf-8", "replace"), exc.pos)) \
            from None
    if body is not None and not payload and not isinstance(body, dict):
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "json: cannot unmarshal %s into Go value of type request"
                              % {list: "array", str: "string", bool: "bool"}.get(type(body),
                                                                                  "number"))
    return body


class KubeHandler(Handler):
    """The Kubernetes API listener: no control endpoint, no Argo headers, Status errors."""

    serves_control = False
    journal_extra = {"listener": "kube"}

    def faults(self):
        return self.server.emu.kube_faults

    def fail_body(self, status, code, message):
        return kube.status_for(status, message)

    def _send(self, status, body, content_type="application/json", success=None, extra=None):
        data = body if isinstance(body, bytes) else jsonwire.dumpb(body) + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def route(self, parsed, raw):
        try:
            return kubeapi.handle(self.server.emu, self.command, parsed, self.headers, raw)
        except Exception as exc:  # a bug in the emulator: a 500 Status, as the server would
            traceback.print_exc()
            err = kube.KubeError(500, "InternalError", "emulator error: %s" % exc)
            return err.code, err

    def send_result(self, status, result):
        if isinstance(result, kube.KubeError):
            self._send(result.code, result.body())
        elif isinstance(result, tuple):
            self._send(status, result[1], content_type=result[0])
        else:
            self._send(status, result)


INDEX_HTML = (b"<!doctype html><html><head><title>Argo</title></head><body>"
              b"<p>Argo Server emulator: the UI is not emulated; the API lives under /api/."
              b"</p></body></html>")
