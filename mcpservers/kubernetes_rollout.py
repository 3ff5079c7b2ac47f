"""Deployment rollouts as kubectl does them: history from ReplicaSets, restart, undo, scale.

- history: the deployment's ReplicaSets (matched by its selector, owned by it), one per
  revision (`deployment.kubernetes.io/revision`), with `kubernetes.io/change-cause`.
- restart: a strategic merge patch setting the pod template's
  `kubectl.kubernetes.io/restartedAt` annotation (`kubectl rollout restart`).
- undo: a JSON patch replacing the pod template with the target revision's (its
  `pod-template-hash` label dropped) and the annotations as kubectl computes them
  (`kubectl rollout undo [--to-revision=N]`).
- scale: a merge patch of `spec.replicas`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubernetes.client import (
    ApiClient,
    AppsV1Api,
    V1Deployment,
    V1LabelSelector,
    V1ObjectMeta,
    V1ReplicaSet,
)

from mcpservers import kubernetes_format as fmt
from mcpservers import kubernetes_models as km
from mcpservers.timeargs import iso

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
HASH_LABEL = "pod-template-hash"
# annotations kubectl's undo keeps from the deployment rather than copying from the ReplicaSet
KEPT = {
    "kubectl.kubernetes.io/last-applied-configuration",
    fmt.REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def selector_text(selector: V1LabelSelector | None) -> str:
    """A label selector as the API's `labelSelector` query parameter."""
    if selector is None:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.match_labels or {}).items())]
    for req in selector.match_expressions or []:
        values = ",".join(req.values or [])
        parts.append(
            {
                "In": f"{req.key} in ({values})",
                "NotIn": f"{req.key} notin ({values})",
                "Exists": req.key,
                "DoesNotExist": f"!{req.key}",
            }.get(req.operator, req.key)
        )
    return ",".join(parts)


def _meta(dep: V1Deployment | V1ReplicaSet) -> V1ObjectMeta:
    return dep.metadata or V1ObjectMeta()


def replica_sets(apps: AppsV1Api, dep: V1Deployment) -> dict[int, V1ReplicaSet]:
    """The deployment's ReplicaSets by revision."""
    meta = _meta(dep)
    selector = selector_text(dep.spec.selector if dep.spec else None)
    listed = apps.list_namespaced_replica_set(meta.namespace or "", label_selector=selector)
    found = {}
    for rs in listed.items:
        owned = any(
            r.kind == "Deployment" and r.name == meta.name and (not meta.uid or r.uid == meta.uid)
            for r in _meta(rs).owner_references or []
        )
        revision = fmt.revision_of(rs.metadata)
        if owned and revision is not None:
            found[revision] = rs
    return found


def _images(rs_or_dep: V1Deployment | V1ReplicaSet) -> dict[str, str]:
    spec = rs_or_dep.spec
    pod = spec.template.spec if spec and spec.template else None
    return fmt.images(pod.containers) if pod else {}


def history(apps: AppsV1Api, name: str, namespace: str) -> km.RolloutHistory:
    dep = apps.read_namespaced_deployment(name, namespace)
    current = fmt.revision_of(dep.metadata)
    revisions = []
    for number, rs in sorted(replica_sets(apps, dep).items()):
        meta = _meta(rs)
        revisions.append(
            km.Revision(
                revision=number,
                change_cause=(meta.annotations or {}).get(fmt.CHANGE_CAUSE, ""),
                images=_images(rs),
                created_at=fmt.when(meta.creation_timestamp),
                replicas=rs.status.replicas if rs.status else 0,
                ready=(rs.status.ready_replicas if rs.status else None) or 0,
                current=number == current,
            )
        )
    return km.RolloutHistory(
        deployment=name, namespace=namespace, current_revision=current, revisions=revisions
    )


def _unpaused(dep: V1Deployment, doing: str) -> None:
    if dep.spec and dep.spec.paused:
        raise ValueError(
            f"deployment {_meta(dep).name} is paused; resume it before {doing} "
            "(kubectl rollout resume)"
        )


def restart(apps: AppsV1Api, name: str, namespace: str, now: datetime) -> km.Restarted:
    dep = apps.read_namespaced_deployment(name, namespace)
    _unpaused(dep, "restarting it")
    stamp = iso(now)
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    apps.patch_namespaced_deployment(name, namespace, body, _content_type=STRATEGIC)
    return km.Restarted(
        deployment=name,
        namespace=namespace,
        restarted_at=stamp,
        revision=fmt.revision_of(dep.metadata),
        message=f"deployment {namespace}/{name} restarted: its pods are replaced one by one",
    )


def scale(apps: AppsV1Api, name: str, namespace: str, replicas: int) -> km.Scaled:
    dep = apps.read_namespaced_deployment(name, namespace)
    before = (dep.spec.replicas if dep.spec else None) or 0
    body = {"spec": {"replicas": replicas}}
    apps.patch_namespaced_deployment(name, namespace, body, _content_type=MERGE)
    return km.Scaled(
        deployment=name,
        namespace=namespace,
        replicas_before=before,
        replicas=replicas,
        message=f"deployment {namespace}/{name} scaled from {before} to {replicas} replicas",
    )


def _target(sets: dict[int, V1ReplicaSet], current: int | None, wanted: int | None) -> int:
    if wanted is not None:
        if wanted not in sets:
            raise ValueError(f"no revision {wanted}; the revisions are {sorted(sets)}")
        return wanted
    older = [n for n in sets if current is None or n < current]
    if not older:
        raise ValueError(f"no revision before the current one ({current}) to roll back to")
    return max(older)


def _template(client: ApiClient, owner: V1Deployment | V1ReplicaSet) -> dict[str, Any]:
    spec = owner.spec.template if owner.spec else None
    template: dict[str, Any] = client.sanitize_for_serialization(spec) or {}  # type: ignore[no-untyped-call]
    template.get("metadata", {}).get("labels", {}).pop(HASH_LABEL, None)
    return template


def undo(
    client: ApiClient, apps: AppsV1Api, name: str, namespace: str, to_revision: int | None
) -> km.RolledBack:
    dep = apps.read_namespaced_deployment(name, namespace)
    _unpaused(dep, "rolling it back")
    sets = replica_sets(apps, dep)
    current = fmt.revision_of(dep.metadata) or (max(sets) if sets else None)
    number = _target(sets, current, to_revision)
    target, template = sets[number], _template(client, sets[number])
    kept = {k: v for k, v in (_meta(dep).annotations or {}).items() if k in KEPT}
    annotations = kept | {
        k: v for k, v in (_meta(target).annotations or {}).items() if k not in KEPT
    }
    result = {
        "deployment": name,
        "namespace": namespace,
        "from_revision": current,
        "to_revision": number,
        "images_before": _images(dep),
        "images_after": _images(target),
        "change_cause": annotations.get(fmt.CHANGE_CAUSE, ""),
    }
    if template == _template(client, dep):
        message = f"skipped: the current pod template already matches revision {number}"
        return km.RolledBack(**result, changed=False, message=message)
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    apps.patch_namespaced_deployment(name, namespace, patch, _content_type=JSON_PATCH)
    message = f"deployment {namespace}/{name} rolled back to revision {number}'s pod template"
    return km.RolledBack(**result, changed=True, message=message)
