"""A run's MCP tool session: the configured servers, pointed at the replay world if any."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from mcphost.config import load_config
from mcphost.host import ToolHost
from runtime.settings import Settings


def tool_variables(
    settings: Settings, world_env: Mapping[str, str], output_dir: str
) -> dict[str, str]:
    """What `${VAR}` expands to: the environment, then built-ins, then the world (which wins)."""
    return {
        **os.environ,
        "PYTHON": sys.executable,
        "CHROMIUM": settings.chromium_path,
        "PLAYWRIGHT_OUTPUT_DIR": output_dir,
        **world_env,
    }


@asynccontextmanager
async def open_tools(
    settings: Settings, world_env: Mapping[str, str], only: Sequence[str] | None = None
) -> AsyncIterator[ToolHost]:
    """Start every configured server once for this run; raises ConfigError or ServerStartError."""
    config = load_config(settings.mcp_servers_file)
    with tempfile.TemporaryDirectory(prefix="incident-graph-pw-") as output_dir:
        variables = tool_variables(settings, world_env, output_dir)
        async with ToolHost(config, variables, only=only) as host:
            yield host
