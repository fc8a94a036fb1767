"""The subset of Argo's workflow validation (workflow/validate/validate.go) the emulator applies.

Checked: name lengths, workflowTemplateRef resolution (a missing template is Kubernetes'
NotFound), templates next to a workflowTemplateRef, argument values and enums, the entrypoint,
template types, empty container images, step/task references to undefined templates, cron
schedules and concurrencyPolicy.  Everything else the real validator checks (variables,
artifacts, outputs, metrics, hooks...) is accepted unchecked.

All functions raise ApiError (code 3, InvalidArgument, unless Kubernetes' own code applies)
and return the resolved WorkflowSpec-like data they needed.
"""

import copy
import re

from . import errors, jsonwire
from .store import RESOURCES

LABEL_CRON = "workflows.argoproj.io/cron-workflow"

TEMPLATE_TYPES = ("container", "containerSet", "steps", "script", "resource", "dag", "suspend",
                  "data", "http", "plugin")
_CHOICES = "choose one of: container, containerSet, steps, script, resource, dag, suspend, " \
           "template, template ref"


def _bad(msg):
    return errors.ApiError(errors.INVALID_ARGUMENT, msg)


def resolve_template_ref(store, namespace, spec):
    """The WorkflowTemplate / ClusterWorkflowTemplate a workflowTemplateRef names (stored copy).
    Raises Kubernetes NotFound (404) when it does not exist."""
    ref = spec.get("workflowTemplateRef") or {}
    name = ref.get("name") or ""
    if ref.get("clusterScope"):
        obj = store.get("clusterworkflowtemplates", "", name)
        if obj is None:
            raise errors.not_found(RESOURCES["clusterworkflowtemplates"].qualified, name)
    else:
        obj = store.get("workflowtemplates", namespace, name)
        if obj is None:
            raise errors.not_found(RESOURCES["workflowtemplates"].qualified, name)
    return obj


def merge_parameters(primary, secondary):
    """util.MergeParameters: every parameter of `primary`, then those of `secondary` whose
    name `primary` lacks."""
    names = {p.get("name") for p in primary}
    return copy.deepcopy(list(primary)) + [copy.deepcopy(p) for p in secondary
                                           if p.get("name") not in names]


def effective_spec(store, namespace, wf):
    """The spec a workflow runs: its own, or (with workflowTemplateRef) the referenced
    template's spec with the workflow's entrypoint/arguments layered on top."""
    spec = wf.get("spec") or {}
    if not spec.get("workflowTemplateRef"):
        return copy.deepcopy(spec)
    tmpl = resolve_template_ref(store, namespace, spec)
    merged = copy.deepcopy(tmpl.get("spec") or {})
    for key, value in spec.items():
        if key not in ("workflowTemplateRef", "arguments"):
            merged[key] = copy.deepcopy(value)
    args = copy.deepcopy(merged.get("arguments") or {})
    own = spec.get("arguments") or {}
    args["parameters"] = merge_parameters(own.get("parameters") or [],
                                          args.get("parameters") or [])
    if not args["parameters"]:
        del args["parameters"]
    merged["arguments"] = args
    return merged


def _validate_arguments(args, allow_empty):
    for param in (args or {}).get("parameters") or []:
        name = param.get("name", "")
        has_value = param.get("value") is not None
        if not has_value and param.get("valueFrom") is None and not allow_empty:
            raise _bad("spec.arguments.%s.value or spec.arguments.%s.valueFrom is required"
                       % (name, name))
        enum = param.get("enum")
        if enum is not None and has_value:
            if len(enum) == 0:
                raise _bad("spec.arguments.%s.enum should contain at least one value" % name)
            if jsonwire.anystring(param["value"]) not in [jsonwire.anystring(e) for e in enum]:
                raise _bad("spec.arguments.%s.value should be present in spec.arguments.%s.enum "
                           "list" % (name, name))


def _validate_templates(templates):
    names = {}
    for tmpl in templates:
        if not isinstance(tmpl, dict):
            raise _bad("spec.templates must be objects")
        names[tmpl.get("name", "")] = tmpl
    for tmpl in templates:
        name = tmpl.get("name", "")
        count = sum(1 for t in TEMPLATE_TYPES if tmpl.get(t) is not None)
        if count == 0:
            raise _bad("templates.%s template type unspecified. %s" % (name, _CHOICES))
        if count > 1:
            raise _bad("templates.%s multiple template types specified. %s" % (name, _CHOICES))
        container = tmpl.get("container")
        if isinstance(container, dict) and not container.get("image"):
            raise _bad("templates.%s.container.image may not be empty" % name)
        for i, group in enumerate(tmpl.get("steps") or []):
            for step in group or []:
                ref = step.get("template")
                if ref and ref not in names:
                    raise _bad("templates.%s.steps[%d].%s template name '%s' undefined"
                               % (name, i, step.get("name", ""), ref))
        for task in (tmpl.get("dag") or {}).get("tasks") or []:
            ref = task.get("template")
            if ref and ref not in names:
                raise _bad("templates.%s.tasks.%s template name '%s' undefined"
                           % (name, task.get("name", ""), ref))
    return names


def validate_workflow(store, namespace, wf, submit=False, lint=False, template_validation=False):
    """ValidateWorkflow.  Returns the effective spec."""
    meta = wf.get("metadata") or {}
    name = meta.get("name") or ""
    if len(name) > 63:
        raise _bad('workflow name "%s" must not be more than 63 characters long (currently %d)'
                   % (name, len(name)))
    spec = wf.get("spec") or {}
    if not isinstance(spec, dict):
        raise _bad("spec must be an object")
    if spec.get("workflowTemplateRef") and spec.get("templates"):
        raise _bad("Templates is invalid field in spec if workflow referred WorkflowTemplate "
                   "reference")
    effective = effective_spec(store, namespace, wf)
    allow_empty = lint or (template_validation and not submit)
    _validate_arguments(effective.get("arguments"), allow_empty)
    names = _validate_templates(effective.get("templates") or [])
    entry = effective.get("entrypoint") or ""
    if not entry and not template_validation:
        raise _bad("spec.entrypoint is required")
    if entry and entry not in names:
        ref = spec.get("workflowTemplateRef")
        if ref:
            raise _bad("template reference %s.%s not found" % (ref.get("name", ""), entry))
        raise _bad("template name '%s' undefined" % entry)
    return effective


def validate_template_object(store, namespace, obj, kind_label, submit=False):
    """ValidateWorkflowTemplate / ValidateClusterWorkflowTemplate."""
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 63:
        raise _bad('%s name "%s" must not be more than 63 characters long (currently %d)'
                   % (kind_label, name, len(name)))
    wf = {"metadata": {"labels": (obj.get("metadata") or {}).get("labels")},
          "spec": obj.get("spec") or {}}
    return validate_workflow(store, namespace, wf, submit=submit, template_validation=True)


_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?LW#]+$")


def _check_schedule(schedule):
    text = schedule.strip()
    if text.startswith("CRON_TZ=") or text.startswith("TZ="):
        text = text.split(None, 1)[1] if " " in text else ""
    if text.startswith("@"):
        if text in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                    "@hourly") or re.match(r"^@every \d+(\.\d+)?(ns|us|ms|s|m|h)+", text):
            return
        raise _bad("cron schedule %s is malformed: unrecognized descriptor: %s"
                   % (schedule, text))
    fields = text.split()
    if len(fields) != 5:
        raise _bad("cron schedule %s is malformed: expected exactly 5 fields, found %d: %s"
                   % (schedule, len(fields), fields))
    for field in fields:
        if not _CRON_FIELD.match(field):
            raise _bad("cron schedule %s is malformed: failed to parse %s" % (schedule, field))


def cron_as_workflow(cron):
    """common.ConvertCronWorkflowToWorkflow (name set by the caller)."""
    meta = cron.get("metadata") or {}
    spec = cron.get("spec") or {}
    wfmeta = copy.deepcopy(spec.get("workflowMetadata") or {})
    labels = wfmeta.setdefault("labels", {})
    labels[LABEL_CRON] = meta.get("name", "")
    return {"metadata": wfmeta, "spec": copy.deepcopy(spec.get("workflowSpec") or {})}


def validate_cron(store, namespace, cron):
    spec = cron.get("spec") or {}
    if not isinstance(spec, dict):
        raise _bad("spec must be an object")
    schedules = list(spec.get("schedules") or [])
    if schedules and spec.get("schedule"):
        raise _bad("cron workflow cant be configured with both Spec.Schedule and "
                   "Spec.Schedules")
    if spec.get("schedule"):
        schedules = [spec["schedule"]]
    name = (cron.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        raise _bad('cron workflow name "%s" must not be more than 52 characters long '
                   "(currently %d)" % (name, len(name)))
    for schedule in schedules:
        _check_schedule(str(schedule))
    policy = spec.get("concurrencyPolicy", "")
    if policy not in ("Allow", "Forbid", "Replace", ""):
        raise _bad("'%s' is not a valid concurrencyPolicy" % policy)
    if isinstance(spec.get("startingDeadlineSeconds"), int) and spec["startingDeadlineSeconds"] < 0:
        raise _bad("startingDeadlineSeconds must be positive")
    try:
        validate_workflow(store, namespace, cron_as_workflow(cron))
    except errors.ApiError as exc:
        raise _bad("cannot validate Workflow: %s" % exc.message) from None
