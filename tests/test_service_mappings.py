"""`graph serve` takes generic webhooks as vendors post them: `/alerts/generic/<mapping>` for
each built-in mapping and each mapping of INCIDENT_GRAPH_ALERT_MAPPINGS_FILE; the worker runs
the incident reading the body through the same mapping (real MCP servers and Chromium,
scripted models)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service_support import Running, kill_all, service_env, start_service
from tests.test_alert_mappings import CLOUDWATCH, DATADOG, PAGERDUTY, SENTRY

pytestmark = pytest.mark.integration

SCENARIO = "storefront-email-regex-redos"  # a Datadog monitor's webhook
CUSTOM = """mappings:
  jobrunner:
    name: "join('/', [job.name, 'failed'])"
    status: "job.state"
    starts_at: "job.finished"
    labels: "{service: job.owner}"
    fingerprint: "job.id"
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    state = tmp_path_factory.mktemp("mapped")
    (state / "mappings.yaml").write_text(CUSTOM)
    env = service_env(state, INCIDENT_GRAPH_ALERT_MAPPINGS_FILE=str(state / "mappings.yaml"))
    args = ["--world", SCENARIO, "--workers", "1"]
    running = start_service(state / "serve.log", args, env)
    try:
        yield running
        assert running.stop() == 0
    finally:
        kill_all()


def post(service: Running, path: str, body: Any) -> httpx.Response:
    with service.client() as client:
        return client.post(path, json=body)


@pytest.mark.parametrize(
    ("route", "body", "name"),
    [
        ("datadog", DATADOG, "checkout-api p99 latency above 2s"),
        ("pagerduty", PAGERDUTY, "Search API error rate above 5%"),
        ("sentry", SENTRY, "Payments errors to on-call"),
        ("cloudwatch", CLOUDWATCH, "orders-api-prod-5xx"),
        ("jobrunner", {"job": {"name": "export", "state": "failed", "finished": 1779285600,
                               "owner": "billing", "id": 7}}, "export/failed"),
    ],
)  # fmt: skip
def test_each_mapping_route_accepts_its_vendors_payload(
    service: Running, route: str, body: dict[str, Any], name: str
) -> None:
    done = post(service, f"/alerts/generic/{route}", body)
    assert done.status_code == 202, done.text
    view = service.incident(done.json()["incident_id"])
    assert (view["name"], view["source"]) == (name, f"generic/{route}")


def test_a_missing_field_is_a_422_naming_it(service: Running) -> None:
    done = post(service, "/alerts/generic/datadog", {"tags": "service:x"})
    assert done.status_code == 422
    [problem] = [p for p in done.json()["detail"] if p["loc"] == ["body", "name"]]
    assert "mapping 'datadog'" in problem["msg"]
    assert post(service, "/alerts/generic/nagios", {"x": 1}).status_code == 404


def test_the_worker_runs_the_mapped_incident(service: Running) -> None:
    banner_body = service.banner.split("--data @", 1)[1].split()[0]
    assert "/alerts/generic/datadog" in service.banner
    payload = json.loads(Path(banner_body).read_text())
    receipt = post(service, "/alerts/generic/datadog", payload).json()
    deadline = time.monotonic() + 120
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = service.incident(receipt["incident_id"])
        if view["status"] in ("awaiting_approval", "completed", "failed"):
            break
        time.sleep(0.5)
    assert view["status"] in ("awaiting_approval", "completed"), view
    assert view["service"] == "storefront", view
    assert view["summary"]["root_cause"], "the graph ran: the incident has a root cause"
