"""Execute node: call the MCP tool for each runnable action and record the outcome."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.execute import logic
from core.actions import TOOLS
from core.context import Context
from core.ports import Deps
from core.state import ActionOutcome, IncidentState
from observability.meter import metered


@metered("execute")
async def execute(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    outcomes = []
    for action, _decision in logic.runnable(state):
        if action.tool not in TOOLS:
            outcomes.append(logic.unsupported(action))
            continue
        tool, to_args = TOOLS[action.tool]
        try:
            result = await deps.tools.call(tool, to_args(action.args))
            ok, detail = result.status != "error", result.text[:500]
        except Exception as exc:  # transport failure: recorded, the incident still notifies
            ok, detail = False, f"{tool} unavailable: {type(exc).__name__}: {exc}"
        outcomes.append(
            ActionOutcome(
                action_id=action.id,
                tool=action.tool,
                executed=ok,
                status="success" if ok else "error",
                detail=detail,
            )
        )
    return {"outcomes": outcomes}
