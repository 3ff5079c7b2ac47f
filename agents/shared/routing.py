"""Pure model routing: which model each node uses, and why (recorded in `routing`).

Triage and quarantined reads use the small model; root cause and privileged review use
the large one; a low-severity incident never reaches the large model; an unsure or
invalid small-model answer escalates to the large one.
"""

from __future__ import annotations

from core.state import ModelAdvice, ModelChoice, Role, Triage

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
