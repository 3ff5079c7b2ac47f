"""Ingest node: the webhook body becomes one typed `Alert` (the same path as `graph serve`).

In LangGraph Studio the input may hold only an incident id (or nothing): the alert then
comes from the run's dependencies (the context's scenario), and the incident id defaults
to the thread's id.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.ingest.logic import parse_alert
from core.context import Context
from core.ports import Deps
from core.state import IncidentState, RawAlert
from observability.meter import metered


@metered("ingest")
async def ingest(state: IncidentState, deps: Deps, runtime: Runtime[Context]) -> IncidentState:
    raw = _raw_alert(state, deps)
    run = runtime.execution_info
    incident_id = state.get("incident_id") or (run.thread_id if run else None)
    if not incident_id:
        raise ValueError("no incident id: give incident_id in the input or run on a thread")
    return {"incident_id": str(incident_id), "raw_alert": raw, "alert": parse_alert(raw)}


def _raw_alert(state: IncidentState, deps: Deps) -> RawAlert:
    if "raw_alert" in state:
        return RawAlert.model_validate(state["raw_alert"])  # Studio sends it as plain JSON
    if deps.default_alert is None:
        raise ValueError("no alert to ingest: give raw_alert in the input or a context scenario")
    return deps.default_alert
