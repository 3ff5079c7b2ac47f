"""Triage rules: severity, category, owning service and channel from the alert and catalog."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agents.ingest.logic import parse_alert
from agents.triage.logic import category, environment, owning_service, triage
from core.catalog import Service
from core.state import Alert, RawAlert
from tests.conftest import SCENARIOS
from world.loader import load

CATALOG = {
    "orders-api": Service(
        repo="acme/orders-api", channel="#oncall-backend", team="backend", tier=1
    ),
    "batch": Service(repo="acme/batch", channel="#data", team="data", tier=3),
}


def alert(name: str, summary: str = "", **labels: str) -> Alert:
    return Alert(
        source="alertmanager", fingerprint="f", name=name, status="firing",
        starts_at=datetime(2026, 3, 10, tzinfo=UTC), labels={"alertname": name, **labels},
        annotations={"summary": summary},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scenario", "severity", "kind", "channel"),
    [
        ("db-pool-exhaustion", "critical", "saturation", "#oncall-backend"),
        ("worker-memory-leak", "high", "memory", "#oncall-payments"),
        ("ssl-cert-expiry", "high", "certificate", "#platform-team"),
    ],
)
def test_seed_scenarios(scenario: str, severity: str, kind: str, channel: str) -> None:
    spec = load(scenario, SCENARIOS).spec
    body = RawAlert(format=spec.alert.format, body=json.dumps(spec.alert.payload))
    decided = triage(parse_alert(body), spec.services)
    assert (decided.severity, decided.category, decided.channel) == (severity, kind, channel)
    assert decided.reasons, "every severity is explained"


def test_label_severity_is_the_base() -> None:
    decided = triage(
        alert("DiskAlmostFull", "disk at 40%", severity="info", service="batch"), CATALOG
    )
    assert decided.severity == "low"
    assert decided.channel == "#data"


def test_saturation_near_the_limit_sets_a_floor() -> None:
    low = triage(
        alert("DBConnectionPoolHigh", "pool at 85%", severity="warning", service="batch"), CATALOG
    )
    high = triage(
        alert("DBConnectionPoolHigh", "pool at 93%", severity="warning", service="batch"), CATALOG
    )
    assert (low.severity, high.severity) == ("medium", "high")


def test_tier_one_production_escalates_present_problems_only() -> None:
    now = alert(
        "HighErrorRate", "5xx at 3%", severity="warning", service="orders-api", namespace="prod"
    )
    staging = alert(
        "HighErrorRate", "5xx at 3%", severity="warning", service="orders-api", namespace="staging"
    )
    cert = alert(
        "TLSCertExpiring",
        "expires in 100h",
        severity="warning",
        service="orders-api",
        namespace="prod",
    )
    assert triage(now, CATALOG).severity == "critical"
    assert triage(staging, CATALOG).severity == "high"
    assert triage(cert, CATALOG).severity == "high"


def test_certificate_expiring_within_a_day_is_critical() -> None:
    decided = triage(alert("TLSCertExpiring", "expires in 20h", severity="warning"), CATALOG)
    assert decided.severity == "critical"


def test_unknown_service_is_said_not_guessed() -> None:
    decided = triage(alert("KubePodCrashLooping", "restarted 5 times", service="nope"), CATALOG)
    assert decided.service is None and decided.channel is None
    assert any("no catalog service" in r for r in decided.reasons)


def test_helpers() -> None:
    assert category(alert("KubePodOOMKilled")) == "memory"
    assert category(alert("Something", "weird")) == "other"
    assert environment(alert("X", cluster="prod-eu-west-1")) == "production"
    assert owning_service(alert("X", app="orders-api"), CATALOG) == "orders-api"
