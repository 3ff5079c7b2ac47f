"""`graph tools --scenario NAME [--json] [--call SERVER.TOOL --args JSON]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from cli.errors import EXIT_FAILED, EXIT_OK, CliError, load_scenario
from core.tools import ToolResult
from mcphost.config import ConfigError
from mcphost.host import HostedTool, ServerStartError, ToolHost, UnknownToolError
from runtime.settings import Settings
from runtime.toolset import open_tools
from world.runtime import World

Call = tuple[str, dict[str, Any]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--call",
        metavar="SERVER.TOOL",
        dest="calls",
        action=_CallAction,
        default=[],
        help="call a tool and print its result; repeat to call several in order "
        "in the same session (e.g. navigate, then snapshot)",
    )
    parser.add_argument(
        "--args",
        metavar="JSON",
        dest="calls",
        action=_ArgsAction,
        help="arguments for the --call just before it (default {}); "
        "${DASHBOARDS_URL}, ${GITHUB_API_URL}, ${SLACK_API_URL} expand to the world's",
    )
    parser.add_argument(
        "--mcp", metavar="FILE", help="MCP server config (default mcp_servers.yaml)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.mcp:
        settings = settings.model_copy(update={"mcp_servers_file": Path(args.mcp)})
    calls = [(name, _parse_args(raw or "{}")) for name, raw in args.calls]
    loaded = load_scenario(settings, args.scenario)
    with World(loaded) as world:
        _progress(f"world for {loaded.spec.name} on {world.endpoints.dashboards_url} (dashboards)")
        try:
            return asyncio.run(_session(args, settings, world, calls))
        except (ConfigError, ServerStartError, UnknownToolError) as exc:
            raise CliError(str(exc)) from exc


async def _session(
    args: argparse.Namespace, settings: Settings, world: World, calls: list[Call]
) -> int:
    started = time.perf_counter()
    _progress("starting MCP servers…")
    async with open_tools(settings, world.env()) as host:
        timings = ", ".join(f"{name} {secs:.2f}s" for name, secs in host.startup_s.items())
        _progress(f"started in {time.perf_counter() - started:.2f}s ({timings})")
        if host.skipped:
            _progress(f"not started (their settings are not set here): {', '.join(host.skipped)}")
        urls = {k: v for k, v in world.env().items() if k.endswith("_URL")}
        for name, call_args in calls:
            expanded = _expand(call_args, urls)
            if await _call(host, world, name, expanded, as_json=args.json) != EXIT_OK:
                return EXIT_FAILED
        if calls:
            return EXIT_OK
        print(_listing_json(host.tools) if args.json else _listing_table(host.tools))
    return EXIT_OK


async def _call(
    host: ToolHost, world: World, name: str, call_args: dict[str, Any], as_json: bool
) -> int:
    before = (len(world.github.writes), len(world.slack.messages))
    result = await host.call(name, call_args)
    _report_world(world, before)
    if as_json:
        print(json.dumps(_result_json(result), indent=2))
    elif result.status == "success":
        print(result.text)
    if result.status == "error":
        print(f"tool error from {name}: {result.text}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _parse_args(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"--args is not valid JSON ({exc.msg} at column {exc.colno}): {raw}"
        ) from exc
    if not isinstance(value, dict):
        raise CliError(f'--args must be a JSON object like \'{{"repo": "acme/x"}}\', got: {raw}')
    return value


def _expand(value: Any, urls: dict[str, str]) -> Any:
    """`${DASHBOARDS_URL}` and the other world URLs inside --args, which cannot know the ports."""
    if isinstance(value, str):
        for name, url in urls.items():
            value = value.replace("${" + name + "}", url.rstrip("/"))
        return value
    if isinstance(value, dict):
        return {k: _expand(v, urls) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, urls) for v in value]
    return value


def _listing_json(tools: list[HostedTool]) -> str:
    rows = [
        {
            "server": t.server,
            "name": t.name,
            "mutating": t.mutating,
            "read_only_hint": t.read_only_hint,
            "destructive_hint": t.destructive_hint,
            "description": t.description,
        }
        for t in tools
    ]
    return json.dumps(rows, indent=2)


def _listing_table(tools: list[HostedTool]) -> str:
    width = max(len(t.qualified) for t in tools) if tools else 10
    lines = [f"{'TOOL':<{width}}  {'EFFECT':<8}  DESCRIPTION"]
    for t in tools:
        effect = "MUTATES" if t.mutating else "read"
        lines.append(f"{t.qualified:<{width}}  {effect:<8}  {t.description[:70]}")
    mutating = sum(t.mutating for t in tools)
    lines.append(f"{len(tools)} tools, {mutating} mutating (they pass the security guardian)")
    return "\n".join(lines)


def _result_json(result: ToolResult) -> dict[str, Any]:
    return {
        "server": result.server,
        "tool": result.tool,
        "status": result.status,
        "text": result.text,
        "data": result.data,
        "duration_s": round(result.duration_s, 4),
    }


def _report_world(world: World, before: tuple[int, int]) -> None:
    for write in world.github.writes[before[0] :]:
        _progress(f"GitHub stand-in recorded {write.method} {write.path}")
    for message in world.slack.messages[before[1] :]:
        _progress(f"Slack stand-in recorded a message in {message.channel}")


def _progress(text: str) -> None:
    print(f"· {text}", file=sys.stderr, flush=True)


class _CallAction(argparse.Action):
    """`--call NAME` appends [NAME, None]; the `--args` after it fills the None."""

    def __call__(self, _parser: Any, namespace: Any, values: Any, _option: Any = None) -> None:
        calls = list(getattr(namespace, self.dest) or [])
        setattr(namespace, self.dest, [*calls, [values, None]])


class _ArgsAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, _option: Any = None) -> None:
        calls = getattr(namespace, self.dest) or []
        if not calls or calls[-1][1] is not None:
            parser.error("each --args must follow its own --call SERVER.TOOL")
        calls[-1][1] = values
