"""Guardian node: every proposed mutation through the gate (`policies.guard`).

Only verdicts here; asking a human is the `approval` node's job, so a resumed run does
not ask the models again (code before `interrupt()` runs again on resume).
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from core.context import Context
from core.ports import Deps
from core.state import IncidentState
from observability.meter import metered


@metered("guardian")
async def guardian(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    review = await deps.guard.review(state, state.get("actions", []))
    return {"decisions": review.decisions, "routing": review.routing, "problems": review.problems}
