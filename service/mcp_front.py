"""`graph mcp`: the pipeline as an MCP server, for Claude Desktop, VS Code or any MCP host.

The same inbox, workers, graph and Slack outbox as `graph serve`, another front: an alert
given to `investigate_alert` is accepted like a webhook's, the workers run it, and the tool
reports each finished stage as an MCP progress notification until the incident completes
or waits for a person. Read tools are marked read-only; the approval tools destructive, and
they answer as the configured user (`INCIDENT_GRAPH_MCP_USER` / `--user`) whose role must
allow it (docs/roles.md), never as a name the model gives. Every call is logged with the
user; approvals are audited like the API's, `via` "mcp".
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any, Literal

from fastapi import HTTPException
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from agents.ingest.logic import AlertFormatError
from observability.logs import log
from service.app import Service
from service.approvals import answer_approval
from service.intake import SOURCES
from service.reports import explain, report

POLL_S = 0.25
SETTLED = ("completed", "failed", "awaiting_approval")
READ = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
ANSWER = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True,
                         openWorldHint=True)  # fmt: skip
Status = Literal["queued", "running", "awaiting_approval", "completed", "failed"]
IncidentId = Annotated[str, Field(min_length=1, max_length=200)]


def build_server(svc: Service, user: str | None, wait_s: float = 900.0) -> FastMCP:
    """The MCP server over a started service; `user` answers approvals (None: nobody)."""
    mcp = FastMCP(
        "incident-graph",
        instructions="Investigate alerts (triage, root cause with evidence, guarded actions) "
        "and answer approvals. Incidents run on local models; investigate_alert reports "
        "progress per stage.",
    )

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                          idempotentHint=True, openWorldHint=True))  # fmt: skip
    async def investigate_alert(
        ctx: Context,  # type: ignore[type-arg]
        alert: Annotated[dict[str, Any] | str, Field(description="the webhook body")],
        format: Literal["alertmanager", "grafana", "generic"] = "alertmanager",  # noqa: A002
        mapping: Annotated[str | None, Field(description="a generic mapping's name")] = None,
    ) -> dict[str, Any]:
        """Run the incident pipeline on an alert: severity and owner, the root cause with its
        evidence, proposed actions with the guardian's verdicts. Returns when the incident
        completes or waits for a person's approval; the same alert again returns the same
        incident."""
        audit(user, "investigate_alert", format=format, mapping=mapping)
        incident_id = await accept(svc, alert, format, mapping)
        return await follow(svc, ctx, incident_id, wait_s)

    @mcp.tool(annotations=READ)
    def list_incidents(
        status: Status | None = None, limit: Annotated[int, Field(ge=1, le=200)] = 20
    ) -> list[dict[str, Any]]:
        """Incidents, newest first: id, status, service, severity, root cause at a glance."""
        audit(user, "list_incidents", status=status)
        return [glance(i) for i in svc.queries.incidents(status, limit, 0)]

    @mcp.tool(annotations=READ)
    def get_incident(incident_id: IncidentId) -> dict[str, Any]:
        """One incident's report: root cause, evidence, actions, approvals, trace id."""
        audit(user, "get_incident", incident_id=incident_id)
        return report(found(svc, incident_id))

    @mcp.tool(annotations=READ)
    def explain_decision(incident_id: IncidentId, action_id: IncidentId) -> dict[str, Any]:
        """Why the guardian decided what it did about one action: the rules and checks that
        fired, the models' answers, the verdict before and after them, who answered."""
        audit(user, "explain_decision", incident_id=incident_id, action_id=action_id)
        try:
            return explain(found(svc, incident_id), action_id)
        except LookupError as exc:
            raise ToolError(str(exc)) from exc

    async def answer(incident_id: str, action_id: str, approved: bool) -> dict[str, Any]:
        tool = "approve_action" if approved else "deny_action"
        audit(user, tool, incident_id=incident_id, action_id=action_id)
        if user is None:
            raise ToolError("approvals through MCP are off: set INCIDENT_GRAPH_MCP_USER (or "
                            "`graph mcp --user NAME`) to a person in the roles")  # fmt: skip
        try:
            role = await answer_approval(svc, (svc.roles.by_name(user), user), incident_id,
                                         action_id, approved, "mcp")  # fmt: skip
        except HTTPException as exc:
            raise ToolError(f"{user}: {exc.detail}") from exc
        return {"incident_id": incident_id, "action_id": action_id, "approved": approved,
                "approver": user, "role": role, "status": "decided"}  # fmt: skip

    @mcp.tool(annotations=ANSWER)
    async def approve_action(incident_id: IncidentId, action_id: IncidentId) -> dict[str, Any]:
        """Approve a pending action as the configured user (their role must allow it in the
        incident's environment); the incident resumes and the action runs."""
        return await answer(incident_id, action_id, True)

    @mcp.tool(annotations=ANSWER)
    async def deny_action(incident_id: IncidentId, action_id: IncidentId) -> dict[str, Any]:
        """Deny a pending action as the configured user; the incident resumes without it."""
        return await answer(incident_id, action_id, False)

    @mcp.resource("incident://{incident_id}", mime_type="application/json")
    def incident_report(incident_id: str) -> str:
        """An incident's report (as get_incident returns it)."""
        return json.dumps(report(found(svc, incident_id)), indent=2)

    return mcp


async def accept(svc: Service, alert: dict[str, Any] | str, fmt: str, mapping: str | None) -> str:
    source = f"generic/{mapping}" if mapping else fmt
    if fmt not in SOURCES or (mapping and (fmt != "generic" or mapping not in svc.mappings)):
        known = ", ".join(sorted(svc.mappings)) or "none configured"
        raise ToolError(f"no alert route {source!r}: format is one of {', '.join(SOURCES)}; "
                        f"a mapping needs format 'generic' (mappings: {known})")  # fmt: skip
    body = alert if isinstance(alert, str) else json.dumps(alert)
    try:
        receipt = await svc.intake().take(source, body)
    except AlertFormatError as exc:
        problems = "; ".join(f"{where}: {what}" for where, what in exc.problems)
        raise ToolError(f"not a {source} alert: {problems or exc}") from exc
    if receipt.incident_id is None:
        raise ToolError(f"the alert was not opened as an incident ({receipt.outcome})")
    return receipt.incident_id


async def follow(svc: Service, ctx: Context, incident_id: str, wait_s: float) -> dict[str, Any]:  # type: ignore[type-arg]
    """Progress per timeline event until the incident settles; then its report."""
    seen, deadline = 0, time.monotonic() + wait_s
    while True:
        incident = found(svc, incident_id)
        events = [e for e in incident["timeline"] if e["kind"] != "alert"]
        for event in events[seen:]:
            seen += 1
            await ctx.report_progress(seen, None, progress_line(event))
        if incident["status"] in SETTLED or time.monotonic() > deadline:
            return report(incident)
        await asyncio.sleep(POLL_S)


def progress_line(event: dict[str, Any]) -> str:
    """One timeline event as a progress message: a finished stage and what it decided."""
    detail, kind = event.get("detail") or {}, event["kind"]
    if kind == "approval_needed":
        return f"approval needed: {detail.get('tool')} {json.dumps(detail.get('args', {}))}"
    if kind == "decision":
        word = "approved" if detail.get("approved") else "denied"
        return f"{word} by {detail.get('approver')} ({detail.get('via')})"
    if kind != "stage":
        return str(kind).replace("_", " ")
    facts = [f"{k} {detail[k]}" for k in ("severity", "verdicts", "outcomes") if k in detail]
    cause = detail.get("root_cause")
    if isinstance(cause, dict):
        ref = f"PR #{cause['pr']}" if cause.get("pr") is not None else cause.get("commit")
        facts.append(f"cause {ref or cause.get('kind')}")
    took = f" ({detail['duration_s']} s)" if "duration_s" in detail else ""
    return f"{detail.get('node', 'stage')}{took}" + (": " + ", ".join(facts) if facts else "")


def found(svc: Service, incident_id: str) -> dict[str, Any]:
    incident = svc.queries.incident(incident_id)
    if incident is None:
        raise ToolError(f"no incident {incident_id!r}; list_incidents lists them")
    return incident


def glance(incident: dict[str, Any]) -> dict[str, Any]:
    summary = incident.get("summary") or {}
    cause = summary.get("root_cause") or {}
    return {"id": incident["id"], "status": incident["status"], "service": incident["service"],
            "severity": summary.get("severity"), "created_at": incident["created_at"],
            "root_cause": cause.get("summary")}  # fmt: skip


def audit(user: str | None, tool: str, **args: Any) -> None:
    given = {k: v for k, v in args.items() if v}
    log().info("mcp call", tool=tool, user=user or "(none)", **given)
