"""The logs MCP server over stdio, against a minimal Loki on loopback written here.

`FakeLoki` answers the three documented endpoints the server calls
(`/loki/api/v1/query_range`, `/loki/api/v1/labels`, `/loki/api/v1/label/NAME/values`) in
Loki's JSON shapes, for a LogQL subset: a stream selector, `|=` filters, and
`count_over_time(SELECTOR[RANGE])`; anything else is a 400 with a Loki-style parse error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import ClientSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.conftest import ROOT
from tests.mcp_support import stdio_session, structured, text
from world.http import LoopbackServers
from world.signals_spec import LogStream, to_time

pytestmark = pytest.mark.integration

REPLAY_NOW = "2025-06-01T12:00:00Z"
API = {"app": "api", "namespace": "shop", "container": "app"}
WORKER = {"app": "worker", "namespace": "shop"}
LONG = "x" * 2500
STREAMS: list[tuple[dict[str, str], list[tuple[str, str]]]] = [
    (
        API,
        [
            ("2025-06-01T10:00:00Z", "level=info msg=started"),  # before the default window
            ("2025-06-01T11:10:00Z", "level=info msg=ready"),
            ("2025-06-01T11:50:00Z", 'level=error msg="charge failed" err=timeout'),
            ("2025-06-01T11:55:00Z", 'level=error msg="charge failed" err=refused'),
            ("2025-06-01T11:59:30.123456789Z", f"level=debug body={LONG}"),
            ("2025-06-01T12:30:00Z", "level=info msg=later"),  # after REPLAY_NOW
        ],
    ),
    (WORKER, [("2025-06-01T11:30:00Z", "level=info msg=tick")]),
]
_SELECTOR = re.compile(r"^\{(?P<matchers>[^}]*)\}(?P<pipeline>.*)$")
_MATCHER = re.compile(r'\s*(\w+)\s*(=~|!=|=)\s*"([^"]*)"\s*')
_FILTER = re.compile(r'\s*\|=\s*"([^"]*)"')
_COUNT = re.compile(r"^count_over_time\((?P<selector>.*)\[(?P<range>\d+)m\]\)$")


def _ns(stamp: str) -> int:
    whole, _, frac = stamp.removesuffix("Z").partition(".")
    seconds = int(datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp())
    return seconds * 1_000_000_000 + int((frac or "0").ljust(9, "0"))


class FakeLoki:
    """Loki's read API over STREAMS; records each request's headers."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        self.app = Starlette(
            routes=[
                Route("/loki/api/v1/query_range", self.query_range),
                Route("/loki/api/v1/labels", self.labels),
                Route("/loki/api/v1/label/{name}/values", self.values),
            ]
        )

    def _select(self, query: str) -> list[tuple[dict[str, str], list[tuple[int, str]]]]:
        match = _SELECTOR.match(query.strip())
        pipeline = match.group("pipeline") if match else ""
        if not match or _FILTER.sub("", pipeline).strip():
            raise ValueError("parse error at line 1, col 1: syntax error: unexpected IDENTIFIER")
        matchers = _MATCHER.findall(match.group("matchers"))
        words = _FILTER.findall(pipeline)
        found = []
        for labels, lines in STREAMS:
            if all(_matches(labels.get(k, ""), op, v) for k, op, v in matchers):
                kept = [(_ns(t), line) for t, line in lines if all(w in line for w in words)]
                found.append((labels, kept))
        return found

    async def query_range(self, request: Request) -> Response:
        self.headers.append(dict(request.headers))
        q = request.query_params
        start, end, limit = int(q["start"]), int(q["end"]), int(q["limit"])
        counted = _COUNT.match(q["query"])
        try:
            streams = self._select(counted.group("selector") if counted else q["query"])
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if counted:
            span, step = int(counted.group("range")) * 60, int(float(q["step"].rstrip("s")))
            return _matrix(streams, start // 10**9, end // 10**9, span, step)
        entries = [(labels, ns, line) for labels, lines in streams for ns, line in lines]
        entries = [e for e in entries if start <= e[1] < end]
        entries.sort(key=lambda e: e[1], reverse=q["direction"] == "backward")
        result: dict[str, dict[str, Any]] = {}
        for labels, ns, line in entries[:limit]:
            key = json.dumps(labels, sort_keys=True)
            result.setdefault(key, {"stream": labels, "values": []})["values"].append(
                [str(ns), line]
            )
        data = {"resultType": "streams", "result": list(result.values()), "stats": {}}
        return JSONResponse({"status": "success", "data": data})

    async def labels(self, request: Request) -> Response:
        names = sorted({k for labels, _ in STREAMS for k in labels})
        return JSONResponse({"status": "success", "data": names})

    async def values(self, request: Request) -> Response:
        query = request.query_params.get("query")
        streams = self._select(query) if query else [(labels, []) for labels, _ in STREAMS]
        name = request.path_params["name"]
        found = sorted({labels[name] for labels, _ in streams if name in labels})
        return JSONResponse({"status": "success", "data": found})


def _matches(value: str, op: str, wanted: str) -> bool:
    if op == "=~":
        return re.fullmatch(wanted, value) is not None
    return (value == wanted) is (op == "=")


def _matrix(
    streams: list[tuple[dict[str, str], list[tuple[int, str]]]],
    start: int, end: int, span: int, step: int,
) -> Response:  # fmt: skip
    result = []
    for labels, lines in streams:
        stamps = [ns // 10**9 for ns, _ in lines]
        points = [
            [t, str(sum(1 for s in stamps if t - span < s <= t))]
            for t in range(start, end + 1, step)
        ]
        result.append({"metric": labels, "values": [p for p in points if p[1] != "0"]})
    data = {"resultType": "matrix", "result": result}
    return JSONResponse({"status": "success", "data": data})


@pytest.fixture
def loki() -> FakeLoki:
    return FakeLoki()


@pytest.fixture
def loki_url(loki: FakeLoki) -> Iterator[str]:
    with LoopbackServers([loki.app]) as servers:
        yield servers.urls[0]


@asynccontextmanager
async def connect(url: str, **extra: str) -> AsyncIterator[ClientSession]:
    env = {"LOKI_URL": url, "REPLAY_NOW": REPLAY_NOW} | extra
    async with stdio_session("mcpservers.logs", env) as session:
        yield session


async def test_tools_are_read_only_with_output_schemas(loki_url: str) -> None:
    async with connect(loki_url) as session:
        tools = (await session.list_tools()).tools
    assert {t.name for t in tools} == {"query_range", "labels", "label_values"}
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.readOnlyHint is True
        assert tool.outputSchema is not None


async def test_default_window_is_the_hour_before_replay_now(loki_url: str) -> None:
    async with connect(loki_url) as session:
        found = structured(await session.call_tool("query_range", {"query": '{namespace="shop"}'}))
    assert (found["start"], found["end"]) == ("2025-06-01T11:00:00Z", REPLAY_NOW)
    api, worker = found["streams"]
    assert (api["labels"], worker["labels"]) == (API, WORKER)
    assert [t for t, _ in api["entries"]] == [
        "2025-06-01T11:10:00Z", "2025-06-01T11:50:00Z", "2025-06-01T11:55:00Z",
        "2025-06-01T11:59:30.123456789Z",
    ]  # fmt: skip
    assert api["entries"][-1][1].endswith(" …[517 more characters]")
    assert len(api["entries"][-1][1]) < 2100
    assert worker["entries"] == [["2025-06-01T11:30:00Z", "level=info msg=tick"]]
    assert (found["entries_total"], found["truncated"]) == (5, False)


async def test_limit_and_direction_pick_the_end_of_the_window(loki_url: str) -> None:
    query = '{app="api"} |= "charge failed"'
    async with connect(loki_url) as session:
        newest = structured(await session.call_tool("query_range", {"query": query, "limit": 1}))
        oldest = structured(
            await session.call_tool(
                "query_range", {"query": query, "limit": 1, "direction": "forward"}
            )
        )
        early = structured(
            await session.call_tool(
                "query_range",
                {"query": '{app="api"}', "start": "2025-06-01T09:00:00Z", "end": "now-1h30m"},
            )
        )
    assert newest["streams"][0]["entries"][0][1].endswith("err=refused")
    assert oldest["streams"][0]["entries"][0][1].endswith("err=timeout")
    assert newest["truncated"] is True and newest["entries_total"] == 1
    assert early["end"] == "2025-06-01T10:30:00Z"
    assert early["streams"][0]["entries"] == [["2025-06-01T10:00:00Z", "level=info msg=started"]]


async def test_metric_queries_come_back_as_series(loki_url: str) -> None:
    query = 'count_over_time({app="api"} |= "error"[10m])'
    async with connect(loki_url) as session:
        found = structured(
            await session.call_tool(
                "query_range", {"query": query, "start": "now-15m", "step": "5m"}
            )
        )
    assert (found["result_type"], found["streams"]) == ("matrix", [])
    [series] = found["series"]
    assert series["labels"] == API
    assert series["points"] == [
        ["2025-06-01T11:50:00Z", 1.0], ["2025-06-01T11:55:00Z", 2.0],
        ["2025-06-01T12:00:00Z", 1.0],
    ]  # fmt: skip


async def test_labels_values_and_auth_headers(loki: FakeLoki, loki_url: str) -> None:
    async with connect(loki_url, LOKI_BEARER_TOKEN="s3cret", LOKI_TENANT="team-a") as session:
        names = structured(await session.call_tool("labels", {}))
        apps = structured(await session.call_tool("label_values", {"label": "app"}))
        some = structured(
            await session.call_tool("label_values", {"label": "container", "query": '{app="api"}'})
        )
        await session.call_tool("query_range", {"query": '{app="api"}'})
    assert names["labels"] == ["app", "container", "namespace"]
    assert (names["start"], names["end"]) == ("2025-06-01T11:00:00Z", REPLAY_NOW)
    assert apps["values"] == ["api", "worker"] and some["values"] == ["app"]
    [sent] = loki.headers
    assert (sent["authorization"], sent["x-scope-orgid"]) == ("Bearer s3cret", "team-a")


async def test_upstream_errors_are_tool_errors_quoting_loki(loki_url: str) -> None:
    async with connect(loki_url) as session:
        bad = await session.call_tool("query_range", {"query": 'app="api"'})
        bad_time = await session.call_tool("labels", {"start": "an hour ago"})
    assert bad.isError
    assert "Loki API 400: parse error at line 1, col 1: syntax error" in text(bad)
    assert "query 'app=\"api\"'" in text(bad)
    assert bad_time.isError and "start must be RFC 3339" in text(bad_time)


async def test_unreachable_loki_is_a_tool_error() -> None:
    with LoopbackServers([FakeLoki().app]) as servers:
        url = servers.urls[0]
    async with connect(url) as session:
        result = await session.call_tool("labels", {})
    assert result.isError and f"Loki unreachable at {url} for labels" in text(result)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "mcpservers.logs: LOKI_URL is not set"),
        ({"LOKI_URL": "loki:3100"}, "LOKI_URL must be an http(s) URL"),
        ({"LOKI_URL": "http://127.0.0.1:9", "REPLAY_NOW": "2025-06-01T12:00:00"}, "time zone"),
    ],
)
def test_bad_settings_exit_at_start(env: dict[str, str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcpservers.logs"],
        cwd=ROOT, env={"PATH": os.environ["PATH"], **env},
        input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr
    assert json.dumps(done.stdout) == '""'


async def test_against_the_world_loki_standin() -> None:
    """The same server against the replay world's Loki stand-in (world.loki_api)."""
    loki_api = pytest.importorskip("world.loki_api")
    streams = [
        LogStream(labels=labels, lines=[f"{t} {line}" for t, line in lines])
        for labels, lines in STREAMS
    ]
    with loki_api.LokiStandIn(streams, to_time(REPLAY_NOW)) as standin:
        async with connect(standin.url) as session:
            found = structured(
                await session.call_tool("query_range", {"query": '{app="api"} |= "charge"'})
            )
            newest = structured(
                await session.call_tool("query_range", {"query": '{namespace="shop"}', "limit": 2})
            )
            apps = structured(await session.call_tool("label_values", {"label": "app"}))
            bad = await session.call_tool("query_range", {"query": "{app="})
    [stream] = found["streams"]
    assert [t for t, _ in stream["entries"]] == ["2025-06-01T11:50:00Z", "2025-06-01T11:55:00Z"]
    assert [t for s in newest["streams"] for t, _ in s["entries"]] == [
        "2025-06-01T11:55:00Z", "2025-06-01T11:59:30.123456789Z",
    ]  # fmt: skip
    assert newest["truncated"] is True
    assert apps["values"] == ["api", "worker"]
    assert bad.isError and "Loki API 400: parse error at line 1" in text(bad)
