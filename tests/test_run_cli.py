"""`graph run` as a user meets its errors: missing or corrupt weights, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runtime.models.catalog import get_spec
from runtime.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def graph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=300, env={**base, **(env or {})}, check=False,
    )  # fmt: skip


def test_missing_weights_say_how_to_fetch_them(tmp_path: Path) -> None:
    env = {"INCIDENT_GRAPH_MODELS_DIR": str(tmp_path)}
    done = graph("run", "--scenario", "db-pool-exhaustion", env=env)
    assert done.returncode == 2
    assert "graph models --fetch qwen2.5-coder-0.5b" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_corrupt_weights_are_refused(tmp_path: Path, damage: str) -> None:
    spec = get_spec("smollm2-135m")
    data = bytearray((Settings().models_dir / spec.filename).read_bytes())
    if damage == "truncated":
        del data[1_000_000:]
    else:
        data[len(data) // 2] ^= 0xFF
    (tmp_path / spec.filename).write_bytes(bytes(data))
    tiny = ["--model-small", "smollm2-135m", "--model-large", "smollm2-135m"]
    env = {"INCIDENT_GRAPH_MODELS_DIR": str(tmp_path)}
    done = graph("run", "--scenario", "db-pool-exhaustion", *tiny, env=env)
    assert done.returncode == 2
    assert ("wrong size" if damage == "truncated" else "has SHA-256") in done.stderr
    assert spec.sha256 in done.stderr, "the message shows the expected hash"
    assert "graph models --fetch smollm2-135m" in done.stderr


def test_unknown_model_lists_the_catalog() -> None:
    done = graph("run", "--scenario", "db-pool-exhaustion", "--model-large", "gpt-9")
    assert done.returncode == 2
    assert "unknown model 'gpt-9'" in done.stderr and "qwen2.5-coder-1.5b" in done.stderr


def test_bad_scenario_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text("name: x\n")
    done = graph("run", "--scenario", str(tmp_path))
    assert done.returncode == 2
    assert "invalid scenario" in done.stderr
