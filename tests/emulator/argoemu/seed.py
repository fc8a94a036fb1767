"""Seed data: every *.yaml / *.yml / *.json file under a directory (recursively) is loaded.

Each document is a Kubernetes object of kind Workflow, WorkflowTemplate,
ClusterWorkflowTemplate, CronWorkflow or WorkflowEventBinding, or one of the core kinds
Namespace, ServiceAccount and Secret (kept by kube.KubeStore: served by the Kubernetes listener
and read by webhook verification).  Its namespace is metadata.namespace, else the name of the
first directory level below the seed root the file is in, else "argo".  Namespaces, service
accounts and secrets load first (a service-account token Secret may then name its account),
then templates, cron workflows and bindings, then workflows.  Secrets follow the API server's
rules (stringData merged into data, validation, a token generated for a service-account-token
Secret that has none).

Workflows run through the simulated controller at load time, to completion (so they carry
real-looking nodes and pod logs), unless annotated `emulator.argofs/run: live`, in which case
they start like a freshly created workflow.  The annotation is removed on load.

Needs PyYAML (Debian package python3-yaml); it is imported only when a seed is loaded.
"""

import os

ORDER = ("Namespace", "ServiceAccount", "Secret", "ClusterWorkflowTemplate", "WorkflowTemplate",
         "CronWorkflow", "WorkflowEventBinding", "Workflow")
CORE_KINDS = ("Namespace", "ServiceAccount", "Secret")
RESOURCE_OF = {"Workflow": "workflows", "WorkflowTemplate": "workflowtemplates",
               "ClusterWorkflowTemplate": "clusterworkflowtemplates",
               "CronWorkflow": "cronworkflows", "WorkflowEventBinding": "workfloweventbindings"}
LIVE_ANNOTATION = "emulator.argofs/run"


class SeedError(Exception):
    pass


def _documents(path):
    import yaml  # python3-yaml
    with open(path, encoding="utf-8") as fh:
        try:
            return [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as exc:
            raise SeedError("%s: %s" % (path, exc)) from None


def load(emu, root):
    """Load the seed directory `root` into the emulator.  Returns the number of objects."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        default_ns = rel.split(os.sep)[0] if rel != "." else "argo"
        for filename in sorted(filenames):
            if not filename.endswith((".yaml", ".yml", ".json")):
                continue
            path = os.path.join(dirpath, filename)
            for doc in _documents(path):
                if not isinstance(doc, dict) or (doc.get("kind") not in RESOURCE_OF and
                                                 doc.get("kind") not in CORE_KINDS):
                    raise SeedError("%s: unsupported document kind %r"
                                    % (path, doc.get("kind") if isinstance(doc, dict) else doc))
                ns = (doc.get("metadata") or {}).get("namespace") or default_ns
                found.append((ORDER.index(doc["kind"]), path, ns, doc))
    found.sort(key=lambda item: item[0])
    for _, path, ns, doc in found:
        if doc["kind"] in CORE_KINDS:
            try:
                if doc["kind"] == "Namespace":
                    emu.kube.add_namespace(doc)
                elif doc["kind"] == "ServiceAccount":
                    emu.kube.add_service_account(ns, doc)
                else:
                    emu.kube.seed_secret(ns, doc)
            except ValueError as exc:
                raise SeedError("%s: %s" % (path, exc)) from None
            continue
        resource = RESOURCE_OF[doc["kind"]]
        doc.pop("status", None)
        meta = doc.setdefault("metadata", {})
        live = (meta.get("annotations") or {}).pop(LIVE_ANNOTATION, None) == "live"
        if meta.get("annotations") == {}:
            del meta["annotations"]
        try:
            created = emu.store.create(resource, ns, doc)
        except Exception as exc:
            raise SeedError("%s: %s" % (path, getattr(exc, "message", exc))) from None
        if resource == "workflows":
            name = created["metadata"]["name"]
            emu.controller.observe(ns, name)
            if not live:
                emu.controller.run_to_completion(ns, name)
    return len(found)
