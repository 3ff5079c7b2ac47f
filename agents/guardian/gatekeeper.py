"""The gate wired to a run: the inventory, the two models, the rate counters and the audit.

Used by the guardian (the root cause's proposals) and by notify (its own message).
"""

from __future__ import annotations

from functools import partial

from langchain_core.messages import HumanMessage

from agents.guardian import logic
from agents.prompting import render
from graphs.models.structured import StructuredOutputError
from graphs.resources import Resources
from graphs.state import GateDecision, IncidentState, ModelChoice, ProposedAction, Verdict
from observability.tracing import current_trace_id, gate_decision
from policies.gate import Gate, JudgeAnswer, ReaderAnswer
from policies.inventory import Inventory

READER_TOKENS = 48
JUDGE_TOKENS = 48


def gate_for(
    res: Resources, state: IncidentState, inv: Inventory, pending: list[GateDecision]
) -> Gate:
    """A gate for this incident; `pending` holds this pass's decisions so far, so the
    per-incident limits count them too."""

    def used(rule_id: str) -> tuple[int, int]:
        seen = [*state.get("decisions", []), *pending]
        mine = sum(1 for d in seen if rule_id in d.rules and d.verdict != "blocked")
        return mine, res.audit.let_through(rule_id) if res.audit else 0

    return Gate(
        res.policy,
        read=partial(_read, res, state),
        judge=partial(_judge, res, state, inv),
        used=used,
    )


async def _read(
    res: Resources, state: IncidentState, action: ProposedAction
) -> ReaderAnswer | None:
    carrier, text = logic.target_text(action, state)
    if not text.strip():
        return logic.UNREADABLE
    prompt = render("guardian", logic.reader_values(carrier, text), "quarantine.md.j2")
    try:
        answer = await res.ask("small", ReaderAnswer, [HumanMessage(prompt)], READER_TOKENS)
    except StructuredOutputError:
        return None
    if logic.markers(text):  # a known phrasing: "yes", whatever the small model said
        return answer.value.model_copy(update={"instructions": "yes"})
    return answer.value


async def _judge(
    res: Resources,
    state: IncidentState,
    inv: Inventory,
    action: ProposedAction,
    verdict: Verdict,
    rules: tuple[str, ...],
    read: ReaderAnswer,
) -> JudgeAnswer | None:
    values = logic.judge_values(action, state, inv, verdict, rules, read)
    prompt = render("guardian", values, "privileged.md.j2")
    schema = logic.judge_schema(verdict)
    try:
        answer = await res.ask("large", schema, [HumanMessage(prompt)], JUDGE_TOKENS)
    except StructuredOutputError:
        return None
    return answer.value


def models_used(res: Resources, decisions: list[GateDecision]) -> list[ModelChoice]:
    """Routing records for the gate's model calls (both roles are fixed by design)."""
    out = []
    if any(any(k.startswith("quarantined") for k in d.answers) for d in decisions):
        reason = "quarantined reader: the action's target text is untrusted"
        out.append(ModelChoice(node="guardian", role="small", model=res.model_names["small"],
                               reason=reason))  # fmt: skip
    if any(any(k.startswith("privileged") for k in d.answers) for d in decisions):
        reason = "privileged review of an untrusted decision to act"
        out.append(ModelChoice(node="guardian", role="large", model=res.model_names["large"],
                               reason=reason))  # fmt: skip
    return out


def record(
    res: Resources,
    state: IncidentState,
    actions: list[ProposedAction],
    decisions: list[GateDecision],
) -> None:
    """Each decision to the audit store, the trace and the log."""
    by_id = {a.id: a for a in actions}
    for d in decisions:
        if res.audit is not None:
            res.audit.record_decision(state["incident_id"], d, current_trace_id())
        action = by_id.get(d.action_id)
        details: dict[str, str | list[str]] = {f"gate.answer.{k}": v for k, v in d.answers.items()}
        details["gate.checks"] = list(d.checks)
        if action is not None:
            details["gate.origin"] = (
                f"{action.origin.source} ({logic.trust(action.origin.trusted)})"
            )
            details |= {f"gate.provenance.{k}": f"{p.source} ({logic.trust(p.trusted)})"
                        for k, p in action.provenance.items()}  # fmt: skip
        gate_decision(d.tool, d.verdict, d.rules, details=details)
