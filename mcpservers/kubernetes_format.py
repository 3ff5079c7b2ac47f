"""The Kubernetes client's objects as the server's results (kubernetes_models.py)."""

from __future__ import annotations

from datetime import datetime

from kubernetes.client import (
    CoreV1Event,
    V1Container,
    V1ContainerState,
    V1ContainerStatus,
    V1Deployment,
    V1Node,
    V1ObjectMeta,
    V1Pod,
    V1ResourceRequirements,
)

from mcpservers.kubernetes_models import (
    Condition,
    ContainerInfo,
    ContainerSpec,
    DeploymentDetail,
    DeploymentSummary,
    Event,
    NodeInfo,
    PodDetail,
    PodSummary,
    Resources,
    Termination,
)
from mcpservers.timeargs import iso

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def when(value: datetime | None) -> str | None:
    return iso(value) if value else None


def owner(meta: V1ObjectMeta) -> str | None:
    refs = meta.owner_references or []
    main = next((r for r in refs if r.controller), refs[0] if refs else None)
    return f"{main.kind}/{main.name}" if main else None


def resources(spec: V1ResourceRequirements | None) -> Resources:
    if spec is None:
        return Resources()
    return Resources(requests=dict(spec.requests or {}), limits=dict(spec.limits or {}))


def condition(raw: object) -> Condition:
    """Pod, node and deployment conditions share these fields."""
    since = getattr(raw, "last_transition_time", None) or getattr(raw, "last_update_time", None)
    return Condition(
        type=str(getattr(raw, "type", "") or ""),
        status=str(getattr(raw, "status", "") or ""),
        reason=str(getattr(raw, "reason", "") or ""),
        message=str(getattr(raw, "message", "") or ""),
        since=when(since),
    )


def event(raw: CoreV1Event) -> Event:
    series = raw.series
    last = raw.last_timestamp or (series.last_observed_time if series else None) or raw.event_time
    count = (series.count if series else None) or raw.count or 1
    obj = raw.involved_object
    return Event(
        type=raw.type or "",
        reason=raw.reason or "",
        object=f"{obj.kind}/{obj.name}",
        message=raw.message or "",
        count=count,
        first=when(raw.first_timestamp or raw.event_time),
        last=when(last),
    )


def last_seen(item: Event) -> str:
    return item.last or item.first or ""


def termination(state: V1ContainerState | None) -> Termination | None:
    done = state.terminated if state else None
    if done is None:
        return None
    return Termination(
        reason=done.reason or "",
        exit_code=done.exit_code,
        signal=done.signal,
        started_at=when(done.started_at),
        finished_at=when(done.finished_at),
        message=done.message or "",
    )


def container(spec: V1Container, status: V1ContainerStatus | None, init: bool) -> ContainerInfo:
    state = status.state if status else None
    kind, reason, message, started = "unknown", "", "", None
    if state and state.running:
        kind, started = "running", state.running.started_at
    elif state and state.waiting:
        kind, reason = "waiting", state.waiting.reason or ""
        message = state.waiting.message or ""
    elif state and state.terminated:
        kind, reason = "terminated", state.terminated.reason or ""
        message, started = state.terminated.message or "", state.terminated.started_at
    return ContainerInfo(
        name=spec.name,
        image=(status.image if status else None) or spec.image or "",
        init=init,
        ready=bool(status and status.ready),
        restarts=status.restart_count if status else 0,
        state=kind,
        reason=reason,
        message=message,
        started_at=when(started),
        last_termination=termination(status.last_state if status else None),
        resources=resources(spec.resources),
    )


def containers(pod: V1Pod) -> list[ContainerInfo]:
    spec, status = pod.spec, pod.status
    if spec is None:
        return []
    found = []
    for specs, statuses, init in (
        (spec.init_containers or [], (status.init_container_statuses if status else None), True),
        (spec.containers, (status.container_statuses if status else None), False),
    ):
        by_name = {s.name: s for s in statuses or []}
        found += [container(c, by_name.get(c.name), init) for c in specs]
    return found


def pod_status(pod: V1Pod, infos: list[ContainerInfo]) -> str:
    """kubectl's STATUS column, simplified: a waiting or terminated reason wins over phase."""
    if pod.metadata and pod.metadata.deletion_timestamp:
        return "Terminating"
    status = pod.status
    shown = (status.reason if status else None) or (status.phase if status else None) or "Unknown"
    for info in infos:
        if info.init and info.state == "terminated" and info.reason == "Completed":
            continue
        if info.state in ("waiting", "terminated") and info.reason:
            return f"Init:{info.reason}" if info.init else info.reason
    return shown


def pod_summary(pod: V1Pod) -> PodSummary:
    return PodSummary(**_pod_fields(pod, containers(pod)))


def _pod_fields(pod: V1Pod, infos: list[ContainerInfo]) -> dict[str, object]:
    meta, status = pod.metadata or V1ObjectMeta(), pod.status
    regular = [c for c in infos if not c.init]
    return {
        "name": meta.name or "",
        "namespace": meta.namespace or "",
        "phase": (status.phase if status else None) or "Unknown",
        "status": pod_status(pod, infos),
        "ready": f"{sum(c.ready for c in regular)}/{len(regular)}",
        "restarts": sum(c.restarts for c in regular),
        "node": pod.spec.node_name if pod.spec else None,
        "created_at": when(meta.creation_timestamp),
        "owner": owner(meta),
    }


def pod_detail(pod: V1Pod, events: list[Event]) -> PodDetail:
    infos, meta, status = containers(pod), pod.metadata or V1ObjectMeta(), pod.status
    return PodDetail(
        **_pod_fields(pod, infos),
        reason=(status.reason if status else None) or "",
        message=(status.message if status else None) or "",
        started_at=when(status.start_time if status else None),
        labels=dict(meta.labels or {}),
        qos_class=status.qos_class if status else None,
        conditions=[condition(c) for c in (status.conditions if status else None) or []],
        containers=infos,
        events=events,
    )


def images(spec_containers: list[V1Container]) -> dict[str, str]:
    return {c.name: c.image or "" for c in spec_containers}


def revision_of(meta: V1ObjectMeta | None) -> int | None:
    raw = ((meta.annotations if meta else None) or {}).get(REVISION)
    return int(raw) if raw and raw.isdigit() else None


def deployment_summary(dep: V1Deployment) -> DeploymentSummary:
    return DeploymentSummary(**_deployment_fields(dep))


def _deployment_fields(dep: V1Deployment) -> dict[str, object]:
    meta, spec, status = dep.metadata or V1ObjectMeta(), dep.spec, dep.status
    pod_spec = spec.template.spec if spec else None
    return {
        "name": meta.name or "",
        "namespace": meta.namespace or "",
        "replicas": (spec.replicas if spec else None) or 0,
        "ready": (status.ready_replicas if status else None) or 0,
        "updated": (status.updated_replicas if status else None) or 0,
        "available": (status.available_replicas if status else None) or 0,
        "revision": revision_of(meta),
        "images": images(pod_spec.containers) if pod_spec else {},
        "created_at": when(meta.creation_timestamp),
    }


def deployment_detail(dep: V1Deployment, selector: str, events: list[Event]) -> DeploymentDetail:
    meta, spec, status = dep.metadata or V1ObjectMeta(), dep.spec, dep.status
    pod_spec = spec.template.spec if spec else None
    strategy = spec.strategy.type if spec and spec.strategy else None
    return DeploymentDetail(
        **_deployment_fields(dep),
        unavailable=(status.unavailable_replicas if status else None) or 0,
        change_cause=(meta.annotations or {}).get(CHANGE_CAUSE, ""),
        strategy=strategy or "RollingUpdate",
        selector=selector,
        paused=bool(spec and spec.paused),
        labels=dict(meta.labels or {}),
        conditions=[condition(c) for c in (status.conditions if status else None) or []],
        containers=[
            ContainerSpec(name=c.name, image=c.image or "", resources=resources(c.resources))
            for c in (pod_spec.containers if pod_spec else [])
        ],
        events=events,
    )


def node_info(node: V1Node) -> NodeInfo:
    meta, spec, status = node.metadata or V1ObjectMeta(), node.spec, node.status
    conditions = [condition(c) for c in (status.conditions if status else None) or []]
    ready = next((c.status for c in conditions if c.type == "Ready"), "Unknown")
    taints = [
        f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}"
        for t in (spec.taints if spec else None) or []
    ]
    info = status.node_info if status else None
    return NodeInfo(
        name=meta.name or "",
        ready=ready,
        unschedulable=bool(spec and spec.unschedulable),
        conditions=conditions,
        allocatable=dict((status.allocatable if status else None) or {}),
        capacity=dict((status.capacity if status else None) or {}),
        taints=taints,
        kubelet_version=info.kubelet_version if info else None,
        created_at=when(meta.creation_timestamp),
        labels=dict(meta.labels or {}),
    )
