"""The console's pure parts: sessions and CSRF tokens, what its pages show, escaping of
untrusted text and links, and the cost overview."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from observability.pricing import load_pricing
from policies.roles import Permit
from service.console import views
from service.console.routes import _TEMPLATES, _local
from service.console.sessions import Sessions
from tests.conftest import ROOT

NOW = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def test_sessions_are_signed_expire_and_carry_their_csrf_token() -> None:
    clock = [1000.0]
    sessions = Sessions(b"k" * 32, clock=lambda: clock[0])
    cookie = sessions.issue("dana", "person")
    session = sessions.read(cookie)
    assert session is not None and (session.user, session.kind) == ("dana", "person")
    payload, signature = cookie.split(".")
    assert sessions.read(f"{payload}x.{signature}") is None, "a changed payload"
    assert Sessions(b"other" * 8).read(cookie) is None, "another service's key"
    assert sessions.read("garbage") is None and sessions.read(None) is None
    assert sessions.csrf_ok(session, sessions.csrf(session))
    other = sessions.read(sessions.issue("dana", "person"))
    assert other is not None and not sessions.csrf_ok(other, sessions.csrf(session))
    assert not sessions.csrf_ok(session, "") and not sessions.csrf_ok(session, None)
    clock[0] += 9 * 3600
    assert sessions.read(cookie) is None, "expired after 8 hours"


def test_only_console_paths_are_redirect_targets() -> None:
    assert _local("/ui/incidents/x?status=failed") == "/ui/incidents/x?status=failed"
    for target in ("https://evil.example/", "//evil.example/ui/", "/ui//evil", "/docs"):
        assert _local(target) == "/ui/incidents"


def incident(**summary: Any) -> dict[str, Any]:
    return {"id": "inc-1", "status": "awaiting_approval", "service": "api", "name": "HighErrors",
            "created_at": "2026-03-10T10:00:00+00:00", "summary": summary, "approvals": [],
            "timeline": [], "channel": "#team", "slack_ts": "1.2", "trace_id": "abc"}  # fmt: skip


def test_a_row_shows_severity_age_and_the_cause_at_a_glance() -> None:
    cause = {"kind": "pr", "repo": "acme/api", "pr": 12, "summary": "A retry loop."}
    r = views.row(incident(severity="high", root_cause=cause), NOW)
    shown = (r["severity"], r["age"], r["ref"], r["cause"])
    assert shown == ("high", "30 min", "acme/api PR #12", "A retry loop.")
    assert views.matches(r, {"status": "awaiting_approval", "severity": "", "service": "api"})
    assert not views.matches(r, {"status": "completed", "severity": "", "service": ""})
    assert views.reference({"kind": "commit", "commit": "9f1c2e7aa0b1c2d3e4"}) == "9f1c2e7aa0b1"
    assert views.reference({"kind": "none"}) == "none"


def test_untrusted_text_is_escaped_and_only_http_links_are_links() -> None:
    hostile = incident(
        severity="high",
        alert={"summary": HOSTILE},
        root_cause={"kind": "none", "pr": None, "commit": None, "repo": None, "file": None,
                    "line": None, "summary": HOSTILE, "confidence": 0.5, "decided_by": "model",
                    "links": []},
        evidence=[{"kind": "dashboard", "title": HOSTILE, "source": "javascript:alert(1)",
                   "ok": True},
                  {"kind": "dashboard", "title": "board", "source": "https://grafana.example/d",
                   "ok": True}],
        actions=[{"id": "a1", "tool": "create_issue", "args": {"title": HOSTILE},
                  "reason": HOSTILE, "verdict": "needs_approval", "rules": [], "checks": [],
                  "approver": None, "approved": None, "role": None, "outcome": None,
                  "executed": False, "detail": None}],
    )  # fmt: skip
    hostile["approvals"] = [{"action_id": "a1", "status": "pending", "request": {
        "tool": "create_issue", "args": {"title": HOSTILE}, "environment": None}}]  # fmt: skip
    shown = views.page(hostile, lambda _r: Permit(False, None, HOSTILE))
    html = _TEMPLATES.get_template("incident.html.j2").render(
        session=None, csrf="", live="", i=shown, flash="", refusal=HOSTILE
    )
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and 'href="https://grafana.example/d"' in html
    assert "Approve" not in html, "no buttons for who may not answer"


def test_the_cost_overview_prices_nodes_and_says_what_it_cannot_price(tmp_path: Path) -> None:
    usage = [{"node": "triage", "model": "qwen2.5-coder-0.5b", "input_tokens": 400,
              "output_tokens": 30},
             {"node": "root_cause", "model": "qwen2.5-coder-1.5b", "input_tokens": 1200,
              "output_tokens": 90},
             {"node": "ingest", "model": None, "input_tokens": 0, "output_tokens": 0}]  # fmt: skip
    pricing = load_pricing(ROOT / "observability" / "pricing.yaml")
    shown = views.costs([incident(usage=usage)], pricing, "qwen2.5-coder-1.5b")
    assert {r["node"] for r in shown["rows"]} == {"triage", "root_cause"}
    assert shown["total"]["input_tokens"] == 1600 and 0 < shown["saving"] < 1
    strict = tmp_path / "pricing.yaml"
    strict.write_text(
        "models:\n  other: {usd_per_1m_input_tokens: 1, usd_per_1m_output_tokens: 2}\n"
    )
    unpriced = views.costs([incident(usage=usage)], load_pricing(strict), "other")
    assert unpriced["rows"] == [] and "no price for model" in unpriced["error"]
