"""Hold a run's MCP sessions on their own event loop in a thread.

The stdio client's anyio cancel scopes must close in the task that opened them, and a
graph may run on any event loop (the CLI's, LangGraph Studio's). A thread that owns the
sessions serves calls from every loop through `call()`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from core.tools import ToolResult
from mcphost.host import HostedTool, ToolHost

CALL_TIMEOUT_S = 120.0


class ThreadedToolHost:
    """`with ThreadedToolHost(opener) as tools:` starts the servers; `await tools.call(...)`."""

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[ToolHost]]) -> None:
        self._opener = opener
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._host: ToolHost | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), name="mcp-sessions"
        )

    @property
    def host(self) -> ToolHost:
        if self._host is None:
            raise RuntimeError("the MCP sessions are not started")
        return self._host

    @property
    def tools(self) -> list[HostedTool]:
        return self.host.tools

    def offers(self, qualified: str) -> bool:
        return any(t.qualified == qualified for t in self.host.tools)

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        """Call from any event loop; transport failures raise, tool errors come back as results."""
        future = asyncio.run_coroutine_threadsafe(self.host.call(qualified, args), self._loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), CALL_TIMEOUT_S)

    def call_sync(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        future = asyncio.run_coroutine_threadsafe(self.host.call(qualified, args), self._loop)
        return future.result(timeout=CALL_TIMEOUT_S)

    def start(self) -> ThreadedToolHost:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self._opener() as host:
                self._host = host
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # handed to start(), which re-raises it in the caller
            self._error = exc
        finally:
            self._host = None
            self._ready.set()

    def __enter__(self) -> ThreadedToolHost:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
