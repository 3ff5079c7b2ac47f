"""The Kubernetes MCP server's tools: reads (pods, logs, events, deployments, history, nodes)
and rollouts (restart, undo, scale), each a blocking client call run off the event loop."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, TypeVar

import anyio.to_thread
import urllib3
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, CoreV1Event
from kubernetes.client.exceptions import ApiException
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from mcpservers import kubernetes_format as fmt
from mcpservers import kubernetes_models as km
from mcpservers import kubernetes_rollout as rollout
from mcpservers.timeargs import iso

T = TypeVar("T")
READ = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
DESTRUCTIVE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
)
MAX_LINE = 2000  # characters kept of one log line
EVENTS_PER_OBJECT = 20

Namespace = Annotated[str, Field(description="the namespace, e.g. default")]
ListNamespace = Annotated[str, Field(description="the namespace; '*' for every namespace")]
Name = Annotated[str, Field(description="the object's name")]
Selector = Annotated[
    str | None, Field(description="a label selector, e.g. app=api or app in (api,web)")
]
Limit = Annotated[int, Field(ge=1, le=500, description="at most this many results")]


def upstream_error(exc: ApiException, about: str) -> str:
    """`Kubernetes API 404 Not Found: pods "x" not found (pod ns/x)`, from the API's Status."""
    message = (exc.body or "").strip()
    try:
        status = json.loads(message)
        message = str(status.get("message") or message) if isinstance(status, dict) else message
    except ValueError:
        pass
    return f"Kubernetes API {exc.status} {exc.reason}: {message[:500]} ({about})"


async def call(about: str, request: Callable[[], T]) -> T:
    """Run a blocking client call off the event loop; failures become tool errors."""
    try:
        return await anyio.to_thread.run_sync(request)
    except ApiException as exc:
        raise ToolError(upstream_error(exc, about)) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise ToolError(f"Kubernetes API unreachable for {about}: {exc}") from exc
    except ValueError as exc:  # our checks, and replies that do not parse as the API's objects
        raise ToolError(f"{str(exc)[:500]} ({about})") from exc


def _seen(raw: CoreV1Event) -> datetime | None:
    series = raw.series
    return (
        raw.last_timestamp
        or (series.last_observed_time if series else None)
        or raw.event_time
        or raw.first_timestamp
    )


def _order(raw: CoreV1Event) -> float:
    seen = _seen(raw)
    return seen.timestamp() if seen else 0.0


def events(
    core: CoreV1Api,
    namespace: str,
    name: str | None = None,
    kind: str | None = None,
    warnings_only: bool = False,
    since: datetime | None = None,
) -> list[km.Event]:
    """Events newest first; the filters go to the API and are applied here too."""
    wanted = {"involvedObject.name": name, "involvedObject.kind": kind}
    wanted["type"] = "Warning" if warnings_only else None
    selector = ",".join(f"{k}={v}" for k, v in wanted.items() if v) or None
    listed = core.list_namespaced_event(namespace, field_selector=selector)
    kept = [
        e
        for e in listed.items
        if (not name or e.involved_object.name == name)
        and (not kind or e.involved_object.kind == kind)
        and (not warnings_only or e.type == "Warning")
        and (since is None or ((seen := _seen(e)) is not None and seen >= since))
    ]
    kept.sort(key=_order, reverse=True)
    return [fmt.event(e) for e in kept]


def register_reads(server: FastMCP, client: ApiClient, clock: Callable[[], datetime]) -> None:
    core, apps = CoreV1Api(client), AppsV1Api(client)

    @server.tool(annotations=READ)
    async def list_pods(
        namespace: ListNamespace = "default", label_selector: Selector = None, limit: Limit = 200
    ) -> km.PodList:
        """Pods with phase, kubectl-style status (CrashLoopBackOff, OOMKilled...), ready
        containers, restarts, node, creation time and owner."""

        def run() -> km.PodList:
            if namespace == "*":
                listed = core.list_pod_for_all_namespaces(label_selector=label_selector)
            else:
                listed = core.list_namespaced_pod(namespace, label_selector=label_selector)
            pods = sorted(
                (fmt.pod_summary(p) for p in listed.items), key=lambda p: (p.namespace, p.name)
            )
            return km.PodList(
                namespace=namespace, label_selector=label_selector, pods=pods[:limit],
                total=len(pods), truncated=len(pods) > limit,
            )  # fmt: skip

        return await call(f"pods in {namespace}", run)

    @server.tool(annotations=READ)
    async def describe_pod(name: Name, namespace: Namespace = "default") -> km.PodDetail:
        """One pod: status, node, conditions, each container's state, restarts, last
        termination (reason, exit code, time), requests and limits, and its recent events."""

        def run() -> km.PodDetail:
            pod = core.read_namespaced_pod(name, namespace)
            about = events(core, namespace, name, "Pod")[:EVENTS_PER_OBJECT]
            return fmt.pod_detail(pod, about)

        return await call(f"pod {namespace}/{name}", run)

    @server.tool(annotations=READ)
    async def pod_logs(
        name: Name,
        namespace: Namespace = "default",
        container: Annotated[
            str | None, Field(description="needed when the pod has several")
        ] = None,
        tail_lines: Annotated[int, Field(ge=1, le=5000)] = 200,
        previous: Annotated[
            bool, Field(description="the previous (crashed) container's logs")
        ] = False,
        timestamps: bool = False,
    ) -> km.PodLogs:
        """The last `tail_lines` lines a pod's container wrote (of its previous instance
        with previous=true: why it crashed)."""

        def run() -> km.PodLogs:
            text = core.read_namespaced_pod_log(
                name, namespace, container=container, tail_lines=tail_lines,
                previous=previous, timestamps=timestamps,
            )  # fmt: skip
            lines = text.splitlines()
            cut = any(len(line) > MAX_LINE for line in lines)
            return km.PodLogs(
                pod=name, namespace=namespace, container=container, previous=previous,
                lines=[line[:MAX_LINE] for line in lines], truncated=cut,
            )  # fmt: skip

        return await call(f"logs of pod {namespace}/{name}", run)

    @server.tool(annotations=READ)
    async def list_events(
        namespace: Namespace = "default",
        object_name: Annotated[
            str | None, Field(description="only events about this object")
        ] = None,
        kind: Annotated[str | None, Field(description="only about this kind, e.g. Pod")] = None,
        warnings_only: bool = False,
        since_minutes: Annotated[
            int | None, Field(ge=1, description="seen in the last N minutes")
        ] = None,
        limit: Limit = 100,
    ) -> km.EventList:
        """Events newest first: type, reason, object (Kind/name), message, count, first and
        last seen. since_minutes counts back from now."""
        since = clock() - timedelta(minutes=since_minutes) if since_minutes else None

        def run() -> km.EventList:
            found = events(core, namespace, object_name, kind, warnings_only, since)
            return km.EventList(
                namespace=namespace, object_name=object_name, warnings_only=warnings_only,
                since=iso(since) if since else None, events=found[:limit], total=len(found),
                truncated=len(found) > limit,
            )  # fmt: skip

        return await call(f"events in {namespace}", run)

    _register_workloads(server, apps, core)


def _register_workloads(server: FastMCP, apps: AppsV1Api, core: CoreV1Api) -> None:
    @server.tool(annotations=READ)
    async def list_deployments(
        namespace: ListNamespace = "default", label_selector: Selector = None
    ) -> km.DeploymentList:
        """Deployments: desired, ready, updated and available replicas, revision, images."""

        def run() -> km.DeploymentList:
            if namespace == "*":
                listed = apps.list_deployment_for_all_namespaces(label_selector=label_selector)
            else:
                listed = apps.list_namespaced_deployment(namespace, label_selector=label_selector)
            found = sorted(
                (fmt.deployment_summary(d) for d in listed.items),
                key=lambda d: (d.namespace, d.name),
            )
            return km.DeploymentList(
                namespace=namespace, label_selector=label_selector, deployments=found
            )

        return await call(f"deployments in {namespace}", run)

    @server.tool(annotations=READ)
    async def describe_deployment(
        name: Name, namespace: Namespace = "default"
    ) -> km.DeploymentDetail:
        """One deployment: replicas (desired, ready, updated, available, unavailable),
        conditions, current revision and change cause, images, requests and limits,
        strategy, and its recent events."""

        def run() -> km.DeploymentDetail:
            dep = apps.read_namespaced_deployment(name, namespace)
            selector = rollout.selector_text(dep.spec.selector if dep.spec else None)
            about = events(core, namespace, name, "Deployment")[:EVENTS_PER_OBJECT]
            return fmt.deployment_detail(dep, selector, about)

        return await call(f"deployment {namespace}/{name}", run)

    @server.tool(annotations=READ)
    async def rollout_history(name: Name, namespace: Namespace = "default") -> km.RolloutHistory:
        """A deployment's revisions, oldest first: change cause, images, when, replicas,
        and which one is current."""
        run = partial(rollout.history, apps, name, namespace)
        return await call(f"rollout history of deployment {namespace}/{name}", run)

    @server.tool(annotations=READ)
    async def list_nodes(label_selector: Selector = None) -> km.NodeList:
        """Nodes: Ready, conditions (MemoryPressure, DiskPressure...), unschedulable,
        taints, allocatable and capacity."""

        def run() -> km.NodeList:
            listed = core.list_node(label_selector=label_selector)
            return km.NodeList(
                nodes=sorted((fmt.node_info(n) for n in listed.items), key=lambda n: n.name)
            )

        return await call("nodes", run)


def register_writes(server: FastMCP, client: ApiClient, clock: Callable[[], datetime]) -> None:
    apps = AppsV1Api(client)

    @server.tool(annotations=DESTRUCTIVE)
    async def rollout_restart(name: Name, namespace: Namespace = "default") -> km.Restarted:
        """Restart a deployment's pods (kubectl rollout restart): they are replaced one by
        one under the deployment's strategy. Returns the restartedAt stamp set."""
        run = partial(rollout.restart, apps, name, namespace, clock())
        return await call(f"restart of deployment {namespace}/{name}", run)

    @server.tool(annotations=DESTRUCTIVE)
    async def rollout_undo(
        name: Name,
        namespace: Namespace = "default",
        to_revision: Annotated[
            int | None, Field(ge=1, description="default: the previous one")
        ] = None,
    ) -> km.RolledBack:
        """Roll a deployment back (kubectl rollout undo) to the previous revision or to
        `to_revision`: its pod template becomes that revision's. Returns the revisions and
        images before and after."""
        run = partial(rollout.undo, client, apps, name, namespace, to_revision)
        return await call(f"rollback of deployment {namespace}/{name}", run)

    @server.tool(annotations=DESTRUCTIVE.model_copy(update={"idempotentHint": True}))
    async def scale(
        name: Name, replicas: Annotated[int, Field(ge=0, le=1000)], namespace: Namespace = "default"
    ) -> km.Scaled:
        """Set a deployment's replica count; returns the count before and after."""
        run = partial(rollout.scale, apps, name, namespace, replicas)
        return await call(f"scale of deployment {namespace}/{name}", run)
