"""`graph`: the command line. Each sub-command lives in its own module; this file only parses.

Exit status: 0 success, 1 a check or a tool call failed, 2 an error in the input or a
component that would not start (the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from graphs import (
    audit_cmd,
    cost_cmd,
    eval_cmd,
    finetune_cmd,
    models_cmd,
    policy_cmd,
    run_cmd,
    serve_cmd,
    tools_cmd,
    trace_cmd,
    world_cmd,
)
from graphs.errors import CliError
from graphs.settings import load_settings
from observability.logs import configure_logging

COMMANDS: tuple[tuple[str, Any, str], ...] = (
    ("run", run_cmd, "replay a scenario through the incident graph"),
    ("eval", eval_cmd, "replay every scenario in a folder and score them"),
    ("cost", cost_cmd, "what the scenarios' model calls cost, node by node"),
    ("trace", trace_cmd, "print a trace from an OTLP/JSON lines file as a tree"),
    ("serve", serve_cmd, "the webhook service: alerts in, incidents, Slack"),
    ("policy", policy_cmd, "validate a policy file or explain its decisions"),
    ("audit", audit_cmd, "the guardian's decisions and approvals"),
    ("finetune", finetune_cmd, "teach the local models your incidents (LoRA)"),
)
"""Sub-commands whose module has `add_arguments(parser)` and `run(args, settings)`."""


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
        dest="calls",
        action=_CallAction,
        default=[],
        help="call a tool and print its result; repeat to call several in order "
        "in the same session (e.g. navigate, then snapshot)",
    )
    tools.add_argument(
        "--args",
        metavar="JSON",
        dest="calls",
        action=_ArgsAction,
        help="arguments for the --call just before it (default {}); "
        "${DASHBOARDS_URL}, ${GITHUB_API_URL}, ${SLACK_API_URL} expand to the world's",
    )
    tools.add_argument("--mcp", metavar="FILE", help="MCP server config (default mcp_servers.yaml)")
    tools.set_defaults(handler=tools_cmd.run)

    models = sub.add_parser("models", help="list the configured models, fetch and check weights")
    models.add_argument(
        "--fetch", metavar="NAME|all", help="download, join and verify a catalog model's weights"
    )
    models.add_argument("--check", action="store_true", help="load each model, time one token")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(handler=models_cmd.run)
    for name, module, about in COMMANDS:
        command = sub.add_parser(name, help=about)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_format)
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
