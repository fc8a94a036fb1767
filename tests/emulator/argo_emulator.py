#!/usr/bin/env python3
"""Argo Server emulator: command-line entry point.

    python3 tests/emulator/argo_emulator.py --port 0 --ready-file F [options]

Serves the Argo Server REST API (see docs/emulator.md) until SIGINT/SIGTERM.  The ready file
receives "scheme://host:port" (one line, written atomically) once the socket listens.

With --kube-port N it also serves a small Kubernetes API subset (namespaces, secrets) on a
second listener, as a cluster has its Kubernetes API on another address than the Argo Server;
its address goes to --kube-ready-file, written before the main ready file.
"""

import argparse
import os
import signal
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from argoemu.emulator import Emulator  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description="Argo Server emulator for argofs tests and demos")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=2746, help="port; 0 picks a free one (2746)")
    p.add_argument("--ready-file", help="write scheme://host:port here once listening")
    p.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (else plain HTTP)")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--token", action="append", default=[], metavar="TOKEN[=NS,..|*]",
                   help="accepted bearer token, optionally limited to namespaces (repeatable)")
    p.add_argument("--tokens-file", help="file of token specs, one per line, re-read on change")
    p.add_argument("--seed", help="directory of YAML seed objects")
    p.add_argument("--journal", help="append one JSON line per API request to this file")
    p.add_argument("--step-seconds", type=float, default=1.0,
                   help="controller tick length; 0 = only via the control endpoint (1.0)")
    p.add_argument("--managed-namespace", default="",
                   help="namespace reported by /api/v1/info (as with argo server --namespaced)")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    p.add_argument("--kube-port", type=int, default=None,
                   help="also serve the Kubernetes API subset on this port; 0 picks a free one")
    p.add_argument("--kube-host", help="address of the Kubernetes listener (--host)")
    p.add_argument("--kube-ready-file", help="write its scheme://host:port here once listening")
    p.add_argument("--kube-tls-cert", help="PEM certificate: Kubernetes API over HTTPS")
    p.add_argument("--kube-tls-key", help="PEM private key for --kube-tls-cert")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if bool(args.kube_tls_cert) != bool(args.kube_tls_key):
        p.error("--kube-tls-cert and --kube-tls-key go together")
    if args.kube_port is None and (args.kube_ready_file or args.kube_tls_cert or args.kube_host):
        p.error("--kube-ready-file, --kube-host and --kube-tls-* need --kube-port")
    if args.step_seconds < 0:
        p.error("--step-seconds must not be negative")
    return args


def write_ready(path, url):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ready-", dir=directory)
    with os.fdopen(fd, "w") as fh:
        fh.write(url + "\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    emu = Emulator(host=args.host, port=args.port, tokens=args.token,
                   tokens_file=args.tokens_file, journal=args.journal,
                   step_seconds=args.step_seconds, managed_namespace=args.managed_namespace,
                   tls_cert=args.tls_cert, tls_key=args.tls_key, verbose=args.verbose,
                   kube_host=args.kube_host, kube_port=args.kube_port,
                   kube_tls_cert=args.kube_tls_cert, kube_tls_key=args.kube_tls_key)
    if args.seed:
        try:
            count = emu.load_seed(args.seed)
        except Exception as exc:  # a seed problem is fatal and reported plainly
            sys.stderr.write("argo-emulator: seed: %s\n" % getattr(exc, "message", exc))
            return 2
        if args.verbose:
            sys.stderr.write("argo-emulator: loaded %d seed objects\n" % count)
    url = emu.start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    if args.kube_ready_file:
        write_ready(args.kube_ready_file, emu.kube_url)
    if args.ready_file:
        write_ready(args.ready_file, url)
    sys.stderr.write("argo-emulator: listening on %s (auth %s)\n"
                     % (url, "on" if emu.auth.enabled else "off: server mode"))
    if emu.kube_url:
        sys.stderr.write("argo-emulator: Kubernetes API on %s\n" % emu.kube_url)
    sys.stderr.flush()
    while not done.wait(0.5):
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
