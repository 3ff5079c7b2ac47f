"""Deployments, their ReplicaSets and the `scale` subresource as the stand-in serves them.

The deployment's spec and metadata are the store's (writes change them); its status is the
scenario's (no controller runs). A ReplicaSet per revision carries the revision and
change-cause annotations, its pod-template-hash and its owner; the current one wants the
deployment's updated replicas, an older one as many as the scenario shows pods of it.
"""

from __future__ import annotations

from typing import Any

from world.kubernetes_state import (
    CHANGE_CAUSE,
    REVISION,
    DeploymentState,
    KubernetesStore,
    ReplicaSetState,
)
from world.kubernetes_templates import HASH_LABEL
from world.kubernetes_views import condition_json, object_meta
from world.signals_spec import to_time


def deployment_json(state: DeploymentState) -> dict[str, Any]:
    dep = state.spec
    replicas = dep.replicas
    available = dep.available if dep.available is not None else dep.ready
    conditions = [
        condition_json(c, to_time(dep.history[-1].at), heartbeat="lastUpdateTime")
        for c in dep.conditions
    ]
    status = {
        "observedGeneration": state.obj["metadata"]["generation"],
        "replicas": replicas,
        "updatedReplicas": dep.updated if dep.updated is not None else replicas,
        "readyReplicas": dep.ready,
        "availableReplicas": available,
        "unavailableReplicas": max(0, replicas - available) or None,
        "conditions": conditions,
    }
    out = {"apiVersion": "apps/v1", "kind": "Deployment", **state.obj}
    out["status"] = {k: v for k, v in status.items() if v is not None and v != []}
    return out


def replicaset_json(
    state: DeploymentState, rs: ReplicaSetState, store: KubernetesStore
) -> dict[str, Any]:
    wanted, ready = _counts(state, rs, store)
    labels = {**state.selector(), HASH_LABEL: rs.hash}
    spec = {"replicas": wanted, "selector": {"matchLabels": labels}}
    spec["template"] = rs.labeled_template()
    status = {"replicas": wanted, "fullyLabeledReplicas": wanted, "readyReplicas": ready}
    status |= {"availableReplicas": ready, "observedGeneration": 1}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _rs_meta(state, rs, labels),
        "spec": spec,
        "status": status,
    }


def _counts(state: DeploymentState, rs: ReplicaSetState, store: KubernetesStore) -> tuple[int, int]:
    """(wanted, ready): the current ReplicaSet wants the deployment's updated replicas, an
    older one the pods the scenario still shows of it."""
    ns, dep = state.namespace, state.spec
    pods = [
        p for p in store.spec.namespaces[ns].pods if store.pod_hash.get((ns, p.name)) == rs.hash
    ]
    ready = sum(all(c.ready for c in p.containers) for p in pods)
    if rs is not state.current:
        return len(pods), ready
    wanted = dep.updated if dep.updated is not None else state.replicas
    return wanted, ready if pods else dep.ready


def _rs_meta(state: DeploymentState, rs: ReplicaSetState, labels: dict[str, str]) -> dict[str, Any]:
    surge = max(1, -(-state.replicas // 4))  # maxSurge 25%, rounded up
    notes = {
        REVISION: str(rs.revision),
        "deployment.kubernetes.io/desired-replicas": str(state.replicas),
        "deployment.kubernetes.io/max-replicas": str(state.replicas + surge),
    }
    if rs.change_cause:
        notes[CHANGE_CAUSE] = rs.change_cause
    owner = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": state.name,
        "uid": state.obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    extra = {"generation": 1, "labels": labels, "annotations": notes, "ownerReferences": [owner]}
    return object_meta("ReplicaSet", state.namespace, rs.name, rs.created, **extra)


def scale_json(state: DeploymentState) -> dict[str, Any]:
    meta = state.obj["metadata"]
    keep = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
    selector = ",".join(f"{k}={v}" for k, v in state.selector().items())
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {k: meta[k] for k in keep},
        "spec": {"replicas": state.replicas},
        "status": {"replicas": state.spec.replicas, "selector": selector},
    }
