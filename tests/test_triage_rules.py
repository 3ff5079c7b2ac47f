"""Triage rules on alerts written for the test: severity from impact (each rule, positive and
negative), category, environment, the owning service and its channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.shared.impact import Impact, from_text, severity
from agents.triage.logic import category, environment, label_severity, owning_service, triage
from core.catalog import Service
from core.state import Alert

CATALOG = {
    "orders-api": Service(
        repo="acme/orders-api", channel="#oncall-backend", team="backend", tier=1
    ),
    "billing-worker": Service(repo="acme/billing", channel="#payments", team="payments", tier=2),
    "batch": Service(repo="acme/batch", channel="#data", team="data", tier=3),
}


def alert(name: str, summary: str = "", **labels: str) -> Alert:
    return Alert(
        source="alertmanager", fingerprint="f", name=name, status="firing",
        starts_at=datetime(2026, 3, 10, tzinfo=UTC), labels={"alertname": name, **labels},
        annotations={"summary": summary},
    )  # fmt: skip


# --- measures read from text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "measure", "value"),
    [
        ("5xx ratio at 7.2% for 5m", "error_ratio", 7.2),
        ("error rate 0.54 (threshold 0.1)", "error_ratio", 54.0),
        ("success rate dropped to 97%", "error_ratio", 3.0),
        ("connection pool at 95% of its limit", "saturation", 95.0),
        ("volume is 8% free and filling", "saturation", 92.0),
        ("p99 2.4s against an SLO of 600ms", "latency_over_slo", 4.0),
        ("certificate expires in 47h 59m", "hours_left", 47.0),
        ("container was OOMKilled 4 times in the last hour", "restarts", 4.0),
        ("billing-api 403 ratio 12.5% over 10m", "error_ratio", 12.5),
        ("share of answers with status 429: 8%", "error_ratio", 8.0),
        ("5xx ratio 0.65% over 10m (threshold 0.4%). SLO 99.95% monthly", "error_ratio", 0.65),
        ("error rate 0.4% (a percentage, not a fraction)", "error_ratio", 0.4),
        ("3.1% of requests answered 431 by the edge proxy (threshold 1%)", "error_ratio", 3.1),
        ("uploads: 1.8% returned with status 413", "error_ratio", 1.8),
    ],
)
def test_measures_in_alert_text(text: str, measure: str, value: float) -> None:
    assert getattr(from_text(text), measure) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "deployed 3 times today",
        "disk at 40%",
        "released v2.5% of the time",
        "the weather is fine",
        "p99 420 ms, 30% above last week",
        "HTTP 200 share 99%",
        "SLO: 99.95% of requests succeed",
        "alert when the 5xx ratio passes its threshold 2% for 10m",
        "error budget: 0.1% of requests may fail",
        "availability target of 99.95% over 30 days",
        "92% of requests answered 200 from the cache",
    ],
)
def test_no_measure_where_the_text_states_none(text: str) -> None:
    found = from_text(text)
    assert found.error_ratio is None and found.restarts is None and not found.unavailable
    assert found.saturation is None or found.saturation < 90


def test_down_is_unavailable_and_a_cpu_percentage_is_saturation() -> None:
    assert from_text("checkout is down: 0 of 6 ready").unavailable
    assert from_text("cpu at 97%").saturation == 97


# --- the level -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "tier", "level"),
    [
        (Impact(error_ratio=7), 1, "critical"),
        (Impact(error_ratio=7), 2, "high"),
        (Impact(error_ratio=2), 1, "high"),
        (Impact(error_ratio=2), 3, "medium"),
        (Impact(unavailable=True), 1, "critical"),
        (Impact(unavailable=True), 2, "high"),
        (Impact(saturation=92), 1, "high"),
        (Impact(saturation=92), 2, "medium"),
        (Impact(saturation=97), 2, "high"),
        (Impact(latency_over_slo=3), 1, "high"),
        (Impact(hours_left=40), 2, "high"),
        (Impact(hours_left=200), 1, "medium"),
        (Impact(restarts=5), 2, "high"),
    ],
)
def test_impact_decides_with_the_tier(impact: Impact, tier: int, level: str) -> None:
    assert severity(impact, tier, True, "low")[0] == level


def test_without_a_measure_the_label_decides_capped_by_tier() -> None:
    assert severity(Impact(), 1, True, "critical")[0] == "critical"
    assert severity(Impact(), 3, True, "critical")[0] == "medium"
    assert severity(Impact(error_ratio=0.05), 2, True, "high")[0] == "high"  # noise: no measure


def test_a_few_requests_failing_under_one_percent_is_a_measure_of_its_own() -> None:
    assert severity(Impact(error_ratio=0.3), 2, True, "critical")[0] == "medium"
    assert severity(Impact(error_ratio=0.8), 1, True, "critical")[0] == "high"
    assert severity(Impact(error_ratio=0.8), 1, True, "low")[0] == "high"
    assert severity(Impact(error_ratio=0.2), 1, True, "critical")[0] == "medium"  # under 0.5 %


def test_recovered_and_non_production_are_low() -> None:
    assert severity(Impact(error_ratio=9, recovered=True), 1, True, "critical")[0] == "low"
    assert severity(Impact(error_ratio=9), 1, False, "critical")[0] == "medium"
    assert severity(Impact(), 1, False, "high")[0] == "low"
    level, reasons = severity(Impact(error_ratio=9), 1, None, "low")
    assert level == "critical" and reasons, "an unknown environment counts as production"


def test_the_senders_severity_label_priority_or_level() -> None:
    assert label_severity({"severity": "warning"}) == "medium"
    assert label_severity({"priority": "P1"}) == "critical"
    assert label_severity({"level": "error"}) == "high"
    assert label_severity({}) == "medium"


# --- triage as a whole -----------------------------------------------------------------------


def test_triage_explains_its_severity_and_finds_the_channel() -> None:
    decided = triage(alert("HighErrorRate", "5xx at 6%", severity="warning",
                           service="orders-api", namespace="prod"), CATALOG)  # fmt: skip
    assert (decided.severity, decided.channel, decided.environment) == (
        "critical", "#oncall-backend", "production")  # fmt: skip
    assert any("6% of requests failing" in r for r in decided.reasons)
    staging = triage(alert("HighErrorRate", "5xx at 6%", severity="warning",
                           service="orders-api", namespace="staging"), CATALOG)  # fmt: skip
    assert staging.severity == "medium"


def test_unknown_service_is_said_not_guessed() -> None:
    decided = triage(alert("KubePodCrashLooping", "restarted 5 times", service="nope"), CATALOG)
    assert decided.service is None and decided.channel is None
    assert any("no catalog service" in r for r in decided.reasons)


def test_the_service_from_a_label_or_a_catalog_name_inside_the_alert_name() -> None:
    assert owning_service(alert("X", deployment="batch"), CATALOG) == "batch"
    assert owning_service(alert("billing-worker-prod-5xx"), CATALOG) == "billing-worker"
    assert owning_service(alert("orders-api-v2-latency"), CATALOG) == "orders-api"
    assert owning_service(alert("preorders-apis-latency"), CATALOG) is None


def test_environment_from_labels_that_say_one() -> None:
    assert environment(alert("X", cluster="prod-eu-west-1")) == "production"
    assert environment(alert("X", env="staging")) == "staging"
    assert environment(alert("X", namespace="checkout")) is None
    assert environment(alert("X", namespace="payments-prod")) == "production"


def test_categories() -> None:
    assert category(alert("KubePodOOMKilled")) == "memory"
    assert category(alert("Something", "weird")) == "other"
