"""Generic webhooks as real senders post them: the built-in mappings (Datadog, PagerDuty v3,
Sentry, CloudWatch via SNS), a custom one, common field names, and clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agents.ingest.logic import AlertFormatError, parse_alert
from agents.ingest.mapping import MappingError, load_mappings, read_time, resolve, route_alert
from core.state import Alert, RawAlert

MAPPINGS = load_mappings()
RECEIVED = datetime(2026, 5, 20, 14, 3, tzinfo=UTC)

DATADOG: dict[str, Any] = {  # the webhook integration's payload, built from its $VARIABLES
    "id": "7359283729374729",
    "title": "[Triggered] checkout-api p99 latency above 2s",
    "body": "%%%\np99 latency of checkout-api is 2.41s (threshold 2s)\n%%%",
    "date": "1779285600000",
    "last_updated": "1779285660000",
    "event_type": "query_alert_monitor",
    "alert_id": "118842311",
    "alert_title": "checkout-api p99 latency above 2s",
    "alert_status": "Triggered",
    "alert_transition": "Triggered",
    "alert_priority": "P2",
    "alert_metric": "trace.http.request.duration",
    "alert_query": "avg(last_5m):p99:trace.http.request.duration{service:checkout-api} > 2",
    "tags": "env:prod,service:checkout-api,team:payments",
    "hostname": "",
    "aggreg_key": "3e7c1e5a2b9f",
    "link": "https://app.datadoghq.eu/monitors/118842311",
    "org": {"id": "1234", "name": "Example Shop"},
    "snapshot": "https://p.datadoghq.eu/snapshot/view/dd-snapshots-prod/org_1234/abc.png",
}
PAGERDUTY: dict[str, Any] = {  # a v3 webhook subscription's incident.triggered event
    "event": {
        "id": "5ac64822-4adc-4fda-ade0-410becf0de4f",
        "event_type": "incident.triggered",
        "resource_type": "incident",
        "occurred_at": "2026-05-20T14:00:00.000Z",
        "agent": {"id": "PXPGF42", "summary": "Datadog", "type": "service_reference"},
        "client": {"name": "Datadog"},
        "data": {
            "id": "PT4KHLK",
            "type": "incident",
            "self": "https://api.pagerduty.com/incidents/PT4KHLK",
            "html_url": "https://example.pagerduty.com/incidents/PT4KHLK",
            "number": 1234,
            "status": "triggered",
            "incident_key": "baf7cf21b1da41b4b0221008339ff357",
            "created_at": "2026-05-20T14:00:00Z",
            "title": "Search API error rate above 5%",
            "service": {"id": "PIJ90N7", "summary": "search-api", "type": "service_reference"},
            "assignees": [{"id": "PRORDTY", "summary": "Ana Ruiz", "type": "user_reference"}],
            "escalation_policy": {"id": "PUS0KTE", "summary": "Search on-call"},
            "teams": [{"id": "PFCVPS0", "summary": "Search", "type": "team_reference"}],
            "priority": {"id": "PSO75BM", "summary": "P1", "type": "priority_reference"},
            "urgency": "high",
            "conference_bridge": None,
            "resolve_reason": None,
        },
    }
}
SENTRY: dict[str, Any] = {  # an integration platform event alert
    "action": "triggered",
    "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
    "data": {
        "event": {
            "event_id": "e4874d664c3540c1a32eab185f12c5ab",
            "issue_id": "1170820242",
            "title": "ReadTimeout: HTTPSConnectionPool(host='api.partner.example', port=443)",
            "message": "charge failed",
            "level": "error",
            "culprit": "payments.client in charge",
            "datetime": "2026-05-20T14:00:01.123456Z",
            "platform": "python",
            "tags": [["environment", "production"], ["service", "payments-api"],
                     ["release", "payments-api@2.14.0"]],
            "exception": {"values": [{
                "type": "ReadTimeout",
                "value": "HTTPSConnectionPool(host='api.partner.example', port=443): read timeout",
                "stacktrace": {"frames": [
                    {"filename": "requests/adapters.py", "lineno": 713, "function": "send",
                     "in_app": False},
                    {"filename": "payments/client.py", "lineno": 88, "function": "charge",
                     "in_app": True},
                ]},
            }]},
            "web_url": "https://sentry.io/organizations/example/issues/1170820242/events/e48/",
            "issue_url": "https://sentry.io/api/0/issues/1170820242/",
        },
        "triggered_rule": "Payments errors to on-call",
    },
    "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
}  # fmt: skip
ALARM = {
    "AlarmName": "orders-api-prod-5xx",
    "AlarmDescription": "5xx above 2% for 3 minutes. Dashboard: "
    "https://grafana.example.com/d/orders/orders-api?orgId=1.",
    "AWSAccountId": "123456789012",
    "AlarmConfigurationUpdatedTimestamp": "2026-01-10T09:00:00.000+0000",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 3 out of the last 3 datapoints were greater than 2.0",
    "StateChangeTime": "2026-05-20T14:00:42.123+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-api-prod-5xx",
    "OldStateValue": "OK",
    "Trigger": {
        "MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB",
        "StatisticType": "Statistic", "Statistic": "SUM", "Unit": None,
        "Dimensions": [{"value": "app/orders-api-prod/50dc6c495c0c9188", "name": "LoadBalancer"}],
        "Period": 60, "EvaluationPeriods": 3, "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 2.0, "TreatMissingData": "missing",
    },
}  # fmt: skip
CLOUDWATCH: dict[str, Any] = {  # the SNS notification an HTTPS subscription receives
    "Type": "Notification",
    "MessageId": "d5a3e8b2-6c1f-5e0a-9b7d-2f4c8e1a3b6d",
    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:alarms",
    "Subject": 'ALARM: "orders-api-prod-5xx" in EU (Ireland)',
    "Message": json.dumps(ALARM),
    "Timestamp": "2026-05-20T14:00:42.170Z",
    "SignatureVersion": "1",
    "Signature": "EXAMPLE==",
    "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService.pem",
    "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
}


def mapped(route: str, body: dict[str, Any]) -> Alert:
    return parse_alert(route_alert(route, json.dumps(body), MAPPINGS, RECEIVED))


def test_datadog_webhook() -> None:
    alert = mapped("generic/datadog", DATADOG)
    assert (alert.name, alert.status) == ("checkout-api p99 latency above 2s", "firing")
    assert alert.starts_at == datetime(2026, 5, 20, 14, 1, tzinfo=UTC)  # last_updated, epoch ms
    assert alert.labels["service"] == "checkout-api" and alert.labels["env"] == "prod"
    assert alert.labels["priority"] == "P2"
    assert alert.annotations["link"] == DATADOG["link"]
    assert alert.fingerprint == "3e7c1e5a2b9f"
    recovered = mapped("generic/datadog", {**DATADOG, "alert_transition": "Recovered"})
    assert recovered.status == "resolved"


def test_pagerduty_v3_webhook() -> None:
    alert = mapped("generic/pagerduty", PAGERDUTY)
    assert (alert.name, alert.status) == ("Search API error rate above 5%", "firing")
    assert alert.labels["service"] == "search-api" and alert.labels["priority"] == "P1"
    assert alert.starts_at == datetime(2026, 5, 20, 14, 0, tzinfo=UTC)
    assert alert.fingerprint == "baf7cf21b1da41b4b0221008339ff357"
    assert alert.generator_url == "https://example.pagerduty.com/incidents/PT4KHLK"
    event = {**PAGERDUTY["event"], "event_type": "incident.resolved"}
    event["data"] = {**event["data"], "status": "resolved"}
    assert mapped("generic/pagerduty", {"event": event}).status == "resolved"


def test_sentry_event_alert() -> None:
    alert = mapped("generic/sentry", SENTRY)
    assert alert.name == "Payments errors to on-call" and alert.status == "firing"
    assert alert.labels["service"] == "payments-api" and alert.labels["level"] == "error"
    assert alert.annotations["exception"].startswith("ReadTimeout: HTTPSConnectionPool")
    assert alert.annotations["stack"] == "payments/client.py:88 in charge"
    assert alert.annotations["link"].startswith("https://sentry.io/organizations/example/")
    assert alert.fingerprint == "1170820242"


def test_cloudwatch_alarm_through_sns() -> None:
    alert = mapped("generic/cloudwatch", CLOUDWATCH)
    assert (alert.name, alert.status) == ("orders-api-prod-5xx", "firing")
    assert alert.starts_at == datetime(2026, 5, 20, 14, 0, 42, 123000, tzinfo=UTC)
    assert alert.labels["LoadBalancer"] == "app/orders-api-prod/50dc6c495c0c9188"
    assert alert.labels["region"] == "EU (Ireland)"
    assert (
        alert.annotations["dashboard"] == "https://grafana.example.com/d/orders/orders-api?orgId=1"
    )
    assert alert.values == {"threshold": 2.0}
    ok = {**CLOUDWATCH, "Message": json.dumps({**ALARM, "NewStateValue": "OK"})}
    assert mapped("generic/cloudwatch", ok).status == "resolved"


def test_a_custom_mapping_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mappings.yaml"
    path.write_text(
        "mappings:\n"
        "  jobrunner:\n"
        "    name: \"join('/', [job.name, 'failed'])\"\n"
        '    status: "job.state"\n'
        '    starts_at: "job.finished"\n'
        '    labels: "{service: job.owner, queue: job.queue}"\n'
        '    annotations: "{summary: job.error, logs: job.logs_url}"\n'
        '    fingerprint: "job.id"\n'
    )
    known = load_mappings(path)
    assert {"datadog", "jobrunner"} <= set(known)
    body = {"job": {"name": "nightly-export", "state": "FAILED", "finished": 1779285600,
                    "owner": "billing-worker", "queue": "batch", "id": 991,
                    "error": "exit 137", "logs_url": "https://ci.example/991"}}  # fmt: skip
    alert = parse_alert(route_alert("generic/jobrunner", json.dumps(body), known))
    assert alert.name == "nightly-export/failed" and alert.status == "firing"
    assert alert.starts_at == datetime(2026, 5, 20, 14, 0, tzinfo=UTC)  # epoch seconds
    assert alert.labels == {"service": "billing-worker", "queue": "batch"}
    assert alert.fingerprint == "991"


def test_any_json_object_reads_through_common_field_names() -> None:
    body = {"title": "Backup job failed", "state": "alerting", "tags": ["service:db-backup"],
            "message": "pg_dump exited 1", "url": "https://cron.example/runs/7"}  # fmt: skip
    alert = parse_alert(RawAlert(format="generic", body=json.dumps(body), received_at=RECEIVED))
    assert (alert.name, alert.status, alert.starts_at) == ("Backup job failed", "firing", RECEIVED)
    assert alert.labels == {"service": "db-backup"}
    assert alert.annotations["description"] == "pg_dump exited 1"
    assert len(alert.fingerprint) == 16, "the body's hash when it has no id"
    again = parse_alert(RawAlert(format="generic", body=json.dumps(body), received_at=RECEIVED))
    assert again.fingerprint == alert.fingerprint


def test_a_missing_required_field_names_the_field_and_the_expression() -> None:
    body = json.dumps({**DATADOG, "alert_title": None, "title": None, "event_title": None})
    with pytest.raises(AlertFormatError) as info:
        parse_alert(route_alert("generic/datadog", body, MAPPINGS, RECEIVED))
    [(field, message)] = info.value.problems
    assert field == "name" and "mapping 'datadog'" in message and "found nothing" in message


def test_a_status_in_no_known_words_is_an_error() -> None:
    with pytest.raises(AlertFormatError) as info:
        mapped("generic/datadog", {**DATADOG, "alert_transition": "Quantum"})
    [(field, message)] = info.value.problems
    assert field == "status" and "'Quantum'" in message


def test_unknown_mapping_and_bad_expressions_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no alert mapping named 'nagios'; known mappings: "):
        route_alert("generic/nagios", "{}", MAPPINGS)
    bad = tmp_path / "bad.yaml"
    bad.write_text('mappings:\n  broken:\n    name: "job.["\n')
    with pytest.raises(MappingError, match=r"bad\.yaml: mapping 'broken': name: invalid JMESPath"):
        load_mappings(bad)
    with pytest.raises(MappingError, match="unknown field 'severity'"):
        resolve({"severity": "x"}, MAPPINGS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-20T14:00:00Z", datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
        ("2026-05-20T16:00:00+0200", datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
        ("2026-05-20 14:00:00", datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
        (1779285600, datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
        ("1779285600000", datetime(2026, 5, 20, 14, 0, tzinfo=UTC)),
    ],
)
def test_times_as_senders_write_them(value: Any, expected: datetime) -> None:
    assert read_time(value) == expected
