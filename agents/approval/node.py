"""Approval node: each `needs_approval` action goes to a human through `interrupt()`.

Nothing here calls a model or a tool, so running it again on resume is cheap and
harmless; the side effect happens later, in execute, once per action id.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.approval import logic
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import IncidentState
from observability.tracing import gate_approval


@metered("approval")
async def approval(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    asked = logic.pending(state)
    answers = []
    for action, decision in asked:
        auto = logic.automatic(runtime.context)
        approved, approver = auto or logic.answer(interrupt(logic.request(action, decision, state)))
        answers.append(logic.approval(action.id, approved, approver, res.clock()))
    for (action, _decision), a in zip(asked, answers, strict=True):  # after every interrupt:
        if res.audit is not None:  # a resumed run records each answer once
            res.audit.record_approval(state["incident_id"], a)
        gate_approval(action.tool, action.id, a.approved, a.approver)
    return {"approvals": answers}
