"""Talking to one of the project's stdio MCP servers as an MCP host does: the official `mcp`
client, a fresh process per session, only the environment given (and PATH)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent

from tests.conftest import ROOT


@asynccontextmanager
async def stdio_session(module: str, env: Mapping[str, str]) -> AsyncIterator[ClientSession]:
    """`python -m <module>` over stdio, initialized."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", module], env={"PATH": os.environ["PATH"], **env},
        cwd=ROOT,
    )  # fmt: skip
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text(result: CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, TextContent))


def structured(result: CallToolResult) -> dict[str, Any]:
    """The tool's structured reply; the test fails with the tool's text when it is an error."""
    assert not result.isError, text(result)
    assert result.structuredContent is not None
    return result.structuredContent
