"""Which MCP tool carries out each typed action, and with which arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphs.state import ActionOutcome, GateDecision, IncidentState, ProposedAction

Args = Mapping[str, Any]

TOOLS: dict[str, tuple[str, Callable[[Args], dict[str, Any]]]] = {
    "revert_pull_request": (
        "github.revert_pull_request",
        lambda a: {"repo": a["repo"], "number": a["pr"]},
    ),
    "create_issue": (
        "github.create_issue",
        lambda a: {"repo": a["repo"], "title": a["title"], "body": a.get("body", "")},
    ),
    "comment_on_pull_request": (
        "github.comment_on_pull_request",
        lambda a: {"repo": a["repo"], "number": a["pr"], "body": a["body"]},
    ),
    "post_message": (
        "slack.post_message",
        lambda a: {"channel": a["channel"], "text": a["text"]},
    ),
}


def runnable(state: IncidentState) -> list[tuple[ProposedAction, GateDecision]]:
    """Allowed or approved actions that have not run yet (idempotent across resumes)."""
    done = {o.action_id for o in state.get("outcomes", []) if o.executed}
    approved = {a.action_id for a in state.get("approvals", []) if a.approved}
    by_id = {a.id: a for a in state.get("actions", [])}
    return [
        (by_id[d.action_id], d)
        for d in state.get("decisions", [])
        if d.action_id in by_id
        and d.action_id not in done
        and (d.verdict == "allowed" or (d.verdict == "needs_approval" and d.action_id in approved))
    ]


def unsupported(action: ProposedAction) -> ActionOutcome:
    return ActionOutcome(
        action_id=action.id,
        tool=action.tool,
        executed=False,
        status="skipped",
        detail=f"no MCP tool carries out {action.tool}",
    )
