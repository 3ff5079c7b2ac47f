"""Notify nodes: the owning team's channel hears of the incident right after triage, and
the same message is updated in place as the root cause, the decisions and the actions
arrive, with the conclusion as a reply in its thread (docs/architecture.md, "Messages").

- `announce` (after triage): the first message (severity, service, the alert,
  "investigating").
- `update` (after the guardian, before a human is asked): the first message, in place,
  with the root cause and the decisions so far.
- `notify` (last): the first message, in place, with everything, and a reply in its thread
  (an update in place notifies nobody); without a first message, one new message.

Every message is a mutation like any other: it passes the gate (catalog channel, the
policy's rules and rate limits) and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from langgraph.runtime import Runtime

from agents.notify import logic
from core.actions import TOOLS, action_id
from core.context import Context
from core.ports import Deps
from core.state import GateDecision, IncidentState, Notification, ProposedAction, Provenance
from core.tools import PostedMessage, ToolReplyError
from observability.meter import metered
from observability.tracing import current_trace_id

CATALOG = Provenance(trusted=True, source="service catalog: the alert's service label's team")
TEMPLATE = Provenance(
    trusted=True, source="message template; untrusted text quoted, mentions and links removed"
)
SLACK_TS = Provenance(trusted=True, source="Slack's own id of the message posted earlier")
Stage = Literal["first", "update", "final", "reply"]


@metered("announce")
async def announce(state: IncidentState, deps: Deps, runtime: Runtime[Context]) -> IncidentState:
    channel = state["triage"].channel
    if channel is None or not _first_message_here(runtime):  # notify says so at the end
        return {}
    return await _send(state, deps, channel, "first")


@metered("update")
async def update(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    channel = state["triage"].channel
    first = logic.first_message(state, channel) if channel else None
    if channel is None or first is None:
        return {}
    return await _send(state, deps, channel, "update", first)


@metered("notify")
async def notify(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    channel = state["triage"].channel
    if channel is None:
        return {"problems": ["no owning channel in the service catalog; nobody was notified"]}
    first = logic.first_message(state, channel)
    if first is None:
        return await _send(state, deps, channel, "final")
    updated = await _send(state, deps, channel, "update", first)
    replied = await _send(state, deps, channel, "reply", first)
    return {
        "decisions": [*updated.get("decisions", []), *replied.get("decisions", [])],
        "notifications": [*updated.get("notifications", []), *replied.get("notifications", [])],
    }


def _first_message_here(runtime: Runtime[Context] | None) -> bool:
    context = getattr(runtime, "context", None)
    return context is None or context.first_message


async def _send(
    state: IncidentState,
    deps: Deps,
    channel: str,
    stage: Stage,
    first: Notification | None = None,
) -> IncidentState:
    """One message of `stage` through the gate, then to Slack; an update replaces `first`,
    a reply answers in its thread."""
    links = deps.guard.links(state)
    trace_id = current_trace_id()
    write = logic.reply if stage == "reply" else logic.text
    text = write(state, trace_id, allowed_hosts=links)
    args: dict[str, str | int | float | bool | None] = {"channel": channel, "text": text}
    provenance = {"channel": CATALOG, "text": TEMPLATE}
    if stage in ("update", "reply") and first is not None and first.ts:
        args["update_ts" if stage == "update" else "thread_ts"] = first.ts
        provenance["update_ts" if stage == "update" else "thread_ts"] = SLACK_TS
    key: dict[str, str | int] = {"channel": channel}
    if stage != "final":
        key["stage"] = stage
    if stage == "update":  # each update of the same message is its own decision
        key["after"] = len(state.get("notifications", []))
    action = ProposedAction(
        id=action_id(state["incident_id"], "post_message", key),
        tool="post_message",
        args=args,
        reason=_REASONS[stage],
        origin=TEMPLATE,
        provenance=provenance,
    )
    decision: GateDecision = (await deps.guard.review(state, [action])).decisions[0]
    if decision.verdict != "allowed":
        note = Notification(channel=channel, text=text, ok=False,
                            error=f"{decision.verdict} by {list(decision.rules)}")  # fmt: skip
        return {"decisions": [decision], "notifications": [note]}
    blocks = logic.blocks(state, trace_id, allowed_hosts=links)
    note = await _post(deps, args, blocks)
    return {"decisions": [decision], "notifications": [note]}


_REASONS: dict[Stage, str] = {
    "first": "tell the owning team right after triage, before the investigation",
    "update": "show the root cause, decisions and actions in the first message",
    "final": "notify the owning team",
    "reply": "the conclusion as a reply in the first message's thread",
}


async def _post(
    deps: Deps, args: dict[str, str | int | float | bool | None], blocks: Sequence[object]
) -> Notification:
    channel, text = str(args["channel"]), str(args["text"])
    replaces = str(args["update_ts"]) if args.get("update_ts") else None
    thread = str(args["thread_ts"]) if args.get("thread_ts") else None
    if replaces is not None:
        tool = "slack.update_message"
        call: dict[str, object] = {"channel": channel, "ts": replaces, "text": text,
                                   "blocks": blocks}  # fmt: skip
    else:
        tool, to_args = TOOLS["post_message"]
        call = to_args(args) | ({} if thread else {"blocks": blocks})
    failed = Notification(channel=channel, text=text, ok=False, thread_ts=thread,
                          replaces=replaces)  # fmt: skip
    try:
        result = await deps.tools.call(tool, call)
    except Exception as exc:  # the Slack server died: recorded, the run still completes
        error = f"{tool} unavailable: {type(exc).__name__}: {exc}"
        return failed.model_copy(update={"error": error})
    try:
        posted = result.parse(PostedMessage)
    except ToolReplyError as exc:
        return failed.model_copy(update={"error": str(exc)})
    return failed.model_copy(update={"ok": True, "ts": posted.ts, "posted_at": datetime.now(UTC)})
