"""A Loki-compatible log API serving a scenario's `logs` (Loki's HTTP API, read side).

`LokiStandIn(streams, now).start()` serves, on a free loopback port (`url`):

- `GET /loki/api/v1/query_range`: `query`, `start`, `end` (default: `now`), `since`
  (default 1h), `limit` (default 100, at most 5000), `direction` (`backward`, the default,
  or `forward`); entries with start <= t < end, the `limit` newest (or oldest) overall;
- `GET /loki/api/v1/query`: a log query at `time` (default `now`): the `limit` entries at
  or before it (newer Loki refuses log queries here; this keeps the older behaviour);
- `GET /loki/api/v1/labels`, `GET /loki/api/v1/label/<name>/values` (optional `query`)
  and `GET /loki/api/v1/series` (`match[]`), over `start`..`end` (default: the last 6h);
- `GET /ready`.

Times are Unix nanoseconds, Unix seconds (10 digits or fewer, or with a fraction) or RFC
3339, as Loki parses them. Queries use the LogQL subset of `world.logql`. Errors answer
400 with Loki's plain-text message. `now` is the scenario's `now`: the replay's clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from world.logql import LogQLError, LogQuery, parse, parse_selector
from world.signals_spec import LogStream, to_time
from world.standin_server import ServedApp

MAX_ENTRIES = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)")
_UNIT_S = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "y": 31536000,
}


class BadRequest(Exception):
    """Ends a request with 400 and Loki's plain-text message."""


@dataclass(frozen=True)
class _Stream:
    labels: dict[str, str]
    entries: list[tuple[int, str]]  # (ns, line), ascending


class LokiStandIn(ServedApp):
    """The scenario's log streams behind Loki's query API; `app` is the Starlette app."""

    label = "the log API"

    def __init__(self, streams: Sequence[LogStream], now: datetime, port: int = 0) -> None:
        self.now_ns = to_ns(now)
        self._streams = [_Stream(dict(sorted(s.labels.items())), log_entries(s)) for s in streams]
        super().__init__(port)
        self.app = Starlette(
            routes=[
                Route("/loki/api/v1/query_range", self._query_range),
                Route("/loki/api/v1/query", self._query),
                Route("/loki/api/v1/labels", self._labels),
                Route("/loki/api/v1/label/{name}/values", self._label_values),
                Route("/loki/api/v1/series", self._series, methods=["GET", "POST"]),
                Route("/ready", self._ready),
            ],
            exception_handlers={BadRequest: _bad_request, LogQLError: _bad_request},
        )

    # --- queries -----------------------------------------------------------------------------

    async def _query_range(self, request: Request) -> Response:
        params = request.query_params
        query = _query(params)
        end = parse_time(params.get("end"), self.now_ns)
        since = parse_duration(params.get("since") or "1h")
        start = parse_time(params.get("start"), end - since)
        if end <= start:
            raise BadRequest("end timestamp must not be before or equal to start time")
        return self._streams_reply(query, start, end - 1, params)

    async def _query(self, request: Request) -> Response:
        params = request.query_params
        query = _query(params)
        at = parse_time(params.get("time"), self.now_ns)
        return self._streams_reply(query, None, at, params)

    def _streams_reply(
        self, query: LogQuery, first: int | None, last: int, params: QueryParams
    ) -> Response:
        """Entries first <= t <= last, the `limit` first in `direction`, grouped by stream."""
        limit, backward = _limit(params), _backward(params)
        found = [
            (ns, i, line)
            for i, stream in enumerate(self._streams)
            if query.selects(stream.labels)
            for ns, line in stream.entries
            if (first is None or ns >= first) and ns <= last and query.keeps(line)
        ]
        found.sort(key=lambda e: (-e[0], e[1]) if backward else (e[0], e[1]))
        grouped: dict[int, list[list[str]]] = {}
        for ns, i, line in found[:limit]:
            grouped.setdefault(i, []).append([str(ns), line])
        result = [
            {"stream": self._streams[i].labels, "values": values}
            for i, values in sorted(grouped.items(), key=lambda kv: _key(self._streams[kv[0]]))
        ]
        stats = {"summary": {"totalEntriesReturned": min(len(found), limit)}}
        data = {"resultType": "streams", "result": result, "stats": stats}
        return JSONResponse({"status": "success", "data": data})

    # --- labels and series -------------------------------------------------------------------

    def _live(self, params: QueryParams, selector: LogQuery | None) -> list[_Stream]:
        """Streams with an entry in start..end (default: the 6 hours before `now`)."""
        end = parse_time(params.get("end"), self.now_ns)
        since = parse_duration(params.get("since") or "6h")
        start = parse_time(params.get("start"), end - since)
        return [
            s
            for s in self._streams
            if (selector is None or selector.selects(s.labels))
            and any(start <= ns <= end for ns, _ in s.entries)
        ]

    async def _labels(self, request: Request) -> Response:
        selector = _selector(request.query_params.get("query"))
        names = {k for s in self._live(request.query_params, selector) for k in s.labels}
        return JSONResponse({"status": "success", "data": sorted(names)})

    async def _label_values(self, request: Request) -> Response:
        name = request.path_params["name"]
        selector = _selector(request.query_params.get("query"))
        streams = self._live(request.query_params, selector)
        values = {s.labels[name] for s in streams if name in s.labels}
        return JSONResponse({"status": "success", "data": sorted(values)})

    async def _series(self, request: Request) -> Response:
        params = request.query_params
        if request.method == "POST":
            params = QueryParams(await request.body())
        matches = params.getlist("match[]") or params.getlist("match")
        if not matches:
            raise BadRequest("at least one match[] argument is required")
        selectors = [parse_selector(m) for m in matches]
        live = self._live(params, None)
        found = [s.labels for s in live if any(q.selects(s.labels) for q in selectors)]
        return JSONResponse({"status": "success", "data": found})

    async def _ready(self, _: Request) -> Response:
        return PlainTextResponse("ready\n")


# --- parameters -------------------------------------------------------------------------------


def to_ns(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1) * 1000


def parse_time(value: str | None, default: int) -> int:
    """Loki's rule: integer with <= 10 digits = seconds, longer = ns; a fraction = seconds;
    otherwise RFC 3339."""
    if not value:
        return default
    try:
        if re.fullmatch(r"-?\d+", value):
            return int(value) * 10**9 if len(value.lstrip("-")) <= 10 else int(value)
        if re.fullmatch(r"-?\d*\.\d*", value):
            seconds = float(value)
            return math.floor(seconds) * 10**9 + round((seconds % 1) * 1000) * 10**6
        return _rfc3339_ns(value)
    except ValueError:
        raise BadRequest(f'cannot parse "{value}" to a valid timestamp') from None


def _rfc3339_ns(value: str) -> int:
    head, frac = value, ""
    match = re.match(r"^(.*[Tt]\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", value)
    if match:
        head, frac = match.group(1) + match.group(3), match.group(2)
    whole = to_ns(to_time(head))
    return whole + int((frac + "000000000")[:9]) if frac else whole


def parse_duration(value: str) -> int:
    """A Prometheus/Loki duration (`1h`, `90m`, `1h30m`) in ns."""
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise BadRequest(f'cannot parse "{value}" to a valid duration')
    return round(sum(float(n) * _UNIT_S[u] for n, u in parts) * 10**9)


def _limit(params: QueryParams) -> int:
    raw = params.get("limit") or "100"
    if not re.fullmatch(r"-?\d+", raw):
        raise BadRequest(f'invalid limit: strconv.Atoi: parsing "{raw}": invalid syntax')
    limit = int(raw)
    if limit <= 0:
        raise BadRequest("limit must be a positive value")
    if limit > MAX_ENTRIES:
        raise BadRequest(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query "
            f"({limit} > {MAX_ENTRIES})"
        )
    return limit


def _backward(params: QueryParams) -> bool:
    direction = (params.get("direction") or "backward").lower()
    if direction not in ("backward", "forward"):
        raise BadRequest(f"invalid direction '{params.get('direction')}'")
    return direction == "backward"


def _query(params: QueryParams) -> LogQuery:
    text = params.get("query")
    if not text:
        raise BadRequest("query parameter is required")
    return parse(text)


def _selector(text: str | None) -> LogQuery | None:
    return parse_selector(text) if text else None


def _bad_request(_: Request, exc: Exception) -> Response:
    """Loki's `http.Error`: the message as plain text."""
    return PlainTextResponse(f"{exc}\n", status_code=400)


def log_entries(stream: LogStream) -> list[tuple[int, str]]:
    """A stream's (Unix ns, text) entries in time order (nanosecond stamps kept)."""
    out = []
    for raw in stream.lines:
        stamp, text = raw.split(" ", 1)
        out.append((_rfc3339_ns(stamp), text))
    return sorted(out, key=lambda e: e[0])


def _key(stream: _Stream) -> list[tuple[str, str]]:
    return sorted(stream.labels.items())
