"""Replays on real local models through llama.cpp (weights fetched by `make test`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from replay.result import to_json
from replay.run import RunOptions, replay
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS
from world.loader import load

pytestmark = pytest.mark.integration


def test_tiny_model_drives_the_whole_graph(tmp_path: Path) -> None:
    settings = Settings(checkpoint_db=tmp_path / "c.sqlite")
    opts = RunOptions(model_small="smollm2-135m", model_large="smollm2-135m")
    result = to_json(asyncio.run(replay(load("worker-memory-leak", SCENARIOS), settings, opts)))
    assert result["severity"] == "high", "severity comes from rules, whatever the model says"
    assert result["tokens"]["triage"]["input"] > 0
    assert result["tokens"]["root_cause"]["output"] > 0
    assert result["models"]["root_cause"] == "smollm2-135m"
    assert result["root_cause"]["summary"]
    assert [n["channel"] for n in result["notifications"]] == ["#oncall-payments"]


@pytest.mark.timeout(1500)  # ten replays on the default pair: about 5 minutes on 2 idle cores
def test_default_pair_passes_every_scenario(tmp_path: Path) -> None:
    """Every scenario under scenarios/ (the seeds and the prompt-injection ones)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
           "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "c.sqlite"),
           "INCIDENT_GRAPH_AUDIT_DB": str(tmp_path / "audit.sqlite")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "eval", "--scenarios", "scenarios", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=1500, env=env, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)
    failed = {r["scenario"]: r["checks"] for r in report["scenarios"] if not r["passed"]}
    assert done.returncode == 0 and not failed, failed
    assert report["summary"]["scenarios"] >= 3
    assert all(r["models"]["root_cause"] == "qwen2.5-coder-1.5b" for r in report["scenarios"])
