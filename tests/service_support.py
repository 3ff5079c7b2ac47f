"""Starting the real `graph serve` (and `graph world`) as processes for the service tests.

The service runs `tests/fixtures/serve_scripted.py` (the real CLI and service on scripted
chat models) in its own process group, so a test can SIGKILL it with its MCP servers and
browser, like a crash, and start it again on the same files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.conftest import ROOT

LAUNCHER = ROOT / "tests" / "fixtures" / "serve_scripted.py"
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
TOKEN = "test-token-" + uuid.uuid4().hex[:8]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    banner: str
    headers: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {TOKEN}"})

    def client(self, timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def incident(self, incident_id: str) -> dict[str, Any]:
        with self.client() as c:
            got = c.get(f"/incidents/{incident_id}")
        assert got.status_code == 200, got.text
        return dict(got.json())

    def wait_for(
        self, incident_id: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 90
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"graph serve exited:\n{tail(self.log)}"
            found = self.incident(incident_id)
            if ready(found):
                return found
            time.sleep(0.2)
        raise AssertionError(f"{incident_id} not ready in {timeout}s: {found}\n{tail(self.log)}")

    def stop(self) -> int:
        """SIGTERM: the graceful stop a user or an orchestrator does."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the service, its MCP servers and its browser: a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=20)


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def service_env(state: Path, **extra: str) -> dict[str, str]:
    """Settings for a service whose files all live under `state`."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "INCIDENT_GRAPH_SERVICE_TOKEN": TOKEN,
        "INCIDENT_GRAPH_INBOX_DB": str(state / "inbox.sqlite"),
        "INCIDENT_GRAPH_CHECKPOINT_DB": str(state / "checkpoints.sqlite"),
        "INCIDENT_GRAPH_AUDIT_DB": str(state / "audit.sqlite"),
        "INCIDENT_GRAPH_LOG_FORMAT": "json",
        **extra,
    }


def start_service(log: Path, args: list[str], env: dict[str, str]) -> Running:
    start = len(log.read_text(errors="replace")) if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--port", "0", *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    STARTED.append(proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = LISTENING.search(text, start)
        if found:
            running = Running(proc, found[1], log, text[found.start() :])
            if _healthy(running):
                return running
        if proc.poll() is not None:
            raise AssertionError(f"graph serve exited {proc.returncode}:\n{tail(log)}")
        time.sleep(0.1)
    Running(proc, "", log, "").kill()
    raise AssertionError(f"graph serve did not start in 60 s:\n{tail(log)}")


STARTED: list[subprocess.Popen[bytes]] = []


def kill_all() -> None:
    """Whatever a failed test left running (each service leads its process group)."""
    while STARTED:
        Running(STARTED.pop(), "", Path(), "").kill()


def _healthy(running: Running) -> bool:
    try:
        return httpx.get(f"{running.url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def world_process(scenario: str, log: Path, *args: str) -> Iterator[dict[str, str]]:
    """`graph world --scenario` (and `args`) in its own process; yields its `export`
    variables."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "world", "--scenario", scenario, *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        )
    try:
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, tail(log)
            time.sleep(0.1)
        yield dict(re.findall(r"export (\w+)=(\S+)", log.read_text()))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def world_json(url: str) -> Any:
    return httpx.get(url, timeout=10).json()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the loopback PostgreSQL, dropped afterwards; yields its URL."""
    name = f"incident_graph_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def alert_body(name: str) -> dict[str, Any]:
    """A payload fixture under tests/fixtures/alerts/."""
    return dict(json.loads((ROOT / "tests" / "fixtures" / "alerts" / name).read_text()))
