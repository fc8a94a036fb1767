"""JSON as the Argo Server writes it, and the typed re-marshal the server implies.

Go's encoding/json writes compact JSON and escapes <, > and & as \\u003c, \\u003e and \\u0026
(and U+2028/U+2029); non-ASCII text stays UTF-8.  `dumps` reproduces that.

Every object the real server returns has been decoded into a Go struct and encoded again, so
fields without `omitempty` (or struct-typed fields, for which omitempty has no effect) are always
present: `metadata.creationTimestamp` is `null` when unset, `spec.arguments` is `{}`, a workflow's
`status.startedAt`/`finishedAt` are `null` until set, and each template carries `metadata: {}`,
`inputs: {}`, `outputs: {}`.  The normalise_* functions add these to a plain dict (in place) and
return it.
"""

import copy
import json


def dumps(obj):
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def dumpb(obj):
    return dumps(obj).encode("utf-8")


def _dict(parent, key):
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def anystring(value):
    """An AnyString field (parameter value, default, enum item): Go's AnyString.UnmarshalJSON
    takes strings, bools and numbers and keeps their text, so a decoded and re-encoded value
    is always a string (pkg/apis/workflow/v1alpha1/anystring.go)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _normalise_parameters(holder):
    """Parameters of an Arguments, Inputs or Outputs dict, in place."""
    if not isinstance(holder, dict):
        return
    for param in holder.get("parameters") or []:
        if not isinstance(param, dict):
            continue
        for key in ("value", "default"):
            if param.get(key) is not None:
                param[key] = anystring(param[key])
        if isinstance(param.get("enum"), list):
            param["enum"] = [anystring(v) for v in param["enum"] if v is not None]


def normalise_meta(obj):
    meta = _dict(obj, "metadata")
    meta.setdefault("creationTimestamp", None)
    return obj


def _normalise_template(tmpl):
    if not isinstance(tmpl, dict):
        return
    for key in ("metadata", "inputs", "outputs"):
        if not isinstance(tmpl.get(key), dict):
            tmpl[key] = {}
    _normalise_parameters(tmpl["inputs"])
    _normalise_parameters(tmpl["outputs"])
    for key in ("container", "script"):
        if isinstance(tmpl.get(key), dict):
            tmpl[key].setdefault("resources", {})
    for group in tmpl.get("steps") or []:
        for step in group or []:
            if isinstance(step, dict):
                _normalise_parameters(step.setdefault("arguments", {}))
    dag = tmpl.get("dag")
    if isinstance(dag, dict):
        for task in dag.get("tasks") or []:
            if isinstance(task, dict):
                _normalise_parameters(task.setdefault("arguments", {}))


def normalise_spec(spec):
    """A WorkflowSpec (dict) in place."""
    if not isinstance(spec, dict):
        return spec
    _normalise_parameters(spec.setdefault("arguments", {}))
    for tmpl in spec.get("templates") or []:
        _normalise_template(tmpl)
    return spec


def normalise_workflow(wf):
    normalise_meta(wf)
    normalise_spec(_dict(wf, "spec"))
    status = _dict(wf, "status")
    status.setdefault("startedAt", None)
    status.setdefault("finishedAt", None)
    nodes = status.get("nodes")
    if isinstance(nodes, dict):
        for node in nodes.values():
            if isinstance(node, dict):
                for key in ("id", "name", "type"):
                    node.setdefault(key, "")
                node.setdefault("startedAt", None)
                node.setdefault("finishedAt", None)
    stored = status.get("storedWorkflowTemplateSpec")
    if isinstance(stored, dict):
        normalise_spec(stored)
    return wf


def normalise_template_object(obj):
    """WorkflowTemplate and ClusterWorkflowTemplate."""
    normalise_meta(obj)
    normalise_spec(_dict(obj, "spec"))
    return obj


def normalise_cron(obj):
    normalise_meta(obj)
    spec = _dict(obj, "spec")
    normalise_spec(_dict(spec, "workflowSpec"))
    _dict(obj, "status")
    return obj


def normalise_binding(obj):
    normalise_meta(obj)
    _dict(obj, "spec")
    return obj


NORMALISERS = {
    "workflows": normalise_workflow,
    "workflowtemplates": normalise_template_object,
    "clusterworkflowtemplates": normalise_template_object,
    "cronworkflows": normalise_cron,
    "workfloweventbindings": normalise_binding,
}


def present(resource, obj, keep_type=False):
    """A reply-ready deep copy of a stored object with typed defaults added.

    client-go's typed decode (WithoutVersionDecoder) clears kind/apiVersion of the object it
    returns, so single-object replies and watch events carry neither; items of a list keep them
    (keep_type=True), as they were decoded from the API server's list JSON."""
    out = copy.deepcopy(obj)
    if not keep_type:
        out.pop("kind", None)
        out.pop("apiVersion", None)
    return NORMALISERS[resource](out)
