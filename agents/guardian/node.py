"""Guardian node: a verdict per proposed action; `needs_approval` asks a human."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.guardian import logic
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import GateDecision, IncidentState
from observability.tracing import gate_decision


@metered("guardian")
async def guardian(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    facts = logic.facts(state, res.catalog)
    decisions = []
    for action in state.get("actions", []):
        verdict, rules = res.policy.decide(action, facts)
        approved, approver = None, None
        if verdict == "needs_approval":
            auto = logic.automatic(runtime.context)
            answer = auto or logic.answer(interrupt(logic.request(action, rules, state)))
            approved, approver = answer
        decisions.append(
            GateDecision(
                action_id=action.id,
                tool=action.tool,
                verdict=verdict,
                rules=rules,
                approved=approved,
                approver=approver,
            )
        )
    for d in decisions:  # after any interrupt, so a resumed run records each decision once
        gate_decision(d.tool, d.verdict, d.rules, d.approved, d.approver)
    return {"decisions": decisions}
