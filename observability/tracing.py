"""The incident's trace, in the OpenTelemetry GenAI conventions, and the metrics beside it.

    invoke_workflow incident          one per incident (replay/run.py, service/runner.py)
      invoke_agent <node>             one per node (graphs/meter.py's @metered)
        chat <model>                  one per LLM call (Resources.ask)
        execute_tool <tool>           one per MCP tool call (Resources.call_tool)

Gate decisions are `gate.decision` events on the deciding node's span. Everything goes through
`observability.telemetry.telemetry()`, so nothing is recorded or exported until one is installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from langgraph.errors import GraphBubbleUp
from opentelemetry import trace
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    StatusCode,
    TraceFlags,
)

from observability.logs import log
from observability.telemetry import telemetry

OPERATION = "gen_ai.operation.name"


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), or None outside any span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


@contextmanager
def workflow_span(
    incident_id: str, scenario: str | None = None, parent: str | None = None
) -> Iterator[str]:
    """Open the workflow span; yields its trace id (32 hex digits). `parent` ("<trace
    id>-<span id>", `root_reference()` of an earlier segment, perhaps on another worker)
    makes this segment a child of that span: one trace per incident."""
    attributes: dict[str, str | bool] = {OPERATION: "invoke_workflow", "incident.id": incident_id}
    if scenario:
        attributes["incident.scenario"] = scenario
    context, links = None, []
    earlier = _span_context(parent) if parent else None
    if earlier is not None:
        context = trace.set_span_in_context(NonRecordingSpan(earlier))
        links = [Link(earlier, {"incident.segment": "resumed"})]
        attributes["incident.resumed"] = True
    with telemetry().tracer.start_as_current_span(
        "invoke_workflow incident", context=context, kind=SpanKind.INTERNAL,
        attributes=attributes, links=links,
    ) as span:  # fmt: skip
        yield format(span.get_span_context().trace_id, "032x")


def root_reference() -> str:
    """The current span as "<trace id>-<span id>", for a later segment's `parent`."""
    ctx = trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}-{ctx.span_id:016x}"


def _span_context(reference: str) -> SpanContext | None:
    trace_hex, _, span_hex = reference.partition("-")
    try:
        trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED))  # fmt: skip


@contextmanager
def agent_span(node: str) -> Iterator[Span]:
    """A node's span; an interrupt (waiting for approval) is not an error."""
    attributes = {OPERATION: "invoke_agent", "gen_ai.agent.name": node}
    with telemetry().tracer.start_as_current_span(
        f"invoke_agent {node}", attributes=attributes,
        record_exception=False, set_status_on_exception=False,
    ) as span:  # fmt: skip
        try:
            yield span
        except GraphBubbleUp:
            span.set_attribute("incident.interrupted", True)
            raise
        except Exception as exc:
            _failed(span, exc)
            raise


def node_finished(
    span: Span, node: str, duration_s: float, model: str | None, tokens: tuple[int, int]
) -> None:
    span.set_attribute("incident.node.duration_s", duration_s)
    log().info("node finished", node=node, duration_s=round(duration_s, 3), model=model,
               input_tokens=tokens[0], output_tokens=tokens[1])  # fmt: skip


@dataclass
class ChatCall:
    """One `chat <model>` span; `usage()` records the tokens and time the call spent."""

    span: Span
    attributes: dict[str, str]
    node: str | None
    duration_s: float | None = None
    error_type: str | None = field(default=None)

    def usage(self, input_tokens: int, output_tokens: int, duration_s: float) -> None:
        self.duration_s = duration_s
        self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
        t = telemetry()
        if not t.enabled:
            return
        model = self.attributes["gen_ai.request.model"]
        for kind, count in (("input", input_tokens), ("output", output_tokens)):
            t.instruments.token_usage.record(count, {**self.attributes, "gen_ai.token.type": kind})
            labels = {"node": self.node or "", "model": model, "type": kind}
            t.instruments.node_tokens.add(count, labels)
        if t.pricing is not None:
            cost = t.pricing.cost(model, input_tokens, output_tokens)
            t.instruments.node_cost.add(cost, {"node": self.node or "", "model": model})


@contextmanager
def chat_span(provider: str, model: str, max_tokens: int, node: str | None) -> Iterator[ChatCall]:
    attributes = {
        OPERATION: "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
    }  # fmt: skip
    t = telemetry()
    started = time.perf_counter()
    with t.tracer.start_as_current_span(
        f"chat {model}", kind=SpanKind.CLIENT,
        attributes={**attributes, "gen_ai.request.max_tokens": max_tokens},
        record_exception=False, set_status_on_exception=False,
    ) as span:  # fmt: skip
        call = ChatCall(span, attributes, node)
        try:
            yield call
        except Exception as exc:
            call.error_type = _failed(span, exc)
            raise
        finally:
            if t.enabled:
                seconds = call.duration_s or time.perf_counter() - started
                error = {"error.type": call.error_type} if call.error_type else {}
                t.instruments.operation_duration.record(seconds, {**attributes, **error})


@contextmanager
def tool_span(qualified: str) -> Iterator[Span]:
    """An MCP tool call's span, opened in the caller (the call itself runs on another loop)."""
    server, _, tool = qualified.partition(".")
    attributes = {
        OPERATION: "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.type": "extension",
        "mcp.server.name": server, "mcp.method.name": "tools/call",
    }  # fmt: skip
    with telemetry().tracer.start_as_current_span(
        f"execute_tool {tool}", kind=SpanKind.CLIENT, attributes=attributes,
        record_exception=False, set_status_on_exception=False,
    ) as span:  # fmt: skip
        try:
            yield span
        except Exception as exc:
            _failed(span, exc)
            log().info("tool unavailable", tool=qualified, error=f"{type(exc).__name__}: {exc}")
            raise


def tool_failed(span: Span, qualified: str, message: str) -> None:
    """The tool answered with an error result (no exception): the span is an error."""
    span.set_attribute("error.type", "tool_error")
    span.set_status(StatusCode.ERROR, message[:200])
    log().info("tool error", tool=qualified, error=message[:500])


def gate_decision(
    action: str,
    verdict: str,
    rules: Sequence[str],
    approved: bool | None = None,
    approver: str | None = None,
    details: Mapping[str, str | Sequence[str]] | None = None,
) -> None:
    """The gate's verdict on one action (or a human's answer to it): an event on the current
    span, a counter, a log line. `details` carries provenance, checks and model answers."""
    attributes: dict[str, str | bool | Sequence[str]] = {
        "gate.action": action, "gate.verdict": verdict, "gate.rules": list(rules),
    }  # fmt: skip
    if approved is not None:
        attributes["gate.approved"] = approved
    if approver:
        attributes["gate.approver"] = approver
    attributes.update(details or {})
    trace.get_current_span().add_event("gate.decision", attributes)
    t = telemetry()
    if t.enabled:
        t.instruments.gate_verdicts.add(1, {"action": action, "verdict": verdict})
    log().info("gate decision", action=action, verdict=verdict, rules=list(rules),
               approved=approved, approver=approver)  # fmt: skip


def gate_approval(action: str, action_id: str, approved: bool, approver: str) -> None:
    """A human's (or the run mode's) answer to a `needs_approval` verdict: an event and a log."""
    attributes: dict[str, str | bool] = {"gate.action": action, "gate.action_id": action_id,
                  "gate.approved": approved, "gate.approver": approver}  # fmt: skip
    trace.get_current_span().add_event("gate.approval", attributes)
    log().info("gate approval", action=action, action_id=action_id, approved=approved,
               approver=approver)  # fmt: skip


def incident_triaged(severity: str) -> None:
    trace.get_current_span().set_attribute("incident.severity", severity)
    t = telemetry()
    if t.enabled:
        t.instruments.incidents.add(1, {"severity": severity})


def _failed(span: Span, exc: Exception) -> str:
    error = type(exc).__qualname__
    span.record_exception(exc)
    span.set_attribute("error.type", error)
    span.set_status(StatusCode.ERROR, f"{error}: {exc}"[:200])
    return error
