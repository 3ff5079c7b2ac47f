"""Traces, metrics and logs of a scenario replay, read back from in-memory exporters: the span
tree and its GenAI attribute names, the per-node counters, gate events, the trace id in the
result and the Slack footer, and the OTLP JSON-lines file."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from observability import logs
from observability.otlp_file import OtlpJsonFile, read_requests
from observability.pricing import Pricing, load_pricing
from observability.telemetry import Telemetry, install, installed, setup_telemetry
from observability.tracing import root_reference, workflow_span
from replay.result import to_json
from replay.run import Replay, RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from world.loader import load

pytestmark = pytest.mark.integration

NODES = ["ingest", "triage", "announce", "root_cause", "guardian", "update", "approval", "execute",
         "notify"]  # fmt: skip
TRIAGE = json.dumps({"severity": "high", "category": "saturation", "confidence": "high"})
CAUSE = json.dumps(
    {
        "cause": "PR #847",
        "category": "code_change",
        "explanation": "An N+1 query holds connections.",
        "confidence": "high",
    }
)
READER = json.dumps({"instructions": "no", "asks_for": "nothing"})
JUDGE = json.dumps({"verdict": "needs_approval", "reason": "fits-the-goal"})
USAGE = {"small": (311, 17), "large": (1042, 38)}  # tokens each scripted model reports


def scripted(name: str, *answers: str) -> GenericFakeChatModel:
    tokens_in, tokens_out = USAGE[name]
    usage = {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": 0}
    return GenericFakeChatModel(
        messages=iter([AIMessage(content=a, usage_metadata=usage) for a in answers])
    )


@dataclass
class Observed:
    run: Replay
    spans: list[ReadableSpan]
    metrics: MetricsData
    log_lines: list[dict[str, Any]]
    pricing: Pricing

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name.startswith(prefix)]

    def agent(self, node: str) -> ReadableSpan:
        [span] = self.named(f"invoke_agent {node}")
        return span

    def points(self, metric: str) -> list[Any]:
        return [
            point
            for rm in self.metrics.resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == metric
            for point in m.data.data_points
        ]


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    """One approved replay of db-pool-exhaustion with telemetry and JSON logs captured."""
    pricing = load_pricing(ROOT / "observability/pricing.yaml")
    spans, reader, stream = InMemorySpanExporter(), InMemoryMetricReader(), io.StringIO()
    telemetry = Telemetry.in_memory(spans, reader, pricing)
    settings = Settings(
        checkpoint_db=tmp_path_factory.mktemp("telemetry") / "checkpoints.sqlite",
        mcp_servers_file=ROOT / "mcp_servers.yaml",
        policy_file=ROOT / "policies/default.yaml",
    )
    models = {"small": scripted("small", TRIAGE, READER), "large": scripted("large", CAUSE, JUDGE)}
    options = RunOptions(
        approvals="approve", approver="dana", model_small="small", model_large="large",
        chat_models=models,
    )  # fmt: skip
    install(telemetry)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logs, "_logger", logs.log())
        logs.configure_logging("json", stream)
        try:
            run = asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, options))
            metrics = reader.get_metrics_data()
        finally:
            install(None)
            telemetry.shutdown()
    assert metrics is not None
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    yield Observed(run, list(spans.get_finished_spans()), metrics, lines, pricing)


def test_one_workflow_span_with_a_child_per_node(observed: Observed) -> None:
    [workflow] = observed.named("invoke_workflow")
    assert workflow.name == "invoke_workflow incident"
    assert workflow.parent is None
    assert dict(workflow.attributes or {}) == {
        "gen_ai.operation.name": "invoke_workflow",
        "incident.id": observed.run.incident_id,
        "incident.scenario": "db-pool-exhaustion",
    }
    agents = sorted(observed.named("invoke_agent "), key=lambda s: s.start_time or 0)
    assert [s.name for s in agents] == [f"invoke_agent {n}" for n in NODES]
    for span, node in zip(agents, NODES, strict=True):
        assert span.parent is not None and span.parent.span_id == workflow.context.span_id
        assert span.attributes is not None
        assert span.attributes["gen_ai.operation.name"] == "invoke_agent"
        assert span.attributes["gen_ai.agent.name"] == node
        assert span.status.status_code != StatusCode.ERROR
    assert {s.context.trace_id for s in observed.spans} == {workflow.context.trace_id}


def test_chat_spans_sit_under_the_nodes_that_asked(observed: Observed) -> None:
    chats = observed.named("chat ")
    by_parent = sorted(
        (span.name, next(a.name for a in observed.named("invoke_agent") if span.parent
                         and a.context.span_id == span.parent.span_id))
        for span in chats
    )  # fmt: skip
    assert by_parent == [
        ("chat large", "invoke_agent guardian"),  # the privileged review
        ("chat large", "invoke_agent root_cause"),
        ("chat small", "invoke_agent guardian"),  # the quarantined reader
        ("chat small", "invoke_agent triage"),
    ]
    for span in chats:
        model = span.name.removeprefix("chat ")
        assert span.attributes is not None
        assert dict(span.attributes) == {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "generic-fake-chat-model",
            "gen_ai.request.model": model,
            "gen_ai.request.max_tokens": span.attributes["gen_ai.request.max_tokens"],
            "gen_ai.usage.input_tokens": USAGE[model][0],
            "gen_ai.usage.output_tokens": USAGE[model][1],
        }


def test_tool_spans_under_root_cause_execute_and_notify(observed: Observed) -> None:
    parents: dict[str, set[str]] = {}
    for span in observed.named("execute_tool "):
        assert span.parent is not None and span.attributes is not None
        [agent] = [
            a for a in observed.named("invoke_agent") if a.context.span_id == span.parent.span_id
        ]
        parents.setdefault(agent.name.removeprefix("invoke_agent "), set()).add(
            f"{span.attributes['mcp.server.name']}.{span.attributes['gen_ai.tool.name']}"
        )
        assert span.attributes["gen_ai.operation.name"] == "execute_tool"
        assert span.name == f"execute_tool {span.attributes['gen_ai.tool.name']}"
        assert span.status.status_code != StatusCode.ERROR
    assert set(parents) == {"announce", "root_cause", "update", "execute", "notify"}
    assert "github.list_commits" in parents["root_cause"]
    assert parents["execute"] == {"github.revert_pull_request"}
    assert parents["announce"] == {"slack.post_message"}
    assert parents["update"] == {"slack.update_message"}
    assert parents["notify"] == {"slack.update_message", "slack.post_message"}


def test_per_node_counters_match_the_replays_tokens_and_cost(observed: Observed) -> None:
    counted: dict[str, dict[str, int]] = {}
    for point in observed.points("incident.node.tokens"):
        node, kind = point.attributes["node"], point.attributes["type"]
        counted.setdefault(node, {"input": 0, "output": 0})[kind] += point.value
    result = to_json(observed.run, observed.pricing)
    assert counted == {n: t for n, t in result["tokens"].items() if t["input"] or t["output"]}
    small, large = USAGE["small"], USAGE["large"]
    assert counted == {
        "triage": {"input": small[0], "output": small[1]},
        "root_cause": {"input": large[0], "output": large[1]},
        "guardian": {"input": small[0] + large[0], "output": small[1] + large[1]},
    }
    cost = {p.attributes["node"]: p.value for p in observed.points("incident.node.cost")}
    assert cost["root_cause"] == pytest.approx(observed.pricing.cost("large", *USAGE["large"]))
    assert cost["triage"] == pytest.approx(result["cost_usd"]["triage"], abs=1e-9)
    usage = observed.points("gen_ai.client.token.usage")
    assert {(p.attributes["gen_ai.token.type"], p.attributes["gen_ai.request.model"], p.sum)
            for p in usage} == {("input", "small", 622), ("output", "small", 34),
                                ("input", "large", 2084), ("output", "large", 76)}  # fmt: skip
    durations = observed.points("gen_ai.client.operation.duration")
    assert sorted(p.attributes["gen_ai.request.model"] for p in durations) == ["large", "small"]
    # counted once, when triage decides (the investigation may raise it later: the state's)
    triaged = observed.agent("triage").attributes["incident.severity"]
    assert [dict(p.attributes) for p in observed.points("incident.count")] == [
        {"severity": triaged}
    ]


def test_gate_decisions_are_events_and_counted(observed: Observed) -> None:
    [guard] = [e for e in observed.agent("guardian").events if e.name == "gate.decision"]
    attributes = dict(guard.attributes or {})
    assert attributes | {
        "gate.action": "revert_pull_request", "gate.verdict": "needs_approval",
        "gate.rules": ("revert-needs-approval",),
        "gate.answer.quarantined.instructions": "no",
        "gate.answer.privileged.verdict": "needs_approval",
        "gate.provenance.repo": "service catalog: the service's or an upstream's repo (trusted)",
    } == attributes, "verdict, rules, model answers and provenance are on the event"  # fmt: skip
    assert attributes["gate.origin"].endswith("(untrusted)")
    [answer] = [e for e in observed.agent("approval").events if e.name == "gate.approval"]
    assert answer.attributes is not None
    assert (answer.attributes["gate.approved"], answer.attributes["gate.approver"]) == (
        True,
        "dana",
    )
    posts = [e for e in observed.agent("notify").events if e.name == "gate.decision"]
    assert len(posts) == 2, "the first message's update and the reply in its thread"
    assert all(p.attributes and p.attributes["gate.action"] == "post_message" for p in posts)
    verdicts = {
        (p.attributes["action"], p.attributes["verdict"]): p.value
        for p in observed.points("incident.gate.verdicts")
    }
    assert verdicts == {("revert_pull_request", "needs_approval"): 1,
                        ("post_message", "allowed"): 4}  # fmt: skip


def test_the_trace_id_is_in_the_result_the_slack_footer_and_the_logs(observed: Observed) -> None:
    [workflow] = observed.named("invoke_workflow")
    trace_id = format(workflow.context.trace_id, "032x")
    assert to_json(observed.run, observed.pricing)["trace_id"] == trace_id
    [message, reply] = observed.run.messages  # the first message, updated; the conclusion
    assert reply.thread_ts == message.ts
    footer = f"Incident {observed.run.incident_id} · trace {trace_id}"
    assert message.text.endswith(footer)
    assert message.blocks[-1]["elements"][0]["text"] == footer
    finished = [line for line in observed.log_lines if line["event"] == "node finished"]
    assert [line["node"] for line in finished] == NODES
    assert {line["trace_id"] for line in observed.log_lines} == {trace_id}
    assert all(len(line["span_id"]) == 16 and line["level"] == "info" for line in finished)
    assert any(line["event"] == "gate decision" for line in observed.log_lines)


def test_otlp_json_lines_parse_back_into_export_requests(
    observed: Observed, tmp_path: Path
) -> None:
    sink = OtlpJsonFile(tmp_path / "otel.jsonl")
    sink.span_exporter().export(observed.spans)
    sink.metric_exporter().export(observed.metrics)
    span_line, metric_line = (tmp_path / "otel.jsonl").read_text().splitlines()
    spans = json_format.Parse(span_line, ExportTraceServiceRequest())
    names = {s.name for rs in spans.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert {"invoke_workflow incident", "invoke_agent guardian", "chat large"} <= names
    metrics = json_format.Parse(metric_line, ExportMetricsServiceRequest())
    metric_names = {
        m.name for rm in metrics.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    assert {
        "gen_ai.client.token.usage",
        "incident.node.tokens",
        "incident.node.cost",
    } <= metric_names
    assert len(list(read_requests(tmp_path / "otel.jsonl"))) == 2


def test_file_exporter_from_settings_writes_spans_and_metrics_on_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    telemetry = setup_telemetry(Settings(otel_exporter="file", otel_file=path))
    with telemetry.tracer.start_as_current_span("invoke_workflow incident"):
        telemetry.instruments.incidents.add(1, {"severity": "low"})
    telemetry.shutdown()
    kinds = [type(request).__name__ for request in read_requests(path)]
    assert kinds == ["ExportTraceServiceRequest", "ExportMetricsServiceRequest"]


def test_exporter_none_exports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "never.jsonl"
    telemetry = setup_telemetry(Settings(otel_exporter="none", otel_file=path))
    assert not telemetry.enabled
    with telemetry.tracer.start_as_current_span("invoke_workflow incident") as span:
        assert not span.is_recording()
        assert span.get_span_context().is_valid, "a trace id for the result all the same"
    telemetry.shutdown()
    assert not path.exists()


def test_a_resumed_segment_joins_the_incident_s_trace() -> None:
    """Segments of one incident (a pause for approval, another worker) make one trace: a
    later segment's root span is a child of the first's, and links to it."""
    spans = InMemorySpanExporter()
    telemetry = Telemetry.in_memory(spans, InMemoryMetricReader(), load_pricing(
        ROOT / "observability/pricing.yaml"))  # fmt: skip
    with installed(telemetry):
        with workflow_span("inc-1") as first_trace:
            parent = root_reference()
        with workflow_span("inc-1", parent=parent) as second_trace:
            pass
        with workflow_span("inc-2", parent="not-a-reference") as other_trace:
            pass
    first, second, other = spans.get_finished_spans()
    assert second_trace == first_trace and other_trace != first_trace
    assert second.parent is not None and second.parent.span_id == first.context.span_id
    assert [link.context.span_id for link in second.links] == [first.context.span_id]
    assert second.attributes is not None and second.attributes["incident.resumed"] is True
    assert other.parent is None, "an unreadable reference starts a trace of its own"
