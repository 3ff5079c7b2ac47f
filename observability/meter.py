"""Per-node accounting: wall time, time in LLM calls and in tools, tokens, and the model used.

`@metered("triage")` wraps a node; inside it `record_llm` and `tool_call()` add to the
current node's meter, and the node's result gains one `NodeUsage` in `usage`. Tool time is
wall time with at least one call in flight, so concurrent calls (asyncio.gather) count once.
Each node runs inside its `invoke_agent <node>` span (observability/tracing.py).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ParamSpec

from core.state import IncidentState, NodeUsage
from observability.tracing import agent_span, node_finished

P = ParamSpec("P")


@dataclass
class _Meter:
    node: str
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    llm_s: float = 0.0
    tool_s: float = 0.0
    tools_in_flight: int = 0
    tools_busy_since: float = 0.0


_current: ContextVar[_Meter | None] = ContextVar("incident_graph_meter", default=None)


def current_node() -> str | None:
    meter = _current.get()
    return meter.node if meter is not None else None


def record_llm(model: str, input_tokens: int, output_tokens: int, seconds: float) -> None:
    meter = _current.get()
    if meter is not None:
        meter.model = model
        meter.input_tokens += input_tokens
        meter.output_tokens += output_tokens
        meter.llm_s += seconds


@contextmanager
def tool_call() -> Iterator[None]:
    """Time one tool call; overlapping calls add their union, not their sum."""
    meter = _current.get()
    if meter is None:
        yield
        return
    if meter.tools_in_flight == 0:
        meter.tools_busy_since = time.perf_counter()
    meter.tools_in_flight += 1
    try:
        yield
    finally:
        meter.tools_in_flight -= 1
        if meter.tools_in_flight == 0:
            meter.tool_s += time.perf_counter() - meter.tools_busy_since


def metered(
    node: str,
) -> Callable[[Callable[P, Awaitable[IncidentState]]], Callable[P, Awaitable[IncidentState]]]:
    def wrap(fn: Callable[P, Awaitable[IncidentState]]) -> Callable[P, Awaitable[IncidentState]]:
        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> IncidentState:
            meter, started_at = _Meter(node), datetime.now(UTC)
            with agent_span(node) as span:
                token = _current.set(meter)
                started = time.perf_counter()
                try:
                    update = await fn(*args, **kwargs)
                finally:
                    _current.reset(token)
                usage = NodeUsage(
                    node=node,
                    model=meter.model,
                    input_tokens=meter.input_tokens,
                    output_tokens=meter.output_tokens,
                    llm_s=meter.llm_s,
                    tool_s=meter.tool_s,
                    duration_s=time.perf_counter() - started,
                    started_at=started_at,
                )
                tokens = (usage.input_tokens, usage.output_tokens)
                node_finished(span, node, usage.duration_s, usage.model, tokens)
            return {**update, "usage": [*update.get("usage", []), usage]}

        return run

    return wrap
