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
        outcomes.append(await _run(state["incident_id"], action, deps))
    return {"outcomes": outcomes}


async def _run(incident_id: str, action: ProposedAction, deps: Deps) -> ActionOutcome:
    """One call of the action's tool, at most once: its idempotency key is written to the
    audit store first, and a key already there (a run that died mid-call, resumed here)
    means it is not called again. A tool no started server offers (the cluster's server
    starts only when a cluster is configured) is skipped and says so."""
    tool, to_args = TOOLS[action.tool]
    if not deps.tools.offers(tool):
        detail = f"no started MCP server offers {tool}: {action.tool} did not run"
        return _outcome(action, False, "skipped", detail)
    started = deps.guard.begin_mutation(incident_id, action)
    if started is not None:
        return _outcome(action, False, "skipped", logic.not_again(action, started))
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
