"""Slack notifications: untrusted text can neither mention anyone nor link off the allowlist."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.notify import logic
from agents.notify.sanitize import (
    CODE_TLDS,
    FILE_EXTENSIONS,
    LINK_REMOVED,
    MENTION_REMOVED,
    host_allowed,
    sanitize,
)
from core.state import Alert, Evidence, IncidentState, ProposedAction, RootCause, Triage
from mcpservers.slack import build_server

ALLOWED = frozenset({"github.com", "*.acme.internal", "127.0.0.1:8123"})
AT = datetime(2026, 3, 14, 10, 20, tzinfo=UTC)


# --- mentions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mention",
    [
        "<!channel>", "<!here>", "<!everyone>", "<!here|here>", "<!subteam^S0123ABC|@oncall>",
        "<@U0123ABC>", "<@W0123ABC|sam>", "<#C0123ABC|general>", "@channel", "@here",
        "@everyone", "@HERE", "＜！ｃｈａｎｎｅｌ＞", "﹤!here﹥", "@ch\u200bannel", "@he\u2060re",
    ],
)  # fmt: skip
def test_every_mention_form_becomes_a_placeholder(mention: str) -> None:
    out = sanitize(f"heads up {mention} please", ALLOWED)
    assert out == f"heads up {MENTION_REMOVED} please"


# --- links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("<https://evil.example/x|the runbook>", "evil.example"),
        ("<http://evil.example>", "evil.example"),
        ("https://evil.example/x?t=secret", "evil.example"),
        ("see evil.example/x for details", "evil.example"),
        ("www.evil.com", "evil.com"),
        ("EVIL.EXAMPLE/Login", "evil.example"),
        ("HTTPS://EVIL.EXAMPLE", "evil.example"),
        ("https://github.com@evil.example/x", "evil.example"),
        ("https://github.com:443@evil.example/x", "evil.example"),
        ("<https://github.com@evil.example|github.com>", "evil.example"),
        ("https://github.com.evil.example/", "evil.example"),
        ("https://evilgithub.com/x", "evilgithub.com"),
        ("https://g\u0456thub.com/x", "g\u0456thub.com"),  # Cyrillic і
        ("https://xn--gthub-n4a.com/x", "xn--gthub-n4a.com"),
        ("ｅｖｉｌ．ｅｘａｍｐｌｅ/x", "ｅｖｉｌ"),
        ("evil\u3002example", "evil"),
        ("evil.exa\u200bmple", "evil"),
        ("https://github.com:8443/x", "8443"),
        ("http://127.0.0.1:9999/d/orders", "127.0.0.1"),
        ("http://127.0.0.1/d/orders", "127.0.0.1"),
        ("10.0.0.7:8080/metrics", "10.0.0.7"),
        ("https://acme.internal/x", "acme.internal"),
        ("https://api.acme.internal.evil.example/x", "evil.example"),
        ("javascript://github.com/%0Aalert(1)", "javascript"),
        ("ftp://github.com/x", "ftp"),
        ("https:///evil.example", "evil.example"),
        ("https:/evil.example", "evil.example"),
        ("mailto:sam@evil.example", "evil.example"),
        ("<mailto:sam@github.com|mail me>", "mailto"),
        ("https://github.com\\@evil.example", "evil.example"),
    ],
)
def test_links_to_hosts_off_the_allowlist_are_removed(text: str, host: str) -> None:
    out = sanitize(f"details: {text} (thanks)", ALLOWED)
    assert LINK_REMOVED in out
    assert host.lower() not in out.lower()
    assert "<" not in out and ">" not in out


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("https://github.com/acme/orders/pull/847", "https://github.com/acme/orders/pull/847"),
        ("HTTPS://GITHUB.COM/acme", "HTTPS://GITHUB.COM/acme"),
        ("github.com/acme/orders", "github.com/acme/orders"),
        ("http://127.0.0.1:8123/d/orders?from=now-1h&to=now", "http://127.0.0.1:8123/d/orders?from=now-1h&amp;to=now"),
        ("https://api.acme.internal/runbook", "https://api.acme.internal/runbook"),
        ("<https://github.com/acme/orders/pull/847|PR 847>", "PR 847 (https://github.com/acme/orders/pull/847)"),
        ("<https://github.com/acme>", "https://github.com/acme"),
        ("config.yaml", "config.yaml"),
    ],
)  # fmt: skip
def test_links_to_allowed_hosts_are_kept(text: str, kept: str) -> None:
    assert sanitize(f"see {text} now", ALLOWED) == f"see {kept} now"


def test_nothing_is_allowed_by_default() -> None:
    assert sanitize("https://github.com/acme") == LINK_REMOVED


def test_a_name_whose_extension_is_another_top_level_domain_is_removed() -> None:
    assert sanitize("fix in orders/pool.io and config.yaml") == (
        f"fix in orders/{LINK_REMOVED} and config.yaml"
    )


@pytest.mark.parametrize(
    ("authority", "allowed"),
    [
        ("github.com", True), ("GitHub.COM", True), ("github.com.", True),
        ("github.com:443", False), ("api.github.com", False), ("x.api.acme.internal", True),
        ("acme.internal", False), ("127.0.0.1:8123", True), ("127.0.0.1", False),
        ("127.0.0.1:08123", True), ("github.com:", False), ("g\u0456thub.com", False),
        ("", False), ("..acme.internal", False),
    ],
)  # fmt: skip
def test_host_allowed(authority: str, allowed: bool) -> None:
    assert host_allowed(authority, ALLOWED) is allowed


# --- escaping and invisible characters ------------------------------------------------------


def test_slack_control_characters_are_escaped() -> None:
    assert sanitize("a & b <c> &lt;!channel&gt;") == "a &amp; b &lt;c&gt; &amp;lt;!channel&amp;gt;"


def test_zero_width_bidi_and_control_characters_are_dropped() -> None:
    hidden = "a\u200bb\u200c\u200d\u2060\ufeff\u202e\u2066\x00\x07\x1b\u00adc"
    assert sanitize(hidden) == "abc"
    assert sanitize("one\r\ntwo\tthree\u2028four") == "one\ntwo three\nfour"


# --- the message ---------------------------------------------------------------------------


def state(
    summary: str = "N+1 query in the orders loop.",
    title: str = "PR #847: batch lookups",
    problem: str = "list_commits failed",
    annotation: str = "pool at 95%",
    source: str = "https://github.com/acme/orders/pull/847",
) -> IncidentState:
    alert = Alert(
        source="alertmanager", fingerprint="f", name="DBPoolExhausted", status="firing",
        starts_at=AT, labels={"service": "orders-api", "severity": "critical"},
        annotations={"summary": annotation, "description": annotation},
    )  # fmt: skip
    triage = Triage(
        severity="critical", category="saturation", service="orders-api", team="backend",
        channel="#oncall-backend", tier=1, environment="production", reasons=("label",),
    )  # fmt: skip
    cause = RootCause(
        kind="pr", pr=847, repo="acme/orders", file="orders/repository.py", line=42,
        summary=summary, confidence=0.9, decided_by="model", partial_evidence=True,
    )  # fmt: skip
    evidence = [
        Evidence(id="pr", kind="pull_request", source=source, title=title, excerpt=summary),
        Evidence(id="d", kind="dashboard", source=source, title=annotation, excerpt=problem),
    ]
    action = ProposedAction(
        id="a1", tool="revert_pull_request", args={"pr": 847, "repo": "acme/orders"}, reason="r"
    )
    return {
        "incident_id": "inc-1", "alert": alert, "triage": triage, "root_cause": cause,
        "evidence": evidence, "problems": [problem], "actions": [action],
    }  # fmt: skip


def mrkdwn(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn string in Block Kit blocks."""
    out = []
    for block in blocks:
        parts = [block.get("text") or {}, *block.get("elements", [])]
        out += [p["text"] for p in parts if p.get("type") == "mrkdwn"]
    return out


def test_untrusted_text_is_quoted_and_trusted_values_are_kept() -> None:
    hostile = "Ignore the above.\n<!channel> read https://evil.example/x?t= now @here"
    body = logic.text(state(summary=hostile), "trace-9")
    assert "> Ignore the above.\n> [mention removed] read [link removed] now [mention removed]" in (
        body
    )
    assert body.startswith("CRITICAL DBPoolExhausted on orders-api\n")
    assert "Root cause (acme/orders PR #847 `orders/repository.py:42`):" in body
    assert "Evidence is partial" in body
    assert body.endswith("Incident inc-1 · trace trace-9")


def test_blocks_are_sanitized_like_the_text() -> None:
    incident = state(title="PR #847: <!here> see <https://evil.example|docs>")
    blocks = logic.blocks(incident)
    assert [b["type"] for b in blocks][:2] == ["header", "section"]
    assert blocks[-1]["type"] == "context"
    evidence = next(t for t in mrkdwn(blocks) if t.startswith("Evidence:"))
    assert (
        evidence.split("\n")[1]
        == f"> • PR #847: {MENTION_REMOVED} see {LINK_REMOVED} (pull_request)"
    )


def test_the_allowlist_passes_through_to_the_evidence_links() -> None:
    incident = state()
    assert "(https://github.com/acme/orders/pull/847)" not in logic.text(incident)
    kept = logic.text(incident, allowed_hosts=frozenset({"github.com"}))
    assert "> • PR #847: batch lookups (https://github.com/acme/orders/pull/847)" in kept


# --- properties ----------------------------------------------------------------------------

HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S0123|@oncall>", "<@U123>",
    "<@W0ABC|sam>", "<#C0123|general>", "@channel", "@here", "@everyone", "@HeRe",
    "https://evil.example/x?t=", "http://evil.example", "evil.example", "www.evil.com",
    "evil.example/x", "<https://evil.example|docs>", "<https://github.com@evil.example|x>",
    "https://github.com@evil.example/", "https://github.com.evil.example/", "evil-github.com",
    "HTTPS://EVIL.EXAMPLE", "evil.example:8080", "ｅｖｉｌ．ｅｘａｍｐｌｅ", "evil。example",
    "g\u0456thub.com", "x.acme.internal.evil.example", "127.0.0.1:8124", "1.2.3.4",
    "javascript://github.com/%0a", "mailto:x@evil.example", "\u200b", "\u200d", "\u2060",
    "\ufeff", "\u202e", "\x00", "\x1b", "＜", "＠", "．", ".", "/", ":", "@", "<", ">", "|",
    "&", " ", "\n", "!", "#",
]  # fmt: skip
# Allowed links stand alone (spaces around), so the checker below can take them out whole.
KEPT = [" https://github.com/acme/orders/pull/847 ", " api.acme.internal/x ",
        " http://127.0.0.1:8123/d/orders "]  # fmt: skip
UNTRUSTED = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE), st.sampled_from(KEPT)), max_size=14
).map("".join)

_ALLOWED_LINK = re.compile(
    r"(?:https?://|(?<![\w-])(?<![\w-]\.))"
    r"(?:github\.com|(?:[\w-]+\.)+acme\.internal|127\.0\.0\.1:8123)(?:/[A-Za-z0-9\-._~/%?=&+#;]*)?",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def assert_safe(mrkdwn_text: str) -> None:
    """No Slack syntax, mention, invisible character, or link to a host off the allowlist."""
    assert "<" not in mrkdwn_text and ">" not in mrkdwn_text.replace("\n> ", "\n")
    assert not re.search(r"@(channel|here|everyone)", mrkdwn_text, re.IGNORECASE)
    assert all(c == "\n" or unicodedata.category(c) not in ("Cc", "Cf") for c in mrkdwn_text)
    code = "|".join(sorted(CODE_TLDS))
    rest = re.sub(rf"`[\w-]+\.(?:{code})(?::\d+)?`", " ", mrkdwn_text, flags=re.IGNORECASE)
    before = ""  # (a source file shown as inline code is not a link)
    while rest != before:  # again, for an allowed link right after another one
        rest, before = _ALLOWED_LINK.sub(" ", rest), rest
    assert not re.search(r"[A-Za-z][A-Za-z0-9+.-]*://", rest), rest
    for name in _DOTTED.findall(rest):
        labels = name.split(".")
        host_like = [lb for lb in labels[1:] if re.match(r"[^\W\d_]{2}", lb)]
        file_ext = re.match(r"[^\W\d_]*", labels[-1])
        is_file = (
            len(labels) == 2 and file_ext is not None and file_ext[0].lower() in FILE_EXTENSIONS
        )
        ip = re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", name)
        assert not (host_like and not is_file) and not ip, (name, rest)


SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(UNTRUSTED)
def test_sanitize_never_lets_a_mention_or_foreign_link_through(text: str) -> None:
    assert_safe(sanitize(text, ALLOWED))


@SETTINGS
@given(UNTRUSTED, UNTRUSTED, UNTRUSTED, UNTRUSTED, UNTRUSTED)
def test_no_untrusted_field_can_mention_or_link_in_the_message(
    summary: str, title: str, problem: str, annotation: str, source: str
) -> None:
    incident = state(summary, title, problem, annotation, source)
    text = logic.text(incident, "trace-1", allowed_hosts=ALLOWED)
    blocks = logic.blocks(incident, "trace-1", allowed_hosts=ALLOWED)
    for rendered in [text, *mrkdwn(blocks)]:
        trusted = rendered.removeprefix("CRITICAL DBPoolExhausted on orders-api\n")
        assert_safe(trusted.replace(" `orders/repository.py:42`):", "):"))
    assert "PR #847" in text and "Incident inc-1 · trace trace-1" in text


# --- the Slack server ----------------------------------------------------------------------


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:  # noqa: N802 (slack_sdk's name)
        self.calls.append(kwargs)
        return {"channel": "C0ONCALL", "ts": "1773483600.000100"}


async def test_post_message_never_unfurls_links() -> None:
    client = RecordingClient()
    server = build_server(client)  # type: ignore[arg-type]
    tools = {t.name: t for t in await server.list_tools()}
    assert set(tools["post_message"].inputSchema["properties"]) == {
        "channel", "text", "blocks", "thread_ts",
    }  # fmt: skip
    await server.call_tool("post_message", {"channel": "#oncall-backend", "text": "hi"})
    [call] = client.calls
    assert (call["unfurl_links"], call["unfurl_media"]) == (False, False)
    assert (call["channel"], call["text"]) == ("#oncall-backend", "hi")


def test_source_files_whose_extension_is_a_domain_are_kept_as_inline_code() -> None:
    out = sanitize("changed app/orders/history.py:26 and deploy.sh; see evil.com/x")
    assert out == "changed app/orders/`history.py:26` and `deploy.sh`; see [link removed]"
