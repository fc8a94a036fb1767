"""Argo Server emulator for argofs tests and demos.

The package is split by concern:
  errors      gRPC status codes, HTTP mapping and the error values the real server sends
  jsonwire    Go encoding/json compatible output and typed re-marshal normalisation
  auth        bearer tokens, namespace rights, rotation, userinfo
  store       the Kubernetes-like object store (metadata, resourceVersion, watch events, pod logs)
  listing     list paging, label/field selectors and the `fields` projection
  validate    the subset of Argo's workflow validation the emulator applies
  controller  the simulated workflow controller (deterministic clock)
  events      WorkflowEventBinding selector evaluation
  api         the REST handlers and the declarative route table (ROUTES)
  streams     chunked JSON / server-sent-event stream writers
  faults      run-time fault injection
  journal     the per-request journal
  seed        loading YAML seed data
  server      HTTP(S) server, dispatch and the /_emulator control endpoint

Nothing here needs more than the Python 3 standard library, except `seed`, which imports
PyYAML (Debian package python3-yaml) lazily, only when --seed is used.
"""
