"""Execute node: call the MCP tool for each runnable action and record the outcome."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.execute import logic
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import resources
from graphs.state import ActionOutcome, IncidentState


@metered("execute")
async def execute(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    res = resources(runtime.context)
    outcomes = []
    for action, _decision in logic.runnable(state):
        if action.tool not in logic.TOOLS:
            outcomes.append(logic.unsupported(action))
            continue
        tool, to_args = logic.TOOLS[action.tool]
        try:
            result = await res.call_tool(tool, to_args(action.args))
            ok, detail = result.status == "success", result.text[:500]
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
