"""Answers to pending approvals: `POST /incidents/{id}/approvals/{action_id}` and Slack's
Approve / Deny buttons (`POST /slack/interactions`).

Only people whose role allows it answer (policies/roles.py, docs/roles.md: Slack user ids
for the buttons, since names can be changed; a person's own token or, with the service
token, the name in the body for the API); an answer is stored once with the role that
allowed it, then the incident is queued to resume with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response

from policies.roles import Person
from service import api, slack_ui
from service.callers import Caller, Refusal, answering
from service.inbox import DecideResult
from service.intake import read_body

if TYPE_CHECKING:
    from service.app import Service

_FORM = {
    "application/x-www-form-urlencoded": {
        "schema": {
            "type": "object",
            "properties": {"payload": {"type": "string"}},
            "required": ["payload"],
        }
    }
}
_SLACK_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "recorded"},
    **{code: {"model": api.Refused} for code in (400, 401, 403, 404, 409, 413)},
}  # fmt: skip


def with_refusals(route: dict[str, Any], *codes: int) -> dict[str, Any]:
    """A route's keyword arguments with these refusals documented too."""
    more = {code: {"model": api.Refused} for code in codes}
    return {**route, "responses": {**route["responses"], **more}}


def approval_route(app: FastAPI, svc: Service, guarded: dict[str, Any]) -> None:
    @app.post("/incidents/{incident_id}/approvals/{action_id}", response_model=api.ApprovalOut,
              **with_refusals(guarded, 403, 404, 409))  # fmt: skip
    async def approve(
        incident_id: Annotated[str, Path(max_length=200)],
        action_id: Annotated[str, Path(max_length=200)],
        answer: api.ApprovalIn,
        request: Request,
    ) -> dict[str, Any]:
        """Approve or deny a pending action; the incident resumes with the answer."""
        caller: Caller = request.state.caller
        try:
            person, name = answering(caller, svc.roles, answer.approver)
        except Refusal as exc:
            detail: Any = exc.detail
            if exc.status == 422:  # shaped like FastAPI's own validation errors
                detail = [{"loc": ["body", "approver"], "msg": exc.detail, "type": "missing"}]
            raise HTTPException(exc.status, detail) from exc
        role = await answer_approval(svc, (person, name), incident_id, action_id,
                                     answer.approved, "api")  # fmt: skip
        return {"incident_id": incident_id, "action_id": action_id, "status": "decided",
                "approved": answer.approved, "approver": name, "role": role}  # fmt: skip


async def answer_approval(
    svc: Service,
    who: tuple[Person | None, str],
    incident_id: str,
    action_id: str,
    approved: bool,
    via: str,
) -> str | None:
    """Record a person's answer (`who`: the person in the roles, the name to record) when
    their role allows it; HTTPException 403/404/409 otherwise. Returns the role."""
    person, name = who
    if person is None or svc.roles.problem is not None:  # before anything is looked up
        svc.metrics.approvals.labels(via, "not_an_approver").inc()
        raise HTTPException(403, svc.roles.may_approve(person, "", None).why)
    asked = svc.queries.asked(incident_id, action_id)
    if asked is None:
        svc.metrics.approvals.labels(via, "unknown").inc()
        raise HTTPException(404, f"incident {incident_id!r} has no approval for {action_id!r}")
    permit = svc.roles.may_approve(person, str(asked.get("tool")), asked.get("environment"))
    if not permit.allowed:
        svc.metrics.approvals.labels(via, "not_an_approver").inc()
        raise HTTPException(403, permit.why)
    result = await svc.inbox.decide(incident_id, action_id, approved, name, via, permit.role)
    decided(svc, via, result, incident_id, action_id)
    return permit.role


def slack_route(app: FastAPI, svc: Service) -> None:
    @app.post("/slack/interactions", tags=["slack"], responses=_SLACK_ANSWERS,
              openapi_extra={"requestBody": {"required": True, "content": _FORM}})  # fmt: skip
    async def interactions(request: Request) -> Response:
        """Slack's Approve / Deny buttons (signed with the app's signing secret)."""
        return await interaction(svc, request)


async def interaction(svc: Service, request: Request) -> Response:
    if svc.slack is None:
        return refuse(403, "Slack interactions are off: set INCIDENT_GRAPH_SLACK_SIGNING_SECRET")
    body = await read_body(request, svc.max_body)
    if body is None:
        return refuse(413, f"the body is larger than {svc.max_body} bytes")
    why = svc.slack.check(request.headers, body)
    if why is not None:
        svc.metrics.slack_requests.labels("refused").inc()
        return refuse(401, why)
    try:
        press = slack_ui.click(body)
    except slack_ui.InteractionError as exc:
        svc.metrics.slack_requests.labels("bad_payload").inc()
        return refuse(400, str(exc))
    person = svc.roles.by_slack(press.user_id)  # ids, not names: names can be changed
    try:
        role = await answer_approval(svc, (person, press.approver()), press.incident_id,
                                     press.action_id, press.approved, "slack")  # fmt: skip
    except HTTPException as exc:
        return refuse(exc.status_code, f"{press.approver()}: {exc.detail}")
    svc.metrics.slack_requests.labels("decided").inc()
    word = "approved" if press.approved else "denied"
    text = f"{word} by {press.approver()} as {role}"
    ids = {"incident_id": press.incident_id, "action_id": press.action_id}
    return JSONResponse({"text": text, **ids})


def refuse(status: int, detail: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def decided(svc: Service, via: str, result: DecideResult, incident_id: str, action: str) -> None:
    """Count the answer; 404 or 409 unless it was recorded, else wake the workers."""
    svc.metrics.approvals.labels(via, result).inc()
    if result == "unknown":
        raise HTTPException(404, f"incident {incident_id!r} has no approval for {action!r}")
    if result == "already_decided":
        raise HTTPException(409, f"the approval of {action!r} on {incident_id!r} is already "
                            "answered; see GET /incidents/{id}")  # fmt: skip
    svc.nudge()
