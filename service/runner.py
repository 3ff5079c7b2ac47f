"""One run segment of one incident: the same graph, dependencies and driver as a replay.

A segment starts the MCP servers for this incident alone (one browser session per run),
builds the run's dependencies (`engine.deps`), and drives the graph on the incident's
checkpoint thread:
from the alert when there is no checkpoint, from the last checkpoint after a crash, or
with the recorded answers when it stopped at approvals. It ends when the graph ends or
stops at an approval nobody has answered yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, StateSnapshot

from agents.ingest.mapping import route_alert
from core.catalog import Service
from core.context import Context
from core.state import AlertMapping, IncidentState
from engine.deps import RunDeps, build_deps
from engine.drive import drive
from engine.options import RunOptions
from graphs.checkpoints import postgres_checkpointer, sqlite_checkpointer
from graphs.graph import build_graph, fixed
from mcphost.threaded import ThreadedToolHost
from observability.tracing import root_reference, workflow_span
from runtime.settings import Settings
from runtime.toolset import open_tools
from service.jobs import Claim, Pending
from service.summary import merge

Observe = Callable[[str, Any, dict[str, Any]], None]  # node, its update, the state after it


@dataclass(frozen=True)
class Runtime:
    """What every incident run of one service shares."""

    settings: Settings
    options: RunOptions  # model names, injected chat models (tests)
    catalog: Mapping[str, Service]
    clock: Callable[[], datetime]
    tool_env: Mapping[str, str]  # the world's URLs and tokens with --world, else {}
    database_url: str | None = None
    mappings: Mapping[str, AlertMapping] = field(default_factory=dict)  # generic routes

    def checkpointer(self) -> AbstractAsyncContextManager[BaseCheckpointSaver[str]]:
        if self.database_url:
            return postgres_checkpointer(self.database_url)
        return sqlite_checkpointer(self.settings.checkpoint_db)


@dataclass(frozen=True)
class Segment:
    status: Literal["completed", "awaiting_approval"]
    state: IncidentState
    pending: list[Pending]
    applied: list[str]  # interrupt ids answered in this segment
    trace_id: str | None
    trace_parent: str | None = None  # the incident's first root span ("<trace>-<span>")


async def run_segment(rt: Runtime, claim: Claim, observe: Observe) -> Segment:
    async with _tools(rt) as tools:
        deps = build_deps(rt.settings, tools, rt.catalog, rt.clock, rt.options)
        return await _drive(rt, claim, deps, observe)


@asynccontextmanager
async def _tools(rt: Runtime) -> AsyncIterator[ThreadedToolHost]:
    host = ThreadedToolHost(lambda: open_tools(rt.settings, rt.tool_env))
    await asyncio.to_thread(host.start)  # starting servers blocks: not on the event loop
    try:
        yield host
    finally:
        await asyncio.to_thread(host.stop)


async def _drive(rt: Runtime, claim: Claim, deps: RunDeps, observe: Observe) -> Segment:
    context = Context(
        approvals="ask",
        model_small=rt.options.model_small,
        model_large=rt.options.model_large,
        first_message=False,  # the outbox posts the thread's root at the triage event
    )
    config: Any = {"configurable": {"thread_id": claim.incident_id}}
    trace_id, trace_parent = None, claim.trace_parent
    async with rt.checkpointer() as saver:
        graph = build_graph(fixed(deps), saver)
        before = await graph.aget_state(config)
        command, applied = start_command(claim, before, rt.mappings)
        merged = dict(before.values)

        def seen(node: str, update: Any) -> None:
            nonlocal merged
            merged = merge(merged, update)
            observe(node, update, merged)

        options = replace(rt.options, ask=None, observe=seen)
        if command is not _NOTHING:
            with workflow_span(claim.incident_id, parent=claim.trace_parent) as trace_id:
                trace_parent = claim.trace_parent or root_reference()
                await drive(graph, command, config, context, options)
        after = await graph.aget_state(config)
    pending = [_pending(i.id, i.value) for i in after.interrupts]
    status: Literal["completed", "awaiting_approval"] = (
        "awaiting_approval" if pending else "completed"
    )
    state = cast(IncidentState, after.values)
    return Segment(status, state, pending, applied, trace_id, trace_parent)


_NOTHING: Any = object()


def start_command(
    claim: Claim, snapshot: StateSnapshot, mappings: Mapping[str, AlertMapping] | None = None
) -> tuple[Any, list[str]]:
    """What to send the graph: the alert, None (go on from the last checkpoint), the
    recorded answers, or `_NOTHING` (finished, or still waiting for an answer). The claim's
    source is the webhook route that received it (`generic/<mapping>` reads its mapping)."""
    if not snapshot.values:
        raw = route_alert(claim.source, claim.body, mappings or {})
        return {"incident_id": claim.incident_id, "raw_alert": raw}, []
    if snapshot.interrupts:
        answers = {
            i.id: claim.decisions[i.id] for i in snapshot.interrupts if i.id in claim.decisions
        }
        if not answers:
            return _NOTHING, []
        return Command(resume=answers), list(answers)
    if snapshot.next:
        return None, []  # the service stopped mid-run: continue after the last checkpoint
    return _NOTHING, []


def _pending(interrupt_id: str, value: Any) -> Pending:
    request = dict(value) if isinstance(value, Mapping) else {"question": str(value)}
    return Pending(interrupt_id, str(request.get("action_id") or interrupt_id), request)
