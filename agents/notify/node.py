"""Notify node: post the incident to the owning team's channel through the Slack MCP tool."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.execute.logic import TOOLS
from agents.guardian.logic import facts
from agents.notify import logic
from agents.root_cause.logic import action_id
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import GateDecision, IncidentState, Notification, ProposedAction
from observability.tracing import current_trace_id, gate_decision


@metered("notify")
async def notify(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    channel = state["triage"].channel
    if channel is None:
        return {"problems": ["no owning channel in the service catalog; nobody was notified"]}
    trace_id = current_trace_id()
    text = logic.text(state, trace_id)
    args = {"channel": channel, "text": text}
    action = ProposedAction(
        id=action_id(state["incident_id"], "post_message", {"channel": channel}),
        tool="post_message",
        args=args,
        reason="notify the owning team",
    )
    verdict, rules = res.policy.decide(action, facts(state, res.catalog))
    decision = GateDecision(action_id=action.id, tool=action.tool, verdict=verdict, rules=rules)
    gate_decision(action.tool, verdict, rules)
    if verdict != "allowed":
        note = Notification(channel=channel, text=text, ok=False, error=f"{verdict} by {rules}")
        return {"decisions": [decision], "notifications": [note]}
    tool, _ = TOOLS["post_message"]
    try:
        result = await res.call_tool(tool, {**args, "blocks": logic.blocks(state, trace_id)})
        ok, error = result.status == "success", None if result.status == "success" else result.text
        ts = (result.data or {}).get("ts") if ok else None
    except Exception as exc:  # the Slack server died: recorded, the run still completes
        ok, error, ts = False, f"{tool} unavailable: {type(exc).__name__}: {exc}", None
    note = Notification(channel=channel, text=text, ok=ok, ts=ts, error=error)
    return {"decisions": [decision], "notifications": [note]}
