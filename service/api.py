"""The service's HTTP shapes (OpenAPI): request and response models, and the webhook bodies.

The alert routes read their body themselves (the acknowledgement path is kept short), so
their request schemas (the three formats of docs/alerts.md) are added to the OpenAPI
document here, from the same models `agents.ingest` validates with.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from agents.ingest.logic import payload_json_schema

SOURCES: tuple[Literal["alertmanager", "grafana", "generic"], ...] = (
    "alertmanager",
    "grafana",
    "generic",
)
SCHEMA_NAMES = {
    "alertmanager": "AlertmanagerWebhook",
    "grafana": "GrafanaWebhook",
    "generic": "GenericAlert",
}


class AlertAccepted(BaseModel):
    alert_id: int = Field(description="the alert's row in the inbox")
    incident_id: str | None = Field(description="its incident (null: a resolution of nothing)")
    outcome: Literal["new", "joined", "duplicate", "resolved", "unmatched"]


class Problem(BaseModel):
    loc: list[str]
    msg: str
    type: str


class Refused(BaseModel):
    """401, 403, 404, 409, 413 and 422 answers: what went wrong and how to fix it."""

    detail: str | list[Problem]
    error: str | None = None


class TimelineEntry(BaseModel):
    at: str | None
    kind: str = Field(
        description="alert, stage, approval_needed, decision, alert_joined, "
        "resolved, requeued, completed, failed"
    )
    detail: dict[str, Any]


class ApprovalView(BaseModel):
    action_id: str
    status: Literal["pending", "decided", "applied"]
    request: dict[str, Any] = Field(description="what the guardian asks (the interrupt value)")
    approved: bool | None
    approver: str | None
    via: str | None
    role: str | None = Field(default=None, description="the role that allowed the answer")
    asked_at: str | None
    decided_at: str | None


class IncidentView(BaseModel):
    id: str
    status: Literal["queued", "running", "awaiting_approval", "completed", "failed"]
    source: str
    name: str
    service: str | None
    fingerprints: list[str]
    alerts: int = Field(description="alerts received for it, duplicates included")
    duplicates: int
    created_at: str | None
    updated_at: str | None
    last_alert_at: str | None
    resolved_at: str | None
    resolved: bool
    attempts: int
    trace_id: str | None = Field(description="the trace of its first run segment")
    trace_ids: list[str] = Field(description="one trace per run segment (resumes included)")
    error: str | None
    channel: str | None
    slack_ts: str | None
    summary: dict[str, Any] = Field(
        description="severity, service, alert, root cause, evidence, actions with verdicts, "
        "approvals and outcomes, notifications, problems, models and usage"
    )


class IncidentDetail(IncidentView):
    approvals: list[ApprovalView]
    timeline: list[TimelineEntry]


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    approved: bool
    approver: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="who answers (audited); with a person's own token, that person",
    )  # fmt: skip


class ApprovalOut(BaseModel):
    incident_id: str
    action_id: str
    approved: bool
    approver: str
    role: str | None = Field(description="the role that allowed the answer (docs/roles.md)")
    status: Literal["decided"]


class Health(BaseModel):
    status: Literal["ok"]
    inbox: Literal["sqlite", "postgres"]
    workers: int
    incidents: dict[str, int]


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the webhook body schemas under components/schemas."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for source in SOURCES:
        schema = payload_json_schema(source, ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        if source != "generic":
            schema["anyOf"] = _ALERTNAME
        schemas[SCHEMA_NAMES[source]] = schema
    for operation in (op for path in doc["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            _not_null(parameter)
    app.openapi_schema = doc
    return doc


_ALERTNAME = [  # the alert an incident is about needs a name: its own label or the group's
    {"required": ["commonLabels"],
     "properties": {"commonLabels": {"required": ["alertname"]}}},
    {"properties": {"alerts": {"items": {"properties": {"labels": {"required": ["alertname"]}}}}}},
]  # fmt: skip


def _not_null(parameter: dict[str, Any]) -> None:
    """An optional query parameter is left out, never sent as null: drop the null branch."""
    schema = parameter.get("schema", {})
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if parameter.get("in") == "query" and len(options) == 1:
        parameter["schema"] = {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}


def body_of(source: str) -> dict[str, Any]:
    """`openapi_extra` of an alert route: its JSON request body (a mapped generic route
    takes the vendor's own JSON object)."""
    schema: dict[str, Any] = (
        {"type": "object", "description": f"the body as the sender posts it ({source} mapping)"}
        if "/" in source
        else {"$ref": f"#/components/schemas/{SCHEMA_NAMES[source]}"}
    )
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}
