"""The Prometheus MCP server over stdio, against a real Prometheus (Debian's `prometheus`).

The series are written here as OpenMetrics, backfilled with `promtool tsdb
create-blocks-from openmetrics`, and served by `prometheus` on a free loopback port with
a long retention; the day is in the past, as in a replay.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.conftest import ROOT
from tests.mcp_support import stdio_session, structured, text
from world.http import LoopbackServers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (shutil.which("prometheus") and shutil.which("promtool")),
        reason="needs Debian's prometheus package (apt-get install -y prometheus)",
    ),
]

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REPLAY_NOW = "2025-06-01T12:00:00Z"
ERRORS_FROM = NOW - timedelta(minutes=20)
RULES = """
groups:
  - name: api
    rules:
      - alert: ApiErrors
        expr: sum by (service) (rate(app_requests_total{code="500"}[5m])) > 0.5
        for: 5m
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.service }} errors at {{ $value }}/s"}
      - alert: ApiErrorsForHours
        expr: sum by (service) (rate(app_requests_total{code="500"}[5m])) > 0.5
        for: 2h
      - alert: QueueStuck
        expr: app_queue_depth > 1000
      - record: service:errors:rate5m
        expr: sum by (service) (rate(app_requests_total{code="500"}[5m]))
"""


def openmetrics() -> str:
    """Two hours before NOW, one sample a minute: 500s start at ERRORS_FROM (1/s)."""
    lines = ["# HELP app_requests Requests served.", "# TYPE app_requests counter"]
    memory = ["# HELP app_memory_bytes Working set.", "# TYPE app_memory_bytes gauge"]
    ok = errors = 0
    for minute in range(-120, 1):
        at = NOW + timedelta(minutes=minute)
        ok += 600
        errors += 60 if at > ERRORS_FROM else 0
        stamp = int(at.timestamp())
        lines.append(f'app_requests_total{{service="api",code="200"}} {ok} {stamp}')
        lines.append(f'app_requests_total{{service="api",code="500"}} {errors} {stamp}')
        memory.append(f'app_memory_bytes{{pod="api-1"}} {1000 + minute + 120} {stamp}')
    return "\n".join(lines + memory + ["# EOF", ""])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("prometheus")
    (root / "series.om").write_text(openmetrics())
    data = root / "data"
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(root / "series.om"),
         str(data)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (root / "rules.yml").write_text(RULES)
    dead = _free_port()  # a scrape target nobody listens on
    (root / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1m}\n"
        "rule_files: [rules.yml]\n"
        "scrape_configs: [{job_name: dead, static_configs: [{targets: [TARGET]}]}]\n".replace(
            "TARGET", f"'127.0.0.1:{dead}'"
        )
    )
    url = f"http://127.0.0.1:{_free_port()}"
    proc = _start(root, data, url)
    try:
        _await_targets(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _start(root: Path, data: Path, url: str) -> subprocess.Popen[bytes]:
    with (root / "log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={root / 'prometheus.yml'}",
             f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=36500d",
             f"--web.listen-address={url.removeprefix('http://')}"],
            cwd=root, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"prometheus did not start: {(root / 'log').read_text()[-2000:]}")


def _await_targets(url: str) -> None:
    """Ready is not yet discovered: Prometheus applies the scrape targets a few seconds later."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        if found:
            return
        time.sleep(0.2)
    raise RuntimeError(f"prometheus at {url} listed no scrape target within 30 s")


@asynccontextmanager
async def connect(url: str, replay_now: str | None = REPLAY_NOW) -> AsyncIterator[ClientSession]:
    env = {"PROMETHEUS_URL": url} | ({"REPLAY_NOW": replay_now} if replay_now else {})
    async with stdio_session("mcpservers.prometheus", env) as session:
        yield session


TOOLS = {"query", "query_range", "series", "label_values", "alerts", "rules", "targets"}


async def test_tools_are_read_only_with_output_schemas(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        tools = (await session.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.readOnlyHint is True, tool.name
        assert tool.outputSchema is not None, tool.name


async def test_instant_query_defaults_to_replay_now(prometheus_url: str) -> None:
    query = 'sum by (code) (rate(app_requests_total{service="api"}[5m]))'
    async with connect(prometheus_url) as session:
        now = structured(await session.call_tool("query", {"query": query}))
        before = structured(await session.call_tool("query", {"query": query, "time": "now-30m"}))
        window = structured(
            await session.call_tool("query", {"query": 'app_memory_bytes{pod="api-1"}[3m]'})
        )
    assert (now["time"], now["result_type"]) == (REPLAY_NOW, "vector")
    rates = {s["labels"]["code"]: s["points"] for s in now["series"]}
    assert rates == {"200": [[REPLAY_NOW, 10.0]], "500": [[REPLAY_NOW, 1.0]]}
    assert before["time"] == "2025-06-01T11:30:00Z"
    assert {s["labels"]["code"]: s["points"][0][1] for s in before["series"]} == {
        "200": 10.0, "500": 0.0,
    }  # fmt: skip
    [memory] = window["series"]
    assert window["result_type"] == "matrix"
    assert memory["points"][-1] == [REPLAY_NOW, 1120.0]
    assert len(memory["points"]) in (3, 4)  # Prometheus 3 leaves the range's start out


async def test_range_query_defaults_to_the_hour_before_now(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        ranged = structured(
            await session.call_tool("query_range", {"query": 'app_memory_bytes{pod="api-1"}'})
        )
        fine = structured(
            await session.call_tool(
                "query_range",
                {"query": "app_memory_bytes", "start": "now-2h", "step": "1s"},
            )
        )
    assert (ranged["start"], ranged["end"], ranged["step"]) == (
        "2025-06-01T11:00:00Z", REPLAY_NOW, "60s",
    )  # fmt: skip
    [series] = ranged["series"]
    assert series["labels"] == {"__name__": "app_memory_bytes", "pod": "api-1"}
    assert len(series["points"]) == 61
    assert series["points"][0] == ["2025-06-01T11:00:00Z", 1060.0]
    assert fine["step"] == "15s" and "step raised from 1s to 15s" in fine["warnings"][0]


async def test_series_and_label_values(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        names = structured(await session.call_tool("label_values", {"label": "__name__"}))
        codes = structured(
            await session.call_tool(
                "label_values", {"label": "code", "match": ["app_requests_total"]}
            )
        )
        found = structured(
            await session.call_tool("series", {"match": ['app_requests_total{code="500"}']})
        )
        long_ago = structured(
            await session.call_tool(
                "label_values", {"label": "__name__", "end": "2025-05-01T00:00:00Z"}
            )
        )
    assert {"app_memory_bytes", "app_requests_total"} <= set(names["values"])
    assert codes["values"] == ["200", "500"]
    assert found["series"] == [{"__name__": "app_requests_total", "code": "500", "service": "api"}]
    assert long_ago["values"] == []


async def test_alerts_and_rules_are_evaluated_at_replay_now(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        alerts = structured(await session.call_tool("alerts", {}))
        rules = structured(await session.call_tool("rules", {}))
        alerting = structured(await session.call_tool("rules", {"type": "alerting"}))
    assert (alerts["source"], alerts["evaluated_at"]) == ("replay", REPLAY_NOW)
    by_name = {a["name"]: a for a in alerts["alerts"]}
    assert set(by_name) == {"ApiErrors", "ApiErrorsForHours"}
    firing = by_name["ApiErrors"]
    assert firing["state"] == "firing" and firing["value"] == 1.0
    assert firing["labels"] == {"alertname": "ApiErrors", "service": "api", "severity": "critical"}
    assert firing["annotations"] == {"summary": "api errors at 1/s"}
    assert "2025-06-01T11:40:00Z" <= firing["active_at"] <= "2025-06-01T11:45:00Z"
    assert by_name["ApiErrorsForHours"]["state"] == "pending"
    states = {r["name"]: (r["type"], r["state"], r["active_alerts"]) for r in rules["rules"]}
    assert states == {
        "ApiErrors": ("alerting", "firing", 1),
        "ApiErrorsForHours": ("alerting", "pending", 1),
        "QueueStuck": ("alerting", "inactive", 0),
        "service:errors:rate5m": ("recording", None, 0),
    }
    assert [r["for_seconds"] for r in alerting["rules"]] == [300, 7200, 0]


async def test_without_replay_now_alerts_are_prometheus_own(prometheus_url: str) -> None:
    async with connect(prometheus_url, replay_now=None) as session:
        alerts = structured(await session.call_tool("alerts", {}))
        rules = structured(await session.call_tool("rules", {"type": "recording"}))
        now = structured(await session.call_tool("query", {"query": "vector(1)"}))
    assert (alerts["source"], alerts["alerts"]) == ("prometheus", [])  # the data is old
    assert [r["name"] for r in rules["rules"]] == ["service:errors:rate5m"]
    assert rules["source"] == "prometheus"
    took = datetime.fromisoformat(now["time"].replace("Z", "+00:00"))
    assert abs(took - datetime.now(UTC)) < timedelta(minutes=1)


async def test_targets(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        found = structured(await session.call_tool("targets", {}))
        up = structured(await session.call_tool("targets", {"health": "up"}))
    [dead] = found["active"]
    assert (dead["job"], dead["scrape_pool"]) == ("dead", "dead")
    assert dead["scrape_url"].endswith("/metrics") and dead["health"] in ("down", "unknown")
    assert up["active"] == [] and found["dropped_total"] == 0


async def test_upstream_errors_are_tool_errors_quoting_prometheus(prometheus_url: str) -> None:
    async with connect(prometheus_url) as session:
        bad = await session.call_tool("query", {"query": "app_requests_total{"})
        bad_time = await session.call_tool("query_range", {"query": "up", "start": "yesterday"})
        reversed_ = await session.call_tool(
            "query_range", {"query": "up", "start": "now", "end": "now-1h"}
        )
    assert bad.isError
    assert "Prometheus API 400 bad_data: invalid parameter" in text(bad)
    assert "parse error" in text(bad) and "query 'app_requests_total{'" in text(bad)
    assert bad_time.isError and "start must be RFC 3339" in text(bad_time)
    assert reversed_.isError and "is after end" in text(reversed_)


async def test_unreachable_prometheus_is_a_tool_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    async with connect(url) as session:
        result = await session.call_tool("alerts", {})
    assert result.isError and f"Prometheus unreachable at {url} for rules" in text(result)


async def test_bearer_token_is_sent_and_non_json_errors_are_quoted() -> None:
    seen: list[str] = []

    async def alerts(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        return JSONResponse({"status": "success", "data": {"alerts": []}})

    async def gateway(request: Request) -> Response:
        return PlainTextResponse("upstream connect error", status_code=502)

    app = Starlette(
        routes=[Route("/prom/api/v1/alerts", alerts), Route("/prom/api/v1/query", gateway)]
    )
    with LoopbackServers([app]) as servers:
        url = f"{servers.urls[0]}/prom"
        env = {"PROMETHEUS_URL": url, "PROMETHEUS_BEARER_TOKEN": "t0ken"}
        async with stdio_session("mcpservers.prometheus", env) as session:
            found = structured(await session.call_tool("alerts", {}))
            failed = await session.call_tool("query", {"query": "up"})
    assert found == {"source": "prometheus", "evaluated_at": None, "alerts": [], "warnings": []}
    assert seen == ["Bearer t0ken"]
    assert failed.isError
    assert "Prometheus API 502 Bad Gateway: upstream connect error (query 'up')" in text(failed)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "mcpservers.prometheus: PROMETHEUS_URL is not set"),
        ({"PROMETHEUS_URL": "prometheus:9090"}, "PROMETHEUS_URL must be an http(s) URL"),
        (
            {"PROMETHEUS_URL": "http://127.0.0.1:9", "REPLAY_NOW": "noon"},
            "REPLAY_NOW must be RFC 3339",
        ),
    ],
)
def test_bad_settings_exit_at_start(env: dict[str, str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcpservers.prometheus"],
        cwd=ROOT, env={"PATH": os.environ["PATH"], **env},
        input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr
    assert json.dumps(done.stdout) == '""'
