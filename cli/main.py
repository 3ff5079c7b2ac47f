"""`graph`: the command line. Each sub-command lives in its own module; this file only parses.

Exit status: 0 success, 1 a check or a tool call failed, 2 an error in the input or a
component that would not start (the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from cli import (
    audit,
    cost,
    evaluate,
    finetune,
    mcp,
    models,
    policy,
    run,
    serve,
    tools,
    trace,
    worker,
    world,
)
from cli.errors import EXIT_ERROR, CliError
from engine.errors import StartupError
from observability.logs import configure_logging
from runtime.settings import load_settings

COMMANDS: tuple[tuple[str, Any, str], ...] = (
    ("world", world, "serve a scenario's dashboards and API stand-ins"),
    ("tools", tools, "start the MCP servers and list or call their tools"),
    ("models", models, "list the configured models, fetch and check weights"),
    ("run", run, "replay a scenario through the incident graph"),
    ("eval", evaluate, "replay every scenario in a folder and score them"),
    ("cost", cost, "what the scenarios' model calls cost, node by node"),
    ("trace", trace, "print a trace from an OTLP/JSON lines file as a tree"),
    ("serve", serve, "the webhook service: alerts in, incidents, Slack"),
    ("mcp", mcp, "the pipeline as an MCP server (stdio, or --http)"),
    ("worker", worker, "run queued incidents from the broker (scale-out)"),
    ("policy", policy, "validate a policy file or explain its decisions"),
    ("audit", audit, "the guardian's decisions and approvals"),
    ("finetune", finetune, "teach the local models your incidents (LoRA)"),
)
"""Sub-commands: each module has `add_arguments(parser)` and `run(args, settings)`."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graph", description="incident-graph: multi-agent incident pipeline on local models"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, module, about in COMMANDS:
        command = sub.add_parser(name, help=about)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_format)
    try:
        code: int = args.handler(args, settings)
    except CliError as exc:
        print(f"graph {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except StartupError as exc:
        print(f"graph {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
