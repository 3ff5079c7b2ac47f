"""Request and response plumbing for the Kubernetes API stand-in (`world.kubernetes_api`).

Kubernetes `Status` errors (`KubeError`, `not_found`), bearer-token auth, label and field
selectors as the API server parses them, `limit`/`continue` paging, list envelopes, and the
identifiers every object carries (stable uids, RFC 3339 times).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

_UID_SPACE = uuid.UUID("5b1d0c6e-9f1e-4c61-8a43-1f3e2f1c0b7a")
OPEN_PATHS = ("/_world/", "/version", "/healthz", "/readyz", "/livez")
Selector = Callable[[Mapping[str, str]], bool]


class KubeError(Exception):
    """Ends a request with a Kubernetes `Status` object."""

    def __init__(self, code: int, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def response(self) -> JSONResponse:
        return status_response(self.code, self.reason, self.message, self.details)


def status_response(
    code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body |= {"status": "Failure", "message": message, "reason": reason}
    if details:
        body["details"] = dict(details)
    body["code"] = code
    return JSONResponse(body, status_code=code)


def not_found(resource: str, name: str, group: str = "") -> KubeError:
    """`pods "x" not found` / `deployments.apps "x" not found`, as the API server says it."""
    qualified = f"{resource}.{group}" if group else resource
    details = {"name": name, "group": group, "kind": resource} if group else {}
    details = details or {"name": name, "kind": resource}
    return KubeError(404, "NotFound", f'{qualified} "{name}" not found', **details)


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def kube_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, KubeError)
    return exc.response()


def http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = "the server does not allow this method on the requested resource"
        return status_response(405, "MethodNotAllowed", message)
    if exc.status_code == 404:
        return status_response(404, "NotFound", "the server could not find the requested resource")
    return status_response(exc.status_code, "BadRequest", str(exc.detail))


class BearerAuth:
    """401 `Unauthorized` unless `Authorization: Bearer <token>` (the open paths excepted)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(OPEN_PATHS):
            scheme, _, value = Headers(scope=scope).get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or value.strip() != self.token:
                denied = status_response(401, "Unauthorized", "Unauthorized")
                return await denied(scope, receive, send)
        await self.app(scope, receive, send)


# --- identity and time -----------------------------------------------------------------------


def uid(kind: str, namespace: str, name: str) -> str:
    return str(uuid.uuid5(_UID_SPACE, f"{kind}/{namespace}/{name}"))


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- selectors ---------------------------------------------------------------------------------

_REQ = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s*"
    r"(?:(?P<op>==|!=|=)\s*(?P<value>[-A-Za-z0-9_.]*)"
    r"|\s(?P<set>in|notin)\s*\((?P<values>[^)]*)\))?\s*$"
)


def label_selector(text: str | None) -> Selector:
    """`app=x,tier!=db,env in (a,b),!canary` as a predicate over labels."""
    if not text or not text.strip():
        return lambda _: True
    checks = [_requirement(part) for part in _split(text)]
    return lambda labels: all(check(labels) for check in checks)


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _requirement(part: str) -> Selector:
    match = _REQ.match(part)
    if match is None or (match["neg"] and (match["op"] or match["set"])):
        raise bad_request(f"unable to parse requirement: invalid label selector: {part.strip()!r}")
    key, op, value = match["key"], match["op"], match["value"]
    if match["set"]:
        values = {v.strip() for v in match["values"].split(",")}
        inside = match["set"] == "in"
        return lambda labels: (labels.get(key) in values) == inside
    if op in ("=", "=="):
        return lambda labels: labels.get(key) == value
    if op == "!=":
        return lambda labels: labels.get(key) != value
    if match["neg"]:
        return lambda labels: key not in labels
    return lambda labels: key in labels


def field_selector(text: str | None, supported: set[str]) -> Selector:
    """`involvedObject.name=x,type!=Normal` over an object's selectable fields."""
    if not text or not text.strip():
        return lambda _: True
    checks: list[tuple[str, bool, str]] = []
    for part in text.split(","):
        match = re.match(r"^\s*([A-Za-z.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if match is None:
            raise bad_request(f"invalid field selector: {part.strip()!r}")
        name, op, value = match.groups()
        if name not in supported:
            raise bad_request(f'field label not supported: "{name}"')
        checks.append((name, op != "!=", value))
    return lambda fields: all((fields.get(n, "") == v) == eq for n, eq, v in checks)


# --- lists -------------------------------------------------------------------------------------


def list_response(
    kind: str, api_version: str, items: list[dict[str, Any]], params: QueryParams, rv: int
) -> JSONResponse:
    """A `<Kind>List`, paged by `limit` and `continue` (an opaque offset)."""
    if params.get("watch") in ("true", "1"):
        raise bad_request("watch is not supported by this API server")
    start = _offset(params.get("continue"))
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    limit = params.get("limit")
    end = len(items)
    if limit and limit.isdigit() and int(limit) > 0:
        end = min(end, start + int(limit))
        if end < len(items):
            token = json.dumps({"offset": end}).encode()
            meta |= {"continue": base64.urlsafe_b64encode(token).decode()}
            meta |= {"remainingItemCount": len(items) - end}
    body = {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items[start:end]}
    return JSONResponse(body)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError):
        raise KubeError(410, "Expired", "the provided continue parameter is invalid") from None
    if not isinstance(offset, int) or offset < 0:
        raise KubeError(410, "Expired", "the provided continue parameter is invalid")
    return offset


def select(
    items: list[dict[str, Any]],
    params: QueryParams,
    fields: Callable[[dict[str, Any]], dict[str, str]],
    supported: set[str],
) -> list[dict[str, Any]]:
    """The items that pass `labelSelector` and `fieldSelector`."""
    by_label = label_selector(params.get("labelSelector"))
    by_field = field_selector(params.get("fieldSelector"), supported)
    return [
        item
        for item in items
        if by_label(item["metadata"].get("labels") or {}) and by_field(fields(item))
    ]


def flag(params: QueryParams, name: str) -> bool:
    return params.get(name, "").lower() in ("true", "1")


def int_param(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise bad_request(f"{name}: invalid value {raw!r}: must be an integer")
    return int(raw)
