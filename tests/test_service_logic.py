"""The service's pure parts: grouping and deduplication, webhook and Slack authentication,
the Slack message and its buttons, reading a button press."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from agents.ingest.logic import parse_alert
from core.state import RawAlert
from service import incidents, slack_ui
from service.auth import Credentials, SlackVerifier
from tests.service_support import alert_body

WINDOW = 600.0


def arrival(name: str) -> incidents.Arrival:
    fmt = name.split("-")[0]
    body = json.dumps(alert_body(name))
    return incidents.arrival(
        parse_alert(RawAlert.model_validate({"format": fmt, "body": body})), body
    )


def latest(came: incidents.Arrival, at: float, resolved: bool = False) -> incidents.Latest:
    return incidents.Latest("inc-1", at, came.fingerprints, resolved)


def decide(
    came: incidents.Arrival, held: incidents.Latest | None, now: float
) -> incidents.Decision:
    return incidents.decide(came, held, now, WINDOW, incidents.new_incident_id)


def test_a_group_is_one_incident_keyed_by_its_group_with_every_firing_fingerprint() -> None:
    came = arrival("alertmanager-group-firing.json")
    assert came.key.startswith("alertmanager:group:{}/{namespace=")
    assert came.fingerprints == {"a1b2c3d4e5f60718", "b2c3d4e5f6071829"}
    first = decide(came, None, 1000.0)
    assert first.outcome == "new" and first.incident_id.startswith("http5xxratehigh-")


def test_resend_within_the_window_is_a_duplicate_and_a_new_alert_joins() -> None:
    came = arrival("alertmanager-group-firing.json")
    held = latest(came, 1000.0)
    assert decide(came, held, 1000.0 + WINDOW - 1) == incidents.Decision("duplicate", "inc-1")
    grown = decide(arrival("alertmanager-group-grown.json"), held, 1010.0)
    assert (grown.outcome, grown.incident_id, grown.added) == (
        "joined",
        "inc-1",
        frozenset({"c3d4e5f60718293a"}),
    )


def test_after_the_window_or_a_resolution_the_same_group_opens_a_new_incident() -> None:
    came = arrival("alertmanager-group-firing.json")
    stale = decide(came, latest(came, 1000.0), 1000.0 + WINDOW + 1)
    assert stale.outcome == "new" and stale.supersedes == "inc-1"
    again = decide(came, latest(came, 1000.0, resolved=True), 1001.0)
    assert again.outcome == "new" and again.supersedes == "inc-1"


def test_a_resolution_resolves_once_and_matches_nothing_without_an_incident() -> None:
    gone = arrival("grafana-resolved.json")
    fired = arrival("grafana-firing.json")
    assert gone.key == fired.key and gone.status == "resolved"
    assert decide(gone, latest(fired, 1.0), 99_999.0) == incidents.Decision("resolved", "inc-1")
    assert decide(gone, latest(fired, 1.0, resolved=True), 2.0).outcome == "duplicate"
    assert decide(gone, None, 2.0) == incidents.Decision("unmatched", None)


def test_generic_alerts_group_by_fingerprint() -> None:
    body = json.dumps(
        {
            "name": "Disk Full!",
            "starts_at": "2026-03-14T10:12:00Z",
            "labels": {"service": "orders-api"},
        }
    )
    came = incidents.arrival(parse_alert(RawAlert(format="generic", body=body)), body)
    assert came.key.startswith("generic:fingerprint:") and len(came.fingerprints) == 1
    assert decide(came, None, 0.0).incident_id.startswith("disk-full-")


# --- webhook authentication -----------------------------------------------------------------


def signed(secret: str, body: bytes, stamp: str | None = None) -> str:
    text = (stamp.encode() + b":" + body) if stamp else body
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def test_bearer_token_or_signature_else_refused() -> None:
    creds = Credentials("tok", "sec", clock=lambda: 1_000_000.0)
    body = b'{"a": 1}'
    assert creds.webhook({"authorization": "Bearer tok"}, body) is None
    assert creds.webhook({"authorization": "Bearer nope"}, body) == "wrong bearer token"
    assert "no credentials" in str(creds.webhook({}, body))
    grafana = {"x-grafana-alerting-signature": signed("sec", body)}
    assert creds.webhook(grafana, body) is None
    assert creds.webhook({"x-signature-256": "sha256=" + signed("sec", body)}, body) is None
    assert creds.webhook(grafana, body + b" ") == "bad signature"
    assert creds.webhook({"x-signature-256": "sha256=" + signed("other", body)}, body)


def test_timestamped_signatures_expire() -> None:
    now = 1_000_000.0
    creds = Credentials(None, "sec", clock=lambda: now)
    body = b"{}"
    fresh = str(int(now) - 10)
    headers = {
        "x-grafana-alerting-signature": signed("sec", body, fresh),
        "x-signature-timestamp": fresh,
    }
    assert creds.webhook(headers, body) is None
    old = str(int(now) - 301)
    headers = {
        "x-grafana-alerting-signature": signed("sec", body, old),
        "x-signature-timestamp": old,
    }
    assert "not within 300 s" in str(creds.webhook(headers, body))


def test_the_api_takes_the_bearer_token_only() -> None:
    assert Credentials("tok", None).api({"authorization": "Bearer tok"}) is None
    assert Credentials("tok", None).api({}) == "send `Authorization: Bearer <token>`"
    assert "INCIDENT_GRAPH_SERVICE_TOKEN" in str(Credentials(None, "sec").api({}))


# --- Slack -----------------------------------------------------------------------------------


def slack_headers(secret: str, body: bytes, stamp: int) -> dict[str, str]:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(stamp), body=body)
    return {"x-slack-request-timestamp": str(stamp), "x-slack-signature": str(signature)}


def test_slack_signatures_are_checked_and_never_accepted_twice() -> None:
    now = time.time()
    verifier = SlackVerifier("shh", clock=lambda: now)
    body = b"payload=%7B%7D"
    good = slack_headers("shh", body, int(now))
    assert verifier.check(good, body) is None
    assert verifier.check(good, body) == "replayed Slack request"
    assert "invalid" in str(verifier.check(slack_headers("forged", body, int(now)), body))
    stale = slack_headers("shh", body, int(now) - 301)
    assert "invalid" in str(verifier.check(stale, body))
    assert "missing" in str(verifier.check({}, body))
    weird = {"x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00"}
    assert "invalid" in str(verifier.check(weird, body))


def incident_view(**summary: Any) -> dict[str, Any]:
    action = {
        "id": "revert-1",
        "tool": "revert_pull_request",
        "args": {"pr": 847},
        "verdict": "needs_approval",
        "approved": None,
        "approver": None,
        "executed": False,
        "outcome": None,
    }
    return {
        "id": "dbpool-1",
        "name": "DBConnectionPoolHigh",
        "service": "orders-api",
        "status": "awaiting_approval",
        "resolved": False,
        "trace_ids": ["ab" * 16],
        "approvals": [
            {"action_id": "revert-1", "status": "pending", "approved": None, "approver": None}
        ],
        "summary": {
            "severity": "critical",
            "alert": {"summary": "pool at 95% <!channel> see https://evil.example/x"},
            "root_cause": {
                "kind": "pr",
                "pr": 847,
                "repo": "acme/orders-api",
                "commit": None,
                "file": "app/orders/history.py",
                "line": 26,
                "summary": "N+1 <@U123>",
                "links": ["https://github.com/acme/orders-api/pull/847"],
            },
            "evidence": [
                {
                    "kind": "dashboard",
                    "title": "orders-db <b>",
                    "source": "http://127.0.0.1:1/orders-db.html",
                    "ok": True,
                }
            ],
            "actions": [action],
            **summary,
        },
    }


def test_the_incident_message_has_severity_links_evidence_and_buttons() -> None:
    text, blocks = slack_ui.message(incident_view())
    assert text.startswith(":red_circle: CRITICAL DBConnectionPoolHigh on orders-api")
    rendered = json.dumps(blocks)
    assert "<https://github.com/acme/orders-api/pull/847|acme/orders-api PR #847>" in rendered
    assert "<http://127.0.0.1:1/orders-db.html|orders-db &lt;b&gt;>" in rendered
    assert "<!channel>" not in rendered and "[mention removed]" in rendered
    assert "evil.example" not in rendered and "[link removed]" in rendered
    assert "<@U123>" not in rendered
    [buttons] = [b for b in blocks if b["type"] == "actions"]
    approve, deny = buttons["elements"]
    assert (approve["action_id"], approve["style"], deny["action_id"]) == (
        "approve",
        "primary",
        "deny",
    )
    assert json.loads(approve["value"]) == {"incident": "dbpool-1", "action": "revert-1"}


def test_an_answered_action_shows_who_and_no_buttons() -> None:
    view = incident_view()
    view["approvals"][0].update(status="decided", approved=False, approver="sam (slack U9)")
    _, blocks = slack_ui.message(view)
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "denied by sam (slack U9)" in json.dumps(blocks)


def click_body(action_id: str = "approve", value: Any = None, kind: str = "block_actions") -> bytes:
    value = value or json.dumps({"incident": "dbpool-1", "action": "revert-1"})
    payload = {
        "type": kind,
        "user": {"id": "U42", "username": "dana"},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        "response_url": "https://hooks.slack.com/actions/T/1/x",
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_button_press_is_read_from_slacks_form_body() -> None:
    press = slack_ui.click(click_body())
    assert (press.incident_id, press.action_id, press.approved) == ("dbpool-1", "revert-1", True)
    assert press.approver() == "dana (slack U42)"
    assert slack_ui.click(click_body("deny")).approved is False


@pytest.mark.parametrize(
    "body",
    [
        b"payload=not-json",
        b"nothing=here",
        click_body("merge"),
        click_body(value="[1]"),
        click_body(kind="view_submission"),
    ],
)
def test_other_payloads_are_refused(body: bytes) -> None:
    with pytest.raises(slack_ui.InteractionError):
        slack_ui.click(body)
