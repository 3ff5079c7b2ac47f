"""Kubernetes events as the stand-in serves them: `v1` Events and `events.k8s.io/v1`.

The scenario names each event's object as `Kind/name`; the event carries that object's uid
(the one the object itself is served with), the component that would have reported it
(kubelet for pods and nodes, the controllers for workloads) and, for `fieldSelector`,
the fields the API server lets clients select on.
"""

from __future__ import annotations

import hashlib
from typing import Any

from world.kubernetes_http import iso, micro_iso, uid
from world.kubernetes_state import KubernetesStore
from world.kubernetes_templates import clean
from world.kubernetes_views import object_meta
from world.signals_spec import Event, to_time

_API_VERSIONS = {
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}
_SOURCES = {
    "Deployment": "deployment-controller",
    "ReplicaSet": "replicaset-controller",
    "HorizontalPodAutoscaler": "horizontal-pod-autoscaler",
    "Node": "kubelet",
    "StatefulSet": "statefulset-controller",
    "Job": "job-controller",
}
_OBJECT_KEYS = ("kind", "name", "namespace", "uid", "apiVersion")
EVENT_FIELDS = {"metadata.name", "metadata.namespace", "reason", "type", "source"}
EVENT_FIELDS |= {"reportingComponent"}
EVENT_FIELDS |= {f"{p}.{k}" for p in ("involvedObject", "regarding") for k in _OBJECT_KEYS}


def event_json(ns: str, index: int, ev: Event, store: KubernetesStore) -> dict[str, Any]:
    kind, name = ev.object.split("/", 1)
    first = to_time(ev.first)
    last = to_time(ev.last) if ev.last else first
    key = hashlib.sha256(f"{ns}/{index}/{ev.object}/{ev.reason}/{ev.first}".encode())
    ev_name = f"{name}.{key.hexdigest()[:16]}"
    owner_ns = "" if kind == "Node" else ns
    involved = {
        "kind": kind,
        "name": name,
        "namespace": owner_ns or None,
        "uid": uid(kind, owner_ns, name),
        "apiVersion": _API_VERSIONS.get(kind, "v1"),
    }
    host = name if kind == "Node" else _pod_node(ns, name, store) if kind == "Pod" else ""
    component = _component(kind, ev.reason)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": object_meta("Event", ns, ev_name, first),
        "involvedObject": clean(involved),
        "reason": ev.reason,
        "message": ev.message,
        "type": ev.type,
        "count": ev.count,
        "firstTimestamp": iso(first),
        "lastTimestamp": iso(last),
        "source": clean({"component": component, "host": host}),
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


def event_v1(core: dict[str, Any]) -> dict[str, Any]:
    """The same event as `events.k8s.io/v1` serves it."""
    first = to_time(core["firstTimestamp"])
    last = to_time(core["lastTimestamp"])
    out = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": core["metadata"],
        "eventTime": micro_iso(first),
        "reason": core["reason"],
        "note": core["message"],
        "type": core["type"],
        "regarding": core["involvedObject"],
        "action": core["reason"],
        "reportingController": core["reportingComponent"],
        "reportingInstance": core["reportingInstance"] or core["reportingComponent"],
        "deprecatedCount": core["count"],
        "deprecatedSource": core["source"],
        "deprecatedFirstTimestamp": core["firstTimestamp"],
        "deprecatedLastTimestamp": core["lastTimestamp"],
    }
    if core["count"] > 1:
        out["series"] = {"count": core["count"], "lastObservedTime": micro_iso(last)}
    return out


def event_fields(item: dict[str, Any]) -> dict[str, str]:
    obj = item.get("involvedObject") or item.get("regarding") or {}
    fields = {
        "metadata.name": item["metadata"]["name"],
        "metadata.namespace": item["metadata"].get("namespace", ""),
        "reason": item.get("reason", ""),
        "type": item.get("type", ""),
        "source": (item.get("source") or item.get("deprecatedSource") or {}).get("component", ""),
        "reportingComponent": item.get("reportingComponent") or item.get("reportingController", ""),
    }
    for key in ("kind", "name", "namespace", "uid", "apiVersion"):
        fields[f"involvedObject.{key}"] = fields[f"regarding.{key}"] = str(obj.get(key, ""))
    return fields


def _component(kind: str, reason: str) -> str:
    if kind == "Pod":
        return "default-scheduler" if reason in ("Scheduled", "FailedScheduling") else "kubelet"
    return _SOURCES.get(kind, "")


def _pod_node(ns: str, name: str, store: KubernetesStore) -> str:
    space = store.spec.namespaces.get(ns)
    pod = next((p for p in space.pods if p.name == name), None) if space else None
    return pod.node or "" if pod else ""
