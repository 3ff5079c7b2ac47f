"""The run's MCP tools as the nodes call them: each call in an `execute_tool` span, its time
on the current node's meter. Implements `core.ports.Tools`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.tools import ToolResult
from mcphost.threaded import ThreadedToolHost
from observability.meter import tool_call
from observability.tracing import tool_failed, tool_span


@dataclass(frozen=True)
class MeteredTools:
    host: ThreadedToolHost

    def offers(self, qualified: str) -> bool:
        return any(t.qualified == qualified for t in self.host.tools)

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        with tool_span(qualified) as span, tool_call():
            result = await self.host.call(qualified, args)
            if result.status == "error":
                tool_failed(span, qualified, result.text)
            return result
