"""Notify node: post the incident to the owning team's channel through the Slack MCP tool.

The message is a mutation like any other: it passes the gate (catalog channel, the
policy's rules and rate limits) and is audited.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.notify import logic
from core.actions import TOOLS, action_id
from core.context import Context
from core.ports import Deps
from core.state import IncidentState, Notification, ProposedAction, Provenance
from core.tools import PostedMessage, ToolReplyError
from observability.meter import metered
from observability.tracing import current_trace_id

CATALOG = Provenance(trusted=True, source="service catalog: the alert's service label's team")
TEMPLATE = Provenance(
    trusted=True, source="message template; untrusted text quoted, mentions and links removed"
)


@metered("notify")
async def notify(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    channel = state["triage"].channel
    if channel is None:
        return {"problems": ["no owning channel in the service catalog; nobody was notified"]}
    links = deps.guard.links(state)
    trace_id = current_trace_id()
    text = logic.text(state, trace_id, allowed_hosts=links)
    action = ProposedAction(
        id=action_id(state["incident_id"], "post_message", {"channel": channel}),
        tool="post_message",
        args={"channel": channel, "text": text},
        reason="notify the owning team",
        origin=TEMPLATE,
        provenance={"channel": CATALOG, "text": TEMPLATE},
    )
    decision = (await deps.guard.review(state, [action])).decisions[0]
    if decision.verdict != "allowed":
        note = Notification(channel=channel, text=text, ok=False,
                            error=f"{decision.verdict} by {list(decision.rules)}")  # fmt: skip
        return {"decisions": [decision], "notifications": [note]}
    blocks = logic.blocks(state, trace_id, allowed_hosts=links)
    note = await _post(deps, channel, text, {**action.args, "blocks": blocks})
    return {"decisions": [decision], "notifications": [note]}


async def _post(deps: Deps, channel: str, text: str, args: dict[str, object]) -> Notification:
    tool, _ = TOOLS["post_message"]
    try:
        result = await deps.tools.call(tool, args)
    except Exception as exc:  # the Slack server died: recorded, the run still completes
        error = f"{tool} unavailable: {type(exc).__name__}: {exc}"
        return Notification(channel=channel, text=text, ok=False, error=error)
    try:
        posted = result.parse(PostedMessage)
    except ToolReplyError as exc:
        return Notification(channel=channel, text=text, ok=False, error=str(exc))
    return Notification(channel=channel, text=text, ok=True, ts=posted.ts)
