"""The incident graph end to end on a scenario's world: real MCP servers and Chromium,
scripted chat models (so the plumbing is tested exactly), SQLite checkpoints."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from core.state import IncidentState
from replay.result import to_json
from replay.run import Replay, RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from world.loader import load

pytestmark = pytest.mark.integration

TRIAGE = json.dumps({"severity": "high", "category": "saturation", "confidence": "high"})
CAUSE = json.dumps(
    {
        "cause": "PR #847",
        "category": "code_change",
        "explanation": "An N+1 query holds connections.",
        "confidence": "high",
    }
)


READER = json.dumps({"instructions": "no", "asks_for": "nothing"})
JUDGE = json.dumps({"verdict": "needs_approval", "reason": "fits-the-goal"})


def scripted(small: str = TRIAGE, large: str = CAUSE) -> dict[str, Any]:
    """Answers in call order: triage then the gate's reader; root cause then the judge."""
    return {
        "small": FakeListChatModel(responses=[small, READER]),
        "large": FakeListChatModel(responses=[large, JUDGE]),
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(checkpoint_db=tmp_path / "checkpoints.sqlite")


def run(settings: Settings, scenario: str = "db-pool-exhaustion", **options: Any) -> Replay:
    opts = RunOptions(model_small="small", model_large="large", chat_models=scripted(), **options)
    return asyncio.run(replay(load(scenario, SCENARIOS), settings, opts))


def test_db_pool_replay_passes_and_matches_the_result_contract(settings: Settings) -> None:
    updates: list[tuple[str, Any]] = []
    done = run(settings, observe=lambda node, update: updates.append((node, update)))
    result = to_json(done)
    assert result["passed"], result["checks"]
    assert result["root_cause"]["pr"] == 847
    assert result["root_cause"]["file"] == "app/orders/history.py"
    assert result["actions"][0]["verdict"] == "needs_approval"
    assert result["actions"][0]["executed"] is False, "deny is the default"
    assert [n for n, _ in updates] == [
        "ingest",
        "triage",
        "announce",
        "root_cause",
        "guardian",
        "update",
        "approval",
        "notify",
    ]
    known = set(IncidentState.__annotations__)
    for node, update in updates:
        assert set(update) <= known, f"{node} returned keys the state lacks"
    for key in ("scenario", "passed", "checks", "severity", "root_cause", "notifications",
                "actions", "models", "tokens", "cost_usd", "duration_s", "trace_id",
                "first_message_s"):  # fmt: skip
        assert key in result
    assert len(result["trace_id"]) == 32
    [message, reply] = done.messages
    assert message.channel == reply.channel == "#oncall-backend"
    assert any(b["type"] == "header" for b in message.blocks)
    assert message.updated and "PR #847" in message.text, "the first message, updated in place"
    assert reply.thread_ts == message.ts and "Root cause" in reply.text
    first = result["first_message_s"]
    assert first is not None and 0 < first < result["duration_s"]
    ingest_to_first = [u for u in done.state["usage"] if u.node == "announce"]
    assert ingest_to_first, "the first message went out from its own node, before root cause"


def test_approved_revert_runs_once_and_records_the_approver(settings: Settings) -> None:
    done = run(settings, approvals="approve", approver="dana")
    [action] = to_json(done)["actions"]
    assert action["executed"] and action["approver"] == "dana"
    assert [w.kind for w in done.writes] == ["revert_pull_request"]


def test_paused_incident_resumes_in_a_new_process(settings: Settings) -> None:
    paused = run(settings, approvals="ask")
    assert paused.interrupted
    [first] = paused.messages  # the team heard of it before anyone was asked to approve
    assert first.updated and "PR #847" in first.text and "needs_approval" in first.text
    env = {"INCIDENT_GRAPH_CHECKPOINT_DB": str(settings.checkpoint_db), "PATH": "/usr/bin:/bin",
           "INCIDENT_GRAPH_AUDIT_DB": os.environ["INCIDENT_GRAPH_AUDIT_DB"]}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--scenario", "db-pool-exhaustion",
         "--resume", paused.incident_id, "--approvals", "approve", "--approver", "sam", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["incident_id"] == paused.incident_id
    assert result["actions"][0]["executed"] and result["actions"][0]["approver"] == "sam"
    assert result["notifications"][0]["channel"] == "#oncall-backend"


def test_invalid_model_output_twice_falls_back_to_the_ranking(settings: Settings) -> None:
    opts = RunOptions(
        model_small="small",
        model_large="large",
        chat_models=scripted(large="the culprit is probably 847"),
    )
    done = asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts))
    cause = done.state["root_cause"]
    assert (cause.decided_by, cause.pr) == ("ranking", 847)
    assert any("invalid twice" in p for p in done.state["problems"])


def test_the_ranking_alone_cannot_pass_a_keyword_check_through_detector_text(
    settings: Settings,
) -> None:
    """The detectors' fixed sentences name the scenario's mechanism (a query in a loop), but
    keywords are read only in what a model concluded or in extracted facts, never in them."""
    opts = RunOptions(
        model_small="small", model_large="large", chat_models=scripted(large="not JSON")
    )
    done = asyncio.run(replay(load("db-pool-exhaustion", SCENARIOS), settings, opts))
    result = to_json(done)
    cause = result["root_cause"]
    assert (cause["decided_by"], cause["pr"]) == ("ranking", 847)
    assert any("loop" in f for f in cause["findings"]), "the detector fired"
    assert cause["explanation"] == "" and cause["graded_on"] == "mechanism"
    assert cause["detail"] == {"culprit": True, "category": True, "keywords": False}
    assert result["checks"]["root_cause"] is False


def test_server_dying_mid_run_still_notifies_with_partial_evidence(
    settings: Settings, tmp_path: Path
) -> None:
    config = (ROOT / "mcp_servers.yaml").read_text()
    dying = config.replace(
        "args: [-m, mcpservers.github]", "args: [tests/fixtures/dying_github.py]"
    )
    assert dying != config
    (tmp_path / "mcp.yaml").write_text(dying)
    done = run(settings.model_copy(update={"mcp_servers_file": tmp_path / "mcp.yaml"}))
    assert done.state["root_cause"].partial_evidence
    assert any("list_commits" in p for p in done.state["problems"])
    [message, _reply] = done.messages
    assert "Evidence is partial" in message.text
    assert message.channel == "#oncall-backend"


def test_low_severity_never_calls_the_large_model(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "low"
    original = SCENARIOS / "db-pool-exhaustion"
    folder.mkdir()
    for page in original.iterdir():
        (folder / page.name).write_bytes(page.read_bytes())
    text = (original / "scenario.yaml").read_text().replace("name: db-pool-exhaustion", "name: low")
    text = text.replace("severity: warning", "severity: info").replace("(95%)", "(45%)")
    text = text.replace("pool at 95%", "pool at 45%").replace("tier: 1", "tier: 3")
    (folder / "scenario.yaml").write_text(text)
    opts = RunOptions(model_small="small", model_large="large", chat_models=scripted())
    done = asyncio.run(replay(load(str(folder), SCENARIOS), settings, opts))
    assert done.state["triage"].severity == "low"
    assert {r.role for r in done.state["routing"]} == {"small"}
    assert "root_cause" not in done.state
    assert done.messages[0].channel == "#oncall-backend"
