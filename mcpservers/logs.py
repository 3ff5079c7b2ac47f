"""Logs as a stdio MCP server on Loki's HTTP API: LogQL queries, label names and values.

Run `python -m mcpservers.logs`. Settings come from the environment:

- `LOKI_URL` (required): Loki's base URL, e.g. `http://loki:3100` (a path prefix is kept);
  the server exits at start without it.
- `LOKI_BEARER_TOKEN`: sent as `Authorization: Bearer ...` when set.
- `LOKI_TENANT`: sent as `X-Scope-OrgID` (multi-tenant Loki) when set.
- `REPLAY_NOW` (optional, RFC 3339): "now" for the default windows; replays set it to the
  scenario's `now`. Empty or unset: the real clock.

Loki's errors come back as MCP tool errors quoting its message, e.g.
`Loki API 400: parse error at line 1, col 9: syntax error: unexpected $end (query ...)`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

import httpx
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from mcpservers.timeargs import (
    iso,
    iso_nanos,
    iso_unix,
    parse_duration,
    replay_now,
    seconds_text,
    window,
)

READ = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_WINDOW = timedelta(hours=1)
MAX_LINE = 2000  # characters kept of one log line

LogQL = Annotated[
    str, Field(description='LogQL, e.g. {app="api"} |= "error", or rate({app="api"}[1m])')
]
TimeArg = Annotated[
    str | None,
    Field(description="RFC 3339 (e.g. 2026-03-14T10:04:00Z), Unix seconds, or now-15m"),
]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Stream(_Result):
    labels: dict[str, str]
    entries: list[tuple[str, str]] = Field(description="[RFC 3339 time, line], oldest first")


class MetricSeries(_Result):
    labels: dict[str, str]
    points: list[tuple[str, float]] = Field(description="[RFC 3339 time, value], oldest first")


class LogResult(_Result):
    query: str
    start: str
    end: str
    direction: str
    limit: int
    result_type: str = Field(description="streams (log lines) or matrix (a metric query)")
    streams: list[Stream]
    series: list[MetricSeries]
    entries_total: int
    truncated: bool = Field(
        description="true when `limit` entries came back: there may be more in the window"
    )


class LabelNames(_Result):
    start: str
    end: str
    labels: list[str]


class LabelValues(_Result):
    label: str
    query: str | None
    start: str
    end: str
    values: list[str]


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None = None
    tenant: str | None = None
    now: datetime | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        url = env.get("LOKI_URL", "").strip().rstrip("/")
        if not url:
            raise ValueError("LOKI_URL is not set; give Loki's base URL (http://loki:3100)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"LOKI_URL must be an http(s) URL like http://loki:3100; got {url!r}")
        return cls(
            url=url,
            token=env.get("LOKI_BEARER_TOKEN", "").strip() or None,
            tenant=env.get("LOKI_TENANT", "").strip() or None,
            now=replay_now(env),
        )

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def headers(self) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return found | ({"X-Scope-OrgID": self.tenant} if self.tenant else {})


async def get(settings: Settings, path: str, params: dict[str, Any], about: str) -> Any:
    """The `data` of a Loki API reply; failures become tool errors quoting Loki."""
    try:
        async with httpx.AsyncClient(
            base_url=settings.url, headers=settings.headers(), timeout=TIMEOUT
        ) as http:
            response = await http.get(path, params=params)
    except httpx.HTTPError as exc:
        raise ToolError(f"Loki unreachable at {settings.url} for {about}: {exc}") from exc
    if response.status_code >= 400:
        message = response.text.strip()[:500] or response.reason_phrase
        raise ToolError(f"Loki API {response.status_code}: {message} ({about})")
    try:
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
    except ValueError:
        raise ToolError(f"Loki API returned no JSON ({about}): {response.text[:200]}") from None
    if body.get("status") not in (None, "success"):
        raise ToolError(f"Loki API {body.get('status')}: {body.get('error', body)} ({about})")
    return body.get("data")


def _nanos(value: datetime) -> str:
    return str(int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000)


def _line(text: str) -> str:
    cut = len(text) - MAX_LINE
    return text if cut <= 0 else f"{text[:MAX_LINE]} …[{cut} more characters]"


def streams_of(result: list[dict[str, Any]]) -> list[Stream]:
    found = []
    for item in result:
        entries = sorted((int(ns), line) for ns, line, *_ in item.get("values") or [])
        found.append(
            Stream(
                labels=dict(item.get("stream") or {}),
                entries=[(iso_nanos(ns), _line(line)) for ns, line in entries],
            )
        )
    return sorted(found, key=lambda s: sorted(s.labels.items()))


def series_of(result: list[dict[str, Any]]) -> list[MetricSeries]:
    found = [
        MetricSeries(
            labels=dict(item.get("metric") or {}),
            points=[(iso_unix(float(t)), float(v)) for t, v in item.get("values") or []],
        )
        for item in result
    ]
    return sorted(found, key=lambda s: sorted(s.labels.items()))


def _window(
    start: str | None, end: str | None, now: datetime, about: str
) -> tuple[datetime, datetime]:
    try:
        return window(start, end, now, DEFAULT_WINDOW)
    except ValueError as exc:
        raise ToolError(f"{exc} ({about})") from exc


def build_server(settings: Settings) -> FastMCP:
    """The FastMCP server with the log tools bound to `settings`."""
    server = FastMCP("logs", log_level="WARNING")

    @server.tool(annotations=READ)
    async def query_range(
        query: LogQL,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="at most this many lines")] = 100,
        direction: Literal["backward", "forward"] = "backward",
        step: Annotated[str | None, Field(description="metric queries only, e.g. 1m")] = None,
    ) -> LogResult:
        """Run LogQL over [start, end]: end defaults to now, start to an hour before end.
        Log queries give streams (labels and [time, line] entries, oldest first);
        `direction` picks which end of the window the `limit` lines come from (backward:
        the newest). Metric queries (rate, count_over_time...) give series of points."""
        about = f"query {query!r}"
        since, until = _window(start, end, settings.clock(), about)
        params = {
            "query": query,
            "start": _nanos(since),
            "end": _nanos(until),
            "limit": limit,
            "direction": direction,
        }
        if step:
            try:
                params["step"] = seconds_text(parse_duration(step, "step"))
            except ValueError as exc:
                raise ToolError(f"{exc} ({about})") from exc
        data = await get(settings, "/loki/api/v1/query_range", params, about)
        kind, result = data.get("resultType", ""), data.get("result") or []
        streams = streams_of(result) if kind == "streams" else []
        total = sum(len(s.entries) for s in streams)
        return LogResult(
            query=query, start=iso(since), end=iso(until), direction=direction, limit=limit,
            result_type=kind, streams=streams,
            series=series_of(result) if kind == "matrix" else [],
            entries_total=total, truncated=kind == "streams" and total >= limit,
        )  # fmt: skip

    @server.tool(annotations=READ)
    async def labels(start: TimeArg = None, end: TimeArg = None) -> LabelNames:
        """The label names seen in [start, end] (default: the hour before now)."""
        since, until = _window(start, end, settings.clock(), "labels")
        params = {"start": _nanos(since), "end": _nanos(until)}
        data = await get(settings, "/loki/api/v1/labels", params, "labels")
        names = sorted(str(n) for n in data or [])
        return LabelNames(start=iso(since), end=iso(until), labels=names)

    @server.tool(annotations=READ)
    async def label_values(
        label: Annotated[str, Field(description="a label name, e.g. app or namespace")],
        query: Annotated[
            str | None, Field(description='only streams matching this selector, e.g. {ns="x"}')
        ] = None,
        start: TimeArg = None,
        end: TimeArg = None,
    ) -> LabelValues:
        """The values a label takes in [start, end] (default: the hour before now)."""
        about = f"label {label!r} values"
        since, until = _window(start, end, settings.clock(), about)
        params = {"start": _nanos(since), "end": _nanos(until)}
        params |= {"query": query} if query else {}
        path = f"/loki/api/v1/label/{quote(label, safe='')}/values"
        data = await get(settings, path, params, about)
        values = sorted(str(v) for v in data or [])
        return LabelValues(
            label=label, query=query, start=iso(since), end=iso(until), values=values
        )

    return server


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except ValueError as exc:
        sys.exit(f"mcpservers.logs: {exc}")
    build_server(settings).run("stdio")


if __name__ == "__main__":
    main()
