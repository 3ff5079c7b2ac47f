"""Pure guardian logic: the trusted facts an action is checked against, and approvals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphs.context import Context
from graphs.state import IncidentState, ProposedAction
from policies.engine import Facts
from world.scenario import Service


def facts(state: IncidentState, catalog: Mapping[str, Service]) -> Facts:
    cause = state.get("root_cause")
    candidates = cause.candidates if cause else ()
    triage = state.get("triage")
    return Facts(
        catalog_channels=frozenset(s.channel for s in catalog.values()),
        owning_channel=triage.channel if triage else None,
        incident_prs=frozenset((c.repo, c.number) for c in candidates if c.number is not None),
    )


def automatic(context: Context) -> tuple[bool, str] | None:
    """An approval decided by the run's mode, or None when a human must be asked."""
    if context.approvals == "approve":
        return True, context.approver or "graph run --approvals approve"
    if context.approvals == "deny":
        return False, context.approver or "graph run --approvals deny"
    return None


def request(action: ProposedAction, rules: tuple[str, ...], state: IncidentState) -> dict[str, Any]:
    """What a human sees when asked (the interrupt's value)."""
    cause = state.get("root_cause")
    return {
        "action_id": action.id,
        "tool": action.tool,
        "args": dict(action.args),
        "reason": action.reason,
        "rules": list(rules),
        "root_cause": cause.summary if cause else "",
        "question": f"Approve {action.tool} {dict(action.args)}? Answer "
        '{"approved": true|false, "approver": "name"}',
    }


def answer(value: object) -> tuple[bool, str]:
    """A human's answer; anything malformed is a denial (fail closed)."""
    if isinstance(value, Mapping) and isinstance(value.get("approved"), bool):
        approver = value.get("approver")
        return bool(value["approved"]), str(approver) if approver else "unknown approver"
    return False, "invalid approval answer (denied)"
