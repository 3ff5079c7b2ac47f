"""The Kubernetes stand-in's wire JSON: pods, nodes, namespaces, deployments, ReplicaSets.

Pure functions from the scenario's `kubernetes` section (and the store's deployments) to
the objects the API server returns, shaped so the official clients deserialize them, and
the selectable fields of each kind for `fieldSelector`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from world.kubernetes_http import iso, uid
from world.kubernetes_state import (
    KubernetesStore,
)
from world.kubernetes_templates import HASH_LABEL, clean, resources_json
from world.signals_spec import Condition, Container, Node, Pod, Termination, to_time

_CLUSTER_AGE = timedelta(days=30)
_PRESSURE_TAINTS = {
    "MemoryPressure": "memory-pressure",
    "DiskPressure": "disk-pressure",
    "PIDPressure": "pid-pressure",
}
POD_FIELDS = {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy"}
POD_FIELDS |= {"status.phase"}
NAME_FIELDS = {"metadata.name", "metadata.namespace"}
NODE_FIELDS = {"metadata.name", "spec.unschedulable"}


def object_meta(kind: str, ns: str, name: str, created: datetime, **extra: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "uid": uid(kind, ns, name), "resourceVersion": "1000"}
    meta |= {"creationTimestamp": iso(created), **extra}
    return {k: v for k, v in meta.items() if v not in (None, "", {}, [])}


def condition_json(
    c: Condition, fallback: datetime, *, heartbeat: str | None = None
) -> dict[str, Any]:
    at = iso(to_time(c.at)) if c.at else iso(fallback)
    out = {"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
    out |= {"lastTransitionTime": at}
    if heartbeat:
        out[heartbeat] = at
    return {k: v for k, v in out.items() if v != ""}


# --- pods --------------------------------------------------------------------------------------


def pod_json(ns: str, pod: Pod, store: KubernetesStore) -> dict[str, Any]:
    created = pod_created(pod, store)
    labels, owners = dict(pod.labels), []
    state = store.deployments.get((ns, pod.deployment or ""))
    pod_hash = store.pod_hash.get((ns, pod.name))
    if state is not None and pod_hash:
        labels = {**state.selector(), **labels, HASH_LABEL: pod_hash}
        rs_name = f"{state.name}-{pod_hash}"
        owners = [_owner("apps/v1", "ReplicaSet", rs_name, uid("ReplicaSet", ns, rs_name))]
    containers = [_container_spec(c) for c in pod.containers]
    spec = {"nodeName": pod.node, "containers": containers, "restartPolicy": "Always"}
    status = {
        "phase": pod.phase,
        "reason": pod.reason,
        "message": pod.message,
        "conditions": _pod_conditions(pod, created),
        "startTime": iso(created),
        "containerStatuses": [_container_status(c, created) for c in pod.containers],
    }
    meta = object_meta("Pod", ns, pod.name, created, labels=labels, ownerReferences=owners)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": clean(spec),
        "status": clean(status),
    }


def pod_created(pod: Pod, store: KubernetesStore) -> datetime:
    if pod.created_at:
        return to_time(pod.created_at)
    for space in store.spec.namespaces.values():
        for dep in space.deployments:
            if dep.name == pod.deployment:
                wanted = pod.revision or dep.history[-1].revision
                return next((to_time(r.at) for r in dep.history if r.revision == wanted), store.now)
    return store.now


def _owner(api_version: str, kind: str, name: str, owner_uid: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": owner_uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _container_spec(c: Container) -> dict[str, Any]:
    return {"name": c.name, "image": c.image, "resources": resources_json(c.resources)}


def _pod_conditions(pod: Pod, created: datetime) -> list[dict[str, Any]]:
    if pod.conditions:
        return [condition_json(c, created) for c in pod.conditions]
    ready = "True" if all(c.ready for c in pod.containers) else "False"
    scheduled = "True" if pod.node else "False"
    kinds = [
        ("PodScheduled", scheduled),
        ("Initialized", "True"),
        ("ContainersReady", ready),
        ("Ready", ready),
    ]
    return [{"type": t, "status": s, "lastTransitionTime": iso(created)} for t, s in kinds]


def _container_status(c: Container, created: datetime) -> dict[str, Any]:
    started = c.started_at or iso(created)
    if c.state == "running":
        state: dict[str, Any] = {"running": {"startedAt": started}}
    elif c.state == "waiting":
        state = {"waiting": clean({"reason": c.reason, "message": c.message})}
    else:
        reason = c.reason or "Error"
        code = (
            0
            if reason == "Completed"
            else 137
            if reason in ("OOMKilled", "ContainerStatusUnknown")
            else 1
        )
        state = {
            "terminated": clean(
                {
                    "exitCode": code,
                    "reason": reason,
                    "message": c.message,
                    "startedAt": c.started_at,
                }
            )
        }
    last = {"terminated": _terminated(c.last_termination)} if c.last_termination else {}
    digest = hashlib.sha256(f"{c.image}".encode()).hexdigest()
    pulled = c.state != "waiting" or c.restarts > 0
    out = {
        "name": c.name,
        "image": c.image,
        "ready": c.ready,
        "restartCount": c.restarts,
        "started": c.state == "running",
        "state": state,
        "lastState": last,
        "imageID": f"{c.image.split(':')[0]}@sha256:{digest}" if pulled else "",
    }
    if pulled:
        container_id = hashlib.sha256(f"{c.name}/{started}".encode()).hexdigest()
        out["containerID"] = f"containerd://{container_id}"
    return out


def _terminated(t: Termination) -> dict[str, Any]:
    out = {
        "exitCode": t.exit_code,
        "reason": t.reason,
        "message": t.message,
        "startedAt": t.started_at,
        "finishedAt": t.finished_at,
    }
    return {k: v for k, v in out.items() if v not in (None, "")}


def pod_fields(item: dict[str, Any]) -> dict[str, str]:
    return {
        "metadata.name": item["metadata"]["name"],
        "metadata.namespace": item["metadata"]["namespace"],
        "spec.nodeName": item["spec"].get("nodeName", ""),
        "spec.restartPolicy": item["spec"].get("restartPolicy", ""),
        "status.phase": item["status"].get("phase", ""),
    }


# --- nodes and namespaces ----------------------------------------------------------------------


def node_json(node: Node, now: datetime) -> dict[str, Any]:
    created = now - _CLUSTER_AGE
    labels = {"kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", **node.labels}
    taints = [
        {"key": f"node.kubernetes.io/{_PRESSURE_TAINTS[c.type]}", "effect": "NoSchedule"}
        for c in node.conditions
        if c.type in _PRESSURE_TAINTS and c.status == "True"
    ]
    if node.unschedulable:
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    conditions = [
        condition_json(c, created, heartbeat="lastHeartbeatTime") for c in node.conditions
    ]
    status = {
        "capacity": dict(node.capacity or node.allocatable),
        "allocatable": dict(node.allocatable or node.capacity),
        "conditions": conditions,
    }
    meta = object_meta("Node", "", node.name, created, labels=labels)
    spec = {"unschedulable": node.unschedulable or None, "taints": taints}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta,
        "spec": clean(spec),
        "status": clean(status),
    }


def node_fields(item: dict[str, Any]) -> dict[str, str]:
    unschedulable = "true" if item["spec"].get("unschedulable") else "false"
    return {"metadata.name": item["metadata"]["name"], "spec.unschedulable": unschedulable}


def namespace_json(name: str, now: datetime) -> dict[str, Any]:
    meta = object_meta("Namespace", "", name, now - _CLUSTER_AGE)
    meta["labels"] = {"kubernetes.io/metadata.name": name}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def name_fields(item: dict[str, Any]) -> dict[str, str]:
    meta = item["metadata"]
    return {"metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", "")}
