"""Pure routing: which model each node uses (and why), and which node comes next.

Triage and quarantined reads use the small model; root cause and privileged review use
the large one; a low-severity incident never reaches the large model; an unsure or
invalid small-model answer escalates to the large one.
"""

from __future__ import annotations

from typing import Literal

from graphs.state import IncidentState, ModelAdvice, ModelChoice, Role, Triage

UNSURE_BELOW = 0.5


def choose(node: str, role: Role, names: dict[Role, str], reason: str) -> ModelChoice:
    return ModelChoice(node=node, role=role, model=names[role], reason=reason)


def triage_first(names: dict[Role, str]) -> ModelChoice:
    return choose("triage", "small", names, "triage reads the alert: the small model")


def triage_escalation(
    decided: Triage, advice: ModelAdvice, names: dict[Role, str]
) -> ModelChoice | None:
    if decided.severity == "low":
        return None  # low severity never calls the large model
    if not advice.valid:
        return choose("triage", "large", names, "the small model's answer was invalid twice")
    if advice.confidence < UNSURE_BELOW:
        return choose("triage", "large", names, f"the small model was unsure ({advice.confidence})")
    return None


def root_cause_model(names: dict[Role, str], severity: str) -> ModelChoice:
    return choose(
        "root_cause", "large", names, f"{severity} incident: root cause on the large model"
    )


def after_triage(state: IncidentState) -> Literal["root_cause", "notify"]:
    return "notify" if state["triage"].severity == "low" else "root_cause"


def after_guardian(state: IncidentState) -> Literal["approval", "execute", "notify"]:
    verdicts = {d.verdict for d in state.get("decisions", [])}
    if "needs_approval" in verdicts:
        return "approval"
    return "execute" if "allowed" in verdicts else "notify"


def after_approval(state: IncidentState) -> Literal["execute", "notify"]:
    approved = any(a.approved for a in state.get("approvals", []))
    allowed = any(d.verdict == "allowed" for d in state.get("decisions", []))
    return "execute" if approved or allowed else "notify"
