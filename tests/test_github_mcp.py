"""The GitHub MCP server over stdio, against the GitHub stand-in on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import ClientSession
from mcp.types import CallToolResult

from tests.conftest import ROOT
from tests.mcp_support import stdio_session, structured, text
from tests.test_github_standin import REPO, TOKEN, standin_scenario
from world.github_api import GitHubStandIn
from world.http import LoopbackServers

pytestmark = pytest.mark.integration

READS = {"list_pull_requests", "list_commits", "get_pull_request", "get_commit"}
WINDOW = {"since": "2026-03-14T09:00:00Z", "until": "2026-03-14T10:20:00Z"}


@pytest.fixture
def standin() -> GitHubStandIn:
    return GitHubStandIn(standin_scenario(), TOKEN)


@pytest.fixture
def api_url(standin: GitHubStandIn) -> Iterator[str]:
    with LoopbackServers([standin.app]) as servers:
        yield servers.urls[0]


@asynccontextmanager
async def connect(api_url: str) -> AsyncIterator[ClientSession]:
    """A session with the server (a helper, not a fixture: anyio scopes must exit in their task)."""
    env = {"GITHUB_API_URL": api_url, "GITHUB_TOKEN": TOKEN}
    async with stdio_session("mcpservers.github", env) as session:
        yield session


async def call(session: ClientSession, tool: str, **args: Any) -> CallToolResult:
    return await session.call_tool(tool, args)


async def test_tools_are_listed_with_their_hints(api_url: str) -> None:
    async with connect(api_url) as session:
        tools = {t.name: t.annotations for t in (await session.list_tools()).tools}
    assert set(tools) == READS | {"create_issue", "comment_on_pull_request", "revert_pull_request"}
    for name, hints in tools.items():
        assert hints is not None
        assert hints.readOnlyHint is (name in READS), name
    assert tools["create_issue"].destructiveHint is False  # type: ignore[union-attr]
    assert tools["comment_on_pull_request"].destructiveHint is False  # type: ignore[union-attr]
    assert tools["revert_pull_request"].destructiveHint is True  # type: ignore[union-attr]


async def test_merged_pull_requests_in_a_window_name_the_culprit(api_url: str) -> None:
    async with connect(api_url) as session:
        merged = structured(await call(session, "list_pull_requests", repo=REPO, **WINDOW))
        every = structured(
            await call(session, "list_pull_requests", repo=REPO, state="all", **WINDOW)
        )
        commits = structured(await call(session, "list_commits", repo=REPO, **WINDOW))
        history = structured(await call(
            session, "list_commits", repo=REPO, since="2026-03-01T00:00:00Z",
            until=WINDOW["until"], path="app/orders/history.py"))  # fmt: skip
    [culprit] = merged["pull_requests"]
    assert [c["message"] for c in history["commits"]] == [
        "Load order items for the order history page (#847)"]  # fmt: skip
    assert (culprit["number"], culprit["author"], culprit["state"]) == (847, "dana", "merged")
    assert culprit["merged_at"] == "2026-03-14T10:04:00Z"
    assert culprit["merge_commit_sha"].startswith("9f1c2e7")
    assert culprit["files"] == ["app/orders/history.py", "tests/test_history.py"]
    assert [p["number"] for p in every["pull_requests"]] == [847, 848]
    assert [c["message"] for c in commits["commits"]] == [
        "Load order items for the order history page (#847)",
        "bump gunicorn workers",
    ]


async def test_pull_request_and_commit_come_with_patches(api_url: str) -> None:
    async with connect(api_url) as session:
        pr = structured(await call(session, "get_pull_request", repo=REPO, number=847))
        commit = structured(await call(session, "get_commit", repo=REPO, sha="9f1c2e7"))
    assert pr["body"] == "Shows items on the history page."
    assert pr["file_diffs"][0]["patch"].startswith("@@ -10,3 +10,6 @@")
    assert (pr["additions"], pr["deletions"], pr["base"]) == (5, 1, "main")
    assert commit["sha"] == pr["merge_commit_sha"]
    assert commit["file_diffs"][0]["filename"] == "app/orders/history.py"


async def test_revert_opens_a_pull_request_and_is_recorded(
    api_url: str, standin: GitHubStandIn
) -> None:
    async with connect(api_url) as session:
        opened = structured(await call(session, "revert_pull_request", repo=REPO, number=847))
        revert = structured(await call(session, "get_pull_request", repo=REPO, number=849))
    assert (opened["reverted"], opened["number"]) == (847, 849)
    assert opened["url"] == f"https://github.com/{REPO}/pull/849"
    assert (revert["state"], revert["title"]) == ("open", opened["title"])
    assert [(w.kind, w.number, w.created) for w in standin.writes] == [
        ("revert_pull_request", 847, 849)
    ]


async def test_issue_and_comment_are_recorded(api_url: str, standin: GitHubStandIn) -> None:
    async with connect(api_url) as session:
        issue = structured(await call(session, "create_issue", repo=REPO, title="DB pool"))
        note = structured(
            await call(session, "comment_on_pull_request", repo=REPO, number=847, body="why")
        )
    assert issue["number"] == 849 and note["number"] == 847
    assert [w.kind for w in standin.writes] == ["create_issue", "comment_on_pull_request"]


async def test_upstream_errors_are_tool_errors_quoting_github(api_url: str) -> None:
    async with connect(api_url) as session:
        missing = await call(session, "get_pull_request", repo=REPO, number=9999)
        no_revert = await call(session, "revert_pull_request", repo=REPO, number=848)
        bad_date = await call(session, "list_commits", repo=REPO, since="yesterday")
    assert missing.isError
    assert f"GitHub API 404 Not Found for {REPO} PR #9999" in text(missing)
    assert no_revert.isError and "not merged" in text(no_revert)
    assert bad_date.isError and "since must be an ISO 8601 time" in text(bad_date)


async def test_wrong_token_is_a_tool_error(standin: GitHubStandIn, api_url: str) -> None:
    env = {"GITHUB_API_URL": api_url, "GITHUB_TOKEN": "ghp_wrong"}
    async with stdio_session("mcpservers.github", env) as session:
        result = await call(session, "list_commits", repo=REPO, **WINDOW)
    assert result.isError
    assert f"GitHub API 401 Bad credentials for {REPO} commits" in text(result)


def test_server_without_token_exits_with_a_clear_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcpservers.github"],
        cwd=ROOT, env={"PATH": os.environ["PATH"]},
        input="", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "mcpservers.github: GITHUB_TOKEN is not set" in done.stderr
    assert json.dumps(done.stdout) == '""'  # nothing on the protocol stream
