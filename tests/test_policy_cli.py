# ruff: noqa: E501  (assertions read best on one line)
"""`graph policy check`, `graph policy explain` and `graph audit`, and the audit store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.main import main
from core.state import Approval, GateDecision
from policies.audit import AuditStore
from replay.run import RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from tests.test_graph_replay import scripted
from world.loader import load

NOW = datetime(2026, 3, 14, 10, 20, tzinfo=UTC)


def decision(action_id: str, verdict: str, rules: tuple[str, ...]) -> GateDecision:
    return GateDecision(action_id=action_id, tool="revert_pull_request", verdict=verdict,  # type: ignore[arg-type]
                        rules=rules, args={"pr": 1}, decided_at=NOW)  # fmt: skip


def test_policy_check_lists_the_rules_of_a_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(ROOT / "policies/default.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "valid, 8 rules" in out
        and "revert-needs-approval: revert_pull_request → needs_approval" in out
    )


def test_policy_check_names_the_rule_and_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("version: 2\nrules:\n  - {id: oops, action: post_message, verdict: sure}\n")
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "rules[0] (id oops).verdict" in err
    assert main(["policy", "check", str(tmp_path / "missing.yaml")]) == 2
    assert "no such policy file" in capsys.readouterr().err


def test_audit_keeps_the_first_decision_and_answer_and_counts_what_got_through(
    tmp_path: Path,
) -> None:
    store = AuditStore(tmp_path / "audit.sqlite")
    store.record_decision("inc-1", decision("a1", "needs_approval", ("revert-x",)), "t" * 32)
    store.record_decision("inc-1", decision("a1", "allowed", ("other",)), None)  # a replay
    store.record_decision("inc-2", decision("a2", "allowed", ("revert-x",)), None)
    store.record_decision("inc-3", decision("a3", "blocked", ("revert-x",)), None)
    assert store.let_through("revert-x") == 1  # only the allowed one so far
    store.record_approval("inc-1", Approval(action_id="a1", approved=True, approver="dana", at=NOW))
    store.record_approval("inc-1", Approval(action_id="a1", approved=False, approver="eve", at=NOW))
    assert store.let_through("revert-x") == 2
    assert store.let_through("revert-x", within_s=0) == 0
    [row] = store.rows("inc-1")
    assert (row["verdict"], row["approved"], row["approver"]) == ("needs_approval", True, "dana")
    assert row["rules"] == ["revert-x"] and row["trace_id"] == "t" * 32


@pytest.mark.integration
def test_a_replay_is_audited_and_graph_audit_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = tmp_path / "audit.sqlite"
    settings = Settings(checkpoint_db=tmp_path / "c.sqlite", audit_db=audit)
    opts = RunOptions(model_small="small", model_large="large", chat_models=scripted(),
                      approvals="approve", approver="dana")  # fmt: skip
    done = asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts))
    monkeypatch.setenv("INCIDENT_GRAPH_AUDIT_DB", str(audit))
    assert main(["audit", "--incident", done.incident_id, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_tool = {r["tool"]: r for r in rows}
    assert set(by_tool) == {"revert_pull_request", "post_message"}
    revert = by_tool["revert_pull_request"]
    assert (revert["verdict"], revert["approved"], revert["approver"]) == (
        "needs_approval",
        True,
        "dana",
    )
    assert revert["answers"]["quarantined.instructions"] == "no"
    assert revert["trace_id"] == done.trace_id and revert["incident_time"].startswith("2026-03-")
    assert main(["audit", "--incident", done.incident_id]) == 0
    assert "approved by dana" in capsys.readouterr().out
    assert main(["audit", "--incident", "no-such-incident"]) == 1


@pytest.mark.integration
def test_explain_prints_every_decision_with_rules_checks_provenance_and_answers(
    tmp_path: Path,
) -> None:
    from cli import policy as policy_cmd

    settings = Settings(checkpoint_db=tmp_path / "c.sqlite", audit_db=tmp_path / "a.sqlite")
    opts = RunOptions(model_small="small", model_large="large", chat_models=scripted())
    done = asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts))
    text = "\n".join(policy_cmd.render(policy_cmd.decisions(done)))
    assert "revert_pull_request {'pr': 847, 'repo': 'acme/orders-api'}" in text
    assert "verdict   needs_approval (policy alone: needs_approval)" in text
    assert (
        "check     merged-in-window: ok" in text
        and "model     privileged.verdict = needs_approval" in text
    )
    assert (
        "decided   root cause decided by the model after reading untrusted text (untrusted)" in text
    )
    assert "post_message {'channel': '#oncall-backend'}" in text and "approval  denied" in text
