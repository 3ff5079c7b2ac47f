"""The whole public suite on instant scripted models: every scenario loads, its alert enters
through the webhook parser (and its mapping), it replays through the real world, MCP
servers and Chromium, and every expectation it sets is graded. Whether the pipeline is right
is measured on the real models by `make eval`; this keeps every scenario runnable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from replay.result import to_json
from replay.run import RunOptions, replay
from runtime.settings import Settings
from tests.conftest import SCENARIOS
from tests.fixtures.serve_scripted import ScriptedChatModel
from world.loader import discover, load_file

pytestmark = pytest.mark.integration

FOLDERS = discover(SCENARIOS)


def scripted() -> RunOptions:
    models = {
        name: ScriptedChatModel(model=name, model_path=Path("scripted"))
        for name in ("small", "large")
    }
    return RunOptions(model_small="small", model_large="large", chat_models=models)


def test_the_suite_is_the_documented_size() -> None:
    """At least 40 incidents, every one with a cause category."""
    specs = [load_file(folder / "scenario.yaml").spec for folder in FOLDERS]
    assert len(specs) >= 40
    missing = [s.name for s in specs if not (s.expect.root_cause and s.expect.root_cause.category)]
    assert not missing, f"scenarios without expect.root_cause.category: {missing}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_scenario_replays_and_is_graded(folder: Path, tmp_path: Path) -> None:
    loaded = load_file(folder / "scenario.yaml")
    settings = Settings(checkpoint_db=tmp_path / "checkpoints.sqlite")
    result = to_json(asyncio.run(replay(loaded, settings, scripted())))
    assert set(result["checks"]) == set(loaded.spec.expect.present())
    cause = result["root_cause"]
    # the scripted answer is valid (it takes the first option); the ranking may still overrule
    # it where it contradicts strong evidence, and says so
    assert cause["decided_by"] == "model" or "no valid answer" not in cause["decided_why"], cause
    assert result["root_cause"]["category"] is not None
    assert result["notifications"], "the owning team heard about it"
