"""`graph eval` never stops at the first bad case: a scenario that does not load is one errored
row with its file:line, the others are graded, and the exit status says which happened."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.evaluate import scoreboard, select, summarize
from tests.conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.integration


def test_one_broken_and_one_good_scenario_both_reported_exit_2(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(SCENARIOS / "worker-memory-leak", suite / "worker-memory-leak")
    broken = suite / "broken-tier"
    shutil.copytree(SCENARIOS / "db-pool-exhaustion", broken)
    text = (broken / "scenario.yaml").read_text().replace("name: db-pool-exhaustion",
                                                            "name: broken-tier")  # fmt: skip
    (broken / "scenario.yaml").write_text(text.replace("tier: 1", "tier: nine", 1))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
           "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "c.sqlite"),
           "INCIDENT_GRAPH_AUDIT_DB": str(tmp_path / "audit.sqlite")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "eval", "--scenarios", str(suite), "--json",
         "--model-small", "smollm2-135m", "--model-large", "smollm2-135m"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    report = json.loads(done.stdout)
    rows = {r["scenario"]: r for r in report["scenarios"]}
    assert set(rows) == {"broken-tier", "worker-memory-leak"}
    assert rows["broken-tier"]["errored"] and "does not load" in rows["broken-tier"]["error"]
    assert (
        "scenario.yaml:" in rows["broken-tier"]["error"] and ".tier" in rows["broken-tier"]["error"]
    )
    good = rows["worker-memory-leak"]
    assert not good.get("errored") and set(good["checks"]) >= {"severity", "root_cause"}
    assert report["summary"]["errored"] == 1 and report["summary"]["runs"] == 2
    assert good["expected_category"] == "code_change" and good["root_cause"]["decided_by"]


def test_scoreboard_by_category_with_repeats() -> None:
    def row(name: str, category: str, passed: bool) -> dict[str, object]:
        return {"scenario": name, "expected_category": category, "passed": passed,
                "checks": {"root_cause": passed, "severity": True}, "duration_s": 10.0,
                "tokens": {"triage": {"input": 100, "output": 10}},
                "root_cause": {"category": category, "decided_by": "model"}}  # fmt: skip

    results = [row("a", "capacity", True), row("a", "capacity", False),
               row("b", "code_change", True), row("b", "code_change", True)]  # fmt: skip
    for r, first in zip(results, (2.0, 4.0, None, 3.0), strict=True):
        r["first_message_s"] = first  # the third run's first message never went out
    results.append({"scenario": "c", "errored": True, "error": "does not load: x.yaml:3: tier",
                    "passed": False, "checks": {}, "expected_category": None,
                    "root_cause": {}, "tokens": {}, "duration_s": 0.0})  # fmt: skip
    summary = summarize(results)
    assert summary["by_category"]["capacity"] == {
        "runs": 2,
        "passed": 1,
        "errored": 0,
        "pass_rate": 0.5,
        "scenarios": 1,
    }
    assert summary["by_scenario"]["b"]["pass_rate"] == 1.0
    assert (summary["failed"], summary["errored"]) == (1, 1)
    assert (summary["first_message_p50_s"], summary["first_message_p95_s"]) == (3.0, 4.0)
    board = scoreboard(results, summary)
    assert "1/2" in board and "capacity" in board and "! c: does not load" in board
    assert "first message p50 3.0s p95 4.0s" in board


def test_only_selects_by_glob() -> None:
    folders = [Path("s/db-pool-exhaustion"), Path("s/ssl-cert-expiry"), Path("s/injection-x")]
    assert select(folders, ["injection-*"]) == [Path("s/injection-x")]
    assert select(folders, []) == folders
