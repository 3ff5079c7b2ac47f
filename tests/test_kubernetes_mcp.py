"""The Kubernetes MCP server over stdio, against a minimal Kubernetes API written here.

`FakeKube` serves the REST objects the official client deserializes (pods, logs, events,
deployments, ReplicaSets, nodes) for the calls the server makes, checks the bearer token,
answers errors as `Status` objects, and applies strategic-merge, merge and JSON patches
to deployments, recording each patch.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mcpservers.kubernetes import Settings
from tests.conftest import ROOT
from tests.mcp_support import stdio_session, structured, text
from world.http import LoopbackServers
from world.signals_spec import KubernetesSpec, to_time

pytestmark = pytest.mark.integration

TOKEN = "kube-test-token"
REPLAY_NOW = "2025-06-01T12:00:00Z"
NS = "shop"
READS = {
    "list_pods", "describe_pod", "pod_logs", "list_events", "list_deployments",
    "describe_deployment", "rollout_history", "list_nodes",
}  # fmt: skip
WRITES = {"rollout_restart", "rollout_undo", "scale"}


def _meta(name: str, created: str = "2025-06-01T09:00:00Z", **extra: Any) -> dict[str, Any]:
    base = {"name": name, "namespace": NS, "uid": f"uid-{name}", "creationTimestamp": created}
    return base | extra


def _template(image: str, pod_hash: str, memory: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "api", "pod-template-hash": pod_hash}},
        "spec": {"containers": [{"name": "app", "image": image,
                                 "resources": {"limits": {"memory": memory}}}]},
    }  # fmt: skip


def _replica_set(revision: int, image: str, pod_hash: str, cause: str) -> dict[str, Any]:
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": "uid-api",
             "controller": True}  # fmt: skip
    notes = {
        "deployment.kubernetes.io/revision": str(revision),
        "kubernetes.io/change-cause": cause,
    }
    return {
        "metadata": _meta(f"api-{pod_hash}", f"2025-06-01T{9 + revision:02d}:00:00Z",
                          labels={"app": "api", "pod-template-hash": pod_hash},
                          annotations=notes, ownerReferences=[owner]),
        "spec": {"replicas": 3 if revision == 2 else 0, "selector": {"matchLabels": {"app": "api"}},
                 "template": _template(image, pod_hash, "512Mi" if revision == 2 else "1Gi")},
        "status": {"replicas": 3 if revision == 2 else 0,
                   "readyReplicas": 1 if revision == 2 else 0},
    }  # fmt: skip


def _status(name: str, image: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, "imageID": "", "ready": True, "restartCount": 0,
            "state": {"running": {"startedAt": "2025-06-01T11:00:00Z"}}} | fields  # fmt: skip


CRASHED = _status(
    "app", "api:1.1", ready=False, restartCount=4,
    state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
    lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137,
                              "startedAt": "2025-06-01T11:57:00Z",
                              "finishedAt": "2025-06-01T11:58:30Z"}},
)  # fmt: skip


def _pod(name: str, owner: str, node: str, statuses: list[dict[str, Any]]) -> dict[str, Any]:
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": owner,
        "uid": "u",
        "controller": True,
    }
    containers = [{"name": s["name"], "image": s["image"],
                   "resources": {"requests": {"cpu": "250m"}, "limits": {"memory": "512Mi"}}}
                  for s in statuses]  # fmt: skip
    return {
        "metadata": _meta(name, labels={"app": owner.split("-")[0]}, ownerReferences=[ref]),
        "spec": {"nodeName": node, "containers": containers},
        "status": {"phase": "Running", "qosClass": "Burstable", "startTime": "2025-06-01T11:00:00Z",
                   "conditions": [{"type": "Ready",
                                   "status": str(all(s["ready"] for s in statuses))}],
                   "containerStatuses": statuses},
    }  # fmt: skip


def _event(obj: str, kind: str, type_: str, reason: str, last: str, count: int) -> dict[str, Any]:
    return {
        "metadata": _meta(f"{obj}.{reason.lower()}"),
        "involvedObject": {"kind": kind, "name": obj, "namespace": NS},
        "type": type_, "reason": reason, "message": f"{reason} on {obj}", "count": count,
        "firstTimestamp": "2025-06-01T10:00:00Z", "lastTimestamp": last,
    }  # fmt: skip


def world() -> dict[str, Any]:
    """The objects, written for these tests: deployment api at revision 2 of 2."""
    deployment = {
        "metadata": _meta("api", labels={"app": "api"}, generation=4, annotations={
            "deployment.kubernetes.io/revision": "2", "kubernetes.io/change-cause": "deploy 1.1"}),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                 "strategy": {"type": "RollingUpdate"},
                 "template": _template("api:1.1", "h2", "512Mi")},
        "status": {"replicas": 3, "readyReplicas": 1, "updatedReplicas": 3, "availableReplicas": 1,
                   "unavailableReplicas": 2, "conditions": [
                       {"type": "Available", "status": "False",
                        "reason": "MinimumReplicasUnavailable",
                        "lastTransitionTime": "2025-06-01T11:58:00Z"}]},
    }  # fmt: skip
    return {
        "deployments": {"api": deployment},
        "replicasets": [
            _replica_set(1, "api:1.0", "h1", "deploy 1.0"),
            _replica_set(2, "api:1.1", "h2", "deploy 1.1"),
        ],
        "pods": [
            _pod("api-h2-a", "api-h2", "node-1", [CRASHED]),
            _pod("api-h2-b", "api-h2", "node-1", [_status("app", "api:1.1")]),
            _pod("worker-0", "worker-x", "node-2",
                 [_status("main", "worker:3"), _status("sidecar", "proxy:1")]),
        ],  # fmt: skip
        "events": [
            _event("api-h2-a", "Pod", "Warning", "BackOff", "2025-06-01T11:59:00Z", 9),
            _event("api-h2-a", "Pod", "Normal", "Pulled", "2025-06-01T11:00:00Z", 1),
            _event("api", "Deployment", "Normal", "ScalingReplicaSet", "2025-06-01T11:40:00Z", 1),
            _event("worker-0", "Pod", "Warning", "Unhealthy", "2025-06-01T11:20:00Z", 2),
        ],
        "nodes": [
            {"metadata": {"name": "node-1", "labels": {"zone": "a"}},
             "spec": {}, "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                    "allocatable": {"cpu": "4", "memory": "15Gi"}}},
            {"metadata": {"name": "node-2", "labels": {"zone": "b"}},
             "spec": {"unschedulable": True,
                      "taints": [{"key": "node.kubernetes.io/disk-pressure",
                                  "effect": "NoSchedule"}]},
             "status": {"conditions": [{"type": "Ready", "status": "True"},
                                       {"type": "DiskPressure", "status": "True",
                                        "reason": "KubeletHasDiskPressure"}],
                        "allocatable": {"cpu": "4"}, "capacity": {"cpu": "4"}}},
        ],
    }  # fmt: skip


LOGS = {("api-h2-a", "app", False): "started\nloading\n", ("api-h2-a", "app", True): "a\nb\nOOM\n"}


def _status_reply(code: int, reason: str, message: str) -> Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": reason, "code": code}  # fmt: skip
    return JSONResponse(body, status_code=code)


def _selected(obj: dict[str, Any], selector: str | None) -> bool:
    labels = obj["metadata"].get("labels", {})
    pairs = [p.split("=", 1) for p in (selector or "").split(",") if p]
    return all(labels.get(k) == v for k, v in pairs)


def _fields(obj: dict[str, Any], selector: str | None) -> bool:
    known = {"involvedObject.name": obj.get("involvedObject", {}).get("name"),
             "involvedObject.kind": obj.get("involvedObject", {}).get("kind"),
             "type": obj.get("type")}  # fmt: skip
    pairs = [p.split("=", 1) for p in (selector or "").split(",") if p]
    return all(known.get(k) == v for k, v in pairs)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


class FakeKube:
    """The read and patch endpoints the server uses, over `world()`; records patches."""

    def __init__(self) -> None:
        self.state = world()
        self.patches: list[tuple[str, Any]] = []
        core, apps = "/api/v1/namespaces/{ns}", "/apis/apps/v1/namespaces/{ns}"
        self.app = Starlette(
            routes=[
                Route(f"{core}/pods", self.pods), Route("/api/v1/pods", self.pods),
                Route(f"{core}/pods/{{name}}", self.pod),
                Route(f"{core}/pods/{{name}}/log", self.log),
                Route(f"{core}/events", self.events), Route("/api/v1/nodes", self.nodes),
                Route(f"{apps}/deployments", self.deployments),
                Route(f"{apps}/deployments/{{name}}", self.deployment, methods=["GET", "PATCH"]),
                Route(f"{apps}/replicasets", self.replicasets),
            ]
        )  # fmt: skip
        self.app.add_middleware(_Auth)

    def _list(self, kind: str, items: list[dict[str, Any]]) -> Response:
        return JSONResponse({"kind": kind, "apiVersion": "v1", "metadata": {}, "items": items})

    async def pods(self, request: Request) -> Response:
        selector = request.query_params.get("labelSelector")
        return self._list("PodList", [p for p in self.state["pods"] if _selected(p, selector)])

    async def pod(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = [p for p in self.state["pods"] if p["metadata"]["name"] == name]
        return (
            JSONResponse(found[0])
            if found
            else _status_reply(404, "NotFound", f'pods "{name}" not found')
        )

    async def log(self, request: Request) -> Response:
        name, q = request.path_params["name"], request.query_params
        pod = next(p for p in self.state["pods"] if p["metadata"]["name"] == name)
        names = [c["name"] for c in pod["spec"]["containers"]]
        if "container" not in q and len(names) > 1:
            message = (f"a container name must be specified for pod {name}, "
                       f"choose one of: [{' '.join(names)}]")  # fmt: skip
            return _status_reply(400, "BadRequest", message)
        text = LOGS.get((name, q.get("container", names[0]), q.get("previous") == "true"), "")
        lines = text.splitlines(keepends=True)[-int(q.get("tailLines", "1000")) :]
        return PlainTextResponse("".join(lines))

    async def events(self, request: Request) -> Response:
        selector = request.query_params.get("fieldSelector")
        return self._list("EventList", [e for e in self.state["events"] if _fields(e, selector)])

    async def nodes(self, request: Request) -> Response:
        return self._list("NodeList", self.state["nodes"])

    async def deployments(self, request: Request) -> Response:
        return self._list("DeploymentList", list(self.state["deployments"].values()))

    async def replicasets(self, request: Request) -> Response:
        selector = request.query_params.get("labelSelector")
        sets = [r for r in self.state["replicasets"] if _selected(r, selector)]
        return self._list("ReplicaSetList", sets)

    async def deployment(self, request: Request) -> Response:
        name = request.path_params["name"]
        dep = self.state["deployments"].get(name)
        if dep is None:
            return _status_reply(404, "NotFound", f'deployments.apps "{name}" not found')
        if request.method == "PATCH":
            kind, body = request.headers["content-type"], json.loads(await request.body())
            self.patches.append((kind, body))
            if kind == "application/json-patch+json":
                for op in body:
                    _, *path = op["path"].split("/")
                    target = dep
                    for key in path[:-1]:
                        target = target[key]
                    target[path[-1]] = copy.deepcopy(op["value"])
            else:
                _merge(dep, body)
        return JSONResponse(dep)


class _Auth:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if headers.get(b"authorization") != f"Bearer {TOKEN}".encode():
            await _status_reply(401, "Unauthorized", "Unauthorized")(scope, receive, send)
            return
        await self.app(scope, receive, send)


@pytest.fixture
def kube() -> FakeKube:
    return FakeKube()


@pytest.fixture
def kube_url(kube: FakeKube) -> Iterator[str]:
    with LoopbackServers([kube.app]) as servers:
        yield servers.urls[0]


@asynccontextmanager
async def connect(env: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with stdio_session("mcpservers.kubernetes", {"REPLAY_NOW": REPLAY_NOW} | env) as session:
        yield session


def direct(url: str, token: str = TOKEN) -> dict[str, str]:
    return {"KUBERNETES_API_URL": url, "KUBERNETES_TOKEN": token}


async def test_tools_carry_their_hints_and_output_schemas(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == READS | WRITES
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and tool.outputSchema is not None, name
        assert hints.readOnlyHint is (name in READS), name
        assert hints.destructiveHint is (True if name in WRITES else None), name


async def test_pods_and_a_crashing_pod_described(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        listed = structured(await session.call_tool("list_pods", {"namespace": NS}))
        only_api = structured(
            await session.call_tool("list_pods", {"namespace": NS, "label_selector": "app=api"})
        )
        everywhere = structured(await session.call_tool("list_pods", {"namespace": "*"}))
        pod = structured(
            await session.call_tool("describe_pod", {"name": "api-h2-a", "namespace": NS})
        )
    summary = {p["name"]: (p["status"], p["ready"], p["restarts"]) for p in listed["pods"]}
    assert summary == {
        "api-h2-a": ("CrashLoopBackOff", "0/1", 4), "api-h2-b": ("Running", "1/1", 0),
        "worker-0": ("Running", "2/2", 0),
    }  # fmt: skip
    assert [p["name"] for p in only_api["pods"]] == ["api-h2-a", "api-h2-b"]
    assert everywhere["pods"] == listed["pods"] and everywhere["namespace"] == "*"
    assert (pod["node"], pod["owner"], pod["qos_class"]) == (
        "node-1",
        "ReplicaSet/api-h2",
        "Burstable",
    )
    [app] = pod["containers"]
    assert (app["state"], app["reason"], app["restarts"], app["ready"]) == (
        "waiting", "CrashLoopBackOff", 4, False,
    )  # fmt: skip
    assert app["last_termination"] == {
        "reason": "OOMKilled", "exit_code": 137, "signal": None, "message": "",
        "started_at": "2025-06-01T11:57:00Z", "finished_at": "2025-06-01T11:58:30Z",
    }  # fmt: skip
    assert app["resources"] == {"requests": {"cpu": "250m"}, "limits": {"memory": "512Mi"}}
    assert [(e["reason"], e["count"]) for e in pod["events"]] == [("BackOff", 9), ("Pulled", 1)]


async def test_pod_logs_current_and_previous(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        now = structured(await session.call_tool("pod_logs", {"name": "api-h2-a", "namespace": NS}))
        before = structured(
            await session.call_tool(
                "pod_logs", {"name": "api-h2-a", "namespace": NS, "previous": True, "tail_lines": 2}
            )
        )
        which = await session.call_tool("pod_logs", {"name": "worker-0", "namespace": NS})
    assert now["lines"] == ["started", "loading"] and now["previous"] is False
    assert before["lines"] == ["b", "OOM"]
    assert which.isError
    assert "Kubernetes API 400 Bad Request: a container name must be specified" in text(which)


async def test_events_filter_and_since_counts_back_from_replay_now(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        every = structured(await session.call_tool("list_events", {"namespace": NS}))
        warnings = structured(
            await session.call_tool("list_events", {"namespace": NS, "warnings_only": True})
        )
        recent = structured(
            await session.call_tool("list_events", {"namespace": NS, "since_minutes": 30})
        )
        about = structured(
            await session.call_tool("list_events", {"namespace": NS, "object_name": "api"})
        )
    assert [e["reason"] for e in every["events"]] == [
        "BackOff", "ScalingReplicaSet", "Unhealthy", "Pulled",
    ]  # fmt: skip
    assert [e["object"] for e in warnings["events"]] == ["Pod/api-h2-a", "Pod/worker-0"]
    assert recent["since"] == "2025-06-01T11:30:00Z"
    assert [e["reason"] for e in recent["events"]] == ["BackOff", "ScalingReplicaSet"]
    assert [e["object"] for e in about["events"]] == ["Deployment/api"]


async def test_deployments_history_and_nodes(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        listed = structured(await session.call_tool("list_deployments", {"namespace": NS}))
        dep = structured(
            await session.call_tool("describe_deployment", {"name": "api", "namespace": NS})
        )
        history = structured(
            await session.call_tool("rollout_history", {"name": "api", "namespace": NS})
        )
        nodes = structured(await session.call_tool("list_nodes", {}))
    [summary] = listed["deployments"]
    assert (summary["replicas"], summary["ready"], summary["revision"]) == (3, 1, 2)
    assert (dep["updated"], dep["available"], dep["unavailable"]) == (3, 1, 2)
    assert (dep["change_cause"], dep["selector"], dep["images"]) == (
        "deploy 1.1",
        "app=api",
        {"app": "api:1.1"},
    )
    assert dep["conditions"][0]["reason"] == "MinimumReplicasUnavailable"
    assert dep["containers"][0]["resources"]["limits"] == {"memory": "512Mi"}
    assert [e["reason"] for e in dep["events"]] == ["ScalingReplicaSet"]
    assert history["current_revision"] == 2
    assert [(r["revision"], r["change_cause"], r["images"]["app"], r["current"])
            for r in history["revisions"]] == [
        (1, "deploy 1.0", "api:1.0", False), (2, "deploy 1.1", "api:1.1", True),
    ]  # fmt: skip
    one, two = nodes["nodes"]
    assert (one["name"], one["ready"], one["unschedulable"]) == ("node-1", "True", False)
    assert two["unschedulable"] is True
    assert two["taints"] == ["node.kubernetes.io/disk-pressure:NoSchedule"]
    assert {c["type"]: c["status"] for c in two["conditions"]}["DiskPressure"] == "True"


async def test_restart_undo_and_scale_patch_the_deployment(kube: FakeKube, kube_url: str) -> None:
    target = {"name": "api", "namespace": NS}
    async with connect(direct(kube_url)) as session:
        restarted = structured(await session.call_tool("rollout_restart", target))
        undone = structured(await session.call_tool("rollout_undo", target))
        scaled = structured(await session.call_tool("scale", target | {"replicas": 5}))
    assert (restarted["restarted_at"], restarted["revision"]) == (REPLAY_NOW, 2)
    assert (undone["changed"], undone["from_revision"], undone["to_revision"]) == (True, 2, 1)
    assert (undone["images_before"], undone["images_after"]) == (
        {"app": "api:1.1"},
        {"app": "api:1.0"},
    )
    assert undone["change_cause"] == "deploy 1.0"
    assert (scaled["replicas_before"], scaled["replicas"]) == (3, 5)
    (k1, restart), (k2, undo), (k3, scale) = kube.patches
    assert k1 == "application/strategic-merge-patch+json"
    assert restart == {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": REPLAY_NOW}}}}}  # fmt: skip
    assert k2 == "application/json-patch+json"
    assert [op["path"] for op in undo] == ["/spec/template", "/metadata/annotations"]
    template, notes = undo[0]["value"], undo[1]["value"]
    assert template["metadata"]["labels"] == {"app": "api"}  # the hash label dropped
    assert template["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}}
    assert notes == {
        "deployment.kubernetes.io/revision": "2",
        "kubernetes.io/change-cause": "deploy 1.0",
    }
    assert (k3, scale) == ("application/merge-patch+json", {"spec": {"replicas": 5}})
    dep = kube.state["deployments"]["api"]
    assert (dep["spec"]["replicas"], dep["spec"]["template"]["spec"]["containers"][0]["image"]) == (
        5,
        "api:1.0",
    )


async def test_undo_to_a_given_revision_or_a_missing_one(kube: FakeKube, kube_url: str) -> None:
    target = {"name": "api", "namespace": NS}
    async with connect(direct(kube_url)) as session:
        same = structured(await session.call_tool("rollout_undo", target | {"to_revision": 2}))
        missing = await session.call_tool("rollout_undo", target | {"to_revision": 7})
    assert (same["changed"], same["to_revision"]) == (False, 2)
    assert "already matches revision 2" in same["message"]
    assert missing.isError and "no revision 7; the revisions are [1, 2]" in text(missing)
    assert kube.patches == []


async def test_upstream_errors_are_tool_errors_quoting_the_api(kube_url: str) -> None:
    async with connect(direct(kube_url)) as session:
        missing = await session.call_tool("describe_pod", {"name": "nope", "namespace": NS})
        no_dep = await session.call_tool("scale", {"name": "nope", "namespace": NS, "replicas": 1})
    assert missing.isError
    assert f'Kubernetes API 404 Not Found: pods "nope" not found (pod {NS}/nope)' in text(missing)
    assert no_dep.isError and 'deployments.apps "nope" not found' in text(no_dep)
    async with connect(direct(kube_url, token="wrong")) as session:
        denied = await session.call_tool("list_nodes", {})
    assert denied.isError and "Kubernetes API 401 Unauthorized: Unauthorized (nodes)" in text(
        denied
    )


async def test_kubeconfig_when_url_and_token_are_unset(kube_url: str, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "c", "cluster": {"server": kube_url}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u"}}],
    }))  # fmt: skip
    async with connect({"KUBECONFIG": str(kubeconfig)}) as session:
        nodes = structured(await session.call_tool("list_nodes", {}))
    assert [n["name"] for n in nodes["nodes"]] == ["node-1", "node-2"]


def test_missing_settings_exit_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcpservers.kubernetes"],
        cwd=ROOT, env={"PATH": os.environ["PATH"]},
        input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert (
        "mcpservers.kubernetes: KUBERNETES_API_URL and KUBERNETES_TOKEN are not set, "
        "nor KUBECONFIG" in done.stderr
    )
    assert json.dumps(done.stdout) == '""'


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KUBERNETES_API_URL": "http://127.0.0.1:9"}, "but KUBERNETES_TOKEN is not"),
        ({"KUBERNETES_TOKEN": TOKEN}, "KUBERNETES_TOKEN is set but KUBERNETES_API_URL is not"),
        (direct("127.0.0.1:6443"), "KUBERNETES_API_URL must be an http(s) URL"),
        ({**direct("https://k:6443"), "KUBERNETES_CA_FILE": "/nonexistent"}, "CA_FILE names no"),
        ({"KUBECONFIG": "/nonexistent/config"}, "KUBECONFIG names no readable file"),
        ({**direct("http://127.0.0.1:9"), "REPLAY_NOW": "soon"}, "REPLAY_NOW must be RFC 3339"),
    ],
)
def test_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_env(env)


STANDIN_SPEC = {
    "nodes": [{"name": "node-1", "conditions": [{"type": "Ready", "status": "True"}]}],
    "namespaces": {
        NS: {
            "deployments": [
                {"name": "api", "replicas": 2, "ready": 1, "history": [
                    {"revision": 4, "image": "api:2.0", "at": "2025-05-30T09:00:00Z",
                     "change_cause": "deploy 2.0"},
                    {"revision": 5, "image": "api:2.1", "at": "2025-06-01T11:50:00Z",
                     "change_cause": "deploy 2.1"}]},
            ],
            "pods": [
                {"name": "api-x1", "deployment": "api", "node": "node-1", "containers": [
                    {"name": "app", "image": "api:2.1", "ready": False, "restarts": 3,
                     "state": "waiting", "reason": "CrashLoopBackOff",
                     "last_termination": {"reason": "Error", "exit_code": 1,
                                          "finished_at": "2025-06-01T11:58:00Z"}}]},
            ],
            "events": [
                {"type": "Warning", "reason": "BackOff", "object": "Pod/api-x1",
                 "message": "Back-off restarting failed container app", "count": 5,
                 "first": "2025-06-01T11:52:00Z", "last": "2025-06-01T11:59:00Z"},
            ],
        }
    },
}  # fmt: skip


async def test_against_the_world_kubernetes_standin() -> None:
    """The same server against the replay world's Kubernetes stand-in (world.kubernetes_api)."""
    standin_module = pytest.importorskip("world.kubernetes_api")
    spec = KubernetesSpec.model_validate(STANDIN_SPEC, strict=False)
    standin = standin_module.KubernetesStandIn(spec, TOKEN, to_time(REPLAY_NOW))
    target = {"name": "api", "namespace": NS}
    with standin:
        async with connect(direct(standin.url)) as session:
            pods = structured(await session.call_tool("list_pods", {"namespace": NS}))
            pod = structured(
                await session.call_tool("describe_pod", {"name": "api-x1", "namespace": NS})
            )
            history = structured(await session.call_tool("rollout_history", target))
            undone = structured(await session.call_tool("rollout_undo", target))
            after = structured(await session.call_tool("rollout_history", target))
            scaled = structured(await session.call_tool("scale", target | {"replicas": 4}))
            nodes = structured(await session.call_tool("list_nodes", {}))
    assert [(p["name"], p["status"], p["restarts"]) for p in pods["pods"]] == [
        ("api-x1", "CrashLoopBackOff", 3)
    ]
    last = pod["containers"][0]["last_termination"]
    assert (last["reason"], last["exit_code"]) == ("Error", 1)
    assert [e["reason"] for e in pod["events"]] == ["BackOff"]
    assert [(r["revision"], r["images"]["app"]) for r in history["revisions"]] == [
        (4, "api:2.0"), (5, "api:2.1"),
    ]  # fmt: skip
    assert (undone["from_revision"], undone["to_revision"], undone["changed"]) == (5, 4, True)
    assert after["current_revision"] == 6  # the old ReplicaSet comes back as the next revision
    assert (scaled["replicas_before"], scaled["replicas"]) == (2, 4)
    assert [n["name"] for n in nodes["nodes"]] == ["node-1"]
    assert [w.kind for w in standin.writes] == ["rollback_deployment", "scale_deployment"]
