"""Which proposed actions may run now, and the outcome of one no tool carries out."""

from __future__ import annotations

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
