"""Wiring only: ingest → triage → (low: notify) → announce → root_cause → guardian →
(update → approval) → (execute) → notify.

Each node is `node(state, deps, runtime)`; `build_graph(provide)` binds them to a provider
that finds the run's dependencies (`core.ports.Deps`) from its context: a fixed bundle for
`graph run` and `graph serve` (`engine.deps`), a scenario's world in LangGraph Studio
(`replay.studio`). There is no global registry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.approval.node import approval
from agents.execute.node import execute
from agents.guardian.node import guardian
from agents.ingest.node import ingest
from agents.notify.node import announce, notify, update
from agents.root_cause.node import root_cause
from agents.triage.node import triage
from core.context import Context
from core.ports import Deps, Provide
from core.state import IncidentInput, IncidentState
from graphs.routing import after_approval, after_guardian, after_triage

Graph = CompiledStateGraph[IncidentState, Context, IncidentInput, IncidentState]
Node = Callable[[IncidentState, Deps, Runtime[Context]], Awaitable[IncidentState]]
Bound = Callable[..., Awaitable[IncidentState]]

NODES: dict[str, Node] = {
    "ingest": ingest,
    "triage": triage,
    "announce": announce,
    "root_cause": root_cause,
    "guardian": guardian,
    "update": update,
    "approval": approval,
    "execute": execute,
    "notify": notify,
}


def build_graph(provide: Provide, checkpointer: BaseCheckpointSaver[str] | None = None) -> Graph:
    builder = StateGraph(IncidentState, context_schema=Context, input_schema=IncidentInput)
    for name, node in NODES.items():
        builder.add_node(name, bind(node, provide))
    builder.add_edge(START, "ingest")
    builder.add_edge("ingest", "triage")
    builder.add_conditional_edges(
        "triage", after_triage, {"root_cause": "announce", "notify": "notify"}
    )
    builder.add_edge("announce", "root_cause")
    builder.add_edge("root_cause", "guardian")
    builder.add_conditional_edges(  # the first message shows the cause before a human is asked
        "guardian", after_guardian, {"approval": "update", "execute": "execute", "notify": "notify"}
    )
    builder.add_edge("update", "approval")
    builder.add_conditional_edges("approval", after_approval, ["execute", "notify"])
    builder.add_edge("execute", "notify")
    builder.add_edge("notify", END)
    return builder.compile(checkpointer=checkpointer, name="incident")


def fixed(deps: Deps) -> Provide:
    """A provider that gives every run the same dependencies."""

    async def provide(_context: Context) -> Deps:
        return deps

    return provide


def bind(node: Node, provide: Provide) -> Bound:
    async def run(state: IncidentState, *, runtime: Runtime[Context]) -> IncidentState:
        return await node(state, await provide(runtime.context), runtime)

    run.__name__ = run.__qualname__ = getattr(node, "__name__", "node")
    return run


def reader(checkpointer: BaseCheckpointSaver[str]) -> Graph:
    """The graph for reading incidents' checkpointed state only: its nodes never run."""

    async def no_deps(_context: Context) -> Deps:
        raise RuntimeError("this graph only reads checkpoints; it runs no node")

    return build_graph(no_deps, checkpointer)
