"""The real alert chain end to end: a real Prometheus evaluates an alerting rule over
backfilled data, a real Alertmanager (Debian's `prometheus-alertmanager`) routes the alert to
`graph serve`'s webhook, and the incident runs to completion on the local models (real MCP
servers and Chromium) with the expected diagnosis. docs/alerting.md describes the same set-up.

The scenario (tests/fixtures/alertmanager-e2e/) is rendered with `now` at the wall clock:
Prometheus evaluates rules on the wall clock, and the alert's `startsAt` anchors the whole
investigation (which changes, which window of the pages, metrics and logs), so the world
must tell the same times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jinja2
import pytest

from graphs.checkpoints import sqlite_checkpointer
from tests.conftest import ROOT
from tests.service_support import LISTENING, TOKEN, Running, service_env, tail
from world.loader import LoadedScenario, load_file
from world.prometheus import PrometheusServer
from world.runtime import World
from world.scenario import substitute
from world.signals_spec import MetricsSpec

BINARIES = ("prometheus", "promtool", "prometheus-alertmanager")
MISSING = [name for name in BINARIES if shutil.which(name) is None]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"needs {', '.join(MISSING)}: install Debian's packages "
        "(apt-get install -y prometheus prometheus-alertmanager)",
    ),
]

TEMPLATE = ROOT / "tests" / "fixtures" / "alertmanager-e2e"
APPROVER = "e2e-tester"
RULE_LABELS = {"alertname": "DBConnectionPoolHigh", "namespace": "prod", "service": "orders-api",
               "deployment": "orders-api", "pool": "orders-db", "severity": "warning",
               "team": "backend"}  # fmt: skip


def render_scenario(dest: Path, now: datetime) -> LoadedScenario:
    """The fixture with `[[ at(-12) ]]` (ISO time 12 min before now), `[[ hm(-12) ]]` (HH:MM)
    and `[[ day(0) ]]` filled in; other files copied as they are."""
    folder = dest / TEMPLATE.name
    folder.mkdir(parents=True)
    env = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )

    def at(minutes: int, seconds: int = 0) -> str:
        return (now + timedelta(minutes=minutes, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def hm(minutes: int) -> str:
        return at(minutes)[11:16]

    def day(minutes: int) -> str:
        return at(minutes)[:10]

    for source in TEMPLATE.iterdir():
        if source.suffix == ".j2":
            text = env.from_string(source.read_text()).render(at=at, hm=hm, day=day)
            (folder / source.stem).write_text(text)
        else:
            shutil.copy(source, folder / source.name)
    return load_file(folder / "scenario.yaml")


def rules_for(metrics: MetricsSpec, dashboards_url: str) -> MetricsSpec:
    """The scenario's rules with `${DASHBOARDS_URL}` in their annotations filled in."""
    rules = [
        rule.model_copy(
            update={"annotations": {k: substitute(v, dashboards_url)
                                    for k, v in rule.annotations.items()}}
        )
        for rule in metrics.rules
    ]  # fmt: skip
    return metrics.model_copy(update={"rules": rules})


def alertmanager_yml(webhook_url: str, token: str) -> str:
    """One route to one webhook receiver: graph serve's, with its bearer token."""
    receiver = {
        "url": webhook_url,
        "send_resolved": False,
        "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
    }
    route = {"receiver": "incident-graph", "group_by": ["alertname", "service"],
             "group_wait": "1s", "group_interval": "1m", "repeat_interval": "4h"}  # fmt: skip
    doc = {"route": route,
           "receivers": [{"name": "incident-graph", "webhook_configs": [receiver]}]}  # fmt: skip
    return json.dumps(doc, indent=2)  # JSON is YAML


@contextlib.contextmanager
def alertmanager(workdir: Path, webhook_url: str, token: str) -> Iterator[str]:
    """`prometheus-alertmanager` on a free loopback port, gossip off; yields its URL."""
    workdir.mkdir()
    config = workdir / "alertmanager.yml"
    config.write_text(alertmanager_yml(webhook_url, token))
    url = f"http://127.0.0.1:{free_port()}"
    log = workdir / "alertmanager.log"
    args = [
        "prometheus-alertmanager",
        f"--config.file={config}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address={url[7:]}",
        f"--web.external-url={url}",
        "--cluster.listen-address=",
        "--log.level=info",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: ready(f"{url}/-/ready"), 30, lambda: f"alertmanager: {tail(log)}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def graph_serve(state: Path, catalog: Path, world: World) -> Iterator[Running]:
    """The real `graph serve` (local models, one worker), the MCP servers pointed at `world`."""
    env = service_env(state, **world.env(), INCIDENT_GRAPH_APPROVERS=APPROVER)
    log = state / "serve.log"
    args = [sys.executable, "-m", "cli.main", "serve", "--catalog", str(catalog), "--port", "0"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*args, "--workers", "1"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    running = Running(proc, "", log, "")

    def listening() -> bool:
        assert proc.poll() is None, f"graph serve exited {proc.returncode}:\n{tail(log)}"
        found = LISTENING.search(log.read_text(errors="replace"))
        running.url = found[1] if found else ""
        return bool(found) and ready(f"{running.url}/healthz")

    try:
        wait_until(listening, 120, lambda: f"graph serve did not start:\n{tail(log)}")
        yield running
    finally:
        running.kill()


@pytest.mark.timeout(600)  # about 2 minutes on 2 idle cores: most of it the local models
def test_a_prometheus_rule_routed_by_alertmanager_runs_the_incident(tmp_path: Path) -> None:
    loaded = render_scenario(tmp_path, datetime.now(UTC).replace(second=0, microsecond=0))
    assert loaded.spec.metrics is not None and loaded.spec.expect.root_cause is not None
    with contextlib.ExitStack() as stack:
        world = stack.enter_context(World(loaded))
        service = stack.enter_context(graph_serve(tmp_path, loaded.folder / "scenario.yaml", world))
        webhook = f"{service.url}/alerts/alertmanager"
        am_url = stack.enter_context(alertmanager(tmp_path / "am", webhook, TOKEN))
        metrics = rules_for(loaded.spec.metrics, world.endpoints.dashboards_url)
        prom = stack.enter_context(
            PrometheusServer(metrics, loaded.spec.now_dt, shift=True, alertmanager_url=am_url)
        )
        incident_id = first_incident(service, prom, am_url, tmp_path)
        view = finish(service, incident_id)
        state = final_state(tmp_path / "checkpoints.sqlite", incident_id)
        channels = {m.channel for m in world.slack.messages}
        prom_port = urlsplit(prom.url).port

    assert (view["source"], view["name"], view["status"]) == (
        "alertmanager", "DBConnectionPoolHigh", "completed"), view  # fmt: skip
    alert = view["summary"]["alert"]
    assert alert["labels"] == RULE_LABELS, "the rule's labels and the series' own"
    assert alert["summary"] == "orders-db connection pool at 95%", "templated by Prometheus"
    body = json.loads(state["raw_alert"].body)
    assert body["externalURL"] == am_url, "routed by the test's Alertmanager"
    rule_page = urlsplit(body["alerts"][0]["generatorURL"])  # host: the machine's name
    assert (rule_page.port, rule_page.path) == (prom_port, "/graph"), "fired by its Prometheus"

    want, cause = loaded.spec.expect.root_cause, state["root_cause"]
    got = ("none", None) if want.none else ("pr", want.pr)
    assert (cause.kind, cause.pr) == got, view["summary"]["root_cause"]
    assert cause.category == want.category, (cause.category, cause.summary)
    assert "#oncall-backend" in channels


def first_incident(service: Running, prom: PrometheusServer, am_url: str, logs: Path) -> str:
    """The id of the first incident the service opened (the alert's trip: ~5-10 s)."""
    found: list[str] = []

    def opened() -> bool:
        with service.client() as client:
            found[:] = [i["id"] for i in client.get("/incidents").json()]
        return bool(found)

    def why() -> str:
        alerts = httpx.get(f"{prom.url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        routed = httpx.get(f"{am_url}/api/v2/alerts", timeout=5).json()
        return (f"no incident within 60 s of Prometheus starting; Prometheus alerts: {alerts}; "
                f"Alertmanager alerts: {routed}\n{tail(logs / 'am' / 'alertmanager.log')}\n"
                f"{tail(service.log)}")  # fmt: skip

    wait_until(opened, 60, why)
    return found[-1]


def finish(service: Running, incident_id: str) -> dict[str, Any]:
    """Waits for the incident to end; denies the revert it asks for, so the run completes."""
    done = ("awaiting_approval", "completed", "failed")
    view = service.wait_for(incident_id, lambda v: v["status"] in done, timeout=360)
    if view["status"] == "awaiting_approval":
        with service.client() as client:
            for approval in [a for a in view["approvals"] if a["status"] == "pending"]:
                answer = {"approved": False, "approver": APPROVER}
                path = f"/incidents/{incident_id}/approvals/{approval['action_id']}"
                assert client.post(path, json=answer).status_code == 200
        view = service.wait_for(incident_id, lambda v: v["status"] in done[1:], timeout=120)
    return view


def final_state(checkpoints: Path, incident_id: str) -> dict[str, Any]:
    """The incident's graph state from the service's checkpoints (the API does not show the
    root cause's category)."""

    async def read() -> dict[str, Any]:
        async with sqlite_checkpointer(checkpoints) as saver:
            found = await saver.aget_tuple({"configurable": {"thread_id": incident_id}})
        assert found is not None, f"no checkpoint for {incident_id}"
        return dict(found.checkpoint["channel_values"])

    return asyncio.run(read())


def wait_until(done: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    raise AssertionError(why())


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
