"""Ingest node: the webhook body becomes one typed `Alert` (the same path as `graph serve`).

In LangGraph Studio the input may hold only an incident id (or nothing): the alert then
comes from the context's `scenario`, and the incident id defaults to the thread's id.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.ingest.logic import parse_alert
from graphs.context import Context
from graphs.meter import metered
from graphs.resources import aresources
from graphs.state import IncidentState, RawAlert


@metered("ingest")
async def ingest(state: IncidentState, runtime: Runtime[Context]) -> IncidentState:
    raw = await _raw_alert(state, runtime.context)
    run = runtime.execution_info
    incident_id = state.get("incident_id") or (run.thread_id if run else None)
    if not incident_id:
        raise ValueError("no incident id: give incident_id in the input or run on a thread")
    return {"incident_id": str(incident_id), "raw_alert": raw, "alert": parse_alert(raw)}


async def _raw_alert(state: IncidentState, context: Context) -> RawAlert:
    # Studio's world is built here, off the event loop, before any later node needs it
    found = (await aresources(context)).scenario_alert if context.scenario else None
    if "raw_alert" in state:
        return RawAlert.model_validate(state["raw_alert"])  # Studio sends it as plain JSON
    if found is None:
        raise ValueError("no alert to ingest: give raw_alert in the input or a context scenario")
    return found
