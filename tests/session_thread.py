"""Keep one MCP tool session open across tests, on its own event loop in a thread.

anyio's cancel scopes (inside the stdio client) must close in the task that opened
them, which async fixtures cannot promise; a thread that owns the session can.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from mcphost.host import ToolHost, ToolResult


class ToolsInThread:
    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[ToolHost]]) -> None:
        self._opener = opener
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._host: ToolHost | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),))

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self._opener() as host:
                self._host = host
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    def call(self, qualified: str, args: dict[str, Any]) -> ToolResult:
        assert self._host is not None
        future = asyncio.run_coroutine_threadsafe(self._host.call(qualified, args), self._loop)
        return future.result(timeout=120)

    def __enter__(self) -> ToolsInThread:
        self._thread.start()
        self._ready.wait(timeout=180)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)
        self._loop.close()
