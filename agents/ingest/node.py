"""Ingest node: the webhook body becomes one typed `Alert` (the same path as `graph serve`)."""

from __future__ import annotations

from agents.ingest.logic import parse_alert
from graphs.meter import metered
from graphs.state import IncidentState


@metered("ingest")
async def ingest(state: IncidentState) -> IncidentState:
    return {"alert": parse_alert(state["raw_alert"])}
