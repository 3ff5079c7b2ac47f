"""Wiring only: ingest → triage → (low: notify) → root_cause → guardian → (approval) →
(execute) → notify."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.approval.node import approval
from agents.execute.node import execute
from agents.guardian.node import guardian
from agents.ingest.node import ingest
from agents.notify.node import notify
from agents.root_cause.node import root_cause
from agents.triage.node import triage
from graphs.context import Context
from graphs.routing import after_approval, after_guardian, after_triage
from graphs.state import IncidentInput, IncidentState

Graph = CompiledStateGraph[IncidentState, Context, IncidentInput, IncidentState]


def build_graph(checkpointer: BaseCheckpointSaver[str] | None = None) -> Graph:
    builder = StateGraph(IncidentState, context_schema=Context, input_schema=IncidentInput)
    builder.add_node("ingest", ingest)
    builder.add_node("triage", triage)
    builder.add_node("root_cause", root_cause)
    builder.add_node("guardian", guardian)
    builder.add_node("approval", approval)
    builder.add_node("execute", execute)
    builder.add_node("notify", notify)
    builder.add_edge(START, "ingest")
    builder.add_edge("ingest", "triage")
    builder.add_conditional_edges("triage", after_triage, ["root_cause", "notify"])
    builder.add_edge("root_cause", "guardian")
    builder.add_conditional_edges("guardian", after_guardian, ["approval", "execute", "notify"])
    builder.add_conditional_edges("approval", after_approval, ["execute", "notify"])
    builder.add_edge("execute", "notify")
    builder.add_edge("notify", END)
    return builder.compile(checkpointer=checkpointer, name="incident")


graph = build_graph()
"""The module-level graph for `langgraph.json` (LangGraph Studio supplies its own checkpointer)."""
