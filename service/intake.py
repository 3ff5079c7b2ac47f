"""The acknowledgement path of `POST /alerts/{source}`, kept short and fast.

size limit → authentication → parsing (`agents.ingest.logic.parse_alert`, the replays'
parser) → one durable insert (`Inbox.accept`, group-committed) → 202. The graph runs later,
in the workers. `FastPath` serves these three routes in front of FastAPI (plain ASGI: no
dependency injection or middleware on the hot path); FastAPI's own routes, which document
them in the OpenAPI document, answer the same through `Intake.handle`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from agents.ingest.logic import AlertFormatError, parse_alert
from agents.ingest.mapping import route_alert
from core.state import AlertMapping
from service.auth import Credentials
from service.inbox import Inbox, Receipt
from service.metrics import Metrics

Source = Literal["alertmanager", "grafana", "generic"]
SOURCES: tuple[Source, ...] = ("alertmanager", "grafana", "generic")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode()


def routes(mappings: Mapping[str, AlertMapping]) -> list[str]:
    """The webhook routes: one per format, and `generic/<name>` per generic mapping."""
    return [*SOURCES, *(f"generic/{name}" for name in sorted(mappings))]


@dataclass
class Intake:
    inbox: Inbox
    credentials: Credentials
    max_body: int
    metrics: Metrics
    nudge: Callable[[], None] = lambda: None  # wakes the workers
    mappings: Mapping[str, AlertMapping] = field(default_factory=dict)

    def too_large(self, source: str) -> Answer:
        self.metrics.rejected.labels(source, "413").inc()
        detail = f"the body is larger than {self.max_body} bytes (INCIDENT_GRAPH_MAX_BODY_BYTES)"
        return Answer(413, {"detail": detail})

    async def handle(
        self, source: str, headers: Mapping[str, str], body: bytes, started: float
    ) -> Answer:
        """`source` is the route (`generic/<mapping>` reads the body through that mapping)."""
        why = self.credentials.webhook(headers, body)
        if why is not None:
            self.metrics.rejected.labels(source, "401").inc()
            return Answer(401, {"detail": why})
        try:
            receipt = await self.take(source, body.decode("utf-8"))
        except (AlertFormatError, UnicodeDecodeError) as exc:
            self.metrics.rejected.labels(source, "422").inc()
            return Answer(422, {"detail": problems(exc), "error": str(exc)})
        self.metrics.alerts.labels(source, receipt.outcome).inc()
        self.metrics.ack_seconds.labels(source).observe(time.perf_counter() - started)
        return Answer(202, {"alert_id": receipt.alert_id, "incident_id": receipt.incident_id,
                            "outcome": receipt.outcome})  # fmt: skip

    async def take(self, source: str, body: str) -> Receipt:
        """Parse a body sent to this route and store it durably (AlertFormatError when it
        is not an alert of that route); the workers are woken for a new or resolved one.
        The webhooks and `graph mcp`'s investigate_alert both come in here."""
        raw = route_alert(source, body, self.mappings, datetime.now(UTC))
        receipt = await self.inbox.accept(raw, parse_alert(raw), source)
        if receipt.outcome in ("new", "resolved"):
            self.nudge()
        return receipt


def problems(exc: Exception) -> list[dict[str, Any]]:
    """A 422's `detail`, FastAPI-shaped: where (`loc`), what was expected (`msg`)."""
    if isinstance(exc, AlertFormatError):
        return [{"loc": ["body", path], "msg": msg, "type": "alert_format"}
                for path, msg in exc.problems]  # fmt: skip
    return [{"loc": ["body"], "msg": "expected UTF-8 text", "type": "encoding"}]


class FastPath:
    """ASGI: `POST /alerts/{source}` straight to the intake; everything else to `app`."""

    def __init__(self, app: ASGIApp, intake: Intake) -> None:
        self._app = app
        self._intake = intake
        self._paths: dict[str, str] = {f"/alerts/{r}": r for r in routes(intake.mappings)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = self._paths.get(scope.get("path", "")) if scope["type"] == "http" else None
        if source is None or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = await self._body(headers, receive)
        answer = (
            self._intake.too_large(source)
            if body is None
            else await self._intake.handle(source, headers, body, started)
        )
        await respond(send, answer)

    async def _body(self, headers: Mapping[str, str], receive: Receive) -> bytes | None:
        limit = self._intake.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


async def respond(send: Send, answer: Answer) -> None:
    body = answer.encoded()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if answer.status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
