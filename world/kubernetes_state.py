"""The Kubernetes stand-in's mutable state: deployments, their ReplicaSets, the write log.

Each deployment keeps its served object (metadata and spec; status is derived) and one
ReplicaSet per revision of its `history`, named `<deployment>-<pod-template-hash>` (the
hash the scenario's pods carry when they show one). A write that changes the pod template
rolls like the deployment controller: a template equal to an older ReplicaSet's (what
`kubectl rollout undo` sends) gives that ReplicaSet the next revision; any other template
(`kubectl rollout restart`'s `restartedAt` annotation) makes a new ReplicaSet. No
controller runs: pods and status counts stay as the scenario describes them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from world.kubernetes_http import KubeError, iso, not_found, uid
from world.kubernetes_patch import apply_patch
from world.kubernetes_templates import (
    HASH_LABEL,
    clean,
    infer_hash,
    make_hash,
    pod_template,
    selector_for,
)
from world.signals_spec import Deployment, KubernetesSpec, Pod, to_time

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


@dataclass
class ReplicaSetState:
    name: str
    hash: str
    revision: int
    template: dict[str, Any]  # the pod template without the hash label
    created: datetime
    change_cause: str = ""

    def labeled_template(self) -> dict[str, Any]:
        out = copy.deepcopy(self.template)
        out.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = self.hash
        return out


@dataclass
class DeploymentState:
    namespace: str
    spec: Deployment
    obj: dict[str, Any]  # {"metadata": ..., "spec": ...} as served
    sets: list[ReplicaSetState] = field(default_factory=list)  # ascending revision

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def current(self) -> ReplicaSetState:
        return self.sets[-1]

    @property
    def replicas(self) -> int:
        value: int = self.obj["spec"]["replicas"]
        return value

    def selector(self) -> dict[str, str]:
        labels: dict[str, str] = self.obj["spec"]["selector"]["matchLabels"]
        return labels


@dataclass(frozen=True)
class KubernetesWrite:
    """One accepted write. `kind`: restart_deployment, rollback_deployment,
    scale_deployment, update_deployment or patch_deployment; `revision` the deployment's
    revision after it, `replicas` its replica count after it; `at` the wall-clock time."""

    method: str
    path: str
    content_type: str
    body: Any
    at: datetime
    kind: str
    namespace: str
    name: str
    revision: int | None = None
    replicas: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": iso(self.at)}


class KubernetesStore:
    """The scenario's cluster; writers hold `lock` and call `record` for each write."""

    def __init__(self, spec: KubernetesSpec, now: datetime) -> None:
        self.spec, self.now = spec, now
        self.lock = threading.Lock()
        self.rv = 1000
        self.writes: list[KubernetesWrite] = []
        self.pod_hash: dict[tuple[str, str], str] = {}
        self.deployments: dict[tuple[str, str], DeploymentState] = {}
        for ns, space in spec.namespaces.items():
            for dep in space.deployments:
                self.deployments[(ns, dep.name)] = self._seed(ns, dep, space.pods)

    def _seed(self, ns: str, dep: Deployment, pods: Sequence[Pod]) -> DeploymentState:
        current = dep.history[-1].revision
        mine = [p for p in pods if p.deployment == dep.name]
        sets: list[ReplicaSetState] = []
        for rev in dep.history:
            of_rev = [p for p in mine if (p.revision or current) == rev.revision]
            pod_hash = infer_hash(dep.name, of_rev) or make_hash(f"{ns}/{dep.name}/{rev.revision}")
            template = pod_template(dep, rev, of_rev or mine)
            rs = ReplicaSetState(
                f"{dep.name}-{pod_hash}",
                pod_hash,
                rev.revision,
                template,
                to_time(rev.at),
                rev.change_cause,
            )
            sets.append(rs)
            self.pod_hash |= {(ns, p.name): pod_hash for p in of_rev}
        top = sets[-1]
        annotations = {REVISION: str(top.revision)}
        if top.change_cause:
            annotations[CHANGE_CAUSE] = top.change_cause
        selector = selector_for(dep)
        meta = {
            "name": dep.name,
            "namespace": ns,
            "uid": uid("Deployment", ns, dep.name),
            "resourceVersion": str(self.rv),
            "generation": len(dep.history),
            "creationTimestamp": iso(to_time(dep.history[0].at)),
            "labels": dict(dep.labels) or dict(selector),
            "annotations": annotations,
        }
        spec = {
            "replicas": dep.replicas,
            "selector": {"matchLabels": selector},
            "template": copy.deepcopy(top.template),
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
        }
        return DeploymentState(ns, dep, {"metadata": meta, "spec": spec}, sets)

    def deployment(self, ns: str, name: str) -> DeploymentState:
        state = self.deployments.get((ns, name))
        if state is None:
            raise not_found("deployments", name, "apps")
        return state

    def patch_deployment(
        self, ns: str, name: str, content_type: str, raw: bytes, dry_run: bool
    ) -> tuple[DeploymentState, str]:
        """Apply a PATCH; returns the deployment after it and what kind of write it was."""
        with self.lock:
            candidate = copy.deepcopy(self.deployment(ns, name))
            patched = apply_patch(candidate.obj, content_type, raw)
            kind = self._adopt(candidate, patched)
            if not dry_run:
                self.deployments[(ns, name)] = candidate
            return candidate, kind

    def scale(self, ns: str, name: str, replicas: Any, dry_run: bool) -> DeploymentState:
        with self.lock:
            candidate = copy.deepcopy(self.deployment(ns, name))
            _check_replicas(replicas, "Scale.autoscaling", name)
            if replicas != candidate.replicas:
                candidate.obj["spec"]["replicas"] = replicas
                candidate.obj["metadata"]["generation"] += 1
            self._bump(candidate)
            if not dry_run:
                self.deployments[(ns, name)] = candidate
            return candidate

    def record(self, write: KubernetesWrite) -> None:
        with self.lock:
            self.writes.append(write)

    def _bump(self, state: DeploymentState) -> None:
        self.rv += 1
        state.obj["metadata"]["resourceVersion"] = str(self.rv)

    def _adopt(self, state: DeploymentState, patched: dict[str, Any]) -> str:
        old = state.obj
        meta, spec = patched.get("metadata"), patched.get("spec")
        if not isinstance(meta, dict) or not isinstance(spec, dict):
            raise _invalid(state.name, "metadata and spec must be objects")
        for key in ("name", "namespace", "uid", "creationTimestamp", "generation"):
            meta[key] = old["metadata"][key]
        if not isinstance(meta.get("annotations") or {}, dict):
            raise _invalid(state.name, "metadata.annotations must be a map of strings")
        meta["annotations"] = dict(meta.get("annotations") or {})
        _validate_spec(state, spec)
        before = clean(old["spec"]["template"])
        after = clean(_without_hash(spec["template"]))
        kind = "patch_deployment"
        if after != before:
            kind = self._roll(state, after, meta["annotations"], before)
        elif spec["replicas"] != old["spec"]["replicas"]:
            kind = "scale_deployment"
        if clean(spec) != clean(old["spec"]):
            meta["generation"] += 1
        spec["template"] = copy.deepcopy(state.current.template)
        meta["annotations"][REVISION] = str(state.current.revision)
        state.obj = {"metadata": meta, "spec": spec}
        self._bump(state)
        return kind

    def _roll(
        self, state: DeploymentState, template: dict[str, Any], notes: dict[str, Any], was: Any
    ) -> str:
        top = state.current.revision + 1
        cause = str(notes.get(CHANGE_CAUSE, ""))
        found = next((rs for rs in state.sets if clean(rs.template) == template), None)
        if found is not None:
            found.revision, found.change_cause = top, cause or found.change_cause
            kind = "rollback_deployment"
        else:
            hashes = {rs.hash for rs in state.sets}
            seed = f"{state.namespace}/{state.name}/{top}/{template}"
            pod_hash = make_hash(seed)
            while pod_hash in hashes:
                pod_hash = make_hash(seed + pod_hash)
            rs = ReplicaSetState(
                f"{state.name}-{pod_hash}", pod_hash, top, template, self.now, cause
            )
            state.sets.append(rs)
            kind = "restart_deployment" if _only_restart(was, template) else "update_deployment"
        state.sets.sort(key=lambda rs: rs.revision)
        return kind


def _without_hash(template: Any) -> Any:
    out = copy.deepcopy(template)
    labels = (out.get("metadata") or {}).get("labels") if isinstance(out, dict) else None
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return out


def _only_restart(before: Any, after: dict[str, Any]) -> bool:
    trimmed = copy.deepcopy(after)
    notes = trimmed.get("metadata", {}).get("annotations", {})
    if RESTARTED_AT not in notes:
        return False
    notes.pop(RESTARTED_AT)
    return bool(clean(trimmed) == clean(_drop_restart(before)))


def _drop_restart(template: Any) -> Any:
    out = copy.deepcopy(template)
    out.get("metadata", {}).get("annotations", {}).pop(RESTARTED_AT, None)
    return out


def _validate_spec(state: DeploymentState, spec: dict[str, Any]) -> None:
    _check_replicas(spec.get("replicas"), "Deployment.apps", state.name)
    if spec.get("selector") != state.obj["spec"]["selector"]:
        raise _invalid(state.name, "spec.selector: field is immutable")
    template = spec.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        raise _invalid(state.name, "spec.template.spec: Required value")
    containers = template["spec"].get("containers")
    if not isinstance(containers, list) or not containers:
        raise _invalid(state.name, "spec.template.spec.containers: Required value")
    for c in containers:
        if not isinstance(c, dict) or not c.get("name") or not c.get("image"):
            raise _invalid(state.name, "spec.template.spec.containers: name and image are required")
    labels = (template.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in state.selector().items()):
        raise _invalid(
            state.name, "spec.template.metadata.labels: selector does not match template labels"
        )


def _check_replicas(value: Any, kind: str, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        message = f"spec.replicas: Invalid value: {value!r}: must be greater than or equal to 0"
        raise KubeError(422, "Invalid", f'{kind} "{name}" is invalid: {message}')


def _invalid(name: str, message: str) -> KubeError:
    return KubeError(422, "Invalid", f'Deployment.apps "{name}" is invalid: {message}')


def wall_now() -> datetime:
    return datetime.now(UTC)
