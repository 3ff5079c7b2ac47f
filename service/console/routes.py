"""The console's routes under `/ui` (docs/console.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from policies.roles import Permit
from service.approvals import answer_approval
from service.console import views
from service.console.sessions import COOKIE, TTL_S, Session, Sessions

if TYPE_CHECKING:
    from service.app import Service

PAGE = 200  # incidents the list and the cost overview read
LIVE_POLL_S = 1.0
KEEPALIVE_S = 15.0
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


class Console:
    def __init__(self, svc: Service, sessions: Sessions | None = None) -> None:
        self.svc = svc
        self.sessions = sessions or Sessions()

    def session(self, request: Request) -> Session | None:
        return self.sessions.read(request.cookies.get(COOKIE))

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> Response:
        session = values.pop("session", None) or self.session(request)
        csrf = self.sessions.csrf(session) if session else ""
        values.setdefault("live", "")
        nonce = secrets.token_urlsafe(12)
        html = _TEMPLATES.get_template(name).render(session=session, csrf=csrf, **values)
        html = html.replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(html, status_code=status, headers=_headers(nonce))


def _headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": f"default-src 'self'; script-src 'nonce-{nonce}'; "
        "style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def console_routes(app: FastAPI, svc: Service) -> Console:
    console = Console(svc)
    _login_routes(app, console)
    _page_routes(app, console)
    _answer_route(app, console)
    return console


def signed_in(console: Console, request: Request) -> Session:
    session = console.session(request)
    if session is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise HTTPException(303, "sign in", headers={"Location": f"/ui/login?next={target}"})
    return session


def same_origin(request: Request) -> None:
    """A form posted from another site is refused (with the CSRF token, belt and braces)."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "cross-site form refused")


def _login_routes(app: FastAPI, console: Console) -> None:
    svc = console.svc

    @app.get("/ui", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/ui/incidents", 303)

    @app.get("/ui/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/ui/incidents") -> Response:  # noqa: A002
        return console.render(request, "login.html.j2", next=_local(next), error="")

    @app.post("/ui/login", include_in_schema=False)
    def login(
        request: Request,
        token: Annotated[str, Form(max_length=500)],
        name: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/ui/incidents",  # noqa: A002
    ) -> Response:
        same_origin(request)
        user, kind, why = _who(svc, token.strip(), name.strip())
        if why:
            return console.render(request, "login.html.j2", 401, next=_local(next), error=why)
        done = RedirectResponse(_local(next), 303)
        secure = request.url.scheme == "https"
        done.set_cookie(COOKIE, console.sessions.issue(user, kind), max_age=int(TTL_S),
                        httponly=True, samesite="strict", secure=secure, path="/ui")  # fmt: skip
        return done

    @app.post("/ui/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
        same_origin(request)
        session = console.session(request)
        if session is not None and not console.sessions.csrf_ok(session, csrf):
            raise HTTPException(403, "stale form: reload the page")
        done = RedirectResponse("/ui/login", 303)
        done.delete_cookie(COOKIE, path="/ui")
        return done


def _who(svc: Service, token: str, name: str) -> tuple[str | None, str, str]:
    """(user, kind, why not) for a login."""
    if svc.credentials.api({"authorization": f"Bearer {token}"}) is None:
        if name and svc.roles.by_name(name) is None:
            return None, "", f"{name!r} is not in the roles ({svc.roles.source or 'none'})"
        return (name or None), "service", ""
    person = svc.roles.by_token(token) if token else None
    if person is None:
        return None, "", "wrong token: neither the service token nor a person's own token"
    if not svc.roles.may_view(person):
        return None, "", f"{person.name} may not view incidents"
    return person.name, "person", ""


def _local(target: str) -> str:
    """Only a path of the console itself (no open redirect)."""
    return target if target.startswith("/ui/") and "//" not in target else "/ui/incidents"


def _page_routes(app: FastAPI, console: Console) -> None:
    svc = console.svc

    @app.get("/ui/incidents", include_in_schema=False)
    def incidents(
        request: Request,
        status: Annotated[str, Query(max_length=40)] = "",
        severity: Annotated[str, Query(max_length=40)] = "",
        service: Annotated[str, Query(max_length=200)] = "",
    ) -> Response:
        session = signed_in(console, request)
        now = datetime.now(UTC)
        every = [views.row(i, now) for i in svc.queries.incidents(None, PAGE, 0)]
        filters = {"status": status, "severity": severity, "service": service}
        return console.render(
            request, "incidents.html.j2", session=session,
            rows=[r for r in every if views.matches(r, filters)], filters=filters,
            statuses=views.STATUSES, severities=views.SEVERITIES,
            services=sorted({r["service"] for r in every if r["service"]}), live="/ui/live",
        )  # fmt: skip

    @app.get("/ui/incidents/{incident_id}", include_in_schema=False)
    def incident(request: Request, incident_id: str, said: str = "") -> Response:
        session = signed_in(console, request)
        return show(console, request, session, incident_id, flash=_said(said))

    @app.get("/ui/cost", include_in_schema=False)
    def cost(request: Request) -> Response:
        session = signed_in(console, request)
        recent = svc.queries.incidents(None, PAGE, 0)
        if svc.costs is None:
            shown: dict[str, Any] = {"error": "no pricing configured", "rows": [], "total": None}
        else:
            shown = views.costs(recent, *svc.costs)
        shown.setdefault("pricing_file", "")
        return console.render(request, "cost.html.j2", session=session, c=shown,
                              count=len(recent))  # fmt: skip

    @app.get("/ui/live", include_in_schema=False)
    async def live(request: Request, incident: str = "") -> Response:
        signed_in(console, request)
        return StreamingResponse(changes(console, request, incident),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip


def show(console: Console, request: Request, session: Session, incident_id: str,
         flash: str = "", refusal: str = "", status: int = 200) -> Response:  # fmt: skip
    found = console.svc.queries.incident(incident_id)
    if found is None:
        raise HTTPException(404, f"no incident {incident_id!r}")
    roles = console.svc.roles
    person = roles.by_name(session.user) if session.user else None

    def may_answer(request_: Any) -> Permit:
        if person is None:
            return roles.may_approve(None, "", None) if roles.problem else _anonymous()
        return roles.may_approve(person, str(request_.get("tool")), request_.get("environment"))

    shown = views.page(found, may_answer)
    live = f"/ui/live?incident={quote(incident_id)}"
    return console.render(request, "incident.html.j2", status, session=session, i=shown,
                          flash=flash, refusal=refusal, live=live)  # fmt: skip


def _anonymous() -> Permit:
    return Permit(False, None, "signed in with the service token and no name: sign in with "
                  "your own token, or give your name, to answer approvals")  # fmt: skip


def _said(code: str) -> str:
    return {"approved": "Approved: the incident resumes.",
            "denied": "Denied: the incident resumes without it."}.get(code, "")  # fmt: skip


def _answer_route(app: FastAPI, console: Console) -> None:
    svc = console.svc

    @app.post("/ui/incidents/{incident_id}/approvals/{action_id}", include_in_schema=False)
    async def answer(
        request: Request,
        incident_id: str,
        action_id: str,
        decision: Annotated[str, Form(pattern="^(approve|deny)$")],
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        same_origin(request)
        session = signed_in(console, request)
        if not console.sessions.csrf_ok(session, csrf):
            raise HTTPException(403, "stale or forged form: reload the page and answer again")
        person = svc.roles.by_name(session.user) if session.user else None
        approved = decision == "approve"
        try:
            await answer_approval(svc, (person, session.user or "service token"), incident_id,
                                  action_id, approved, "console")  # fmt: skip
        except HTTPException as exc:
            if exc.status_code == 404 and svc.queries.incident(incident_id) is None:
                raise
            return show(console, request, session, incident_id, refusal=str(exc.detail),
                        status=exc.status_code)  # fmt: skip
        said = "approved" if approved else "denied"
        return RedirectResponse(f"/ui/incidents/{quote(incident_id)}?said={said}", 303)


async def changes(console: Console, request: Request, incident: str) -> AsyncIterator[str]:
    """Server-sent events: `changed` whenever what the page shows has moved on."""
    last, quiet = "", 0.0
    while not await request.is_disconnected():
        now = _fingerprint(console, incident)
        if last and now != last:
            yield "event: changed\ndata: {}\n\n"
            quiet = 0.0
        elif quiet >= KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet = 0.0
        last = now
        await asyncio.sleep(LIVE_POLL_S)
        quiet += LIVE_POLL_S


def _fingerprint(console: Console, incident: str) -> str:
    queries = console.svc.queries
    if incident:
        found = queries.incident(incident)
        seen: Any = None if found is None else (found["status"], found["updated_at"],
                                                 len(found["timeline"]))  # fmt: skip
    else:
        seen = [(i["id"], i["status"], i["updated_at"]) for i in queries.incidents(None, 50, 0)]
    return hashlib.sha256(json.dumps(seen, default=str).encode()).hexdigest()
