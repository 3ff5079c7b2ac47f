"""The HTTP app: alert webhooks (served by `service.intake`), the incident API,
approvals and Slack interactions (`service.approvals`), health and metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp

from core.state import AlertMapping
from observability.pricing import Pricing
from policies.roles import Roles
from service import api
from service.approvals import approval_route, slack_route, with_refusals
from service.auth import Credentials, SlackVerifier
from service.callers import Refusal, api_caller, viewer
from service.console.routes import console_routes
from service.inbox import Inbox
from service.intake import FastPath, Intake, read_body, routes
from service.metrics import Metrics
from service.queries import Queries

_bearer = HTTPBearer(auto_error=False, description="INCIDENT_GRAPH_SERVICE_TOKEN")
_REFUSED: dict[int | str, dict[str, Any]] = {
    code: {"model": api.Refused, "description": text}
    for code, text in (
        (401, "missing or wrong credentials, or a bad HMAC signature"),
        (413, "body too large"),
        (422, "not a valid payload; every problem named"),
    )
}
IncidentId = Annotated[str, Path(max_length=200)]
_AUTH = (
    "Authenticate with `Authorization: Bearer <INCIDENT_GRAPH_SERVICE_TOKEN>`, or sign the "
    "body: hex HMAC-SHA256 with INCIDENT_GRAPH_SERVICE_HMAC_SECRET in "
    "`X-Grafana-Alerting-Signature` (or `X-Signature-256: sha256=<hex>`); with "
    "`X-Signature-Timestamp` the signed text is `<timestamp>:<body>`, within 5 minutes."
)


@dataclass
class Service:
    inbox: Inbox
    credentials: Credentials
    slack: SlackVerifier | None
    roles: Roles
    max_body: int
    metrics: Metrics
    workers: int = 0
    nudge: Callable[[], None] = lambda: None  # wakes the workers

    @property
    def queries(self) -> Queries:
        return Queries(self.inbox)

    mappings: Mapping[str, AlertMapping] = field(default_factory=dict)  # generic routes
    costs: tuple[Pricing, str] | None = None  # the console's overview: pricing, large model

    def intake(self) -> Intake:
        return Intake(
            self.inbox, self.credentials, self.max_body, self.metrics, self.nudge, self.mappings
        )


def create_app(svc: Service) -> ASGIApp:
    """The service's ASGI app: FastAPI, with the alert routes served by `FastPath` first."""
    app = FastAPI(
        title="incident-graph", version="0.1.0",
        description="Alert webhooks in, incidents out: triage, root cause, guarded actions, "
        "Slack. See docs/service.md.",
        responses={400: {"description": "not HTTP the server can read (uvicorn refuses it)",
                         "content": {"text/plain": {}}}},
    )  # fmt: skip
    app.openapi = lambda: api.openapi_document(app)  # type: ignore[method-assign]
    intake = svc.intake()
    for route in routes(svc.mappings):
        _alert_route(app, intake, route)
    _incident_routes(app, svc)
    slack_route(app, svc)
    _health_routes(app, svc)
    console_routes(app, svc)
    return FastPath(app, intake)


def _alert_route(app: FastAPI, intake: Intake, source: str) -> None:
    async def receive(request: Request) -> Response:
        """Documents the route; `FastPath` serves it in front of FastAPI, through the same
        `Intake.handle`."""
        started = time.perf_counter()
        body = await read_body(request, intake.max_body)
        answer = (
            intake.too_large(source)
            if body is None
            else await intake.handle(source, request.headers, body, started)
        )
        headers = {"WWW-Authenticate": "Bearer"} if answer.status == 401 else None
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    extra = {**api.body_of(source), "security": [{"HTTPBearer": []}]}
    app.add_api_route(
        f"/alerts/{source}", receive, methods=["POST"], status_code=202,
        summary=f"Receive a {source} webhook", openapi_extra=extra, tags=["alerts"],
        description=_AUTH,
        responses={202: {"model": api.AlertAccepted}, **_REFUSED},
    )  # fmt: skip


def _incident_routes(app: FastAPI, svc: Service) -> None:
    def caller(request: Request, _: Annotated[Any, Depends(_bearer)]) -> None:
        """The service token, or a person's own token who may view incidents."""
        try:
            request.state.caller = found = api_caller(svc.credentials, svc.roles, request.headers)
            viewer(found, svc.roles)
        except Refusal as exc:
            auth = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            raise HTTPException(exc.status, exc.detail, headers=auth) from exc

    guarded: Any = {
        "dependencies": [Depends(caller)],
        "tags": ["incidents"],
        "responses": {401: {"model": api.Refused}, 403: {"model": api.Refused}},
    }

    @app.get("/incidents", response_model=list[api.IncidentView], **guarded)
    def incidents(
        status: Annotated[
            Literal["queued", "running", "awaiting_approval", "completed", "failed"] | None,
            Query(),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[dict[str, Any]]:
        """Incidents, newest first."""
        return svc.queries.incidents(status, limit, offset)

    @app.get("/incidents/{incident_id}", response_model=api.IncidentDetail,
             **with_refusals(guarded, 404))  # fmt: skip
    def incident(incident_id: IncidentId) -> dict[str, Any]:
        """One incident: state, timeline, approvals and actions, trace ids."""
        found = svc.queries.incident(incident_id)
        if found is None:
            raise HTTPException(404, f"no incident {incident_id!r}; GET /incidents lists them")
        return found

    approval_route(app, svc, guarded)


def _health_routes(app: FastAPI, svc: Service) -> None:
    @app.get("/healthz", response_model=api.Health, tags=["service"])
    def healthz() -> dict[str, Any]:
        """The inbox answers; incidents by status."""
        return {
            "status": "ok",
            "inbox": svc.inbox.db.kind,
            "workers": svc.workers,
            "incidents": svc.queries.counts(),
        }

    @app.get(
        "/metrics",
        tags=["service"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
    def metrics() -> Response:
        """Prometheus text format."""
        return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4")
