"""Approval node: each `needs_approval` action goes to a human through `interrupt()`.

Nothing here calls a model or a tool, so running it again on resume is cheap and
harmless; the side effect happens later, in execute, once per action id.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.approval import logic
from core.context import Context
from core.ports import Deps
from core.state import IncidentState
from observability.meter import metered
from observability.tracing import gate_approval


@metered("approval")
async def approval(state: IncidentState, deps: Deps, runtime: Runtime[Context]) -> IncidentState:
    asked = logic.pending(state)
    answers = []
    for action, decision in asked:
        auto = logic.automatic(runtime.context)
        given = auto or logic.answer(interrupt(logic.request(action, decision, state)))
        answers.append(logic.approval(action.id, given, deps.now()))
    for (action, _decision), a in zip(asked, answers, strict=True):  # after every interrupt:
        deps.guard.record_approval(state["incident_id"], a)  # a resumed run records it once
        gate_approval(action.tool, action.id, a.approved, a.approver)
    return {"approvals": answers}
