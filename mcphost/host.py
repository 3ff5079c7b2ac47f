"""Start the configured MCP servers, one session per server per run, and expose their tools.

Tools come out as LangChain tools (langchain-mcp-adapters) tagged with their server and
whether they mutate. A server that does not start stops the run at once with its name
and the tail of its stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TextIO

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.sessions import create_session
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult, TextContent

from core.tools import Status, ToolResult
from mcphost.config import ServerConfig, ToolsConfig, expand, wanted

STDERR_TAIL_LINES = 15


class ServerStartError(Exception):
    """An MCP server did not start; the message names it and quotes its stderr."""


class UnknownToolError(LookupError):
    """A `server.tool` name that no started server offers."""


@dataclass(frozen=True)
class HostedTool:
    server: str
    name: str
    mutating: bool
    description: str
    read_only_hint: bool | None
    destructive_hint: bool | None
    tool: BaseTool = field(repr=False, compare=False)

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.name}"


@dataclass
class _Running:
    session: ClientSession
    stderr: TextIO
    startup_s: float
    tools: list[HostedTool]


class ToolHost:
    """`async with ToolHost(config, variables) as host:` starts every server and loads tools."""

    def __init__(
        self,
        config: ToolsConfig,
        variables: Mapping[str, str],
        only: Sequence[str] | None = None,
    ) -> None:
        names = list(only) if only is not None else list(config.servers)
        unknown = [n for n in names if n not in config.servers]
        if unknown:
            raise ServerStartError(f"no MCP server named {', '.join(unknown)} in the config")
        self.skipped = [n for n in names if not wanted(config.servers[n], variables)]
        self._servers = {
            n: expand(n, config.servers[n], variables) for n in names if n not in self.skipped
        }
        self._stop = asyncio.Event()
        # each server's task and the future it sets once its session is up (or failed)
        self._tasks: list[tuple[asyncio.Task[None], asyncio.Future[_Running]]] = []
        self._running: dict[str, _Running] = {}
        self.tools: list[HostedTool] = []

    @property
    def startup_s(self) -> dict[str, float]:
        return {name: run.startup_s for name, run in self._running.items()}

    async def __aenter__(self) -> ToolHost:
        """Start every server at once, each held open by its own task (an stdio client's
        cancel scopes close in the task that opened them); the first to fail, in the config's
        order, is the error, and the others are stopped."""
        loop = asyncio.get_running_loop()
        started = {name: loop.create_future() for name in self._servers}
        for name, server in self._servers.items():
            task = asyncio.create_task(self._hold(name, server, started[name]), name=f"mcp-{name}")
            self._tasks.append((task, started[name]))
        try:
            await asyncio.wait(started.values())
            for future in started.values():
                if (error := future.exception()) is not None:
                    raise error
        except BaseException:
            await self._close()
            raise
        for name in self._servers:
            run = started[name].result()
            self._running[name] = run
            self.tools += run.tools
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        """Stop every server at once; one still starting is cancelled."""
        self._stop.set()
        for task, ready in self._tasks:
            if not ready.done():
                task.cancel()
        await asyncio.gather(*(task for task, _ in self._tasks), return_exceptions=True)

    def find(self, qualified: str) -> HostedTool:
        for tool in self.tools:
            if tool.qualified == qualified:
                return tool
        known = ", ".join(t.qualified for t in self.tools)
        raise UnknownToolError(f"no tool {qualified!r}; started servers offer: {known}")

    def offers(self, qualified: str) -> bool:
        return any(t.qualified == qualified for t in self.tools)

    async def call(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        hosted = self.find(qualified)
        session = self._running[hosted.server].session
        started = time.perf_counter()
        result = await session.call_tool(hosted.name, dict(args))
        return _to_result(hosted, result, time.perf_counter() - started)

    def stderr_tail(self, server: str) -> str:
        return _tail(self._running[server].stderr)

    async def _hold(
        self, name: str, server: ServerConfig, started: asyncio.Future[_Running]
    ) -> None:
        """Start one server, hand its session to `started`, and hold it open until stopped."""
        stack = AsyncExitStack()
        try:
            stderr = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))  # noqa: SIM115
            begun = time.perf_counter()
            try:
                async with asyncio.timeout(server.startup_timeout_s):
                    session = await stack.enter_async_context(_session(server, stderr))
                    await session.initialize()
                    tools = await load_mcp_tools(session, server_name=name)
            except TimeoutError as exc:
                reason = f"no answer within {server.startup_timeout_s:g} s"
                raise ServerStartError(_start_message(name, server, reason, stderr)) from exc
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise ServerStartError(_start_message(name, server, reason, stderr)) from exc
        except BaseException as exc:
            # a server that died may also fail its own teardown (its stdin already closed):
            # that is a consequence; the start failure is what the user needs to read
            with contextlib.suppress(Exception):
                await stack.aclose()
            if isinstance(exc, asyncio.CancelledError):
                started.cancel()
                raise
            started.set_exception(exc)
            return
        hosted = [_hosted(name, server, tool) for tool in tools]
        started.set_result(_Running(session, stderr, time.perf_counter() - begun, hosted))
        try:
            await self._stop.wait()
        finally:
            await stack.aclose()


def _session(server: ServerConfig, stderr: TextIO) -> Any:
    if server.transport == "stdio":
        assert server.command is not None  # checked by ServerConfig
        params = StdioServerParameters(
            command=server.command, args=server.args, env=server.env or None, cwd=server.cwd
        )
        return _stdio_session(params, stderr)
    return create_session(
        {"transport": "streamable_http", "url": server.url or "", "headers": server.headers}
    )


class _stdio_session:  # noqa: N801 - used like a function returning a context manager
    """stdio_client + ClientSession, with the server's stderr sent to a file we can quote."""

    def __init__(self, params: StdioServerParameters, stderr: TextIO) -> None:
        self._params, self._stderr = params, stderr
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> ClientSession:
        read, write = await self._stack.enter_async_context(
            stdio_client(self._params, errlog=self._stderr)
        )
        return await self._stack.enter_async_context(ClientSession(read, write))

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()


def _hosted(server_name: str, server: ServerConfig, tool: BaseTool) -> HostedTool:
    meta = tool.metadata or {}
    return HostedTool(
        server=server_name,
        name=tool.name,
        mutating=server.is_mutating(tool.name),
        description=(tool.description or "").strip().splitlines()[0] if tool.description else "",
        read_only_hint=meta.get("readOnlyHint"),
        destructive_hint=meta.get("destructiveHint"),
        tool=tool,
    )


def _to_result(hosted: HostedTool, result: CallToolResult, duration: float) -> ToolResult:
    """Error, no data (nothing came back) or success; `data` is the reply's JSON or None."""
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    data = result.structuredContent
    if data is None and not result.isError:
        try:
            data = json.loads(text)
        except ValueError:
            data = None  # a text reply (a page snapshot): `parse()` refuses it as JSON
    status: Status = "error" if result.isError else "success"
    if status == "success" and data is None and not text.strip():
        status = "no_data"
    return ToolResult(hosted.server, hosted.name, status, text, data, duration)


def _start_message(name: str, server: ServerConfig, reason: str, stderr: TextIO) -> str:
    where = " ".join([server.command or "", *server.args]) if server.command else server.url
    tail = _tail(stderr) or "(nothing on stderr)"
    return (
        f"MCP server {name!r} did not start: {reason}\n  command: {where}\n  stderr tail:\n{tail}"
    )


def _tail(stream: TextIO) -> str:
    stream.flush()
    stream.seek(0)
    lines = stream.read().splitlines()[-STDERR_TAIL_LINES:]
    return "\n".join(f"    {line}" for line in lines)
