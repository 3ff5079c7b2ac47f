"""Cluster state from the Kubernetes API: the alert's deployment (replicas, rollout history,
conditions), its unhealthy pods (why each container last ended or waits: OOMKilled with its
memory limit, CrashLoopBackOff, ImagePullBackOff, Pending with the scheduler's reason,
Evicted), warning events and unhealthy nodes.

Rollouts become deploy markers (the image tag or change cause names the commit, PR or
version), container states become error signals, events and node conditions become events in
words, so the correlation reads them as it reads a dashboard. The deployment itself is
returned as a trusted `Workload` (the API server's record) for the gate's checks. Event
messages and container messages can carry application text: the evidence is untrusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from agents.root_cause.evidence import Bundle, ToolFailed, parse_time, read
from agents.root_cause.facts.types import DeployMarker, ErrorSignal, LogLine, PageFacts
from agents.root_cause.sources.target import Target
from core.ports import Tools
from core.state import Evidence, Workload
from core.tools import (
    KubeContainer,
    KubeDeployment,
    KubeEventList,
    KubeNodeList,
    KubePod,
    KubePodDetail,
    KubePodList,
    KubeRolloutHistory,
)

SOURCE = "kubernetes"
PODS_DESCRIBED = 4
EVENTS_SINCE_MIN = 180
HEALTHY = {"Running", "Completed", "Succeeded"}
_SHA = re.compile(r"(?<![0-9a-z])(?:sha-)?([0-9a-f]{7,40})(?![0-9a-z])")
_PR = re.compile(r"(?:#|\bPR[ -]?|pull/)(\d{1,6})\b", re.I)
_VERSION = re.compile(r"(?<![\w.])(v?\d+\.\d+(?:\.\d+)?(?:-[\w.]+)?)(?![\w.])")


@dataclass
class _Read:
    markers: list[DeployMarker] = field(default_factory=list)
    errors: list[ErrorSignal] = field(default_factory=list)
    events: list[LogLine] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the evidence excerpt


async def read_cluster(tools: Tools, where: Target, bundle: Bundle) -> list[Workload]:
    if not where.namespace:
        return []
    found, workloads = _Read(), []
    try:
        if where.workload:
            workload = await _deployment(tools, where, found)
            workloads += [workload] if workload else []
        await _pods(tools, where, found)
        await _events(tools, where, found)
        await _nodes(tools, found)
    except ToolFailed as exc:
        bundle.problems.append(f"kubernetes: {exc}")
    if found.lines or found.markers:
        bundle.pages.insert(0, PageFacts(
            source=SOURCE, url=f"kubernetes: {where.described()}", title="cluster state",
            markers=tuple(found.markers), errors=tuple(found.errors), events=tuple(found.events),
        ))  # fmt: skip
        bundle.evidence.append(Evidence(
            id=SOURCE, kind="kubernetes", source=f"kubernetes API: {where.described()}",
            title=f"cluster state of {where.described()}", excerpt="\n".join(found.lines[:40]),
        ))  # fmt: skip
    return workloads


async def _deployment(tools: Tools, where: Target, found: _Read) -> Workload | None:
    args = {"name": where.workload, "namespace": where.namespace}
    try:
        dep = await read(tools, "kubernetes.describe_deployment", args, KubeDeployment)
    except ToolFailed as exc:
        if "404" in str(exc) or "not found" in str(exc).lower():
            return None  # the workload is no deployment (a statefulset, a job, a name)
        raise
    history = await read(tools, "kubernetes.rollout_history", args, KubeRolloutHistory)
    found.lines.append(f"deployment {dep.namespace}/{dep.name}: {dep.ready}/{dep.replicas} "
                       f"ready, revision {dep.revision}")  # fmt: skip
    for c in dep.conditions:
        if c.status != "True" or c.reason in ("ProgressDeadlineExceeded", "ReplicaSetCreateError"):
            text = f"deployment {dep.name} {c.type}={c.status} {c.reason}: {c.message}"
            found.lines.append(text)
            found.events.append(LogLine("EVENT", text[:300], _time(c.since), None, SOURCE))
    current = None
    for rev in history.revisions:
        at = _time(rev.created_at)
        images = " ".join(rev.images.values())
        text = f"rollout of {dep.name} revision {rev.revision}: {images} {rev.change_cause}"
        found.lines.append(text.strip())
        if at is not None:
            found.markers.append(_marker(at, text, images, rev.change_cause))
        if rev.current:
            current = at
    return Workload(
        namespace=dep.namespace, name=dep.name, replicas=dep.replicas, ready=dep.ready,
        revision=dep.revision or history.current_revision or 0,
        revisions=tuple(r.revision for r in history.revisions), rolled_out_at=current,
        images=tuple(dep.images.values()),
    )  # fmt: skip


def _marker(at: datetime, text: str, images: str, cause: str) -> DeployMarker:
    tags = " ".join(image.rsplit(":", 1)[-1] for image in images.split() if ":" in image)
    sha = _SHA.search(f"{tags} {cause}")
    pr = _PR.search(cause)
    version = _VERSION.search(tags) or _VERSION.search(cause)
    return DeployMarker(at=at, text=text[:200], sha=sha.group(1) if sha else None,
                        pr=int(pr.group(1)) if pr else None,
                        version=version.group(1) if version else None, source=SOURCE)  # fmt: skip


async def _pods(tools: Tools, where: Target, found: _Read) -> None:
    args: dict[str, object] = {"namespace": where.namespace}
    pods = (await read(tools, "kubernetes.list_pods", args, KubePodList)).pods
    mine = [p for p in pods if not where.workload or p.name.startswith(f"{where.workload}-")]
    sick = sorted((p for p in mine if _unhealthy(p)), key=lambda p: (p.name != where.pod, p.name))
    if mine:
        states: dict[str, int] = {}
        for p in mine:
            states[p.status] = states.get(p.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items(), key=lambda x: -x[1]))
        found.lines.append(f"pods of {where.workload or where.namespace}: {summary}")
    seen: dict[str, ErrorSignal] = {}
    for pod in sick[:PODS_DESCRIBED]:
        args = {"name": pod.name, "namespace": where.namespace}
        detail = await read(tools, "kubernetes.describe_pod", args, KubePodDetail)
        for signal in _signals(detail):
            found.lines.append(f"{signal.kind}: {signal.message}")
            key = signal.kind
            if key in seen:
                old = seen[key]
                count = (old.count or 1) + (signal.count or 1)
                seen[key] = ErrorSignal(old.kind, old.message, count, old.at, source=SOURCE)
            else:
                seen[key] = signal
    found.errors += seen.values()


def _unhealthy(pod: KubePod) -> bool:
    return pod.status not in HEALTHY or pod.phase == "Pending" or pod.restarts > 0


def _signals(pod: KubePodDetail) -> list[ErrorSignal]:
    out = []
    if pod.reason:  # Evicted, ...
        out.append(ErrorSignal(pod.reason, f"pod {pod.name}: {pod.message}"[:300], 1, None,
                               source=SOURCE))  # fmt: skip
    for cond in pod.conditions:
        if cond.type == "PodScheduled" and cond.status == "False":
            out.append(
                ErrorSignal(
                    cond.reason or "Unschedulable",
                    f"pod {pod.name} pending: {cond.message}"[:300],
                    1,
                    _time(cond.since),
                    source=SOURCE,
                )
            )
    for c in pod.containers:
        out += _container(pod, c)
    return out


def _container(pod: KubePodDetail, c: KubeContainer) -> list[ErrorSignal]:
    limits = ", ".join(f"{k} limit {v}" for k, v in c.resources.limits.items())
    requests = ", ".join(f"{k} request {v}" for k, v in c.resources.requests.items())
    sizing = "; ".join(x for x in (limits, requests) if x)
    out = []
    if c.state == "waiting" and c.reason:
        out.append(
            ErrorSignal(
                c.reason,
                f"container {c.name} of pod {pod.name} ({c.image}): {c.message or c.reason}"[:300],
                1,
                None,
                source=SOURCE,
            )
        )
    end = c.last_termination
    if end is not None and (end.reason != "Completed" or end.exit_code):
        out.append(ErrorSignal(
            end.reason, f"container {c.name} of pod {pod.name} ended with exit code "
            f"{end.exit_code} ({c.restarts} restarts){'; ' + sizing if sizing else ''}"
            f"{': ' + end.message if end.message else ''}"[:300],
            max(c.restarts, 1), _time(end.finished_at), source=SOURCE,
        ))  # fmt: skip
    return out


_LONG_ID = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{20,}\b")


async def _events(tools: Tools, where: Target, found: _Read) -> None:
    args = {"namespace": where.namespace, "warnings_only": True,
            "since_minutes": EVENTS_SINCE_MIN, "limit": 100}  # fmt: skip
    events = (await read(tools, "kubernetes.list_events", args, KubeEventList)).events
    for e in events:
        # a sandbox's or container's 64-hex id says nothing and would push the reason out
        message = _LONG_ID.sub(r"\1…", e.message)
        text = f"{e.type} {e.reason} {e.object}: {message}"
        if e.count > 1:
            text += f" (×{e.count})"
        found.lines.append(text[:300])
        # when it began: a warning repeated until now happened from its first time on (a pod
        # that cannot get an IP since the scale-out), not only at its latest
        at = _time(e.first) or _time(e.last)
        found.events.append(LogLine("EVENT", text[:300], at, e.count, SOURCE))


async def _nodes(tools: Tools, found: _Read) -> None:
    for node in (await read(tools, "kubernetes.list_nodes", {}, KubeNodeList)).nodes:
        bad = [c for c in node.conditions
               if (c.type == "Ready") != (c.status == "True")]  # fmt: skip
        for c in bad:
            text = f"node {node.name} {c.type}={c.status} {c.reason}: {c.message}"
            found.lines.append(text[:300])
            found.events.append(LogLine("EVENT", text[:300], _time(c.since), None, SOURCE))


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None
