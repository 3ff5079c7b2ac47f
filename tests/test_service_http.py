"""`graph serve` over HTTP on loopback (a real process), accepting alerts only (no workers):
payload fixtures, authentication, validation, size limits, grouping, health and metrics."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.conftest import ROOT
from tests.service_support import Running, alert_body, kill_all, service_env, start_service

pytestmark = pytest.mark.integration

HMAC_SECRET = "webhook-secret"
SLACK_SECRET = "slack-signing-secret"
MAX_BODY = 16_384


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    state = tmp_path_factory.mktemp("serve")
    env = service_env(
        state,
        INCIDENT_GRAPH_SERVICE_HMAC_SECRET=HMAC_SECRET,
        INCIDENT_GRAPH_SLACK_SIGNING_SECRET=SLACK_SECRET,
        INCIDENT_GRAPH_APPROVERS="U42,dana",
        INCIDENT_GRAPH_MAX_BODY_BYTES=str(MAX_BODY),
    )
    catalog = str(ROOT / "scenarios" / "db-pool-exhaustion" / "scenario.yaml")
    running = start_service(state / "serve.log", ["--catalog", catalog, "--workers", "0"], env)
    try:
        yield running
        assert running.stop() == 0, "SIGTERM stops the service cleanly"
    finally:
        kill_all()


def post(service: Running, path: str, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with httpx.Client(base_url=service.url, timeout=10) as client:
        return client.post(
            path,
            content=content,
            headers={"Content-Type": "application/json", **service.headers, **headers},
        )


@pytest.mark.parametrize("fixture", ["alertmanager-group-firing.json", "grafana-firing.json"])
def test_payload_fixtures_are_accepted_and_become_incidents(service: Running, fixture: str) -> None:
    source = fixture.split("-")[0]
    done = post(service, f"/alerts/{source}", alert_body(fixture))
    assert done.status_code == 202, done.text
    receipt = done.json()
    assert receipt["outcome"] in ("new", "duplicate") and receipt["incident_id"]
    view = service.incident(receipt["incident_id"])
    assert view["status"] == "queued" and view["source"] == source
    assert view["timeline"][0]["kind"] == "alert"


def test_a_group_joins_deduplicates_and_resolves(service: Running) -> None:
    body = alert_body("alertmanager-group-firing.json")
    body["groupKey"] = '{}:{alertname="HTTP5xxRateHigh", test="grouping"}'
    receipts = [post(service, "/alerts/alertmanager", body).json() for _ in range(5)]
    grown = alert_body("alertmanager-group-grown.json") | {"groupKey": body["groupKey"]}
    receipts.append(post(service, "/alerts/alertmanager", grown).json())
    gone = alert_body("alertmanager-group-resolved.json") | {"groupKey": body["groupKey"]}
    receipts.append(post(service, "/alerts/alertmanager", gone).json())
    assert [r["outcome"] for r in receipts] == ["new"] + ["duplicate"] * 4 + ["joined", "resolved"]
    assert len({r["incident_id"] for r in receipts}) == 1
    view = service.incident(receipts[0]["incident_id"])
    assert (view["alerts"], view["duplicates"], view["resolved"]) == (7, 4, True)
    unmatched = gone | {"groupKey": '{}:{never="fired"}'}
    assert post(service, "/alerts/alertmanager", unmatched).json()["outcome"] == "unmatched"


def test_generic_alerts_follow_the_documented_schema(service: Running) -> None:
    alert = {
        "name": "BackupFailed",
        "starts_at": "2026-03-14T10:12:00Z",
        "labels": {"service": "orders-api"},
        "values": {"exit_code": 2},
    }
    assert post(service, "/alerts/generic", alert).status_code == 202
    typo = post(service, "/alerts/generic", {**alert, "lables": {}})
    assert typo.status_code == 422
    assert typo.json()["detail"][0]["loc"] == ["body", "lables"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (b'{"status": "firing", "alerts": [', "(body)", "expected JSON"),
        (b"[1, 2]", "(body)", "an object"),
        (b'{"status": "firing", "alerts": []}', "alerts", "at least one"),
        (b"\xff\xfe", "body", "UTF-8"),
    ],
)
def test_malformed_bodies_are_422_naming_the_field(
    service: Running, body: bytes, field: str, says: str
) -> None:
    done = post(service, "/alerts/alertmanager", body)
    assert done.status_code == 422, done.text
    problems = done.json()["detail"]
    assert any(p["loc"][-1] == field and says in p["msg"] for p in problems), problems


def test_a_wrong_schema_names_every_problem(service: Running) -> None:
    body = alert_body("alertmanager-group-firing.json")
    body["alerts"][0]["startsAt"] = "2026-03-10 10:12"
    body["alerts"][1]["labels"]["severity"] = 3
    done = post(service, "/alerts/alertmanager", body)
    assert done.status_code == 422
    where = {p["loc"][-1] for p in done.json()["detail"]}
    assert where == {"alerts[0].startsAt", "alerts[1].labels.severity"}
    assert "RFC 3339" in done.json()["error"]
    grafana_as_alertmanager = post(
        service, "/alerts/alertmanager", alert_body("grafana-firing.json")
    )
    assert grafana_as_alertmanager.status_code == 422
    assert grafana_as_alertmanager.json()["detail"][0]["loc"][-1] == "version"


def test_bad_or_missing_credentials_are_401(service: Running) -> None:
    body = json.dumps(alert_body("grafana-firing.json")).encode()
    with httpx.Client(base_url=service.url, timeout=10) as client:
        bare = client.post("/alerts/grafana", content=body)
        wrong = client.post(
            "/alerts/grafana", content=body, headers={"Authorization": "Bearer not-the-token"}
        )
        forged = client.post(
            "/alerts/grafana", content=body, headers={"X-Grafana-Alerting-Signature": "00" * 32}
        )
        listing = client.get("/incidents")
    for refused in (bare, wrong, forged, listing):
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
    assert "no credentials" in bare.json()["detail"]
    assert forged.json()["detail"] == "bad signature"


def test_grafana_hmac_signatures_are_accepted(service: Running) -> None:
    body = json.dumps(alert_body("grafana-firing.json")).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(HMAC_SECRET.encode(), f"{stamp}:".encode() + body, hashlib.sha256)
    headers = {
        "X-Grafana-Alerting-Signature": signature.hexdigest(),
        "X-Grafana-Alerting-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    with httpx.Client(base_url=service.url, timeout=10) as client:
        done = client.post("/alerts/grafana", content=body, headers=headers)
    assert done.status_code == 202, done.text


def test_oversized_bodies_are_413_declared_or_streamed(service: Running) -> None:
    big = b"{" + b" " * MAX_BODY + b"}"
    assert post(service, "/alerts/generic", big).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 1024

    with httpx.Client(base_url=service.url, timeout=10, headers=service.headers) as client:
        streamed = client.post("/alerts/generic", content=chunks())
    assert streamed.status_code == 413
    assert "INCIDENT_GRAPH_MAX_BODY_BYTES" in streamed.json()["detail"]


def slack_post(
    service: Running, body: bytes, stamp: int, secret: str = SLACK_SECRET
) -> httpx.Response:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(stamp), body=body)
    headers = {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": str(signature),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with httpx.Client(base_url=service.url, timeout=10) as client:
        return client.post("/slack/interactions", content=body, headers=headers)


def click(user: str = "U42", incident: str = "nope", action: str = "a") -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower()},
        "actions": [
            {
                "action_id": "approve",
                "type": "button",
                "value": json.dumps({"incident": incident, "action": action}),
            }
        ],
    }
    return httpx.QueryParams({"payload": json.dumps(payload)}).__str__().encode()


def test_slack_requests_must_be_signed_fresh_and_once(service: Running) -> None:
    now = int(time.time())
    first = slack_post(service, click(), now)
    assert first.status_code == 404, first.text  # signed and approved: the incident is unknown
    assert slack_post(service, click(), now).status_code == 401, "the same request again"
    assert slack_post(service, click(), now, secret="guessed").status_code == 401
    stale = slack_post(service, click(action="b"), now - 600)
    assert stale.status_code == 401 and "older than 5 minutes" in stale.json()["detail"]
    stranger = slack_post(service, click(user="U666", action="c"), now)
    assert stranger.status_code == 403 and "not in the roles" in stranger.json()["detail"]


def test_api_approvals_need_an_approver_and_a_pending_action(service: Running) -> None:
    receipt = post(service, "/alerts/grafana", alert_body("grafana-firing.json")).json()
    path = f"/incidents/{receipt['incident_id']}/approvals/revert-1"
    with service.client() as client:
        stranger = client.post(path, json={"approved": True, "approver": "mallory"})
        unknown = client.post(path, json={"approved": True, "approver": "dana"})
        invalid = client.post(path, json={"approved": "yes", "approver": "dana"})
    assert stranger.status_code == 403
    assert unknown.status_code == 404 and "has no approval" in unknown.json()["detail"]
    assert invalid.status_code == 422


def test_health_metrics_and_the_openapi_document(service: Running) -> None:
    with service.client() as client:
        health = client.get("/healthz").json()
        metrics = client.get("/metrics").text
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
        listing = client.get("/incidents", params={"status": "queued", "limit": 500})
    assert health["status"] == "ok" and health["inbox"] == "sqlite" and health["workers"] == 0
    assert 'incident_graph_alerts_total{outcome="new",source="grafana"}' in metrics
    assert 'incident_graph_alerts_rejected_total{source="alertmanager",status="422"}' in metrics
    assert "incident_graph_ack_seconds_bucket" in metrics
    assert 'incident_graph_incidents{status="queued"}' in metrics
    assert set(spec["paths"]) >= {
        "/alerts/alertmanager",
        "/alerts/grafana",
        "/alerts/generic",
        "/incidents",
        "/incidents/{incident_id}",
        "/healthz",
        "/incidents/{incident_id}/approvals/{action_id}",
        "/slack/interactions",
        "/metrics",
    }
    assert "GrafanaWebhook" in spec["components"]["schemas"]
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert listing.status_code == 200 and all(i["status"] == "queued" for i in listing.json())


def test_missing_auth_configuration_stops_start_up(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    del env["INCIDENT_GRAPH_SERVICE_TOKEN"]
    catalog = str(ROOT / "scenarios" / "db-pool-exhaustion" / "scenario.yaml")
    with pytest.raises(AssertionError) as failed:
        start_service(tmp_path / "serve.log", ["--catalog", catalog], env)
    assert "INCIDENT_GRAPH_SERVICE_TOKEN" in str(failed.value)
    assert "Traceback" not in str(failed.value)
