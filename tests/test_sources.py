"""Metrics, logs and cluster state as evidence (`agents/root_cause/sources`), on replies
written for these tests (not a scenario's): which backends are asked, what the queries are
derived from, and what the replies become (series and the onset, error signals, events in
words, deploy markers, the trusted workload record), positive and negative."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.root_cause.evidence import Bundle
from agents.root_cause.sources import read_sources, target
from agents.root_cause.sources.logs import selectors
from core.catalog import Service
from core.state import Alert, Workload
from core.tools import ToolResult

START = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
Reply = Callable[[Mapping[str, Any]], Any]


def _at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeTools:
    """Offers the tools it has replies for; records every call. A reply that is an
    exception's text starting with `error:` comes back as a tool error."""

    def __init__(self, replies: Mapping[str, Reply | Any]) -> None:
        self.replies = dict(replies)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def offers(self, qualified: str) -> bool:
        return qualified in self.replies

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        self.calls.append((qualified, dict(args)))
        reply = self.replies[qualified]
        data = reply(args) if callable(reply) else reply
        server, tool = qualified.split(".", 1)
        if isinstance(data, str) and data.startswith("error:"):
            return ToolResult(server, tool, "error", data, None, 0.0)
        return ToolResult(server, tool, "success", "{}", data, 0.0)

    def asked(self, qualified: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == qualified]


def alert(**labels: str) -> Alert:
    return Alert(source="alertmanager", fingerprint="f", name=labels.pop("alertname", "HighErrors"),
                 status="firing", starts_at=START, labels=labels, annotations={})  # fmt: skip


SERVICE = Service(repo="example/ledger", channel="#ledger", team="ledger", tier=1,
                  namespace="money")  # fmt: skip


def run(
    tools: FakeTools, a: Alert, service: Service | None = SERVICE, name: str | None = "ledger"
) -> tuple[Bundle, list[Workload]]:
    bundle = Bundle()
    workloads = asyncio.run(read_sources(tools, a, target(a, service, name), bundle))
    return bundle, workloads


# --- the target -------------------------------------------------------------------------


def test_target_prefers_the_alerts_labels_then_the_catalog() -> None:
    t = target(alert(namespace="pay", deployment="ledger-api"), SERVICE, "ledger")
    assert (t.namespace, t.workload) == ("pay", "ledger-api")
    t = target(alert(), SERVICE, "ledger")
    assert (t.namespace, t.workload) == ("money", "ledger")
    assert t.start == START - timedelta(hours=2) and t.end == START + timedelta(minutes=15)


def test_target_derives_the_deployment_from_a_pod_name() -> None:
    t = target(alert(namespace="pay", pod="ledger-api-7d9f8c6b5d-x2k9q"), None, None)
    assert (t.workload, t.pod) == ("ledger-api", "ledger-api-7d9f8c6b5d-x2k9q")
    t = target(alert(namespace="pay", pod="standalone"), None, None)
    assert t.workload is None, "a pod name without a replica-set hash names no deployment"


@pytest.mark.parametrize("value", ['x"} or {a="', "UPPER", "a b", "-lead", "x" * 300])
def test_target_refuses_label_values_that_are_no_kubernetes_names(value: str) -> None:
    t = target(alert(namespace=value, deployment=value), None, None)
    assert t.namespace is None and t.workload is None, "nothing unsafe is quoted into a query"


def test_log_selectors_from_most_to_least_specific() -> None:
    t = target(alert(namespace="pay", deployment="ledger-api"), None, None)
    got = selectors(t)
    assert got[0] == '{namespace="pay",app="ledger-api"}'
    assert '{service="ledger-api"}' in got
    assert selectors(target(alert(namespace="pay"), None, None)) == ['{namespace="pay"}']
    assert selectors(target(alert(), None, None)) == []


# --- nothing configured -------------------------------------------------------------------


def test_no_backend_offered_asks_nothing_and_adds_nothing() -> None:
    tools = FakeTools({})
    bundle, workloads = run(tools, alert(namespace="pay", deployment="ledger-api"))
    assert tools.calls == [] and bundle.pages == [] and workloads == []
    assert not bundle.partial


# --- metrics ------------------------------------------------------------------------------


def _flat_then_step(at_minute: int, low: float, high: float) -> list[tuple[str, float | str]]:
    return [(_at(m), low if m < at_minute else high) for m in range(-60, 15)]


def test_the_alerts_rule_sets_the_onset_and_reactions_do_not() -> None:
    def query_range(args: Mapping[str, Any]) -> dict[str, Any]:
        q = args["query"]
        if q.startswith("sum(rate(http_errors"):  # the alert's own expression
            return {"query": q, "series": [{"points": _flat_then_step(-7, 0.1, 9.0)}]}
        if "spec_replicas" in q:  # a scale-out that came earlier: a reaction, never the onset
            return {"query": q, "series": [{"points": _flat_then_step(-40, 3, 6)}]}
        return {"query": q, "series": [{"labels": {"pod": "p"},
                                        "points": _flat_then_step(-7, 1e8, 5e8)}]}  # fmt: skip

    tools = FakeTools({
        "prometheus.query_range": query_range,
        "prometheus.rules": {"rules": [
            {"name": "HighErrors", "type": "alerting", "query": "sum(rate(http_errors[5m]))"},
            {"name": "Other", "type": "alerting", "query": "up == 0"}]},
        "prometheus.label_values": {"label": "__name__", "values": [
            "kube_deployment_spec_replicas", "container_memory_working_set_bytes",
            "go_info", "http_requests_total"]},
    })  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    page = bundle.pages[0]
    assert page.source == "metrics"
    assert page.onset is not None and page.onset.at == START - timedelta(minutes=7)
    queries = [a["query"] for a in tools.asked("prometheus.query_range")]
    assert queries[0] == "sum(rate(http_errors[5m]))", "the alert's own expression first"
    assert 'max(container_memory_working_set_bytes{namespace="pay",deployment="ledger-api"})' \
        in queries  # fmt: skip
    assert any(q.startswith("sum(increase(http_requests_total{") for q in queries), "counters"
    assert not any("go_info" in q for q in queries), "a metric that measures nothing here"
    memory = next(s for s in page.series if "memory" in s.name)
    assert memory.unit == "B" and "pod=p" in memory.name
    assert bundle.evidence[-1].kind == "metrics"


def test_the_alerts_own_expression_is_a_problem_series_whatever_its_name() -> None:
    from agents.root_cause.sources.metrics import _words

    tools = FakeTools({
        "prometheus.query_range": {"query": "q", "series": [
            {"points": _flat_then_step(-7, 0.2, 0.9)}]},
        "prometheus.rules": {"rules": [
            {"name": "CheckoutHigh5xxRatio", "type": "alerting", "query": "ratio > 0.05"}]},
        "prometheus.label_values": {"label": "__name__", "values": []},
    })  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api",
                                 alertname="CheckoutHigh5xxRatio"))  # fmt: skip
    onset = bundle.pages[0].onset
    assert onset is not None and onset.problem
    assert onset.series == "Checkout High 5xx Ratio (the alert's expression)"
    assert _words("Http2StreamErrors") == "Http2 Stream Errors"  # a version, not a status code


def test_without_a_rule_the_onset_comes_from_a_fault_series() -> None:
    def query_range(args: Mapping[str, Any]) -> dict[str, Any]:
        q = args["query"]
        step = -25 if "restarts" in q else -50  # CPU rose long before: load, not the fault
        return {"query": q, "series": [{"points": _flat_then_step(step, 0, 4)}]}

    tools = FakeTools({
        "prometheus.query_range": query_range,
        "prometheus.rules": {"rules": []},
        "prometheus.label_values": {"label": "__name__", "values": [
            "kube_pod_container_status_restarts_total", "container_cpu_usage_seconds_total"]},
    })  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    assert bundle.pages[0].onset is not None
    assert bundle.pages[0].onset.at == START - timedelta(minutes=25)


def test_metrics_failures_cost_their_evidence_and_mark_the_bundle_partial() -> None:
    tools = FakeTools({
        "prometheus.query_range": "error: prometheus unreachable",
        "prometheus.rules": "error: prometheus unreachable",
        "prometheus.label_values": {"label": "__name__", "values": []},
    })  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay"))
    assert bundle.pages == [] and bundle.partial
    assert "prometheus unreachable" in bundle.problems[0]


def test_too_few_or_non_finite_points_make_no_series() -> None:
    points: list[tuple[str, float | str]] = [(_at(0), "NaN"), (_at(1), "+Inf"), (_at(2), 1.0)]
    tools = FakeTools({
        "prometheus.query_range": lambda a: {"query": a["query"], "series": [{"points": points}]},
        "prometheus.rules": {"rules": [{"name": "HighErrors", "type": "alerting", "query": "x"}]},
        "prometheus.label_values": {"label": "__name__", "values": []},
    })  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay"))
    assert bundle.pages == [] and not bundle.partial


# --- logs ---------------------------------------------------------------------------------


def test_logs_fall_back_across_selectors_and_become_errors_and_lines() -> None:
    entries = [
        [_at(-6), "ERROR psycopg.OperationalError: connection to server failed: too many clients"],
        [_at(-5), "2026-05-04T09:55:30Z WARN retrying payout batch 17"],
        [_at(-4), "ERROR psycopg.OperationalError: connection to server failed: too many clients"],
    ]

    def query_range(args: Mapping[str, Any]) -> dict[str, Any]:
        if args["query"].startswith('{namespace="pay",pod=~'):
            return {"query": args["query"], "streams": [{"labels": {"pod": "x"},
                                                         "entries": entries}]}  # fmt: skip
        return {"query": args["query"], "streams": []}

    tools = FakeTools({"logs.query_range": query_range})
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    asked = [a["query"] for a in tools.asked("logs.query_range")]
    assert len(asked) == 2 and all("|~" in q for q in asked), "a level filter on every try"
    page = bundle.pages[0]
    assert page.source == "logs"
    kinds = {e.kind for e in page.errors}
    assert any("OperationalError" in k for k in kinds), kinds
    assert {line.level for line in page.logs} >= {"ERROR", "WARN"}
    assert "too many clients" in bundle.evidence[-1].excerpt


def test_no_log_lines_add_no_page() -> None:
    tools = FakeTools({"logs.query_range": lambda a: {"query": a["query"], "streams": []}})
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    assert bundle.pages == [] and not bundle.partial
    assert len(tools.calls) == len(
        selectors(target(alert(namespace="pay", deployment="ledger-api"), None, None))
    )


# --- the cluster ----------------------------------------------------------------------------


def cluster(**override: Any) -> dict[str, Any]:
    replies: dict[str, Any] = {
        "kubernetes.describe_deployment": {
            "name": "ledger-api", "namespace": "pay", "replicas": 3, "ready": 1, "revision": 8,
            "images": {"api": "registry.example/ledger-api:sha-4be91c0"},
            "conditions": [{"type": "Available", "status": "False",
                            "reason": "MinimumReplicasUnavailable",
                            "message": "Deployment does not have minimum availability.",
                            "since": _at(-5)}]},
        "kubernetes.rollout_history": {"current_revision": 8, "revisions": [
            {"revision": 7, "images": {"api": "registry.example/ledger-api:v3.1.0"},
             "created_at": _at(-3000)},
            {"revision": 8, "images": {"api": "registry.example/ledger-api:sha-4be91c0"},
             "change_cause": "deploy PR #412", "created_at": _at(-12), "current": True}]},
        "kubernetes.list_pods": {"pods": [
            {"name": "ledger-api-5c8d7f9b6-abcde", "phase": "Running", "status": "Running"},
            {"name": "ledger-api-6f7a8b9c0-fghij", "phase": "Running",
             "status": "CrashLoopBackOff", "restarts": 6},
            {"name": "ledger-api-6f7a8b9c0-klmno", "phase": "Running",
             "status": "CrashLoopBackOff", "restarts": 5},
            {"name": "other-app-1a2b3c4d5-pqrst", "phase": "Failed", "status": "Error"}]},
        "kubernetes.describe_pod": lambda a: {
            "name": a["name"], "phase": "Running", "status": "CrashLoopBackOff", "restarts": 6,
            "containers": [{
                "name": "api", "image": "registry.example/ledger-api:sha-4be91c0",
                "ready": False, "restarts": 6, "state": "waiting", "reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container",
                "last_termination": {"reason": "OOMKilled", "exit_code": 137,
                                     "finished_at": _at(-2)},
                "resources": {"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi"}}}]},
        "kubernetes.list_events": {"events": [
            {"type": "Warning", "reason": "BackOff", "object": "Pod/ledger-api-6f7a8b9c0-fghij",
             "message": "Back-off restarting failed container", "count": 14,
             "first": _at(-9), "last": _at(-1)}]},
        "kubernetes.list_nodes": {"nodes": [
            {"name": "node-a", "ready": "True", "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "MemoryPressure", "status": "False"}]},
            {"name": "node-b", "ready": "True", "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure",
                 "message": "ephemeral storage low", "since": _at(-30)}]}]},
    }  # fmt: skip
    replies.update(override)
    return replies


def test_cluster_state_becomes_markers_signals_events_and_the_workload() -> None:
    tools = FakeTools(cluster())
    bundle, workloads = run(tools, alert(namespace="pay", deployment="ledger-api"))
    page = bundle.pages[0]
    assert page.source == "kubernetes"
    current = next(m for m in page.markers if m.at == START - timedelta(minutes=12))
    assert (current.sha, current.pr) == ("4be91c0", 412)
    older = next(m for m in page.markers if m.at < START - timedelta(days=1))
    assert older.version == "v3.1.0" and older.sha is None
    oom = next(e for e in page.errors if e.kind == "OOMKilled")
    assert "memory limit 256Mi" in oom.message and "exit code 137" in oom.message
    assert oom.count == 12, "restarts of both crashing pods add up (6 + 6)"
    assert any(e.kind == "CrashLoopBackOff" for e in page.errors)
    described = [a["name"] for a in tools.asked("kubernetes.describe_pod")]
    assert described == ["ledger-api-6f7a8b9c0-fghij", "ledger-api-6f7a8b9c0-klmno"], \
        "only the workload's unhealthy pods"  # fmt: skip
    texts = [e.text for e in page.events]
    assert any("BackOff" in t and "(×14)" in t for t in texts)
    backoff = next(e for e in page.events if "BackOff" in e.text)
    assert backoff.at == START - timedelta(minutes=9), "a repeated warning began at its first"
    assert any("node-b DiskPressure=True" in t for t in texts)
    assert not any("node-a" in t for t in texts), "healthy conditions are no events"
    assert any("Available=False" in t for t in texts)
    (w,) = workloads
    assert (w.namespace, w.name, w.replicas, w.ready, w.revision) == ("pay", "ledger-api", 3, 1, 8)
    assert w.revisions == (7, 8) and w.rolled_out_at == START - timedelta(minutes=12)
    assert bundle.evidence[-1].kind == "kubernetes"


def test_a_long_id_in_an_event_gives_way_to_its_reason() -> None:
    sandbox = "3b9d0c7e51a24f86aa0e92c4d7b1f3e5c8a6d2b0e4f7193a5c2d8e6b0f1a4c79"
    events = {"events": [
        {"type": "Warning", "reason": "FailedCreatePodSandBox",
         "object": "Pod/ledger-api-6f7a8b9c0-zzzzz",
         "message": f'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to '
                    f'set up network for sandbox "{sandbox}": plugin type="vpc-cni" failed '
                    f'(add): add cmd: failed to assign an IP address to container',
         "count": 3, "first": _at(-4), "last": _at(-1)}]}  # fmt: skip
    bundle, _ = run(FakeTools(cluster(**{"kubernetes.list_events": events})),
                    alert(namespace="pay", deployment="ledger-api"))  # fmt: skip
    [event] = [e for e in bundle.pages[0].events if "PodSandBox" in e.text]
    assert "3b9d0c7e51a2…" in event.text and sandbox not in event.text
    assert event.text.endswith("failed to assign an IP address to container (×3)")


def test_pending_pods_and_evictions_are_signals() -> None:
    pending = {
        "name": "ledger-api-6f7a8b9c0-zzzzz", "phase": "Pending", "status": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient memory.",
                        "since": _at(-3)}]}  # fmt: skip
    evicted = {
        "name": "ledger-api-6f7a8b9c0-yyyyy",
        "phase": "Failed",
        "status": "Evicted",
        "reason": "Evicted",
        "message": "The node was low on resource: memory.",
    }
    pods = {p["name"]: p for p in (pending, evicted)}
    tools = FakeTools(cluster(**{
        "kubernetes.list_pods": {"pods": [
            {k: p[k] for k in ("name", "phase", "status")} for p in pods.values()]},
        "kubernetes.describe_pod": lambda a: pods[a["name"]],
    }))  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    kinds = {e.kind: e.message for e in bundle.pages[0].errors}
    assert "Insufficient memory" in kinds["Unschedulable"]
    assert "low on resource: memory" in kinds["Evicted"]


def test_a_workload_that_is_no_deployment_still_reads_pods_and_events() -> None:
    tools = FakeTools(
        cluster(
            **{"kubernetes.describe_deployment": 'error: 404 deployments.apps "ledger" not found'}
        )
    )
    bundle, workloads = run(tools, alert(namespace="pay", statefulset="ledger"))
    assert workloads == [] and not bundle.partial
    assert tools.asked("kubernetes.rollout_history") == []
    assert bundle.pages[0].events, "events and nodes are still read"


def test_a_failing_cluster_marks_the_bundle_partial() -> None:
    tools = FakeTools(cluster(**{"kubernetes.describe_deployment": "error: 403 forbidden"}))
    bundle, workloads = run(tools, alert(namespace="pay", deployment="ledger-api"))
    assert workloads == [] and bundle.partial and "403" in bundle.problems[0]


def test_no_namespace_means_the_cluster_is_not_asked() -> None:
    tools = FakeTools(cluster())
    bundle, workloads = run(tools, alert(), service=None, name=None)
    assert tools.calls == [] and workloads == [] and bundle.pages == []


def test_a_healthy_cluster_adds_no_signals() -> None:
    tools = FakeTools(cluster(**{
        "kubernetes.list_pods": {"pods": [
            {"name": "ledger-api-5c8d7f9b6-abcde", "phase": "Running", "status": "Running"}]},
        "kubernetes.list_events": {"events": []},
        "kubernetes.list_nodes": {"nodes": []},
    }))  # fmt: skip
    bundle, _ = run(tools, alert(namespace="pay", deployment="ledger-api"))
    assert tools.asked("kubernetes.describe_pod") == []
    assert bundle.pages[0].errors == ()


def test_every_backend_is_read_and_the_pages_always_come_in_one_order() -> None:
    replies = cluster()
    replies["logs.query_range"] = lambda a: {"query": a["query"], "streams": [
        {"labels": {}, "entries": [[_at(-3), "ERROR boom: connection refused"]]}]}  # fmt: skip
    replies["prometheus.rules"] = {"rules": [
        {"name": "HighErrors", "type": "alerting", "query": "sum(rate(errors[5m]))"}]}  # fmt: skip
    replies["prometheus.label_values"] = {"label": "__name__", "values": []}
    replies["prometheus.query_range"] = lambda a: {
        "query": a["query"], "series": [{"points": _flat_then_step(-7, 0, 5)}]}  # fmt: skip
    orders = {tuple(p.source for p in run(FakeTools(replies), alert(namespace="pay",
              deployment="ledger-api"))[0].pages) for _ in range(5)}  # fmt: skip
    assert orders == {("logs", "metrics", "kubernetes")}
