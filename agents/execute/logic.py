"""Which proposed actions may run now, and the outcome of one no tool carries out."""

from __future__ import annotations

from datetime import UTC, datetime

from core.state import ActionOutcome, GateDecision, IncidentState, ProposedAction


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


def not_again(action: ProposedAction, started_at: float) -> str:
    """Why an action whose tool an earlier attempt already started is not called again."""
    when = datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"{action.tool} was started at {when} by an earlier attempt of this incident (the "
        "run stopped before its outcome was saved); it is not called twice: check its effect"
    )
