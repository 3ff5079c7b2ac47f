"""`graph mcp` over stdio with the official `mcp` client, as Claude Desktop or VS Code runs
it: a real investigation of a scenario's alert in its world (MCP servers, Chromium, the
graph; scripted models), progress per stage, the report, the guardian's reasons, and
approvals that obey the roles: an observer's answer is refused, a responder's resumes the
incident and the action runs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import ROOT
from tests.mcp_support import structured, text
from tests.service_support import TOKEN, service_env

pytestmark = pytest.mark.integration

LAUNCHER = ROOT / "tests" / "fixtures" / "serve_scripted.py"
ROLES = """\
roles:
  observer: {view: true}
  responder: {approve: ["*"]}
people:
  olly: {environments: {"*": observer}}
  dana: {environments: {"*": responder}}
"""


@asynccontextmanager
async def graph_mcp(
    state: Path, user: str, scripted: bool = True
) -> AsyncIterator[tuple[ClientSession, dict[str, Any]]]:
    """`graph mcp --world db-pool-exhaustion --user USER` (on scripted models, or on the
    default local pair), initialized; with the alert body its start-up line points at."""
    (state / "roles.yaml").write_text(ROLES)
    env = service_env(state, INCIDENT_GRAPH_ROLES_FILE=str(state / "roles.yaml"))
    env["PATH"] = os.environ["PATH"]
    front = [str(LAUNCHER), "mcp"] if scripted else ["-m", "cli.main", "mcp"]
    args = [*front, "--world", "db-pool-exhaustion", "--user", user]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=ROOT)
    log = state / f"mcp-{user}.log"
    with log.open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            found = re.search(r"is in (\S+\.json); give it", log.read_text())
            assert found, log.read_text()
            yield session, json.loads(Path(found[1]).read_text())


async def investigate(
    session: ClientSession, alert: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """`investigate_alert` on an Alertmanager body: the report, and the progress messages."""
    steps: list[str] = []

    async def progress(_done: float, _total: float | None, message: str | None) -> None:
        steps.append(message or "")

    args = {"alert": alert, "format": "alertmanager"}
    result = await session.call_tool("investigate_alert", args, progress_callback=progress)
    return structured(result), steps


async def test_investigate_then_approve_as_the_roles_allow(tmp_path: Path) -> None:
    async with graph_mcp(tmp_path, "olly") as (session, alert):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) >= {"investigate_alert", "list_incidents", "get_incident",
                              "explain_decision", "approve_action", "deny_action"}  # fmt: skip
        for name in ("list_incidents", "get_incident", "explain_decision"):
            assert tools[name].annotations and tools[name].annotations.readOnlyHint
        for name in ("approve_action", "deny_action"):
            hints = tools[name].annotations
            assert hints and hints.destructiveHint and not hints.readOnlyHint

        report, steps = await investigate(session, alert)
        assert report["status"] == "awaiting_approval", report
        assert report["root_cause"]["kind"] == "pr" and report["root_cause"]["pr"] == 847
        assert report["severity"] and report["evidence"], report
        assert any(s.startswith("triage") for s in steps), steps
        assert any(s.startswith("root_cause") and "cause PR #847" in s for s in steps), steps
        assert "approval needed: revert_pull_request" in steps[-1], steps
        waiting = report["awaiting_approval"][0]
        assert waiting["tool"] == "revert_pull_request"

        why = structured(await session.call_tool("explain_decision", {
            "incident_id": report["incident_id"], "action_id": waiting["action_id"]}))  # fmt: skip
        assert why["verdict"] == "needs_approval" and why["rules"], why
        assert why["approval"]["status"] == "pending"

        ids = {"incident_id": report["incident_id"], "action_id": waiting["action_id"]}
        for tool in ("approve_action", "deny_action"):
            refused = await session.call_tool(tool, ids)
            assert refused.isError and "olly's role" in text(refused), text(refused)
            assert "(observer) may not approve revert_pull_request" in text(refused)
        again = structured(
            await session.call_tool("investigate_alert", {"alert": alert, "format": "alertmanager"})
        )
        assert again["incident_id"] == report["incident_id"], "the same alert, the same incident"
        resource = await session.read_resource(f"incident://{report['incident_id']}")  # type: ignore[arg-type]
        assert json.loads(resource.contents[0].text)["status"] == "awaiting_approval"  # type: ignore[union-attr]

    async with graph_mcp(tmp_path, "dana") as (session, _alert):  # the same inbox
        listed = structured(await session.call_tool("list_incidents", {}))["result"]
        assert [i["id"] for i in listed] == [ids["incident_id"]]
        answer = structured(await session.call_tool("approve_action", ids))
        assert (answer["approver"], answer["role"]) == ("dana", "responder")
        done = await settled(session, ids["incident_id"])
        action = next(a for a in done["actions"] if a["id"] == ids["action_id"])
        assert action["executed"] and action["approved"], action
        assert (action["approver"], action["role"]) == ("dana", "responder")
        twice = await session.call_tool("approve_action", ids)
        assert twice.isError and "already answered" in text(twice)


async def settled(session: ClientSession, incident_id: str) -> dict[str, Any]:
    for _ in range(240):
        report = structured(await session.call_tool("get_incident", {"incident_id": incident_id}))
        if report["status"] in ("completed", "failed"):
            return report
        await asyncio.sleep(0.5)
    raise AssertionError(f"{incident_id} did not complete: {report}")


async def test_streamable_http_needs_the_service_token(tmp_path: Path) -> None:
    env = service_env(tmp_path, INCIDENT_GRAPH_APPROVERS="dana")
    args = [sys.executable, str(LAUNCHER), "mcp", "--world", "db-pool-exhaustion", "--http",
            "--port", "0", "--user", "dana"]  # fmt: skip
    log = tmp_path / "mcp-http.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = await listening(proc, log)
        async with httpx.AsyncClient() as anonymous:
            refused = await anonymous.post(url, json={})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx.AsyncClient(headers=bearer, timeout=30) as client,
            streamable_http_client(url, http_client=client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert "investigate_alert" in names and "approve_action" in names
            assert structured(await session.call_tool("list_incidents", {}))["result"] == []
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0, log.read_text()


async def listening(proc: subprocess.Popen[bytes], log: Path) -> str:
    for _ in range(600):
        found = re.search(r"streamable HTTP on (\S+/mcp)", log.read_text())
        if found:
            return found[1]
        assert proc.poll() is None, log.read_text()
        await asyncio.sleep(0.1)
    raise AssertionError(f"graph mcp --http did not start:\n{log.read_text()}")


@pytest.mark.timeout(600)
async def test_an_investigation_on_the_local_models(tmp_path: Path) -> None:
    """The default pair (Qwen 0.5B / 1.5B, llama.cpp): what it concludes may vary; that it
    concludes, with evidence and progress from the models, may not."""
    async with graph_mcp(tmp_path, "dana", scripted=False) as (session, alert):
        report, steps = await investigate(session, alert)
    assert report["status"] in ("awaiting_approval", "completed"), report
    assert report["severity"] in ("critical", "high", "medium", "low"), report
    assert report["root_cause"]["summary"] and report["evidence"], report
    assert report["channel"] == "#oncall-backend" and not report["error"], report
    assert any(s.startswith("root_cause (") for s in steps), steps
