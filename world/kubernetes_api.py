"""A Kubernetes API stand-in seeded from a scenario's `kubernetes` section (and its `logs`).

`KubernetesStandIn(spec, token, now, logs).start()` serves, on a free loopback port
(`url`), what the official clients read: pods (and their logs), events
(`v1` and `events.k8s.io/v1`), deployments, ReplicaSets (one per revision), nodes and
namespaces, listed per namespace or across them, with `labelSelector`, `fieldSelector`,
`limit` and `continue`. Writes are the rollout operations: PATCH of a deployment (`rollout
restart`, `rollout undo`, any strategic-merge, merge or JSON patch) and its `scale`
subresource (GET, PATCH, PUT), with `dryRun`. Every accepted write is appended to `writes`
(`GET /_world/writes` serves them without auth). Every other path needs `Authorization:
Bearer <token>` (401 otherwise); errors are Kubernetes `Status` objects.

Routes live here; state in `world.kubernetes_state`, objects in `world.kubernetes_views`,
pod logs in `world.kubernetes_logs`, plumbing in `world.kubernetes_http`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from world import kubernetes_views as kv
from world import kubernetes_workloads as kw
from world.kubernetes_events import EVENT_FIELDS, event_fields, event_json, event_v1
from world.kubernetes_http import (
    BearerAuth,
    KubeError,
    http_error,
    kube_error,
    list_response,
    not_found,
    select,
)
from world.kubernetes_logs import pod_log
from world.kubernetes_patch import MERGE_PATCH, apply_patch
from world.kubernetes_state import KubernetesStore, KubernetesWrite, wall_now
from world.signals_spec import KubernetesSpec, LogStream, Pod
from world.standin_server import ServedApp

__all__ = ["KubernetesStandIn", "KubernetesWrite"]

NS = "/api/v1/namespaces/{namespace}"
APPS = "/apis/apps/v1/namespaces/{namespace}"
Fields = Callable[[dict[str, Any]], dict[str, str]]


class KubernetesStandIn(ServedApp):
    """The scenario's cluster behind the Kubernetes API; `app` is the Starlette app."""

    label = "the Kubernetes API stand-in"

    def __init__(
        self,
        spec: KubernetesSpec,
        token: str,
        now: datetime,
        logs: Sequence[LogStream] = (),
        port: int = 0,
    ) -> None:
        self.token = token
        self._store = KubernetesStore(spec, now)
        self._logs = list(logs)
        self.writes: list[KubernetesWrite] = self._store.writes
        super().__init__(port)
        self.app = Starlette(
            routes=self._routes(),
            middleware=[Middleware(BearerAuth, token=token)],
            exception_handlers={KubeError: kube_error, HTTPException: http_error},
        )

    def _routes(self) -> list[Route]:
        events_v1 = "/apis/events.k8s.io/v1"
        return [
            Route("/api/v1/pods", self._pods),
            Route(f"{NS}/pods", self._pods),
            Route(f"{NS}/pods/{{name}}", self._pod),
            Route(f"{NS}/pods/{{name}}/log", self._pod_log),
            Route("/api/v1/events", self._events),
            Route(f"{NS}/events", self._events),
            Route(f"{NS}/events/{{name}}", self._event),
            Route(f"{events_v1}/events", self._events_v1),
            Route(f"{events_v1}/namespaces/{{namespace}}/events", self._events_v1),
            Route("/api/v1/nodes", self._nodes),
            Route("/api/v1/nodes/{name}", self._node),
            Route("/api/v1/namespaces", self._namespaces),
            Route("/api/v1/namespaces/{name}", self._namespace),
            Route("/apis/apps/v1/deployments", self._deployments),
            Route(f"{APPS}/deployments", self._deployments),
            Route(f"{APPS}/deployments/{{name}}", self._deployment, methods=["GET", "PATCH"]),
            Route(
                f"{APPS}/deployments/{{name}}/scale", self._scale, methods=["GET", "PATCH", "PUT"]
            ),
            Route("/apis/apps/v1/replicasets", self._replicasets),
            Route(f"{APPS}/replicasets", self._replicasets),
            Route(f"{APPS}/replicasets/{{name}}", self._replicaset),
            Route("/version", self._version),
            Route("/_world/writes", self._list_writes),
        ]

    # --- reads ---------------------------------------------------------------------------

    def _spaces(self, request: Request) -> list[str]:
        ns = request.path_params.get("namespace")
        return [ns] if ns else sorted(self._store.spec.namespaces)

    def _list(
        self,
        request: Request,
        kind: str,
        api: str,
        items: list[dict[str, Any]],
        fields: Fields,
        supported: set[str],
    ) -> Response:
        chosen = select(items, request.query_params, fields, supported)
        return list_response(kind, api, chosen, request.query_params, self._store.rv)

    def _all_pods(self, request: Request) -> list[dict[str, Any]]:
        spaces = self._store.spec.namespaces
        return [
            kv.pod_json(ns, pod, self._store)
            for ns in self._spaces(request)
            if ns in spaces
            for pod in spaces[ns].pods
        ]

    async def _pods(self, request: Request) -> Response:
        items = self._all_pods(request)
        return self._list(request, "PodList", "v1", items, kv.pod_fields, kv.POD_FIELDS)

    def _find_pod(self, request: Request) -> tuple[str, Pod]:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        space = self._store.spec.namespaces.get(ns)
        pod = next((p for p in space.pods if p.name == name), None) if space else None
        if pod is None:
            raise not_found("pods", name)
        return ns, pod

    async def _pod(self, request: Request) -> Response:
        ns, pod = self._find_pod(request)
        return JSONResponse(kv.pod_json(ns, pod, self._store))

    async def _pod_log(self, request: Request) -> Response:
        ns, pod = self._find_pod(request)
        text = pod_log(ns, pod, self._logs, request.query_params, self._store.now)
        return PlainTextResponse(text)

    def _all_events(self, request: Request) -> list[dict[str, Any]]:
        spaces = self._store.spec.namespaces
        items = [
            event_json(ns, i, ev, self._store)
            for ns in self._spaces(request)
            if ns in spaces
            for i, ev in enumerate(spaces[ns].events)
        ]
        return sorted(items, key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))

    async def _events(self, request: Request) -> Response:
        items = self._all_events(request)
        return self._list(request, "EventList", "v1", items, event_fields, EVENT_FIELDS)

    async def _event(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = [e for e in self._all_events(request) if e["metadata"]["name"] == name]
        if not found:
            raise not_found("events", name)
        return JSONResponse(found[0])

    async def _events_v1(self, request: Request) -> Response:
        items = [event_v1(e) for e in self._all_events(request)]
        api = "events.k8s.io/v1"
        return self._list(request, "EventList", api, items, event_fields, EVENT_FIELDS)

    async def _nodes(self, request: Request) -> Response:
        items = [kv.node_json(n, self._store.now) for n in self._store.spec.nodes]
        return self._list(request, "NodeList", "v1", items, kv.node_fields, kv.NODE_FIELDS)

    async def _node(self, request: Request) -> Response:
        name = request.path_params["name"]
        node = next((n for n in self._store.spec.nodes if n.name == name), None)
        if node is None:
            raise not_found("nodes", name)
        return JSONResponse(kv.node_json(node, self._store.now))

    async def _namespaces(self, request: Request) -> Response:
        items = [
            kv.namespace_json(ns, self._store.now) for ns in sorted(self._store.spec.namespaces)
        ]
        fields = kv.name_fields
        return self._list(request, "NamespaceList", "v1", items, fields, kv.NAME_FIELDS)

    async def _namespace(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self._store.spec.namespaces:
            raise not_found("namespaces", name)
        return JSONResponse(kv.namespace_json(name, self._store.now))

    async def _deployments(self, request: Request) -> Response:
        spaces = set(self._spaces(request))
        states = [s for (ns, _), s in sorted(self._store.deployments.items()) if ns in spaces]
        items = [kw.deployment_json(s) for s in states]
        kind, fields = "DeploymentList", kv.name_fields
        return self._list(request, kind, "apps/v1", items, fields, kv.NAME_FIELDS)

    async def _replicasets(self, request: Request) -> Response:
        spaces = set(self._spaces(request))
        items = [
            kw.replicaset_json(state, rs, self._store)
            for (ns, _), state in sorted(self._store.deployments.items())
            if ns in spaces
            for rs in state.sets
        ]
        kind, fields = "ReplicaSetList", kv.name_fields
        return self._list(request, kind, "apps/v1", items, fields, kv.NAME_FIELDS)

    async def _replicaset(self, request: Request) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        for (space, _), state in self._store.deployments.items():
            for rs in state.sets:
                if space == ns and rs.name == name:
                    return JSONResponse(kw.replicaset_json(state, rs, self._store))
        raise not_found("replicasets", name, "apps")

    async def _version(self, _: Request) -> Response:
        return JSONResponse(
            {"major": "1", "minor": "30", "gitVersion": "v1.30.0-world", "platform": "linux/amd64"}
        )

    async def _list_writes(self, _: Request) -> Response:
        return JSONResponse([w.as_json() for w in self.writes])

    # --- writes --------------------------------------------------------------------------

    async def _deployment(self, request: Request) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        if request.method == "GET":
            return JSONResponse(kw.deployment_json(self._store.deployment(ns, name)))
        raw, content_type = await request.body(), request.headers.get("content-type", "")
        dry = bool(request.query_params.get("dryRun"))
        state, kind = self._store.patch_deployment(ns, name, content_type, raw, dry)
        if not dry:
            self._record(request, raw, kind, state.current.revision, state.replicas)
        return JSONResponse(kw.deployment_json(state))

    async def _scale(self, request: Request) -> Response:
        ns, name = request.path_params["namespace"], request.path_params["name"]
        state = self._store.deployment(ns, name)
        if request.method == "GET":
            return JSONResponse(kw.scale_json(state))
        raw, content_type = await request.body(), request.headers.get("content-type", "")
        if request.method == "PUT":
            content_type = MERGE_PATCH  # a whole Scale object: its spec.replicas is the write
        scale = apply_patch(kw.scale_json(state), content_type, raw)
        replicas = (scale.get("spec") or {}).get("replicas")
        dry = bool(request.query_params.get("dryRun"))
        state = self._store.scale(ns, name, replicas, dry)
        if not dry:
            self._record(request, raw, "scale_deployment", state.current.revision, state.replicas)
        return JSONResponse(kw.scale_json(state))

    def _record(
        self, request: Request, raw: bytes, kind: str, revision: int, replicas: int
    ) -> None:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        ns, name = request.path_params["namespace"], request.path_params["name"]
        write = KubernetesWrite(
            request.method,
            request.url.path,
            request.headers.get("content-type", ""),
            body,
            wall_now(),
            kind,
            ns,
            name,
            revision,
            replicas,
        )
        self._store.record(write)
