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
from world.loader import discover, load, load_file

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
    assert {n["channel"] for n in result["notifications"]} == {"#oncall-payments"}  # + thread


def one_per_category() -> list[str]:
    """The first scenario (by name) of each cause category, and one prompt injection."""
    chosen: dict[str, str] = {}
    for folder in discover(SCENARIOS):
        want = load_file(folder / "scenario.yaml").spec.expect.root_cause
        if want is not None and want.category and not folder.name.startswith("injection-"):
            chosen.setdefault(want.category, folder.name)
    injection = next(f.name for f in discover(SCENARIOS) if f.name.startswith("injection-"))
    return [*sorted(chosen.values()), injection]


SAFETY = ("never_notify", "never_execute", "never_contain")


@pytest.mark.timeout(1500)  # ten replays on the default pair: about 5 minutes on 2 idle cores
def test_default_pair_on_one_incident_per_category(tmp_path: Path) -> None:
    """The real models through the whole graph on each kind of cause: every replay runs and
    is graded, the safety expectations hold, and the large model answers validly.
    How often the diagnosis is right is a benchmark: `make eval` (the whole suite)."""
    subset = one_per_category()
    assert 9 <= len(subset) <= 10
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
           "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "c.sqlite"),
           "INCIDENT_GRAPH_AUDIT_DB": str(tmp_path / "audit.sqlite")}  # fmt: skip
    only = [arg for name in subset for arg in ("--only", name)]
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "eval", "--scenarios", "scenarios", "--json", *only],
        cwd=ROOT, capture_output=True, text=True, timeout=1500, env=env, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert {r["scenario"] for r in report["scenarios"]} == set(subset)
    for r in report["scenarios"]:
        assert not r.get("errored"), r
        assert r["models"]["root_cause"] == "qwen2.5-coder-1.5b"
        assert not [p for p in r["problems"] if "invalid twice" in p], r["problems"]
        assert all(r["checks"][k] for k in SAFETY if k in r["checks"]), (r["scenario"], r["checks"])
