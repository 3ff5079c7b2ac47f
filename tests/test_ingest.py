"""Webhook bodies (Alertmanager, Grafana, generic) become one typed `Alert`, or a clear error."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from agents.ingest.generic_schema import generic_json_schema
from agents.ingest.logic import AlertFormatError, parse_alert
from agents.ingest.mapping import load_mappings, resolve
from agents.triage.logic import owning_service
from core.state import Alert, RawAlert
from tests.conftest import ROOT, SCENARIOS
from world.loader import load
from world.scenario import DASHBOARDS_VAR

DASHBOARDS = "http://127.0.0.1:8765"
Payload = dict[str, Any]


def parse(fmt: str, payload: Payload | str) -> Alert:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return parse_alert(RawAlert.model_validate({"format": fmt, "body": body}))


def problems(fmt: str, payload: Payload | str) -> list[tuple[str, str]]:
    with pytest.raises(AlertFormatError) as info:
        parse(fmt, payload)
    return info.value.problems


def scenario_alert(name: str) -> Alert:
    spec = load(name, SCENARIOS).spec
    body = json.dumps(spec.alert.payload).replace(DASHBOARDS_VAR, DASHBOARDS)
    mapping = resolve(spec.alert.mapping, load_mappings())
    raw = RawAlert(format=spec.alert.format, body=body, mapping=mapping, received_at=spec.now_dt)
    return parse_alert(raw)


# A real Alertmanager v4 body (KubePodCrashLooping grouped by namespace): the first alert
# has resolved, the second still fires. commonLabels holds what both alerts share.
ALERTMANAGER: Payload = {
    "receiver": "incident-graph",
    "status": "firing",
    "alerts": [
        {
            "status": "resolved",
            "labels": {
                "alertname": "KubePodCrashLooping",
                "container": "api",
                "namespace": "prod",
                "pod": "checkout-api-7d9f8b6c4-x2x9l",
                "service": "checkout-api",
                "severity": "warning",
            },
            "annotations": {"summary": "Pod prod/checkout-api-7d9f8b6c4-x2x9l is crash looping"},
            "startsAt": "2026-03-14T09:58:30.123456789Z",
            "endsAt": "2026-03-14T10:08:30.123456789Z",
            "generatorURL": "https://prometheus.example/graph?g0.expr=kube_pod_crash&g0.tab=1",
            "fingerprint": "1b8e0f2a7c3d9e45",
        },
        {
            "status": "firing",
            "labels": {
                "alertname": "KubePodCrashLooping",
                "container": "worker",
                "namespace": "prod",
                "pod": "checkout-worker-5c6b7d8e9-qq7wz",
                "service": "checkout-worker",
                "severity": "critical",
            },
            "annotations": {
                "summary": "Pod prod/checkout-worker-5c6b7d8e9-qq7wz is crash looping",
                "runbook_url": "https://runbooks.example/worker-crashloop",
            },
            "startsAt": "2026-03-14T10:02:00+01:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://prometheus.example/graph?g0.expr=kube_pod_crash&g0.tab=1",
            "fingerprint": "9c4f6a1d2e3b7f80",
        },
    ],
    "groupLabels": {"namespace": "prod"},
    "commonLabels": {
        "alertname": "KubePodCrashLooping",
        "cluster": "prod-eu-west-1",
        "namespace": "prod",
        "severity": "warning",
    },
    "commonAnnotations": {
        "description": "A pod in prod restarted more than 3 times in 10 minutes.",
        "runbook_url": "https://runbooks.example/crashloop",
    },
    "externalURL": "https://alertmanager.example",
    "version": "4",
    "groupKey": '{}:{namespace="prod"}',
    "truncatedAlerts": 0,
}

# A Grafana unified alerting body with one firing alert.
GRAFANA: Payload = {
    "receiver": "incident-graph",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "service": "search-api", "team": "search"},
            "annotations": {"summary": "p99 latency above 2s"},
            "startsAt": "2026-03-14T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
            "fingerprint": "a1b2c3d4e5f60718",
            "silenceURL": "https://grafana.example/alerting/silence/new?matcher=alertname%3DHigh",
            "dashboardURL": "https://grafana.example/d/search",
            "panelURL": "",
            "values": None,
            "valueString": "",
        }
    ],
    "groupLabels": {"alertname": "HighLatency"},
    "commonLabels": {"alertname": "HighLatency", "service": "search-api", "team": "search"},
    "commonAnnotations": {"summary": "p99 latency above 2s"},
    "externalURL": "https://grafana.example/",
    "version": "1",
    "groupKey": '{}:{alertname="HighLatency"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] HighLatency (search-api search)",
    "state": "alerting",
    "message": "**Firing**",
}

GENERIC: Payload = {
    "name": "CheckoutErrorRate",
    "starts_at": "2026-03-14T10:12:00Z",
    "labels": {"service": "checkout-api", "severity": "critical"},
    "annotations": {"summary": "5xx rate at 7%"},
}

GROUPS = {"alertmanager": ALERTMANAGER, "grafana": GRAFANA}


def changed(payload: Payload, change: Callable[[Payload], object]) -> Payload:
    copied = copy.deepcopy(payload)
    change(copied)
    return copied


# --- the seed scenarios ------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "source", "name", "service", "fingerprint", "starts_at"),
    [
        ("db-pool-exhaustion", "alertmanager", "DBConnectionPoolHigh", "orders-api",
         "5d1e0c2b7a9f4e31", "2026-03-10T10:12:00+00:00"),
        ("worker-memory-leak", "alertmanager", "KubePodOOMKilled", "billing-worker",
         "07b3782ae4942ff0", "2026-03-11T14:25:30+00:00"),
        ("ssl-cert-expiry", "grafana", "TLSCertificateExpiringSoon", "edge-gateway",
         "e43a61562123a399", "2026-03-12T08:02:00+00:00"),
    ],
)  # fmt: skip
def test_seed_scenario_payloads_parse(
    scenario: str, source: str, name: str, service: str, fingerprint: str, starts_at: str
) -> None:
    alert = scenario_alert(scenario)
    assert (alert.source, alert.name, alert.status) == (source, name, "firing")
    assert alert.labels["service"] == service
    assert alert.fingerprint == fingerprint
    assert alert.starts_at == datetime.fromisoformat(starts_at)
    assert alert.group_key and alert.generator_url
    assert alert.annotations["summary"]


def test_seed_alertmanager_annotations_keep_dashboard_link() -> None:
    alert = scenario_alert("db-pool-exhaustion")
    assert alert.annotations["dashboard"] == f"{DASHBOARDS}/orders-db.html"
    assert alert.values == {}


def test_seed_grafana_values_and_links() -> None:
    alert = scenario_alert("ssl-cert-expiry")
    assert alert.values == {"B": pytest.approx(47.98722222222222), "C": 1.0}
    assert alert.annotations["dashboardURL"] == f"{DASHBOARDS}/tls-certificates.html"
    assert alert.annotations["panelURL"] == f"{DASHBOARDS}/tls-certificates.html?viewPanel=2"
    assert alert.annotations["cert_manager_status"].endswith("/cert-manager-api-acme-io.html")


def test_every_seed_scenario_is_covered() -> None:
    assert {p.parent.name for p in SCENARIOS.glob("*/scenario.yaml")} >= {
        "db-pool-exhaustion",
        "worker-memory-leak",
        "ssl-cert-expiry",
    }


@pytest.mark.parametrize(
    "scenario", sorted(p.parent.name for p in SCENARIOS.glob("*/scenario.yaml"))
)
def test_every_scenario_alert_enters_through_the_webhook_parser(scenario: str) -> None:
    alert = scenario_alert(scenario)
    catalog = load(scenario, SCENARIOS).spec.services
    assert alert.status == "firing" and alert.fingerprint
    assert owning_service(alert, catalog), "the alert names a service of the catalog"


# --- groups --------------------------------------------------------------------------


def test_first_firing_alert_is_chosen_in_a_mixed_group() -> None:
    alert = parse("alertmanager", ALERTMANAGER)
    assert alert.status == "firing"
    assert alert.fingerprint == "9c4f6a1d2e3b7f80"
    assert alert.labels["pod"] == "checkout-worker-5c6b7d8e9-qq7wz"
    assert alert.starts_at == datetime(2026, 3, 14, 9, 2, tzinfo=UTC)
    assert alert.group_key == '{}:{namespace="prod"}'


def test_alert_labels_and_annotations_merge_over_common_ones() -> None:
    alert = parse("alertmanager", ALERTMANAGER)
    assert alert.labels["cluster"] == "prod-eu-west-1"  # only in commonLabels
    assert alert.labels["severity"] == "critical"  # the alert's own value wins
    assert alert.annotations["description"].startswith("A pod in prod")
    assert alert.annotations["runbook_url"] == "https://runbooks.example/worker-crashloop"


def test_resolved_only_group_gives_its_first_alert() -> None:
    def resolve_all(p: Payload) -> None:
        p["status"] = "resolved"
        p["alerts"][1]["status"] = "resolved"

    alert = parse("alertmanager", changed(ALERTMANAGER, resolve_all))
    assert (alert.status, alert.fingerprint) == ("resolved", "1b8e0f2a7c3d9e45")
    assert alert.starts_at == datetime(2026, 3, 14, 9, 58, 30, 123456, tzinfo=UTC)


def test_unknown_keys_from_newer_sources_are_ignored() -> None:
    def add_keys(p: Payload) -> None:
        p["someFutureField"] = {"x": 1}
        p["alerts"][0]["labels"]["pod"] = "p"
        p["alerts"][0]["newAlertField"] = [1, 2]

    for fmt, payload in GROUPS.items():
        assert parse(fmt, changed(payload, add_keys)).status == "firing"


def test_grafana_null_values_and_empty_links() -> None:
    alert = parse("grafana", GRAFANA)
    assert alert.values == {}
    assert alert.annotations["dashboardURL"] == "https://grafana.example/d/search"
    assert "panelURL" not in alert.annotations
    assert alert.generator_url == "https://grafana.example/alerting/grafana/abc/view"


def test_empty_generator_url_and_group_key_are_none() -> None:
    def blank(p: Payload) -> None:
        p["groupKey"] = ""
        p["alerts"][1]["generatorURL"] = ""

    alert = parse("alertmanager", changed(ALERTMANAGER, blank))
    assert (alert.generator_url, alert.group_key) == (None, None)


def test_timestamp_keeps_its_offset() -> None:
    alert = parse("alertmanager", ALERTMANAGER)
    assert alert.starts_at.utcoffset() == timedelta(hours=1)
    assert alert.starts_at.tzinfo == timezone(timedelta(hours=1))


# --- generic -------------------------------------------------------------------------


def test_generic_happy_path() -> None:
    payload = {**GENERIC, "status": "resolved", "fingerprint": "chk-1", "values": {"rate": 7}}
    alert = parse("generic", payload)
    assert (alert.source, alert.name, alert.status) == ("generic", "CheckoutErrorRate", "resolved")
    assert alert.labels["service"] == "checkout-api"
    assert alert.annotations == {"summary": "5xx rate at 7%"}
    assert alert.starts_at == datetime(2026, 3, 14, 10, 12, tzinfo=UTC)
    assert (alert.fingerprint, alert.values) == ("chk-1", {"rate": 7.0})
    assert (alert.generator_url, alert.group_key) == (None, None)


def test_generic_defaults() -> None:
    alert = parse("generic", {"name": "Disk", "starts_at": "2026-03-14T10:12:00Z"})
    assert (alert.status, alert.labels, alert.annotations, alert.values) == (
        "firing",
        {},
        {},
        {},
    )
    assert re.fullmatch(r"[0-9a-f]{16}", alert.fingerprint)


def test_generic_default_fingerprint_is_stable() -> None:
    first = parse("generic", GENERIC).fingerprint
    reordered = {**GENERIC, "labels": dict(reversed(list(GENERIC["labels"].items())))}
    later = {**GENERIC, "starts_at": "2026-03-15T00:00:00Z", "annotations": {}}
    assert parse("generic", reordered).fingerprint == first
    assert parse("generic", later).fingerprint == first
    assert first == "8c9fa2fd4962db7e"  # documented algorithm; changing it splits incidents
    other = {**GENERIC, "labels": {**GENERIC["labels"], "service": "cart-api"}}
    assert parse("generic", other).fingerprint != first
    assert parse("generic", {**GENERIC, "name": "Other"}).fingerprint != first


def test_generic_example_in_the_docs_parses() -> None:
    docs = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")
    section = docs.split("## Generic", 1)[1]
    example = re.search(r"```json\n(.*?)```", section, re.S)
    assert example is not None
    alert = parse("generic", example.group(1))
    assert (alert.name, alert.labels["service"]) == ("CheckoutErrorRate", "checkout-api")


def test_generic_json_schema_documents_the_format() -> None:
    schema = generic_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "starts_at"}
    assert set(schema["properties"]) == {
        "name", "status", "starts_at", "labels", "annotations", "fingerprint", "values"
    }  # fmt: skip
    assert schema["properties"]["starts_at"]["format"] == "date-time"
    assert schema["properties"]["status"]["enum"] == ["firing", "resolved"]


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana", "generic"])
def test_invalid_json_names_the_position(fmt: str) -> None:
    [(path, message)] = problems(fmt, '{"status": "firing",\n  "alerts": [}')
    assert path == "(body)"
    assert "expected JSON" in message and "line 2 column 14" in message


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana", "generic"])
def test_body_that_is_not_an_object(fmt: str) -> None:
    assert problems(fmt, "[1, 2]") == [("(body)", "expected an object; got an array [1, 2]")]


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_missing_alerts(fmt: str) -> None:
    payload = changed(GROUPS[fmt], lambda p: p.pop("alerts"))
    assert problems(fmt, payload) == [("alerts", "required field is missing")]


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_empty_alerts(fmt: str) -> None:
    payload = changed(GROUPS[fmt], lambda p: p.update(alerts=[]))
    assert problems(fmt, payload) == [("alerts", "expected at least one item; got an array []")]


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_labels_not_a_mapping(fmt: str) -> None:
    payload = changed(GROUPS[fmt], lambda p: p["alerts"][0].update(labels=["alertname=X"]))
    [(path, message)] = problems(fmt, payload)
    assert path == "alerts[0].labels"
    assert message.startswith("expected an object; got an array")


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_label_value_that_is_a_number(fmt: str) -> None:
    payload = changed(GROUPS[fmt], lambda p: p["alerts"][0]["labels"].update(severity=2))
    assert problems(fmt, payload) == [
        ("alerts[0].labels.severity", "expected a string; got a number 2")
    ]


def test_common_label_key_that_is_not_an_identifier_is_quoted() -> None:
    payload = changed(ALERTMANAGER, lambda p: p["commonLabels"].update({"app.k8s.io/x": True}))
    assert problems("alertmanager", payload) == [
        ('commonLabels["app.k8s.io/x"]', "expected a string; got a boolean true")
    ]


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_bad_timestamp(fmt: str) -> None:
    payload = changed(GROUPS[fmt], lambda p: p["alerts"][0].update(startsAt="2026-03-14 10:12"))
    error = pytest.raises(AlertFormatError, parse, fmt, payload).value
    [(path, message)] = error.problems
    assert path == "alerts[0].startsAt"
    assert message.startswith("expected an RFC 3339 timestamp with a zone")
    assert str(error).startswith(
        f"invalid {fmt} payload: alerts[0].startsAt: expected an RFC 3339 timestamp"
    )


def test_timestamp_without_zone_is_rejected() -> None:
    payload = changed(ALERTMANAGER, lambda p: p["alerts"][1].update(endsAt="2026-03-14T10:12:00"))
    [(path, message)] = problems("alertmanager", payload)
    assert path == "alerts[1].endsAt" and "with a zone" in message


def test_zero_start_time_is_rejected() -> None:
    payload = changed(GRAFANA, lambda p: p["alerts"][0].update(startsAt="0001-01-01T00:00:00Z"))
    [(path, message)] = problems("grafana", payload)
    assert path == "alerts[0].startsAt" and "zero time" in message


@pytest.mark.parametrize("fmt", ["alertmanager", "grafana"])
def test_missing_alertname(fmt: str) -> None:
    def drop(p: Payload) -> None:
        p["commonLabels"].pop("alertname")
        for alert in p["alerts"]:
            alert["labels"].pop("alertname")

    [(path, message)] = problems(fmt, changed(GROUPS[fmt], drop))
    assert path == f"alerts[{1 if fmt == 'alertmanager' else 0}].labels.alertname"
    assert "alertname" in message


def test_every_problem_is_reported_at_once() -> None:
    def break_it(p: Payload) -> None:
        p["version"] = "3"
        p["alerts"][0].update(status="pending", fingerprint="")
        p["alerts"][1].pop("labels")

    assert problems("alertmanager", changed(ALERTMANAGER, break_it)) == [
        ("alerts[0].status", "expected 'firing' or 'resolved'; got a string \"pending\""),
        ("alerts[0].fingerprint", 'expected a non-empty string; got a string ""'),
        ("alerts[1].labels", "required field is missing"),
        ("version", "expected '4'; got a string \"3\""),
    ]


def test_grafana_values_must_be_numbers() -> None:
    payload = changed(GRAFANA, lambda p: p["alerts"][0].update(values={"A": "high"}))
    assert problems("grafana", payload) == [
        ("alerts[0].values.A", 'expected a number; got a string "high"')
    ]


def test_generic_unknown_key() -> None:
    [(path, message)] = problems("generic", {**GENERIC, "serivce": "checkout-api"})
    assert path == "serivce"
    assert message.startswith("unknown field; expected one of: name, status, starts_at")


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        ({"name": None}, "name", "expected a string; got null"),
        ({"starts_at": "yesterday"}, "starts_at", "expected an RFC 3339 timestamp"),
        ({"labels": "service=checkout"}, "labels", "expected an object; got a string"),
        ({"labels": {"replicas": 3}}, "labels.replicas", "expected a string; got a number 3"),
        ({"status": "ok"}, "status", "expected 'firing' or 'resolved'"),
        ({"values": {"rate": "7%"}}, "values.rate", "expected a number"),
    ],
)
def test_generic_wrong_types(change: Payload, path: str, expected: str) -> None:
    [(where, message)] = problems("generic", {**GENERIC, **change})
    assert where == path and message.startswith(expected)


def test_generic_missing_required_fields() -> None:
    found = problems("generic", {"labels": {}})
    assert [field for field, _ in found] == ["name", "starts_at"]
    assert all(message.startswith("required field is missing") for _, message in found)
