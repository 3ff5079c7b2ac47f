"""The Slack MCP server over stdio, against the Slack stand-in on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.types import CallToolResult, TextContent

from tests.mcp_support import stdio_session
from world.http import LoopbackServers
from world.scenario import Scenario
from world.slack_api import SlackStandIn, channel_id

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-mcp-test"


@pytest.fixture
def standin() -> SlackStandIn:
    scenario = Scenario.model_validate(
        {
            "name": "slack-mcp-test",
            "title": "Slack MCP test",
            "now": "2026-03-14T10:20:00Z",
            "alert": {"format": "generic", "payload": {}},
            "services": {},
            "slack": {"channels": ["#oncall-backend", "#general"]},
        }
    )
    return SlackStandIn(scenario, TOKEN)


@pytest.fixture
def api_url(standin: SlackStandIn) -> Iterator[str]:
    with LoopbackServers([standin.app]) as servers:
        yield servers.urls[0] + "/api"  # no trailing slash: the server adds it


@asynccontextmanager
async def connect(api_url: str) -> AsyncIterator[ClientSession]:
    """A session with the server (a helper, not a fixture: anyio scopes must exit in their task)."""
    env = {"SLACK_API_URL": api_url, "SLACK_BOT_TOKEN": TOKEN}
    async with stdio_session("mcpservers.slack", env) as session:
        yield session


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def test_tools_and_their_hints(api_url: str) -> None:
    async with connect(api_url) as session:
        listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == {"post_message", "update_message", "list_channels"}
    assert tools["list_channels"].annotations is not None
    assert tools["list_channels"].annotations.readOnlyHint is True
    for name in ("post_message", "update_message"):
        hints = tools[name].annotations
        assert hints is not None
        assert (hints.readOnlyHint, hints.destructiveHint) == (False, False)
    assert {"channel", "text", "blocks", "thread_ts"} <= set(
        tools["post_message"].inputSchema["properties"]
    )


async def test_post_then_update(api_url: str, standin: SlackStandIn) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*resolved*"}}]
    async with connect(api_url) as session:
        posted = await session.call_tool(
            "post_message", {"channel": "#oncall-backend", "text": "SEV1: orders-api"}
        )
        assert not posted.isError, text_of(posted)
        assert posted.structuredContent is not None
        ts = posted.structuredContent["ts"]
        assert posted.structuredContent["channel"] == channel_id("#oncall-backend")
        assert [m.text for m in standin.received("#oncall-backend")] == ["SEV1: orders-api"]

        args = {"channel": "#oncall-backend", "ts": ts, "text": "resolved", "blocks": blocks}
        updated = await session.call_tool("update_message", args)
    assert not updated.isError, text_of(updated)
    [held] = standin.received("#oncall-backend")
    assert (held.ts, held.text, held.blocks, held.updated) == (ts, "resolved", blocks, True)


async def test_list_channels(api_url: str) -> None:
    async with connect(api_url) as session:
        result = await session.call_tool("list_channels", {"limit": 10})
    assert not result.isError, text_of(result)
    assert result.structuredContent is not None
    channels = result.structuredContent["result"]
    assert [(c["name"], c["is_member"]) for c in channels] == [
        ("oncall-backend", True),
        ("general", True),
    ]
    assert channels[0]["id"] == channel_id("#oncall-backend")
    # FastMCP renders a returned list as one JSON text block per item.
    texts = [json.loads(c.text) for c in result.content if isinstance(c, TextContent)]
    assert [t["name"] for t in texts] == ["oncall-backend", "general"]


async def test_unknown_channel_is_a_tool_error(api_url: str, standin: SlackStandIn) -> None:
    async with connect(api_url) as session:
        result = await session.call_tool("post_message", {"channel": "#nope", "text": "hello"})
    assert result.isError
    expected = "Slack API chat.postMessage failed: channel_not_found (channel '#nope')"
    assert expected in text_of(result)
    assert standin.messages == []


def test_missing_token_exits_with_a_clear_message() -> None:
    env = {"PATH": os.environ["PATH"], "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    done = subprocess.run(
        [sys.executable, "-m", "mcpservers.slack"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SLACK_BOT_TOKEN is not set" in done.stderr
