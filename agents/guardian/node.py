"""Guardian node: every proposed mutation through the dual-LLM policy gate.

Only verdicts here; asking a human is the `approval` node's job, so a resumed run does
not ask the models again (code before `interrupt()` runs again on resume).
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.guardian import gatekeeper, logic
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import GateDecision, IncidentState


@metered("guardian")
async def guardian(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    actions = state.get("actions", [])
    inv = logic.inventory(state, res.catalog, res.clock(), res.policy.links)
    decisions: list[GateDecision] = []
    gate = gatekeeper.gate_for(res, state, inv, decisions)
    for action in actions:
        decisions.append(await gate.review(action, inv))
    gatekeeper.record(res, state, actions, decisions)
    problems = [f"policy: {res.policy.error}"] if res.policy.error and actions else []
    return {
        "decisions": decisions,
        "routing": gatekeeper.models_used(res, decisions),
        "problems": problems,
    }
