"""LangGraph Studio's local server (`langgraph dev`) runs the graph offline: the alert comes
from the context's scenario, the guardian's approval is an interrupt, and a resume sent
through the HTTP API executes the revert and notifies the owning team. Studio-shaped input
(plain JSON, no incident id) is also checked in-process."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from core.context import Context
from graphs.graph import build_graph
from replay.studio import studio_deps
from tests.conftest import ROOT, SCENARIOS
from world.loader import load

LANGGRAPH = Path(sys.executable).parent / "langgraph"
ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    # the small model is also the gate's quarantined reader: SmolLM2's enums are noise there
    "INCIDENT_GRAPH_MODEL_SMALL": "qwen2.5-coder-0.5b",
    # SmolLM2 (greedy) blames the deploy commit here, so no revert would be proposed
    "INCIDENT_GRAPH_MODEL_LARGE": "qwen2.5-coder-1.5b",
    "INCIDENT_GRAPH_LLM_THREADS": "1",
}
CONTEXT = {"scenario": "db-pool-exhaustion", "approvals": "ask"}
API_URL = re.compile(r"API: (?:\x1b\[[\d;]*m)?(http://127\.0\.0\.1:\d+)")
READY_S = 90.0
RUN_S = 240.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(log: Path, lines: int = 40) -> str:
    text = re.sub(r"\x1b\[[\d;]*m", "", log.read_text(errors="replace"))
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: subprocess.Popen[bytes], log: Path) -> str:
    """The server's real URL (it silently moves off a taken port) once `/ok` answers."""
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        assert server.poll() is None, f"langgraph dev exited {server.returncode}:\n{_tail(log)}"
        found = API_URL.search(log.read_text(errors="replace"))
        if found:
            try:
                if httpx.get(f"{found[1]}/ok", timeout=2).status_code == 200:
                    return found[1]
            except httpx.TransportError:
                pass
        time.sleep(0.5)
    raise AssertionError(f"langgraph dev not ready after {READY_S:.0f}s:\n{_tail(log)}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """The server, its MCP servers and their Chromium: the whole process group it leads."""
    for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGKILL sweeps what SIGTERM left
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "langgraph-dev.log"
    # --no-reload: edits elsewhere in the checkout must not restart it mid-run;
    # --allow-blocking: the replay world and MCP sessions run their own event loops
    command = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--allow-blocking",
               "--host", "127.0.0.1", "--port", str(_free_port()),
               "--config", "langgraph.json"]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **ENV}, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield _wait_ready(server, log)
    finally:
        _stop(server)


def _run(api: httpx.Client, thread: str, body: dict[str, Any]) -> dict[str, Any]:
    """One run to its end or its interrupt, then the thread's state."""
    run = {"assistant_id": "incident", "context": CONTEXT, **body}
    done = api.post(f"/threads/{thread}/runs/wait", json=run)
    assert done.status_code == 200 and "__error__" not in done.json(), done.text
    state: dict[str, Any] = api.get(f"/threads/{thread}/state").json()
    return state


@pytest.mark.integration
def test_studio_run_pauses_for_approval_and_resumes(studio: str) -> None:
    answer = {"approved": True, "approver": "studio-user"}
    with httpx.Client(base_url=studio, timeout=RUN_S) as api:
        search = {"graph_id": "incident", "metadata": {"created_by": "system"}}
        [assistant] = api.post("/assistants/search", json=search).json()
        form = api.get(f"/assistants/{assistant['assistant_id']}/schemas").json()["input_schema"]
        assert form and not form.get("required"), "Studio's input form: everything optional"
        thread = api.post("/threads", json={}).json()["thread_id"]
        paused = _run(api, thread, {"input": {"incident_id": "studio-1"}})
        assert paused["next"] == ["approval"]
        assert [i["value"]["tool"] for i in paused["interrupts"]] == ["revert_pull_request"]
        first, shown = paused["values"]["notifications"]  # posted after triage; then updated
        assert shown["replaces"] == first["ts"] and "needs_approval" in shown["text"]
        resume = {i["id"]: answer for i in paused["interrupts"]}
        done = _run(api, thread, {"command": {"resume": resume}})
    assert done["next"] == [] and not done["interrupts"]
    values = done["values"]
    assert values["incident_id"] == "studio-1"
    [revert] = [d for d in values["decisions"] if d["tool"] == "revert_pull_request"]
    [approval] = values["approvals"]
    assert approval["action_id"] == revert["action_id"] and revert["verdict"] == "needs_approval"
    assert approval["approved"] is True and approval["approver"] == "studio-user"
    [outcome] = values["outcomes"]
    assert outcome["executed"] and outcome["status"] == "success", outcome
    assert {n["channel"] for n in values["notifications"]} == {"#oncall-backend"}
    assert all(n["ok"] for n in values["notifications"])


async def test_studio_json_input_without_an_incident_id_uses_the_thread_id() -> None:
    spec = load("db-pool-exhaustion", SCENARIOS).spec.alert
    raw = {"format": spec.format, "body": json.dumps(spec.payload)}  # as Studio sends it
    graph = build_graph(studio_deps, InMemorySaver())
    config: Any = {"configurable": {"thread_id": "studio-thread"}}
    await graph.ainvoke({"raw_alert": raw}, config, context=Context(), interrupt_after=["ingest"])
    values = (await graph.aget_state(config)).values
    assert values["incident_id"] == "studio-thread"
    assert values["alert"].name == "DBConnectionPoolHigh"


async def test_without_an_alert_or_a_scenario_the_run_says_what_to_give() -> None:
    with pytest.raises(ValueError, match="give raw_alert in the input or a context scenario"):
        await build_graph(studio_deps).ainvoke({"incident_id": "x"}, context=Context())
