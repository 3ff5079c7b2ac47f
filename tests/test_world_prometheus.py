"""The world's Prometheus: a real `prometheus` serving series backfilled with `promtool`.

One server keeps the scenario's times (queries pass `time=`); one shifts them so the
scenario's `now` is the wall clock, evaluates the rules and sends what fires to an
Alertmanager-shaped receiver on loopback.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from world.http import LoopbackServers
from world.prometheus import PrometheusMissing, PrometheusServer
from world.prometheus_data import active_since, openmetrics
from world.signals_spec import MetricsSpec

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (shutil.which("prometheus") and shutil.which("promtool")),
        reason="needs Debian's prometheus package (apt-get install -y prometheus)",
    ),
]

NOW = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
GAP = NOW - timedelta(minutes=20)  # the 500s counter has no sample here


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def metrics_spec(rules: list[dict[str, Any]] | None = None) -> MetricsSpec:
    errors: list[float | None] = [60.0 * i for i in range(31)]
    errors[10] = None
    series = [
        {"name": "http_requests_total", "type": "counter", "help": "Requests served.",
         "labels": {"service": "api", "code": "500"}, "start": _at(-30), "step": "1m",
         "values": errors},
        {"name": "http_requests_total", "type": "counter",
         "labels": {"service": "api", "code": "200"}, "start": _at(-30), "step": "1m",
         "values": [600.0 * i for i in range(31)]},
        {"name": "queue_depth", "help": "Jobs waiting.\nPer queue.", "labels": {"queue": "mail"},
         "samples": [(_at(-20), 5), (_at(-10), 50), (_at(0), 500)]},
        {"name": "build_info", "labels": {"version": '1.2 "beta" \\ x'},
         "samples": [(_at(-1), 1)]},
    ]  # fmt: skip
    return MetricsSpec.model_validate({"series": series, "rules": rules or []})


RULES = [
    {"alert": "ErrorsSustained", "expr": 'rate(http_requests_total{code="500"}[5m]) > 0.5',
     "for": "10m", "labels": {"severity": "critical", "team": "{{ $labels.service }}-team"},
     "annotations": {"summary": "{{ $labels.service }} 5xx"}},
    {"alert": "QueueDeep", "expr": "queue_depth > 100"},
    {"alert": "NeverTrue", "expr": "queue_depth > 1e9", "for": "1m"},
]  # fmt: skip


@pytest.fixture(scope="module")
def prom() -> Iterator[PrometheusServer]:
    with PrometheusServer(metrics_spec(RULES), NOW) as server:
        yield server


class Receiver:
    """Alertmanager's `POST /api/v2/alerts`, recorded."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/api/v2/alerts", self._post, methods=["POST"])])

    async def _post(self, request: Request) -> JSONResponse:
        self.alerts.extend(await request.json())
        return JSONResponse({})


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with LoopbackServers([rec.app]) as servers:
        yield rec, servers.urls[0]


@pytest.fixture(scope="module")
def shifted(receiver: tuple[Receiver, str]) -> Iterator[PrometheusServer]:
    spec = metrics_spec(RULES)
    with PrometheusServer(spec, NOW, shift=True, alertmanager_url=receiver[1]) as server:
        yield server


def query(prom: PrometheusServer, expr: str, at: datetime) -> list[dict[str, Any]]:
    reply = httpx.get(f"{prom.url}/api/v1/query", params={"query": expr, "time": at.timestamp()})
    assert reply.status_code == 200, reply.text
    result: list[dict[str, Any]] = reply.json()["data"]["result"]
    return result


def test_instant_query_reads_a_gauge_at_the_time_asked(prom: PrometheusServer) -> None:
    assert query(prom, "queue_depth", NOW - timedelta(minutes=10))[0]["value"][1] == "50"
    assert query(prom, "queue_depth", NOW - timedelta(minutes=6))[0]["value"][1] == "50"
    assert query(prom, "queue_depth", NOW)[0]["value"] == [NOW.timestamp(), "500"]
    assert query(prom, "queue_depth", NOW - timedelta(hours=2)) == []


def test_range_query_returns_the_samples_at_each_step(prom: PrometheusServer) -> None:
    params = {"query": 'queue_depth{queue="mail"}', "step": "600"}
    params |= {"start": str((NOW - timedelta(minutes=20)).timestamp()), "end": str(NOW.timestamp())}
    reply = httpx.get(f"{prom.url}/api/v1/query_range", params=params).json()
    [series] = reply["data"]["result"]
    assert series["metric"] == {"__name__": "queue_depth", "queue": "mail"}
    start = (NOW - timedelta(minutes=20)).timestamp()
    assert series["values"] == [[start, "5"], [start + 600, "50"], [start + 1200, "500"]]


def test_counters_answer_rate_and_increase(prom: PrometheusServer) -> None:
    by_code = query(prom, "sum by (code) (rate(http_requests_total[5m]))", NOW)
    rates = {r["metric"]["code"]: float(r["value"][1]) for r in by_code}
    assert rates == pytest.approx({"200": 10.0, "500": 1.0})
    [increase] = query(prom, 'increase(http_requests_total{code="200"}[10m])', NOW)
    assert float(increase["value"][1]) == pytest.approx(6000.0)


def test_a_gap_in_the_values_is_absent(prom: PrometheusServer) -> None:
    [raw] = query(prom, 'http_requests_total{code="500"}[31m]', NOW)
    times = [t for t, _ in raw["values"]]
    assert len(times) == 30
    assert GAP.timestamp() not in times
    assert (GAP - timedelta(minutes=1)).timestamp() in times


def test_label_values_with_quotes_and_backslashes_survive(prom: PrometheusServer) -> None:
    [info] = query(prom, "build_info", NOW)
    assert info["metric"]["version"] == '1.2 "beta" \\ x'


def test_unshifted_rules_are_loaded_but_not_fired(prom: PrometheusServer) -> None:
    groups = httpx.get(f"{prom.url}/api/v1/rules").json()["data"]["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(rules) == {"ErrorsSustained", "QueueDeep", "NeverTrue"}
    assert rules["ErrorsSustained"]["duration"] == 600
    assert all(r["state"] == "inactive" for r in rules.values())


def _firing(server: PrometheusServer, timeout: float = 20.0) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    alerts: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        listed = httpx.get(f"{server.url}/api/v1/alerts").json()["data"]["alerts"]
        alerts = {a["labels"]["alertname"]: a for a in listed}
        if all(
            alerts.get(n, {}).get("state") == "firing" for n in ("ErrorsSustained", "QueueDeep")
        ):
            break
        time.sleep(0.25)
    return alerts


def test_shifted_data_ends_at_the_wall_clock(shifted: PrometheusServer) -> None:
    assert abs((shifted.now - datetime.now(UTC)).total_seconds()) < 120
    assert shifted.offset == shifted.now - NOW
    assert query(shifted, "queue_depth", shifted.now)[0]["value"][1] == "500"


def test_a_rule_with_for_fires_at_once_on_shifted_data(shifted: PrometheusServer) -> None:
    started = time.monotonic()
    alerts = _firing(shifted)
    assert alerts["ErrorsSustained"]["state"] == "firing", alerts
    assert alerts["QueueDeep"]["state"] == "firing"
    assert "NeverTrue" not in alerts
    assert time.monotonic() - started < 15  # not the rule's 10 minutes
    labels = alerts["ErrorsSustained"]["labels"]
    assert labels == {"alertname": "ErrorsSustained", "service": "api", "code": "500",
                      "severity": "critical", "team": "api-team"}  # fmt: skip
    active = datetime.fromisoformat(alerts["ErrorsSustained"]["activeAt"])
    assert shifted.now - active > timedelta(minutes=10)


def test_firing_alerts_reach_the_alertmanager(
    shifted: PrometheusServer, receiver: tuple[Receiver, str]
) -> None:
    _firing(shifted)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        names = {a["labels"]["alertname"] for a in receiver[0].alerts}
        if {"ErrorsSustained", "QueueDeep"} <= names:
            break
        time.sleep(0.25)
    sent = {a["labels"]["alertname"]: a for a in receiver[0].alerts}
    assert sent["ErrorsSustained"]["annotations"] == {"summary": "api 5xx"}
    assert sent["ErrorsSustained"]["labels"]["severity"] == "critical"


def test_a_missing_binary_names_the_package() -> None:
    server = PrometheusServer(metrics_spec(), NOW, prometheus_bin="no-such-prometheus")
    with pytest.raises(PrometheusMissing, match=r"apt-get install -y prometheus"):
        server.start()


def test_openmetrics_text_has_families_seconds_and_eof() -> None:
    text = openmetrics(metrics_spec().series)
    assert text.startswith("# HELP http_requests Requests served.\n# TYPE http_requests counter\n")
    assert "# HELP queue_depth Jobs waiting.\\nPer queue.\n# TYPE queue_depth gauge" in text
    assert f'queue_depth{{queue="mail"}} 500.0 {NOW.timestamp():.3f}' in text
    assert 'build_info{version="1.2 \\"beta\\" \\\\ x"} 1.0' in text
    errors = [line for line in text.splitlines() if 'code="500"' in line]
    assert len(errors) == 30
    assert not any(line.endswith(f" {GAP.timestamp():.3f}") for line in errors)
    assert text.endswith("# EOF\n")
    assert text.count("# TYPE http_requests") == 1


def test_active_since_finds_the_start_of_the_unbroken_run() -> None:
    values = [[100, "1"], [115, "1"], [145, "1"], [160, "1"], [175, "1"]]
    assert active_since(values, 175, 15) == 145
    assert active_since(values, 190, 15) is None
    assert active_since([], 175, 15) is None


def test_samples_written_as_yaml_pairs_load_and_bad_pairs_say_where() -> None:
    import yaml
    from pydantic import ValidationError

    from world.loader import _StringLoader
    from world.signals_spec import Series

    text = "name: q\nsamples:\n  - [2026-03-14T10:00:00Z, 3]\n  - ['2026-03-14T10:01:00Z', 4.5]\n"
    written = yaml.load(text, Loader=_StringLoader)
    series = Series.model_validate(written)
    assert series.samples == [("2026-03-14T10:00:00Z", 3.0), ("2026-03-14T10:01:00Z", 4.5)]
    with pytest.raises(ValidationError, match=r"samples\.0\.1"):
        Series.model_validate({"name": "q", "samples": [["2026-03-14T10:00:00Z", "many"]]})
    with pytest.raises(ValidationError, match=r"samples\.0\.0"):
        Series.model_validate({"name": "q", "samples": [["yesterday", 1]]})
