"""Kill `graph serve` (SIGKILL, with its MCP servers and browser) in the middle of an
incident and start it again on the same inbox and checkpoints: every acknowledged alert is
there, the incident resumes where it stopped and completes, and its revert runs once. On
SQLite and on the PostgreSQL running on loopback. The world (`graph world`) runs in a
process of its own, so what GitHub received survives the crashes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SCENARIOS
from tests.service_support import (
    Running,
    kill_all,
    postgres_database,
    service_env,
    start_service,
    world_json,
    world_process,
)
from world.scenario import substitute

pytestmark = pytest.mark.integration

SCENARIO = SCENARIOS / "db-pool-exhaustion" / "scenario.yaml"


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    yield
    kill_all()


@contextlib.contextmanager
def database(backend: str) -> Iterator[dict[str, str]]:
    if backend == "sqlite":
        yield {}
        return
    with postgres_database() as url:
        yield {"INCIDENT_GRAPH_DATABASE_URL": url}


def scenario_payload(dashboards_url: str) -> dict[str, Any]:
    raw = json.dumps(yaml.safe_load(SCENARIO.read_text())["alert"]["payload"])
    return dict(json.loads(substitute(raw, dashboards_url)))


def post(service: Running, payload: dict[str, Any]) -> dict[str, Any]:
    with service.client() as client:
        done = client.post("/alerts/alertmanager", json=payload)
    assert done.status_code == 202, done.text
    return dict(done.json())


def ran(node: str) -> Any:
    return lambda i: any(
        t["kind"] == "stage" and t["detail"]["node"] == node for t in i["timeline"]
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_service_resumes_the_incident_and_reverts_once(
    tmp_path: Path, backend: str
) -> None:
    with (
        world_process("db-pool-exhaustion", tmp_path / "world.log") as world,
        database(backend) as db,
    ):
        env = service_env(
            tmp_path, **world, **db, SCRIPTED_CAUSE_DELAY_S="3", INCIDENT_GRAPH_APPROVERS="dana"
        )
        args = ["--catalog", str(SCENARIO), "--workers", "1"]
        log = tmp_path / "serve.log"
        payload = scenario_payload(world["DASHBOARDS_URL"])
        first = start_service(log, args, env)
        iid = post(first, payload)["incident_id"]
        first.wait_for(iid, ran("triage"))  # root cause is under way (3 s)
        grown = []
        for n in range(20):  # more alerts of the group, each acknowledged durably...
            more = json.loads(json.dumps(payload))
            more["alerts"][0]["fingerprint"] = f"{n:016x}"
            grown.append(more)
        with ThreadPoolExecutor(8) as pool:
            receipts = list(pool.map(lambda p: post(first, p), grown))
        first.kill()  # ...then the service dies before root cause finishes
        assert {r["outcome"] for r in receipts} == {"joined"}

        second = start_service(log, args, env)
        assert "resuming 1 incident(s) left running: " + iid in second.banner
        paused = second.wait_for(iid, lambda i: i["status"] == "awaiting_approval")
        assert paused["alerts"] == 21 and len(paused["fingerprints"]) == 21, "no alert lost"
        stages = [t["detail"]["node"] for t in paused["timeline"] if t["kind"] == "stage"]
        assert stages.count("triage") == 1, "resumed after the last checkpoint, not from scratch"
        assert "requeued" in [t["kind"] for t in paused["timeline"]]
        second.kill()  # dies again while the approval is pending

        third = start_service(log, args, env)
        action_id = paused["approvals"][0]["action_id"]
        with third.client() as client:
            approved = client.post(
                f"/incidents/{iid}/approvals/{action_id}",
                json={"approved": True, "approver": "dana"},
            )
        assert approved.status_code == 200, approved.text
        done = third.wait_for(iid, lambda i: i["status"] == "completed")
        assert done["summary"]["actions"][0]["executed"]
        assert done["summary"]["actions"][0]["approver"] == "dana"
        assert third.stop() == 0

        fourth = start_service(log, args, env)  # nothing left to run: nothing runs again
        assert "resuming" not in fourth.banner
        assert fourth.incident(iid)["status"] == "completed"
        fourth.stop()
        writes = world_json(f"{world['GITHUB_API_URL']}/_world/writes")
        assert [w["kind"] for w in writes] == ["revert_pull_request"], writes
        messages = world_json(f"{world['SLACK_API_URL'].removesuffix('/api/')}/_world/messages")
        roots = [
            m
            for m in messages["messages"]
            if m["thread_ts"] is None and m["text"].startswith(":red_circle:")
        ]
        assert len(roots) == 1, "one Slack thread for the incident, across restarts"
