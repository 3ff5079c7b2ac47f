"""The owning team's messages: the first one right after triage, the same one updated in
place with the root cause and decisions, the conclusion as a reply in its thread; each
message through the gate (the default policy allows a trusted message to the catalog's
channel without asking a model), and a Slack failure recorded, never raised."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.notify import logic
from agents.notify.node import announce, notify, update
from core.ports import Review
from core.state import (
    Alert,
    IncidentState,
    Notification,
    ProposedAction,
    RootCause,
    Triage,
)
from core.tools import ToolResult
from policies.engine import load_policy
from policies.gate import Gate
from tests.policy_fixtures import TRUSTED, inventory

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def state(**extra: Any) -> IncidentState:
    alert = Alert(source="alertmanager", fingerprint="f", name="CheckoutLatencyHigh",
                  status="firing", starts_at=START, labels={"service": "checkout"},
                  annotations={"summary": "p99 latency 4.2 s"})  # fmt: skip
    triage = Triage(severity="high", category="latency", service="checkout", team="payments",
                    channel="#pay-oncall", tier=1, environment="prod",
                    reasons=("tier 1 service",))  # fmt: skip
    return {"incident_id": "inc-7", "alert": alert, "triage": triage, **extra}  # type: ignore[typeddict-item]


CAUSE = RootCause(kind="pr", pr=12, repo="acme/checkout", summary="The client timeout was cut.",
                  confidence=0.8, decided_by="model")  # fmt: skip


class Guard:
    """Decides every message with the real gate and the default policy (no models)."""

    def __init__(self) -> None:
        self.policy = load_policy(ROOT / "policies" / "default.yaml")
        self.reviewed: list[ProposedAction] = []

    async def review(self, _state: IncidentState, actions: Sequence[ProposedAction]) -> Review:
        async def never(*_a: Any) -> None:
            raise AssertionError("a trusted message never reaches a model")

        gate = Gate(self.policy, read=never, judge=never)
        inv = inventory(channel="#pay-oncall", catalog_channels=frozenset({"#pay-oncall"}))
        self.reviewed += actions
        return Review([await gate.review(a, inv) for a in actions])

    def links(self, _state: IncidentState) -> frozenset[str]:
        return frozenset()


class Slack:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        self.calls.append((qualified, dict(args)))
        if self.fail:
            raise ConnectionError("slack server gone")
        ts = str(args.get("ts") or f"1700000000.00000{len(self.calls)}")
        return ToolResult(server="slack", tool=qualified.split(".")[1], status="success",
                          text="", data={"channel": "C1", "ts": ts}, duration_s=0.01)  # fmt: skip

    def offers(self, _qualified: str) -> bool:
        return True


class Deps:
    def __init__(self, slack: Slack) -> None:
        self.guard, self.tools = Guard(), slack

    def now(self) -> datetime:
        return START + timedelta(minutes=2)


def run(node: Any, s: IncidentState, deps: Deps) -> IncidentState:
    """The node's own code (without the meter's span and usage record)."""
    result: IncidentState = asyncio.run(node.__wrapped__(s, deps, None))
    return result


def merged(s: IncidentState, changes: IncidentState) -> IncidentState:
    """The state after a node's update (the lists append, as the graph's reducers do)."""
    out: dict[str, Any] = dict(s)
    for key in ("decisions", "notifications"):
        out[key] = [*out.get(key, []), *changes.get(key, [])]  # type: ignore[misc]
    return out  # type: ignore[return-value]


def test_first_message_then_updates_in_place_then_a_thread_reply() -> None:
    slack = Slack()
    deps = Deps(slack)
    s = state()
    first = run(announce, s, deps)
    [note] = first["notifications"]
    assert note.ok and note.ts and note.posted_at is not None
    assert "investigating" in note.text and note.channel == "#pay-oncall"
    s = merged(s, first)
    s["root_cause"] = CAUSE
    s = merged(s, run(update, s, deps))
    s = merged(s, run(notify, s, deps))
    tools = [(name, args.get("ts"), args.get("thread_ts")) for name, args in slack.calls]
    assert tools == [
        ("slack.post_message", None, None),
        ("slack.update_message", note.ts, None),
        ("slack.update_message", note.ts, None),
        ("slack.post_message", None, note.ts),
    ]
    updated = slack.calls[1][1]["text"]
    assert "PR #12" in updated and "investigating" not in updated
    assert "Root cause" in slack.calls[3][1]["text"] and "blocks" not in slack.calls[3][1]
    assert all(d.verdict == "allowed" for d in s["decisions"])
    assert len({d.action_id for d in s["decisions"]}) == 4, "each message its own decision"
    assert logic.first_message(s, "#pay-oncall") == note


def test_without_a_first_message_notify_posts_one_new_message() -> None:
    slack = Slack()
    done = run(notify, state(root_cause=CAUSE), Deps(slack))
    assert [name for name, _ in slack.calls] == ["slack.post_message"]
    assert "blocks" in slack.calls[0][1] and "thread_ts" not in slack.calls[0][1]
    assert done["notifications"][0].ok


def test_update_does_nothing_before_a_first_message() -> None:
    slack = Slack()
    assert run(update, state(root_cause=CAUSE), Deps(slack)) == {}
    assert slack.calls == []


def test_a_failed_first_message_is_recorded_and_the_end_posts_anew() -> None:
    deps = Deps(Slack(fail=True))
    first = run(announce, state(), deps)
    [note] = first["notifications"]
    assert not note.ok and "slack server gone" in (note.error or "")
    assert logic.first_message(merged(state(), first), "#pay-oncall") is None


def test_no_channel_no_first_message() -> None:
    s = state()
    s["triage"] = s["triage"].model_copy(update={"channel": None})
    assert run(announce, s, Deps(Slack())) == {}


@pytest.mark.parametrize(
    ("extra", "verdict"),
    [
        ({"update_ts": "1700000000.000001"}, "allowed"),
        ({"thread_ts": "1700000000.000001"}, "allowed"),
        ({"update_ts": 17}, "blocked"),  # a wrong type is refused before any rule
        ({"ts": "1700000000.000001"}, "blocked"),  # an argument the action does not take
    ],
)
def test_the_gate_checks_a_message_s_thread_and_update_arguments(
    extra: dict[str, Any], verdict: str
) -> None:
    action = ProposedAction(id="m1", tool="post_message",
                            args={"channel": "#pay-oncall", "text": "hi", **extra},
                            reason="t", origin=TRUSTED, provenance={})  # fmt: skip
    [decision] = asyncio.run(Guard().review(state(), [action])).decisions
    assert decision.verdict == verdict, decision


def test_notifications_of_other_channels_or_replies_are_never_the_first() -> None:
    reply = Notification(channel="#pay-oncall", text="r", ok=True, ts="2", thread_ts="1")
    other = Notification(channel="#elsewhere", text="o", ok=True, ts="3")
    assert logic.first_message(state(notifications=[reply, other]), "#pay-oncall") is None
