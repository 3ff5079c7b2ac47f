"""Notify node: post the incident to the owning team's channel through the Slack MCP tool.

The message is a mutation like any other: it passes the gate (catalog channel, the
policy's rules and rate limits) and is audited.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.execute.logic import TOOLS
from agents.guardian import gatekeeper
from agents.guardian.logic import inventory
from agents.notify import logic
from agents.root_cause.logic import action_id
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import IncidentState, Notification, ProposedAction, Provenance
from observability.tracing import current_trace_id

CATALOG = Provenance(trusted=True, source="service catalog: the alert's service label's team")
TEMPLATE = Provenance(
    trusted=True, source="message template; untrusted text quoted, mentions and links removed"
)


@metered("notify")
async def notify(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    channel = state["triage"].channel
    if channel is None:
        return {"problems": ["no owning channel in the service catalog; nobody was notified"]}
    inv = inventory(state, res.catalog, res.clock(), res.policy.links)
    trace_id = current_trace_id()
    text = logic.text(state, trace_id, allowed_hosts=inv.links)
    action = ProposedAction(
        id=action_id(state["incident_id"], "post_message", {"channel": channel}),
        tool="post_message",
        args={"channel": channel, "text": text},
        reason="notify the owning team",
        origin=TEMPLATE,
        provenance={"channel": CATALOG, "text": TEMPLATE},
    )
    decision = await gatekeeper.gate_for(res, state, inv, []).review(action, inv)
    gatekeeper.record(res, state, [action], [decision])
    if decision.verdict != "allowed":
        note = Notification(channel=channel, text=text, ok=False,
                            error=f"{decision.verdict} by {list(decision.rules)}")  # fmt: skip
        return {"decisions": [decision], "notifications": [note]}
    tool, _ = TOOLS["post_message"]
    try:
        result = await res.call_tool(
            tool, {**action.args, "blocks": logic.blocks(state, trace_id, allowed_hosts=inv.links)}
        )
        ok, error = result.status == "success", None if result.status == "success" else result.text
        ts = (result.data or {}).get("ts") if ok else None
    except Exception as exc:  # the Slack server died: recorded, the run still completes
        ok, error, ts = False, f"{tool} unavailable: {type(exc).__name__}: {exc}", None
    note = Notification(channel=channel, text=text, ok=ok, ts=ts, error=error)
    return {"decisions": [decision], "notifications": [note]}
