"""Fail loudly at start-up, fail closed in the gate: each part a run that gates or mutates
needs is checked before anything starts, with a message that names the file and the fix;
a worker whose lease cannot be renewed says so and stops its run of the incident."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any, cast

import pytest

from engine.deps import load_gate_policy, open_audit, preflight, warm_models
from engine.errors import StartupError
from engine.options import RunOptions
from mcphost.config import load_config
from mcphost.host import ServerStartError, ToolHost
from observability import logs as logs_module
from observability.logs import configure_logging
from runtime.models.weights import WeightsError
from runtime.settings import Settings
from service import workers
from service.jobs import Claim, Jobs
from service.metrics import Metrics
from service.runner import Runtime

DEFAULT_POLICY = Path("policies/default.yaml")


def settings(tmp_path: Path, **values: Any) -> Settings:
    base: dict[str, Any] = {
        "policy_file": DEFAULT_POLICY,
        "audit_db": tmp_path / "audit.sqlite",
        "models_dir": tmp_path / "models",
    }
    return Settings(**{**base, **values})


def test_a_missing_policy_stops_start_up_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(StartupError) as raised:
        load_gate_policy(settings(tmp_path, policy_file=missing))
    message = str(raised.value)
    assert f"{missing}: policy file not found" in message
    assert "graph policy check" in message and "INCIDENT_GRAPH_POLICY_FILE" in message


def test_an_invalid_policy_stops_start_up_naming_the_rule_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 2\nrules:\n  - id: r1\n    action: revert_pull_request\n    verdict: maybe\n"
    )
    with pytest.raises(StartupError, match=r"rules\[0\] \(id r1\)\.verdict"):
        load_gate_policy(settings(tmp_path, policy_file=bad))


def test_an_audit_store_that_cannot_be_opened_stops_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's folder should be")
    where = blocker / "audit.sqlite"
    with pytest.raises(StartupError) as raised:
        open_audit(settings(tmp_path, audit_db=where))
    assert str(where) in str(raised.value) and "INCIDENT_GRAPH_AUDIT_DB" in str(raised.value)


def test_preflight_refuses_missing_weights_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="graph models --fetch"):
        preflight(settings(tmp_path, model_provider="embedded"), RunOptions())


def test_a_failed_warm_up_still_warms_the_other_models_and_names_each(tmp_path: Path) -> None:
    broken = [tmp_path / "a.gguf", tmp_path / "b.gguf"]
    for path in broken:
        path.write_bytes(b"not a gguf file")
    options = RunOptions(model_small=str(broken[0]), model_large=str(broken[1]))
    problems = warm_models(settings(tmp_path, model_provider="embedded"), options)
    assert [p.split(":")[0] for p in problems] == [
        f"model {str(broken[0])!r} did not load",
        f"model {str(broken[1])!r} did not load",
    ]


async def test_an_mcp_server_that_does_not_start_names_itself_and_its_stderr(
    tmp_path: Path,
) -> None:
    config_file = tmp_path / "mcp.yaml"
    config_file.write_text(
        "servers:\n  broken:\n    command: python3\n"
        "    args: ['-c', 'import sys; print(\"no token given\", file=sys.stderr); sys.exit(3)']\n"
        "    tools: {read: [], mutating: []}\n"
    )
    with pytest.raises(ServerStartError) as raised:
        async with ToolHost(load_config(config_file), {}):
            pass
    assert "MCP server 'broken' did not start" in str(raised.value)
    assert "no token given" in str(raised.value)


class _LosingJobs:
    """A jobs store whose lease renewal fails (the database went away)."""

    shared = False

    def __init__(self) -> None:
        self.released: list[str] = []

    def renew(self, incident_id: str) -> bool:
        raise ConnectionError("server closed the connection unexpectedly")

    def release(self, incident_id: str) -> None:
        self.released.append(incident_id)


async def test_a_failed_lease_renewal_is_logged_and_stops_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = asyncio.Event()

    async def slow_segment(*_args: Any) -> Any:
        started.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(workers, "run_segment", slow_segment)
    jobs = _LosingJobs()
    metrics = Metrics()
    pool = workers.WorkerPool(cast(Jobs, jobs), cast(Runtime, None), 1, metrics)
    pool._loop.close()  # its own loop is not used: _process runs on the test's
    pool._renew_every_s = 0.01
    claim = Claim("inc-1", "alertmanager", "{}", 1, {})
    out = io.StringIO()
    monkeypatch.setattr(logs_module, "_logger", logs_module._logger)  # restored after
    configure_logging("json", stream=out)
    await asyncio.wait_for(pool._process(claim), timeout=10)
    assert started.is_set()
    logs = [json.loads(line) for line in out.getvalue().splitlines()]
    [event] = [e for e in logs if e["event"].startswith("lease renewal failed")]
    assert event["incident_id"] == "inc-1" and "server closed the connection" in event["error"]
    assert jobs.released == [], "another worker may own it now: this one leaves it alone"
    assert metrics.runs.labels("lease_lost")._value.get() == 1
