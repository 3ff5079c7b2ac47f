"""Pure approval logic: what a human is shown, how an answer is read, automatic modes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.context import Context
from core.state import Approval, GateDecision, IncidentState, ProposedAction


def pending(state: IncidentState) -> list[tuple[ProposedAction, GateDecision]]:
    """`needs_approval` actions nobody has answered yet, in proposal order."""
    answered = {a.action_id for a in state.get("approvals", [])}
    decided = {d.action_id: d for d in state.get("decisions", [])}
    return [
        (a, decided[a.id])
        for a in state.get("actions", [])
        if a.id in decided and decided[a.id].verdict == "needs_approval" and a.id not in answered
    ]


def automatic(context: Context) -> tuple[bool, str] | None:
    """An approval decided by the run's mode, or None when a human must be asked."""
    if context.approvals == "approve":
        return True, context.approver or "graph run --approvals approve"
    if context.approvals == "deny":
        return False, context.approver or "graph run --approvals deny"
    return None


def request(action: ProposedAction, d: GateDecision, state: IncidentState) -> dict[str, Any]:
    """What a human sees when asked (the interrupt's value): the action, its evidence,
    the rules that fired and the models' answers."""
    cause = state.get("root_cause")
    evidence = [f"{e.title} ({e.source})" for e in state.get("evidence", []) if e.ok][:6]
    return {
        "action_id": action.id,
        "tool": action.tool,
        "args": dict(action.args),
        "reason": action.reason,
        "origin": f"{action.origin.source} ({'trusted' if action.origin.trusted else 'untrusted'})",
        "rules": list(d.rules),
        "checks": list(d.checks),
        "answers": dict(d.answers),
        "root_cause": cause.summary if cause else "",
        "evidence": evidence,
        "question": f"Approve {action.tool} {dict(action.args)}? Answer "
        '{"approved": true|false, "approver": "name"}',
    }


def answer(value: object) -> tuple[bool, str]:
    """A human's answer; anything malformed is a denial (fail closed)."""
    if isinstance(value, Mapping) and isinstance(value.get("approved"), bool):
        approver = value.get("approver")
        return bool(value["approved"]), str(approver) if approver else "unknown approver"
    return False, "invalid approval answer (denied)"


def approval(action_id: str, approved: bool, approver: str, at: datetime) -> Approval:
    return Approval(action_id=action_id, approved=approved, approver=approver, at=at)
