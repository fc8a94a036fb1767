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
  server      HTTP(S) server, dispatch and the /_emulator control endpoint (both listeners)
  kube        Secrets, ServiceAccounts, Namespaces and the Kubernetes Status errors
  kubeapi     the Kubernetes API subset served on the second listener (--kube-port)
  patch       JSON merge, strategic merge (Secret subset) and JSON patches
  webhooks    webhook verification of events sent without Authorization

Nothing here needs more than the Python 3 standard library, except `seed`, which imports
PyYAML (Debian package python3-yaml) lazily, only when --seed is used, and `kubeapi`, which
does the same for a request body sent as application/yaml.
"""
