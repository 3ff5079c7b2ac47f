"""Scale-out with RabbitMQ and PostgreSQL: `graph serve` with a broker queues the incidents,
`graph worker` processes in network namespaces of their own run them (scripted models, real
MCP servers and Chromium, the world in a process of its own). One worker is killed
(SIGKILL, with its MCP servers and browser) in the middle of an incident's investigation and
another inside execute, between recording a revert's idempotency key and GitHub's answer:
the broker redelivers what they held, the last takes the incidents over from their
checkpoints, every incident completes once, in one trace, and no revert reaches GitHub twice.
`Worker` and `wait_all` serve bench/scale_out.py too."""

from __future__ import annotations

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from service.jobs import owner_prefix
from service.queue import celery_app
from tests.conftest import ROOT, SCENARIOS
from tests.netns_support import Host, hosts, why_not
from tests.service_support import (
    STARTED,
    Running,
    kill_all,
    postgres_database,
    service_env,
    start_service,
    tail,
    world_json,
    world_process,
)
from tests.test_service_restart import post, scenario_payload

pytestmark = pytest.mark.integration

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
SCENARIO = SCENARIOS / "db-pool-exhaustion" / "scenario.yaml"
LAUNCHER = ROOT / "tests" / "fixtures" / "serve_scripted.py"


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(autouse=True)
def services_here() -> Iterator[None]:
    if not reachable(5672) or not reachable(5432):
        pytest.skip("scale-out needs RabbitMQ on 127.0.0.1:5672 and PostgreSQL on :5432")
    yield
    kill_all()


@pytest.fixture
def prefix() -> Iterator[str]:
    """Queues of this test's own (any other consumer of the broker stays out of it)."""
    name = f"incident-graph-test-{uuid.uuid4().hex[:8]}"
    yield name
    app = celery_app(BROKER, name)
    with app.connection_for_write() as conn, conn.channel() as channel:
        for queue in app.conf.incident_graph_queues.values():
            channel.queue_delete(queue)


class Worker:
    """A `graph worker` on this host: on scripted models, or with `real_models` on the
    embedded local models (`python -m cli.main worker`)."""

    def __init__(
        self, env: dict[str, str], log: Path, concurrency: int = 2, real_models: bool = False
    ) -> None:
        self.log = log
        launcher = ["-m", "cli.main"] if real_models else [str(LAUNCHER)]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, *launcher, "worker", "--catalog", str(SCENARIO),
                 "--concurrency", str(concurrency)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        STARTED.append(self.proc)  # kill_all() ends it if the test fails
        wait_started(self.proc, log, 300 if real_models else 60)  # the models load first

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def wait_all(service: Running, ids: list[str], status: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {i: service.incident(i)["status"] for i in ids}
        if all(s == status for s in states.values()):
            return
        assert "failed" not in states.values(), states
        time.sleep(0.5)
    raise AssertionError(f"not all {status}: {states}")


def distinct(payload: dict[str, Any], n: int) -> dict[str, Any]:
    """The scenario's alert as another group: another incident."""
    body = copy.deepcopy(payload)
    body["groupKey"] = f"{body['groupKey']}/{n}"
    return body


def owned_by(url: str, prefix: str, timeout: float = 60) -> list[str]:
    """The incidents a worker is running now, from the shared inbox (waits for one)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute("SELECT id FROM ig_incidents WHERE status = 'running' AND "
                                "owner LIKE %s", (f"{prefix}%",)).fetchall()  # fmt: skip
            if rows:
                return [str(r[0]) for r in rows]
            time.sleep(0.1)
    raise AssertionError(f"the worker {prefix} ran no incident")


GROUPS, PER_GROUP = 20, 15  # 300 alerts: each group's first opens an incident, the rest repeat it
WRITE_DELAY_S = "1.5"  # GitHub answers a revert this late: a window to kill a worker in


def in_execute(url: str, pids: list[int], timeout: float = 120) -> tuple[int, str]:
    """(pid, incident id) of a worker that has recorded a mutation's idempotency key for the
    incident it is running, and is now waiting for the tool's answer (the key is younger
    than GitHub's delay: an incident past execute, still notifying, is not taken)."""
    owners = {owner_prefix(pid): pid for pid in pids}
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(  # started less than the write delay ago: still in flight
                "SELECT i.id, i.owner FROM mutations m JOIN ig_incidents i "
                "ON i.id = m.incident_id WHERE i.status = 'running' AND m.started_at > %s",
                (time.time() - float(WRITE_DELAY_S) / 2,),
            ).fetchall()
            for iid, owner in rows:
                pid = next((p for o, p in owners.items() if str(owner).startswith(o)), None)
                if pid is not None:
                    return pid, str(iid)
            time.sleep(0.05)
    raise AssertionError("no worker was seen inside execute")


@pytest.mark.timeout(1200)
def test_three_worker_hosts_300_alerts_two_killed(tmp_path: Path, prefix: str) -> None:
    """Three `graph worker`s, each in a network namespace of its own reaching RabbitMQ,
    PostgreSQL and the world across veth pairs; one is killed mid-investigation, another
    inside execute."""
    if (reason := why_not()) is not None:
        pytest.skip(reason)
    slow_github = ("--github-write-delay", WRITE_DELAY_S)
    with world_process("db-pool-exhaustion", tmp_path / "world.log", *slow_github) as world, \
            postgres_database() as url:  # fmt: skip
        env = service_env(tmp_path, **world, INCIDENT_GRAPH_DATABASE_URL=url,
                          INCIDENT_GRAPH_BROKER_URL=BROKER, INCIDENT_GRAPH_APPROVERS="dana",
                          INCIDENT_GRAPH_BROKER_QUEUE_PREFIX=prefix,
                          SCRIPTED_CAUSE_DELAY_S="1")  # fmt: skip
        service = start_service(tmp_path / "serve.log", ["--catalog", str(SCENARIO)], env)
        ports = [5672, 5432, *(int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", str(world)))]
        with hosts(3, sorted(set(ports)), tmp_path) as machines:
            workers = [
                start_in(m, env, tmp_path / f"worker-{n}.log") for n, m in enumerate(machines)
            ]
            payload = scenario_payload(world["DASHBOARDS_URL"])
            receipts = [post(service, distinct(payload, g)) for g in range(GROUPS)
                        for _ in range(PER_GROUP)]  # fmt: skip
            ids = sorted({r["incident_id"] for r in receipts})
            assert len({r["alert_id"] for r in receipts}) == GROUPS * PER_GROUP, "all stored"
            assert len(ids) == GROUPS

            assert_workers(service, prefix, 3)
            owned_by(url, owner_prefix(workers[0].pid))
            os.killpg(workers[0].pid, signal.SIGKILL)  # with its MCP servers and browser
            wait_all(service, ids, "awaiting_approval", timeout=900)
            assert_workers(service, prefix, 2)  # the killed one answers no ping
            for iid in ids:
                action = service.incident(iid)["approvals"][0]["action_id"]
                with service.client() as client:
                    done = client.post(f"/incidents/{iid}/approvals/{action}",
                                       json={"approved": True, "approver": "dana"})  # fmt: skip
                assert done.status_code == 200, done.text
            victim, cut = in_execute(url, [w.pid for w in workers[1:]])
            os.killpg(victim, signal.SIGKILL)  # the revert's key is recorded, GitHub not answered
            wait_all(service, ids, "completed", timeout=900)
            assert_workers(service, prefix, 1)

        incidents = [service.incident(i) for i in ids]
        assert sum(i["alerts"] for i in incidents) == GROUPS * PER_GROUP, "no alert lost"
        for incident in incidents:
            stages = [t["detail"]["node"] for t in incident["timeline"] if t["kind"] == "stage"]
            for node in ("execute", "notify"):  # completed once, acted once
                assert stages.count(node) == 1, (incident["id"], stages)
            assert {"triage", "root_cause", "guardian"} <= set(stages), stages
            [action] = incident["summary"]["actions"]
            if incident["id"] == cut:  # started before the kill: not called again, and says so
                assert not action["executed"] and action["outcome"] == "skipped", action
                assert "not called twice" in action["detail"], action
            else:
                assert action["executed"] and action["outcome"] == "success", action
            assert len(incident["trace_ids"]) == 1, "its segments, on any worker: one trace"
        writes = world_json(f"{world['GITHUB_API_URL']}/_world/writes")
        # every other incident's revert once; the cut one's at most once (GitHub finishes a
        # request whose caller died, unless the kill came before the request left)
        assert {w["kind"] for w in writes} == {"revert_pull_request"}
        assert GROUPS - 1 <= len(writes) <= GROUPS, len(writes)
        with service.client() as client:
            metrics = client.get("/metrics").text
        assert f'incident_graph_queue_depth{{queue="{prefix}.default"}} 0.0' in metrics
        assert service.stop() == 0


def assert_workers(service: Running, prefix: str, count: int, timeout: float = 30) -> None:
    """/metrics counts the workers that answer a ping (a busy machine may answer late)."""
    line = f'incident_graph_workers{{prefix="{prefix}"}} {count:.1f}'
    deadline, seen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        with service.client() as client:
            text = client.get("/metrics").text
        if line in text:
            return
        seen = next((x for x in text.splitlines() if x.startswith("incident_graph_workers{")), "")
        time.sleep(1)
    raise AssertionError(f"no {line!r} in /metrics; it says {seen!r}")


def start_in(machine: Host, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A worker on that host: the broker and the database at the host's end of its veth."""
    mine = {k: v.replace("127.0.0.1", machine.gateway) if k.startswith("INCIDENT_GRAPH_")
            else v for k, v in env.items()}  # fmt: skip
    argv = [sys.executable, str(LAUNCHER), "worker", "--catalog", str(SCENARIO),
            "--concurrency", "1"]  # fmt: skip
    proc = machine.spawn(argv, log, mine)
    wait_started(proc, log, 60)
    return proc


def wait_started(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Until the worker's start-up line (it names its owner id) is in its log."""
    deadline = time.monotonic() + timeout
    while f"worker {owner_prefix(proc.pid)}" not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, tail(log)
        time.sleep(0.1)
