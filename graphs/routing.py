"""Pure routing between nodes: which node comes next (each returns a `Literal`)."""

from __future__ import annotations

from typing import Literal

from core.state import GateDecision, IncidentState


def after_triage(state: IncidentState) -> Literal["root_cause", "notify"]:
    return "notify" if state["triage"].severity == "low" else "root_cause"


def after_guardian(state: IncidentState) -> Literal["approval", "execute", "notify"]:
    verdicts = {d.verdict for d in _on_actions(state)}
    if "needs_approval" in verdicts:
        return "approval"
    return "execute" if "allowed" in verdicts else "notify"


def after_approval(state: IncidentState) -> Literal["execute", "notify"]:
    approved = any(a.approved for a in state.get("approvals", []))
    allowed = any(d.verdict == "allowed" for d in _on_actions(state))
    return "execute" if approved or allowed else "notify"


def _on_actions(state: IncidentState) -> list[GateDecision]:
    """The decisions on the proposed actions (not on the messages notify sent)."""
    ids = {a.id for a in state.get("actions", [])}
    return [d for d in state.get("decisions", []) if d.action_id in ids]
