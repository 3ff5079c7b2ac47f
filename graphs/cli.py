"""`graph`: the command line. Each sub-command lives in its own module; this file only parses.

Exit status: 0 success, 1 a check or a tool call failed, 2 an error in the input or a
component that would not start (the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graphs import tools_cmd, world_cmd
from graphs.errors import CliError
from graphs.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graph", description="incident-graph: multi-agent incident pipeline on local models"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    world = sub.add_parser("world", help="serve a scenario's dashboards and API stand-ins")
    world.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    for part in ("dashboards", "github", "slack"):
        world.add_argument(
            f"--port-{part}",
            type=int,
            default=0,
            metavar="PORT",
            help=f"port for the {part} server (default: a free one)",
        )
    world.set_defaults(handler=world_cmd.run)

    tools = sub.add_parser("tools", help="start the MCP servers and list or call their tools")
    tools.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    tools.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tools.add_argument(
        "--call",
        metavar="SERVER.TOOL",
        action="append",
        default=[],
        help="call a tool and print its result; repeat to call several in order "
        "in the same session (e.g. navigate, then snapshot)",
    )
    tools.add_argument(
        "--args",
        metavar="JSON",
        action="append",
        default=[],
        help="arguments for the --call at the same position (default {}); "
        "${DASHBOARDS_URL}, ${GITHUB_API_URL}, ${SLACK_API_URL} expand to the world's",
    )
    tools.add_argument("--mcp", metavar="FILE", help="MCP server config (default mcp_servers.yaml)")
    tools.set_defaults(handler=tools_cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        code: int = args.handler(args, settings)
    except CliError as exc:
        print(f"graph {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
