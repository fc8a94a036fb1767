"""REST handlers and the declarative route table.

ROUTES lists every (method, path template) the emulator serves under /api/; the conformance test
imports it and checks each against swagger.json.  A handler takes a Request and returns a
JSON-ready value (HTTP 200) or a streams.Stream; it raises errors.ApiError for failures.

Order of checks, as on the real server: route (501) -> query/body decoding (400, done by the
server module) -> authentication (401) -> the handler (403 rights, 404, 409, ...).
"""

import copy
import re
import time

from . import errors, events, jsonwire, listing, streams, validate
from .store import RESOURCES, rfc3339, parse_rfc3339

VERSION = {
    "version": "v3.7.2",
    "buildDate": "2025-09-01T00:00:00Z",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTag": "v3.7.2",
    "gitTreeState": "clean",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}

LIST_PARAMS = ("listOptions.labelSelector", "listOptions.fieldSelector", "listOptions.watch",
               "listOptions.allowWatchBookmarks", "listOptions.resourceVersion",
               "listOptions.resourceVersionMatch", "listOptions.timeoutSeconds",
               "listOptions.limit", "listOptions.continue", "listOptions.sendInitialEvents")
DELETE_PARAMS = ("deleteOptions.gracePeriodSeconds", "deleteOptions.preconditions.uid",
                 "deleteOptions.preconditions.resourceVersion", "deleteOptions.orphanDependents",
                 "deleteOptions.propagationPolicy", "deleteOptions.dryRun")
LOG_PARAMS = ("podName", "logOptions.container", "logOptions.follow", "logOptions.previous",
              "logOptions.sinceSeconds", "logOptions.sinceTime.seconds",
              "logOptions.sinceTime.nanos", "logOptions.timestamps", "logOptions.tailLines",
              "logOptions.limitBytes", "logOptions.insecureSkipTLSVerifyBackend",
              "logOptions.stream", "grep", "selector")

# Types of query parameters that are not strings (gateway decoding: malformed -> 400).
PARAM_TYPES = {
    "listOptions.watch": "bool", "listOptions.allowWatchBookmarks": "bool",
    "listOptions.sendInitialEvents": "bool", "listOptions.timeoutSeconds": "int64",
    "listOptions.limit": "int64", "deleteOptions.gracePeriodSeconds": "int64",
    "deleteOptions.orphanDependents": "bool", "force": "bool",
    "logOptions.follow": "bool", "logOptions.previous": "bool", "logOptions.timestamps": "bool",
    "logOptions.insecureSkipTLSVerifyBackend": "bool", "logOptions.sinceSeconds": "int64",
    "logOptions.sinceTime.seconds": "int64", "logOptions.sinceTime.nanos": "int32",
    "logOptions.tailLines": "int64", "logOptions.limitBytes": "int64",
}

LABEL_CREATOR = "workflows.argoproj.io/creator"
LABEL_WFT = "workflows.argoproj.io/workflow-template"
LABEL_CWFT = "workflows.argoproj.io/cluster-workflow-template"
LABEL_RESUBMITTED = "workflows.argoproj.io/resubmitted-from-workflow"


class Request:
    """One API call as the handlers see it."""

    def __init__(self, emu, method, path, params, query, body, headers, principal):
        self.emu = emu
        self.method = method
        self.path = path
        self.params = params        # path variables
        self.query = query          # dict name -> [values]
        self.body = body            # parsed JSON (dict) or None
        self.headers = headers
        self.principal = principal

    def q(self, name, default=""):
        values = self.query.get(name)
        return values[0] if values else default

    def q_int(self, name, default=0):
        value = self.q(name, None)
        return int(value) if value not in (None, "") else default

    def q_bool(self, name):
        return self.q(name, "").lower() in ("1", "t", "true")

    def field(self, name, default=None):
        """A top-level body field, matched case-insensitively like Go's encoding/json."""
        if not isinstance(self.body, dict):
            return default
        if name in self.body:
            return self.body[name]
        low = name.lower()
        for key, value in self.body.items():
            if key.lower() == low:
                return value
        return default


# -- helpers --------------------------------------------------------------------------------

def _object_field(req, key, missing):
    value = req.field(key)
    if value is None:
        raise missing
    if not isinstance(value, dict):
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "json: cannot unmarshal %s into Go value of type v1alpha1.%s"
                              % (type(value).__name__, key))
    return copy.deepcopy(value)


def creator_label(req, obj):
    """creator.Label: workflows.argoproj.io/creator from the caller's JWT subject."""
    claims = req.principal.claims if req.principal else None
    sub = (claims or {}).get("sub")
    if isinstance(sub, str) and sub:
        value = re.sub(r"[^-A-Za-z0-9_.]", "-", sub)[:63].strip("-_.")
        meta = obj.setdefault("metadata", {})
        labels = meta.get("labels") or {}
        labels[LABEL_CREATOR] = value
        meta["labels"] = labels


def _dry_run(req):
    opts = req.field("createOptions") or {}
    return isinstance(opts, dict) and bool(opts.get("dryRun"))


def _ns(req):
    return req.params.get("namespace", "")


# -- info ----------------------------------------------------------------------------------

def get_info(req):
    out = {}
    if req.emu.managed_namespace:
        out["managedNamespace"] = req.emu.managed_namespace
    out["modals"] = {"feedback": True, "firstTimeUser": True, "newVersion": True}
    return out


def get_version(req):
    return dict(VERSION)


def get_userinfo(req):
    return req.principal.userinfo() if req.principal else {}


def collect_event(req):
    return {}


# -- generic Kubernetes-backed resources ----------------------------------------------------

class KindSpec:
    """How a template-like resource is addressed in requests."""

    def __init__(self, resource, body_key, missing, label, informer_get, lint_code):
        self.resource = resource
        self.res = RESOURCES[resource]
        self.body_key = body_key          # "template" / "cronWorkflow"
        self.missing = missing            # ApiError when the body object is absent
        self.label = label                # for validation messages
        self.informer_get = informer_get  # GET served from an informer: singular not-found
        self.lint_code = lint_code

    def validate(self, req, obj):
        if self.resource == "cronworkflows":
            validate.validate_cron(req.emu.store, _ns(req), obj)
        else:
            validate.validate_template_object(req.emu.store, _ns(req), obj, self.label)


WFT = KindSpec("workflowtemplates", "template",
               errors.ApiError(errors.INVALID_ARGUMENT,
                               "workflow template was not found in the request body"),
               "workflow template", True, errors.INVALID_ARGUMENT)
CWFT = KindSpec("clusterworkflowtemplates", "template",
                errors.ApiError(errors.INVALID_ARGUMENT,
                                "cluster workflow template was not found in the request body"),
                "cluster workflow template", True, errors.INVALID_ARGUMENT)
CRON = KindSpec("cronworkflows", "cronWorkflow",
                errors.ApiError(errors.NOT_FOUND, "cronWorkflow was not found in the request body"),
                "cron workflow", False, errors.INVALID_ARGUMENT)


def _create(spec, req):
    ns = _ns(req)
    obj = _object_field(req, spec.body_key, spec.missing)
    req.principal.check("create", spec.res.plural, ns)
    creator_label(req, obj)
    spec.validate(req, obj)
    if _dry_run(req):
        return jsonwire.present(spec.resource, obj)
    return jsonwire.present(spec.resource, req.emu.store.create(spec.resource, ns, obj))


def _get(spec, req):
    ns, name = _ns(req), req.params["name"]
    req.principal.check("get", spec.res.plural, ns, name)
    obj = req.emu.store.get(spec.resource, ns, name)
    if obj is None:
        raise errors.not_found(spec.res.qualified_singular if spec.informer_get
                               else spec.res.qualified, name)
    return jsonwire.present(spec.resource, obj)


def _list(spec, req):
    ns = _ns(req)
    req.principal.check("list", spec.res.plural, ns)
    store = req.emu.store
    label_preds = listing.parse_label_selector(req.q("listOptions.labelSelector"))
    field_preds = listing.parse_k8s_field_selector(req.q("listOptions.fieldSelector"))
    items = [o for o in store.list(spec.resource, ns)
             if listing.labels_match(label_preds, o) and all(p(o) for p in field_preds)]
    rv = store.resource_version()
    limit = req.q_int("listOptions.limit")
    pattern = req.q("namePattern") if spec is WFT else ""
    if pattern:
        page, meta = _name_pattern_page(items, pattern, limit, req.q("listOptions.continue"), rv)
    else:
        page, meta = listing.k8s_page(items, limit, req.q("listOptions.continue"), rv,
                                      bool(label_preds or field_preds))
    page.sort(key=lambda o: o["metadata"]["name"])
    return {"metadata": meta,
            "items": [jsonwire.present(spec.resource, o, keep_type=True) for o in page]}


def _name_pattern_page(items, pattern, limit, cont, rv):
    """WorkflowTemplate namePattern: substring filter, name order, `continue` = the
    resourceVersion of the last item returned."""
    items = sorted((o for o in items if pattern in o["metadata"]["name"]),
                   key=lambda o: o["metadata"]["name"])
    if cont:
        idx = next((i for i, o in enumerate(items)
                    if o["metadata"]["resourceVersion"] == cont), None)
        if idx is None:
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  "continue key is not valid: %s" % cont)
        items = items[idx + 1:]
    meta = {"resourceVersion": rv}
    if limit and limit > 0 and len(items) > limit:
        items = items[:limit]
        meta["continue"] = items[-1]["metadata"]["resourceVersion"]
    return items, meta


def _update(spec, req):
    ns = _ns(req)
    obj = _object_field(req, spec.body_key, spec.missing)
    name = (obj.get("metadata") or {}).get("name") or ""
    req.principal.check("update", spec.res.plural, ns, name or None)
    spec.validate(req, obj)
    return jsonwire.present(spec.resource, req.emu.store.update(spec.resource, ns, obj))


def _delete(spec, req):
    ns, name = _ns(req), req.params["name"]
    req.principal.check("delete", spec.res.plural, ns, name)
    req.emu.store.delete(spec.resource, ns, name)
    return {}


def _lint(spec, req):
    obj = _object_field(req, spec.body_key, spec.missing)
    creator_label(req, obj)
    try:
        spec.validate(req, obj)
    except errors.ApiError as exc:
        raise errors.ApiError(spec.lint_code, exc.message) from None
    return jsonwire.present(spec.resource, obj)


def _bind(fn, spec):
    def handler(req):
        return fn(spec, req)
    handler.__name__ = "%s_%s" % (fn.__name__.strip("_"), spec.resource)
    return handler


def _cron_suspend(value):
    def handler(req):
        ns, name = _ns(req), req.params["name"]
        req.principal.check("update", "cronworkflows", ns, name)

        def set_suspend(obj):
            obj.setdefault("spec", {})["suspend"] = value
        out = req.emu.store.mutate("cronworkflows", ns, name, set_suspend)
        if out is None:
            raise errors.not_found(RESOURCES["cronworkflows"].qualified, name)
        return jsonwire.present("cronworkflows", out)
    handler.__name__ = "cron_%s" % ("suspend" if value else "resume")
    return handler


# -- workflows ------------------------------------------------------------------------------

WF = RESOURCES["workflows"]


def _present_workflow(obj, cleaner=None, keep_type=False):
    out = jsonwire.present("workflows", obj, keep_type=keep_type)
    if cleaner is not None and cleaner.active:
        out = jsonwire.normalise_workflow(cleaner.clean(out))
    return out


def fetch_workflow(req, ns, name, verb="get"):
    """getWorkflow: "@latest" resolves to the newest workflow; 404 otherwise."""
    req.principal.check(verb if name != "@latest" else "list", WF.plural, ns,
                        None if name == "@latest" else name)
    store = req.emu.store
    if name == "@latest":
        items = store.list("workflows", ns)
        if not items:
            raise errors.ApiError(errors.NOT_FOUND, "no workflows found")
        return max(items, key=store.creation_order)
    obj = store.get("workflows", ns, name)
    if obj is None:
        raise errors.not_found(WF.qualified, name)
    return obj


def create_workflow(req):
    ns = _ns(req)
    wf = req.field("workflow")
    if wf is None:
        raise errors.ApiError(errors.INVALID_ARGUMENT, "workflow body not specified")
    if not isinstance(wf, dict):
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "json: cannot unmarshal %s into Go value of type v1alpha1.Workflow"
                              % type(wf).__name__)
    wf = copy.deepcopy(wf)
    if not isinstance(wf.get("metadata"), dict):
        wf["metadata"] = {}
    meta = wf["metadata"]
    if not meta.get("namespace"):
        meta["namespace"] = ns
    req.principal.check("create", WF.plural, ns)
    creator_label(req, wf)
    validate.validate_workflow(req.emu.store, ns, wf)
    if _dry_run(req):
        return wf
    if req.field("serverDryRun"):
        return _present_workflow(_server_dry_run(wf, ns))
    created = req.emu.store.create("workflows", ns, wf)
    req.emu.controller.observe(ns, created["metadata"]["name"])
    return _present_workflow(created)


def _server_dry_run(wf, ns):
    out = copy.deepcopy(wf)
    meta = out.setdefault("metadata", {})
    if not meta.get("name"):
        meta["name"] = (meta.get("generateName") or "") + "dryrn"
    meta.update({"namespace": ns, "uid": "00000000-0000-0000-0000-000000000000",
                 "creationTimestamp": rfc3339(), "generation": 1})
    return out


def list_workflows(req):
    ns = _ns(req)
    if not req.principal.allowed(ns):
        raise errors.ApiError(errors.PERMISSION_DENIED,
                              'Permission denied, you are not allowed to list workflows in '
                              'namespace "%s". Maybe you want to specify a namespace with query '
                              'parameter `.namespace=%s`?' % (ns, ns))
    store = req.emu.store
    opts = listing.parse_workflow_field_selector(req.q("listOptions.fieldSelector"))
    label_preds = listing.parse_label_selector(req.q("listOptions.labelSelector"))
    cont = req.q("listOptions.continue")
    offset = 0
    if cont:
        if not re.match(r"^[+-]?\d+$", cont):
            raise errors.ApiError(errors.INVALID_ARGUMENT, "listOptions.continue must be int")
        offset = max(0, int(cont))
    limit = req.q_int("listOptions.limit")
    created_after = _time_param(req, "createdAfter")
    finished_before = _time_param(req, "finishedBefore")
    name_filter = req.q("nameFilter") or "Exact"
    items = []
    for wf in store.list("workflows", ns):
        if not listing.labels_match(label_preds, wf) or not opts.match(wf, name_filter):
            continue
        meta, status = wf.get("metadata") or {}, wf.get("status") or {}
        if created_after is not None and not (
                (parse_rfc3339(meta.get("creationTimestamp") or "") or 0) > created_after):
            continue
        if finished_before is not None:
            finished = parse_rfc3339(status.get("finishedAt") or "")
            if finished is None or not finished < finished_before:
                continue
        items.append(wf)
    items.sort(key=listing.workflow_sort_key(store))
    total = len(items)
    page = items[offset:offset + limit] if limit > 0 else items[offset:]
    meta = {"resourceVersion": store.resource_version()}
    remaining = max(0, total - offset - len(page))
    if remaining > 0:
        meta["continue"] = str(offset + len(page))
    if opts.show_remaining:
        meta["remainingItemCount"] = remaining
    result = {"metadata": meta,
              "items": [_present_workflow(w, keep_type=True) for w in page] or None}
    cleaner = listing.Cleaner(req.q("fields"))
    if cleaner.active:
        result = cleaner.clean(result)
        if not isinstance(result.get("metadata"), dict):
            result["metadata"] = {}
        result["items"] = ([jsonwire.normalise_workflow(i) for i in result["items"]]
                           if isinstance(result.get("items"), list) else None)
    return result


def _time_param(req, name):
    text = req.q(name)
    if not text:
        return None
    value = parse_rfc3339(text)
    if value is None:
        raise errors.ApiError(errors.INTERNAL, 'parsing time "%s" as "2006-01-02T15:04:05Z07:00": '
                              'cannot parse "%s" as "2006"' % (text, text))
    return value


def get_workflow(req):
    wf = fetch_workflow(req, _ns(req), req.params["name"])
    return _present_workflow(wf, listing.Cleaner(req.q("fields")))


def delete_workflow(req):
    ns = _ns(req)
    wf = fetch_workflow(req, ns, req.params["name"], verb="delete")
    req.emu.store.delete("workflows", ns, wf["metadata"]["name"])
    return {}


def lint_workflow(req):
    wf = req.field("workflow")
    if not isinstance(wf, dict):
        raise errors.ApiError(errors.UNKNOWN, "unable to get a workflow")
    wf = copy.deepcopy(wf)
    creator_label(req, wf)
    try:
        validate.validate_workflow(req.emu.store, _ns(req), wf, lint=True)
    except errors.ApiError as exc:
        raise errors.ApiError(errors.UNKNOWN, exc.message) from None
    return wf


def _parse_kv_list(text, what):
    out = {}
    for part in (text or "").split(","):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise errors.ApiError(errors.INTERNAL,
                                  "expected %s of the form: NAME1=VALUE2,NAME2=VALUE2. Received: "
                                  "%s: %s must be of the form NAME=VALUE" % (what, text, part))
        out[key] = value
    return out


def override_parameters(wf, parameters):
    """util.overrideParameters: given "k=v" first, then the workflow's other parameters."""
    if not parameters:
        return
    new, passed = [], set()
    for item in parameters:
        key, sep, value = str(item).partition("=")
        if not sep:
            raise errors.ApiError(errors.INTERNAL,
                                  "expected parameter of the form: NAME=VALUE. Received: %s"
                                  % item)
        new.append({"name": key, "value": value})
        passed.add(key)
    args = wf.setdefault("spec", {}).setdefault("arguments", {})
    new.extend(p for p in args.get("parameters") or [] if p.get("name") not in passed)
    args["parameters"] = new


def apply_submit_opts(wf, opts):
    """util.ApplySubmitOpts (errors are 500, as the server wraps them with codes.Internal)."""
    spec = wf.setdefault("spec", {})
    meta = wf.setdefault("metadata", {})
    if opts.get("entryPoint"):
        spec["entrypoint"] = opts["entryPoint"]
    if opts.get("serviceAccount"):
        spec["serviceAccountName"] = opts["serviceAccount"]
    if opts.get("podPriorityClassName"):
        spec["podPriorityClassName"] = opts["podPriorityClassName"]
    if opts.get("priority") is not None:
        spec["priority"] = opts["priority"]
    labels = meta.get("labels") or {}
    labels.update(_parse_kv_list(opts.get("labels"), "labels"))
    meta["labels"] = labels
    annotations = meta.get("annotations") or {}
    annotations.update(_parse_kv_list(opts.get("annotations"), "Annotations"))
    if annotations:
        meta["annotations"] = annotations
    parameters = opts.get("parameters") or []
    if not isinstance(parameters, list):
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "json: cannot unmarshal %s into Go struct field "
                              "SubmitOpts.submitOptions.parameters of type []string"
                              % type(parameters).__name__)
    override_parameters(wf, parameters)
    if opts.get("generateName"):
        meta["generateName"] = opts["generateName"]
    if opts.get("name"):
        meta["name"] = opts["name"]
    if isinstance(opts.get("ownerReference"), dict):
        meta.setdefault("ownerReferences", []).append(copy.deepcopy(opts["ownerReference"]))


def submit_workflow(req):
    ns = _ns(req)
    kind = req.field("resourceKind") or ""
    name = req.field("resourceName") or ""
    opts = req.field("submitOptions") or {}
    if not isinstance(opts, dict):
        raise errors.ApiError(errors.INVALID_ARGUMENT, "json: cannot unmarshal %s into Go value "
                              "of type v1alpha1.SubmitOpts" % type(opts).__name__)
    store = req.emu.store
    if kind in RESOURCES["cronworkflows"].names():
        req.principal.check("get", "cronworkflows", ns, name)
        cron = store.get("cronworkflows", ns, name)
        if cron is None:
            raise errors.not_found(RESOURCES["cronworkflows"].qualified, name)
        wf = validate.cron_as_workflow(cron)
        wf["metadata"]["name"] = "%s-%d" % (name, int(time.time()))
        wf["metadata"].setdefault("annotations", {})[
            "workflows.argoproj.io/scheduled-time"] = rfc3339()
    elif kind in RESOURCES["workflowtemplates"].names():
        wf = {"metadata": {"generateName": name + "-", "labels": {LABEL_WFT: name}},
              "spec": {"workflowTemplateRef": {"name": name}}}
    elif kind in RESOURCES["clusterworkflowtemplates"].names():
        wf = {"metadata": {"generateName": name + "-", "labels": {LABEL_CWFT: name}},
              "spec": {"workflowTemplateRef": {"name": name, "clusterScope": True}}}
    else:
        raise errors.ApiError(errors.INVALID_ARGUMENT,
                              "Resource kind '%s' is not supported for submitting" % kind)
    req.principal.check("create", WF.plural, ns)
    creator_label(req, wf)
    apply_submit_opts(wf, opts)
    validate.validate_workflow(store, ns, wf, submit=True)
    if opts.get("dryRun"):
        return wf
    if opts.get("serverDryRun"):
        return _present_workflow(_server_dry_run(wf, ns))
    created = store.create("workflows", ns, wf)
    req.emu.controller.observe(ns, created["metadata"]["name"])
    return _present_workflow(created)


def _action(name):
    def handler(req):
        ns = _ns(req)
        wf = fetch_workflow(req, ns, req.params["name"], verb="update")
        out = getattr(req.emu.controller, "action_" + name)(req, ns, wf)
        return _present_workflow(out)
    handler.__name__ = "workflow_" + name
    return handler


def workflow_logs(req):
    ns = _ns(req)
    wf = fetch_workflow(req, ns, req.params["name"])
    pod = req.params.get("podName") or req.q("podName")
    return streams.log_stream(req, ns, wf["metadata"]["name"], pod)


def watch_workflows(req):
    return streams.watch_stream(req, _ns(req))


# -- events ---------------------------------------------------------------------------------

def receive_event(req):
    return events.receive(req, _ns(req), req.params.get("discriminator", ""))


BINDINGS = KindSpec("workfloweventbindings", "binding", None, "binding", False,
                    errors.INVALID_ARGUMENT)


# -- the route table --------------------------------------------------------------------------

class Route:
    def __init__(self, method, template, handler, query=(), stream=False, payload=False):
        self.payload = payload      # the whole body is the payload: any JSON value
        self.method = method
        self.template = template
        self.handler = handler
        self.query = tuple(query)
        self.stream = stream
        self.segments = template.strip("/").split("/")

    def match(self, segments):
        """Path variables (dict) when `segments` fits the template, else None.  A namespace or
        discriminator segment may be empty (all namespaces / empty discriminator)."""
        if len(segments) != len(self.segments):
            return None
        params = {}
        for want, got in zip(self.segments, segments):
            if want.startswith("{"):
                var = want[1:-1]
                if got == "" and var not in ("namespace", "discriminator"):
                    return None
                params[var] = got
            elif want != got:
                return None
        return params

    @property
    def literal_count(self):
        return sum(1 for s in self.segments if not s.startswith("{"))


WFT_BASE = "/api/v1/workflow-templates/{namespace}"
CWFT_BASE = "/api/v1/cluster-workflow-templates"
CRON_BASE = "/api/v1/cron-workflows/{namespace}"
WF_BASE = "/api/v1/workflows/{namespace}"

ROUTES = [
    Route("GET", "/api/v1/info", get_info),
    Route("GET", "/api/v1/version", get_version),
    Route("GET", "/api/v1/userinfo", get_userinfo),
    Route("POST", "/api/v1/tracking/event", collect_event),

    Route("GET", WFT_BASE, _bind(_list, WFT), LIST_PARAMS + ("namePattern",)),
    Route("POST", WFT_BASE, _bind(_create, WFT)),
    Route("POST", WFT_BASE + "/lint", _bind(_lint, WFT)),
    Route("GET", WFT_BASE + "/{name}", _bind(_get, WFT), ("getOptions.resourceVersion",)),
    Route("PUT", WFT_BASE + "/{name}", _bind(_update, WFT)),
    Route("DELETE", WFT_BASE + "/{name}", _bind(_delete, WFT), DELETE_PARAMS),

    Route("GET", CWFT_BASE, _bind(_list, CWFT), LIST_PARAMS),
    Route("POST", CWFT_BASE, _bind(_create, CWFT)),
    Route("POST", CWFT_BASE + "/lint", _bind(_lint, CWFT)),
    Route("GET", CWFT_BASE + "/{name}", _bind(_get, CWFT), ("getOptions.resourceVersion",)),
    Route("PUT", CWFT_BASE + "/{name}", _bind(_update, CWFT)),
    Route("DELETE", CWFT_BASE + "/{name}", _bind(_delete, CWFT), DELETE_PARAMS),

    Route("GET", CRON_BASE, _bind(_list, CRON), LIST_PARAMS),
    Route("POST", CRON_BASE, _bind(_create, CRON)),
    Route("POST", CRON_BASE + "/lint", _bind(_lint, CRON)),
    Route("GET", CRON_BASE + "/{name}", _bind(_get, CRON), ("getOptions.resourceVersion",)),
    Route("PUT", CRON_BASE + "/{name}", _bind(_update, CRON)),
    Route("DELETE", CRON_BASE + "/{name}", _bind(_delete, CRON), DELETE_PARAMS),
    Route("PUT", CRON_BASE + "/{name}/suspend", _cron_suspend(True)),
    Route("PUT", CRON_BASE + "/{name}/resume", _cron_suspend(False)),

    Route("GET", WF_BASE, list_workflows,
          LIST_PARAMS + ("fields", "nameFilter", "createdAfter", "finishedBefore")),
    Route("POST", WF_BASE, create_workflow),
    Route("POST", WF_BASE + "/lint", lint_workflow),
    Route("POST", WF_BASE + "/submit", submit_workflow),
    Route("GET", WF_BASE + "/{name}", get_workflow,
          ("getOptions.resourceVersion", "fields", "uid")),
    Route("DELETE", WF_BASE + "/{name}", delete_workflow, DELETE_PARAMS + ("force",)),
    Route("PUT", WF_BASE + "/{name}/retry", _action("retry")),
    Route("PUT", WF_BASE + "/{name}/resubmit", _action("resubmit")),
    Route("PUT", WF_BASE + "/{name}/resume", _action("resume")),
    Route("PUT", WF_BASE + "/{name}/suspend", _action("suspend")),
    Route("PUT", WF_BASE + "/{name}/terminate", _action("terminate")),
    Route("PUT", WF_BASE + "/{name}/stop", _action("stop")),
    Route("PUT", WF_BASE + "/{name}/set", _action("set")),
    Route("GET", WF_BASE + "/{name}/log", workflow_logs, LOG_PARAMS, stream=True),
    Route("GET", WF_BASE + "/{name}/{podName}/log", workflow_logs, LOG_PARAMS[1:], stream=True),
    Route("GET", "/api/v1/workflow-events/{namespace}", watch_workflows,
          LIST_PARAMS + ("fields",), stream=True),

    Route("POST", "/api/v1/events/{namespace}/{discriminator}", receive_event, payload=True),
    Route("GET", "/api/v1/workflow-event-bindings/{namespace}", _bind(_list, BINDINGS),
          LIST_PARAMS),
]


def find_route(method, segments):
    """(route, params) for the best match, or (None, None)."""
    best = None
    for route in ROUTES:
        if route.method != method:
            continue
        params = route.match(segments)
        if params is not None and (best is None or route.literal_count > best[0].literal_count):
            best = (route, params)
    return best if best else (None, None)
