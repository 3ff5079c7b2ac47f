"""Request and response plumbing for the GitHub stand-in in `world.github_api`.

GitHub's error JSON (`Fail`, `invalid` and the Starlette exception handlers), token
auth, JSON bodies, query parameters, diff responses and `Link`-header pagination.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

DOCS = "https://docs.github.com/rest"
DIFF_TYPES = ("application/vnd.github.diff", "application/vnd.github.v3.diff")


class Fail(Exception):
    """Ends a request with GitHub's error JSON."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = error(status, message, **extra)


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    body = {"message": message, **extra, "documentation_url": DOCS, "status": str(status)}
    return JSONResponse(body, status_code=status)


def invalid(resource: str, field: str, code: str = "missing_field") -> Fail:
    errors = [{"resource": resource, "code": code, "field": field}]
    return Fail(422, "Validation Failed", errors=errors)


def fail_response(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Fail)
    return exc.response


def http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):  # GitHub answers an unsupported method with 404
        return error(404, "Not Found")
    return error(exc.status_code, exc.detail)


class TokenAuth:
    """401 like GitHub unless `Authorization: token|Bearer <token>`; /_world/ is open."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_world/"):
            scheme, _, value = Headers(scope=scope).get("authorization", "").partition(" ")
            if not scheme:
                return await error(401, "Requires authentication")(scope, receive, send)
            if scheme.lower() not in ("token", "bearer") or value.strip() != self.token:
                return await error(401, "Bad credentials")(scope, receive, send)
        await self.app(scope, receive, send)


def api_base(request: Request) -> str:
    """The stand-in's base URL as the client reached it (no trailing slash)."""
    return str(request.base_url).rstrip("/")


def wants_diff(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(kind in accept for kind in DIFF_TYPES)


def diff_response(text: str) -> Response:
    return Response(text, media_type="application/vnd.github.diff; charset=utf-8")


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Fail(400, "Problems parsing JSON")
    return body


def time_param(query: QueryParams, name: str) -> datetime | None:
    value = query.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid("Commit", name, "invalid") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_param(query: QueryParams, name: str, default: int, most: int) -> int:
    value = query.get(name, "")
    return min(max(int(value), 1), most) if value.isdigit() else default


def page(request: Request, items: list[Any]) -> Response:
    """One page of `items` with GitHub's `Link` header (`per_page` ≤ 100, `page` from 1)."""
    per_page = _int_param(request.query_params, "per_page", 30, 100)
    current = _int_param(request.query_params, "page", 1, 10**6)
    last = max(1, -(-len(items) // per_page))
    rels = {"next": current + 1, "last": last} if current < last else {}
    rels |= {"first": 1, "prev": min(current - 1, last)} if current > 1 else {}
    links = [f'<{request.url.include_query_params(page=p)}>; rel="{r}"' for r, p in rels.items()]
    headers = {"Link": ", ".join(links)} if links else None
    chunk = items[(current - 1) * per_page : current * per_page]
    return JSONResponse(chunk, headers=headers)
