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


Answer = tuple[bool, str, str | None]  # approved, who, the role that allowed it


def automatic(context: Context) -> Answer | None:
    """An approval decided by the run's mode, or None when a human must be asked."""
    if context.approvals == "approve":
        return True, context.approver or "graph run --approvals approve", None
    if context.approvals == "deny":
        return False, context.approver or "graph run --approvals deny", None
    return None


def request(action: ProposedAction, d: GateDecision, state: IncidentState) -> dict[str, Any]:
    """What a human sees when asked (the interrupt's value): the action, its evidence,
    the rules that fired and the models' answers."""
    cause, tri = state.get("root_cause"), state.get("triage")
    evidence = [f"{e.title} ({e.source})" for e in state.get("evidence", []) if e.ok][:6]
    return {
        "action_id": action.id,
        "tool": action.tool,
        "args": dict(action.args),
        "environment": tri.environment if tri else None,  # whose roles may answer
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


def answer(value: object) -> Answer:
    """A human's answer; anything malformed is a denial (fail closed)."""
    if isinstance(value, Mapping) and isinstance(value.get("approved"), bool):
        approver, role = value.get("approver"), value.get("role")
        who = str(approver) if approver else "unknown approver"
        return bool(value["approved"]), who, str(role) if role else None
    return False, "invalid approval answer (denied)", None


def approval(action_id: str, given: Answer, at: datetime) -> Approval:
    approved, approver, role = given
    return Approval(action_id=action_id, approved=approved, approver=approver, at=at, role=role)
