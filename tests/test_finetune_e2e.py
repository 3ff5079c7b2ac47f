"""The whole fine-tuning loop on the CPU, through the `graph` command line, on SmolLM2-135M:
dataset → train (a few steps, then resumed) → export → `graph models` lists it → a scenario
replays with the tuned model in the embedded provider → eval, base against tuned."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.models.weights import WeightsError, ensure_weights
from runtime.settings import Settings
from tests.conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.integration
pytest.importorskip("torch", reason="needs the finetune-cpu extra (make finetune-deps)")


def _graph(
    args: list[str], env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), f"graph {' '.join(args)}:\n{done.stderr[-3000:]}"
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A models folder of its own (the base weights linked in), stores of its own; one llama.cpp
    thread (two spin-waiting threads crawl on a busy 2-core machine)."""
    try:
        base = ensure_weights("smollm2-135m", models_dir=Settings().models_dir, fetch=False)
    except WeightsError as exc:
        pytest.fail(f"{exc} (`make test` does this through `make weights`)")
    models = tmp_path / "models"
    models.mkdir()
    (models / base.name).symlink_to(base)
    shutil.copy(base.with_name(base.name + ".sha256.json"), models)
    return {
        "PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
        "INCIDENT_GRAPH_MODELS_DIR": str(models),
        "INCIDENT_GRAPH_CHECKPOINT_DB": str(tmp_path / "checkpoints.sqlite"),
        "INCIDENT_GRAPH_AUDIT_DB": str(tmp_path / "audit.sqlite"),
        "INCIDENT_GRAPH_LLM_THREADS": "1", "INCIDENT_GRAPH_LLM_CONTEXT": "2048",
    }  # fmt: skip


@pytest.mark.timeout(1500)
def test_dataset_train_export_replay_eval_on_smollm2(tmp_path: Path, env: dict[str, str]) -> None:
    scenarios = tmp_path / "scenarios"
    for name in ("db-pool-exhaustion", "worker-memory-leak"):
        shutil.copytree(SCENARIOS / name, scenarios / name)
    data, run = tmp_path / "data.jsonl", tmp_path / "smollm2-incidents"
    _graph(["finetune", "dataset", "--scenarios", str(scenarios), "--out", str(data),
            "--eval-scenarios", "worker-memory-leak"], env)  # fmt: skip

    train = ["finetune", "train", "--base", "smollm2-135m", "--data", str(data), "--out", str(run),
             "--batch-size", "1", "--tasks", "triage,reader", "--save-every", "1", "--threads",
             "2", "--json"]  # fmt: skip
    first = json.loads(_graph([*train, "--max-steps", "2"], env).stdout)["training"]
    assert (first["steps"], first["backend"]) == (2, "cpu")
    assert first["steps_per_s"] > 0 and len(first["losses"]) == 2
    resumed = _graph([*train, "--max-steps", "3"], env)
    again = json.loads(resumed.stdout)["training"]
    assert "resuming from" in resumed.stderr and "step-000002" in resumed.stderr
    assert (again["steps"], again["steps_this_run"]) == (3, 1)
    assert again["losses"][:2] == first["losses"]

    exported = json.loads(_graph(["finetune", "export", str(run), "--json"], env).stdout)
    gguf = Path(exported["gguf"])
    assert gguf == Path(env["INCIDENT_GRAPH_MODELS_DIR"]) / "tuned" / "smollm2-incidents.gguf"
    listed = json.loads(_graph(["models", "--json"], env).stdout)["tuned"]
    assert [(m["name"], m["path"]) for m in listed] == [("smollm2-incidents", str(gguf))]

    replayed = _replay(gguf, env)
    assert replayed["models"]["triage"] == str(gguf)
    assert replayed["tokens"]["triage"]["output"] > 0
    assert replayed["root_cause"]["summary"]

    report = json.loads(_graph(["finetune", "eval", "--base", "smollm2-135m", "--tuned",
                                "smollm2-incidents", "--data", str(data), "--tasks",
                                "triage,reader", "--json"], env).stdout)  # fmt: skip
    for side in ("base", "tuned"):
        assert report[side]["tasks"]["triage"]["of"] == 1
        assert report[side]["valid"]["of"] >= 2 and report[side]["output_tokens"] > 0
    assert report["tuned"]["model"] == str(gguf)


def _replay(gguf: Path, env: dict[str, str]) -> dict[str, Any]:
    done = _graph(["run", "--scenario", "db-pool-exhaustion", "--model-small", str(gguf),
                   "--model-large", str(gguf), "--approvals", "deny", "--json"], env)  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result
