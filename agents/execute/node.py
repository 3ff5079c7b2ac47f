"""Execute node: call the MCP tool for each runnable action and record the outcome."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agents.execute import logic
from core.actions import TOOLS
from core.context import Context
from core.ports import Deps
from core.state import ActionOutcome, IncidentState, ProposedAction
from observability.meter import metered


@metered("execute")
async def execute(state: IncidentState, deps: Deps, _runtime: Runtime[Context]) -> IncidentState:
    outcomes = []
    for action, _decision in logic.runnable(state):
        if action.tool not in TOOLS:
            outcomes.append(logic.unsupported(action))
            continue
        outcomes.append(await _run(action, deps))
    return {"outcomes": outcomes}


async def _run(action: ProposedAction, deps: Deps) -> ActionOutcome:
    """One call of the action's tool; a tool no started server offers (the cluster's server
    starts only when a cluster is configured) is skipped and says so."""
    tool, to_args = TOOLS[action.tool]
    if not deps.tools.offers(tool):
        detail = f"no started MCP server offers {tool}: {action.tool} did not run"
        return _outcome(action, False, "skipped", detail)
    try:
        result = await deps.tools.call(tool, to_args(action.args))
        ok, detail = result.status != "error", result.text[:500]
    except Exception as exc:  # transport failure: recorded, the incident still notifies
        ok, detail = False, f"{tool} unavailable: {type(exc).__name__}: {exc}"
    return _outcome(action, ok, "success" if ok else "error", detail)


def _outcome(
    action: ProposedAction,
    executed: bool,
    status: Literal["success", "error", "skipped"],
    detail: str,
) -> ActionOutcome:
    return ActionOutcome(
        action_id=action.id, tool=action.tool, executed=executed, status=status, detail=detail
    )
