"""The object store: what the Kubernetes API server would hold for Argo's custom resources,
plus the pod logs the simulated controller writes.

Objects are plain dicts in Kubernetes JSON form.  The store owns them; every method returns deep
copies, and callers own what they get.  One re-entrant lock guards everything; a condition on it
wakes watchers (watch streams, log followers) after each change.

Metadata as the API server sets it: uid (uuid4), resourceVersion (one global counter, as a
string), generation (1, +1 whenever anything outside metadata changes), creationTimestamp
(RFC 3339, seconds, "Z"), namespace, and a managedFields entry per manager.
"""

import calendar
import copy
import random
import re
import threading
import time
import uuid

from . import errors

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
             "'-' or '.', and must start and end with an alphanumeric character (e.g. "
             "'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
# Kubernetes' SimpleNameGenerator alphabet (no vowels, no confusable digits), 5 characters.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
API_VERSION = "argoproj.io/v1alpha1"
MAX_EVENTS = 20000


class Resource:
    def __init__(self, kind, plural, singular, namespaced, short):
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.namespaced = namespaced
        self.short = short

    @property
    def qualified(self):
        """e.g. workflows.argoproj.io, as Kubernetes names it in messages."""
        return "%s.%s" % (self.plural, errors.GROUP)

    @property
    def qualified_singular(self):
        """e.g. workflowtemplate.argoproj.io, as Argo's informer-backed getters name it."""
        return "%s.%s" % (self.singular, errors.GROUP)

    def names(self):
        return (self.kind, self.singular, self.plural, self.short)


RESOURCES = {
    "workflows": Resource("Workflow", "workflows", "workflow", True, "wf"),
    "workflowtemplates": Resource("WorkflowTemplate", "workflowtemplates", "workflowtemplate",
                                  True, "wftmpl"),
    "clusterworkflowtemplates": Resource("ClusterWorkflowTemplate", "clusterworkflowtemplates",
                                         "clusterworkflowtemplate", False, "cwftmpl"),
    "cronworkflows": Resource("CronWorkflow", "cronworkflows", "cronworkflow", True, "cwf"),
    "workfloweventbindings": Resource("WorkflowEventBinding", "workfloweventbindings",
                                      "workfloweventbinding", True, "wfeb"),
}


def rfc3339(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def parse_rfc3339(text):
    """Seconds since the epoch for an RFC 3339 timestamp, or None when `text` is not one."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                 r"([Zz]|[+-]\d{2}:\d{2})$", text or "")
    if not m:
        return None
    secs = calendar.timegm((int(m.group(1)), int(m.group(2)), int(m.group(3)),
                            int(m.group(4)), int(m.group(5)), int(m.group(6)), 0, 0, 0))
    if m.group(7):
        secs += float(m.group(7))
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs


def _fields_v1(obj):
    out = {"f:metadata": {}}
    meta = obj.get("metadata") or {}
    for key in ("labels", "annotations"):
        if meta.get(key):
            out["f:metadata"]["f:" + key] = {"f:" + k: {} for k in sorted(meta[key])}
    for top in ("spec", "status"):
        if isinstance(obj.get(top), dict) and obj[top]:
            out["f:" + top] = {"f:" + k: {} for k in sorted(obj[top])}
    return out


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self._rv = 1000
        self._objects = {name: {} for name in RESOURCES}
        self._order = {}          # uid -> creation sequence (finer than creationTimestamp)
        self._created = 0
        self._events = []         # (seq, resource, type, object) newest last
        self._seq = 0
        self._compacted_rv = 0    # events up to this resourceVersion are no longer retained
        self._logs = {}           # (ns, workflow) -> [log entry dict]
        self.closing = False

    # -- helpers -------------------------------------------------------------------------

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def resource_version(self):
        with self.lock:
            return str(self._rv)

    def next_resource_version(self):
        """A new resourceVersion from the global counter (also used for core objects)."""
        with self.lock:
            return self._next_rv()

    def namespaces(self):
        """The namespaces that hold at least one object."""
        with self.lock:
            return {key[0] for objects in self._objects.values() for key in objects if key[0]}

    def _emit(self, resource, kind, obj):
        self._seq += 1
        self._events.append((self._seq, resource, kind, copy.deepcopy(obj)))
        if len(self._events) > MAX_EVENTS:
            self._drop_events(len(self._events) - MAX_EVENTS)
        self.cond.notify_all()

    def _drop_events(self, n):
        for _, _, _, obj in self._events[:n]:
            rv = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
            self._compacted_rv = max(self._compacted_rv, rv)
        del self._events[:n]

    def compact(self):
        """Forget every retained event, as etcd compaction does: a watch from a resourceVersion
        older than now is then "too old".  Returns the compacted resourceVersion."""
        with self.lock:
            self._drop_events(len(self._events))
            self._compacted_rv = max(self._compacted_rv, self._rv)
            return self._compacted_rv

    def compacted_resource_version(self):
        with self.lock:
            return self._compacted_rv

    def _managed(self, obj, manager):
        meta = obj["metadata"]
        entries = [e for e in meta.get("managedFields") or [] if e.get("manager") != manager]
        entries.append({"manager": manager, "operation": "Update", "apiVersion": API_VERSION,
                        "time": rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": _fields_v1(obj)})
        meta["managedFields"] = entries

    def creation_order(self, obj):
        return self._order.get((obj.get("metadata") or {}).get("uid"), 0)

    # -- CRUD ----------------------------------------------------------------------------

    def create(self, resource, namespace, obj, manager="argo"):
        """Store a new object (API-server create).  Returns the stored copy.
        Raises ApiError: 400 namespace mismatch / invalid name, 409 already exists."""
        res = RESOURCES[resource]
        obj = copy.deepcopy(obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        obj["metadata"] = meta
        if res.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.ApiError(errors.INVALID_ARGUMENT,
                                      "the namespace of the provided object does not match "
                                      "the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
            namespace = ""
        with self.lock:
            name = meta.get("name") or ""
            if not name:
                gen = meta.get("generateName") or ""
                if not gen:
                    raise errors.invalid(res.kind, "", "metadata.name: Required value: name or "
                                         "generateName is required")
                for _ in range(100):
                    name = gen + "".join(random.choice(_SUFFIX_ALPHABET) for _ in range(5))
                    if (namespace, name) not in self._objects[resource]:
                        break
            if len(name) > 253 or not _NAME_RE.match(name):
                raise errors.invalid(res.kind, name, 'metadata.name: Invalid value: "%s": %s'
                                     % (name, _NAME_MSG))
            if (namespace, name) in self._objects[resource]:
                raise errors.already_exists(res.qualified, name)
            meta["name"] = name
            meta["uid"] = str(uuid.uuid4())
            meta["resourceVersion"] = self._next_rv()
            meta["generation"] = 1
            meta["creationTimestamp"] = rfc3339()
            for key in ("deletionTimestamp", "selfLink"):
                meta.pop(key, None)
            stored = {"apiVersion": API_VERSION, "kind": res.kind}
            stored.update((k, v) for k, v in obj.items() if k not in ("apiVersion", "kind"))
            self._managed(stored, manager)
            self._created += 1
            self._order[meta["uid"]] = self._created
            self._objects[resource][(namespace, name)] = stored
            self._emit(resource, "ADDED", stored)
            return copy.deepcopy(stored)

    def get(self, resource, namespace, name):
        """A copy of the object, or None."""
        with self.lock:
            obj = self._objects[resource].get((namespace if RESOURCES[resource].namespaced
                                               else "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource, namespace=""):
        """Copies of all objects of `resource` in `namespace` ("" = all), in (namespace, name)
        order, like etcd's key order."""
        with self.lock:
            items = [(key, obj) for key, obj in self._objects[resource].items()
                     if not namespace or key[0] == namespace]
            items.sort(key=lambda kv: kv[0])
            return [copy.deepcopy(obj) for _, obj in items]

    def update(self, resource, namespace, obj, manager="argo"):
        """API-server update (PUT) of obj.metadata.name.  Requires metadata.resourceVersion.
        Raises ApiError 400 (no resourceVersion), 404, 409 (stale)."""
        res = RESOURCES[resource]
        obj = copy.deepcopy(obj)
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        obj["metadata"] = meta
        name = meta.get("name") or ""
        if not name:
            raise errors.ApiError(errors.INVALID_ARGUMENT, "resource name may not be empty")
        ns = namespace if res.namespaced else ""
        if res.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.ApiError(errors.INVALID_ARGUMENT,
                                  "the namespace of the provided object does not match the "
                                  "namespace sent on the request")
        with self.lock:
            current = self._objects[resource].get((ns, name))
            if not meta.get("resourceVersion"):
                if current is None:
                    raise errors.not_found(res.qualified, name)
                raise errors.invalid(res.kind, name, "metadata.resourceVersion: Invalid value: "
                                     "0x0: must be specified for an update")
            if current is None:
                raise errors.not_found(res.qualified, name)
            if meta["resourceVersion"] != current["metadata"]["resourceVersion"]:
                raise errors.conflict(res.qualified, name)
            return self._replace(resource, ns, current, obj, manager)

    def _replace(self, resource, ns, current, obj, manager):
        res = RESOURCES[resource]
        cmeta = current["metadata"]
        meta = obj["metadata"]
        for key in ("uid", "creationTimestamp", "generation", "managedFields", "name"):
            if key in cmeta:
                meta[key] = copy.deepcopy(cmeta[key])
        if res.namespaced:
            meta["namespace"] = ns
        body_changed = ({k: v for k, v in obj.items() if k not in ("metadata", "kind", "apiVersion")}
                        != {k: v for k, v in current.items()
                            if k not in ("metadata", "kind", "apiVersion")})
        if body_changed:
            meta["generation"] = int(cmeta.get("generation", 1)) + 1
        meta["resourceVersion"] = self._next_rv()
        stored = {"apiVersion": API_VERSION, "kind": res.kind}
        stored.update((k, v) for k, v in obj.items() if k not in ("apiVersion", "kind"))
        self._managed(stored, manager)
        self._objects[resource][(ns, cmeta["name"])] = stored
        self._emit(resource, "MODIFIED", stored)
        return copy.deepcopy(stored)

    def mutate(self, resource, namespace, name, fn, manager="argo"):
        """Apply fn(obj) to a copy of the stored object and store it as a new version (a patch
        or an internal controller write).  fn may return False to skip the write.  Returns the
        resulting copy, or None when the object does not exist."""
        res = RESOURCES[resource]
        ns = namespace if res.namespaced else ""
        with self.lock:
            current = self._objects[resource].get((ns, name))
            if current is None:
                return None
            obj = copy.deepcopy(current)
            if fn(obj) is False:
                return copy.deepcopy(current)
            return self._replace(resource, ns, current, obj, manager)

    def delete(self, resource, namespace, name):
        """Remove the object.  Returns the deleted copy; raises ApiError 404."""
        res = RESOURCES[resource]
        ns = namespace if res.namespaced else ""
        with self.lock:
            current = self._objects[resource].pop((ns, name), None)
            if current is None:
                raise errors.not_found(res.qualified, name)
            current["metadata"]["resourceVersion"] = self._next_rv()
            if resource == "workflows":
                self._logs.pop((ns, name), None)
            self._emit(resource, "DELETED", current)
            return copy.deepcopy(current)

    # -- watch -----------------------------------------------------------------------------

    def current_seq(self):
        with self.lock:
            return self._seq

    def events_after(self, seq, resource, timeout, keep=None):
        """Events (seq, type, object copy) of `resource` newer than `seq`, waiting up to
        `timeout` seconds for one to arrive; with `keep`, only those whose object it accepts
        (it sees the stored object: it must not change it).  Returns (events, last_seq_seen)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                # seqs are consecutive: the events after `seq` start at this index
                start = max(0, seq - self._events[0][0] + 1) if self._events else 0
                new = self._events[start:]
                if new:
                    last = new[-1][0]
                    return ([(s, t, copy.deepcopy(o)) for s, r, t, o in new
                             if r == resource and (keep is None or keep(o))], last)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closing:
                    return [], seq
                self.cond.wait(remaining)

    def wait_change(self, timeout):
        with self.lock:
            if not self.closing:
                self.cond.wait(timeout)

    def close(self):
        with self.lock:
            self.closing = True
            self.cond.notify_all()

    # -- pod logs --------------------------------------------------------------------------

    def append_logs(self, namespace, workflow, entries):
        """entries: dicts {"time": float, "podName", "container", "content"}."""
        with self.lock:
            self._logs.setdefault((namespace, workflow), []).extend(copy.deepcopy(entries))
            self.cond.notify_all()

    def logs(self, namespace, workflow):
        with self.lock:
            return copy.deepcopy(self._logs.get((namespace, workflow), []))

    def reset_logs(self, namespace, workflow, pods=None):
        """Drop the log lines of `pods` (all when None), as deleting the pods would."""
        with self.lock:
            lines = self._logs.get((namespace, workflow), [])
            self._logs[(namespace, workflow)] = ([] if pods is None else
                                                 [e for e in lines if e["podName"] not in pods])
