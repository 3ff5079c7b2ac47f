"""`graph run --scenario NAME|PATH [--json] [--approvals deny|approve|ask] [--resume ID]
[--otel-file PATH]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cli.errors import EXIT_FAILED, EXIT_OK, CliError, load_scenario
from core.context import Approvals
from engine.errors import StartupError
from mcphost.config import ConfigError
from mcphost.host import ServerStartError
from observability.pricing import PricingError
from observability.telemetry import Telemetry, installed, setup_telemetry
from replay.report import render
from replay.result import to_json
from replay.run import Replay, RunOptions, replay
from runtime.models.weights import WeightsError
from runtime.settings import Settings

STARTUP_ERRORS = (ConfigError, ServerStartError, WeightsError, StartupError)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", required=True, help="a name under scenarios/ or a folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--approvals", choices=["deny", "approve", "ask"],
        help="what happens to actions that need approval (default: ask on a terminal, "
        "deny otherwise)",
    )  # fmt: skip
    parser.add_argument("--approver", default="", help="name recorded for --approvals approve")
    add_model_options(parser)
    parser.add_argument("--resume", metavar="INCIDENT_ID", help="continue a paused incident")
    add_otel_file(parser)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """`--model-small` / `--model-large`, for the commands that run the graph."""
    parser.add_argument("--model-small", default="", metavar="M", help="small model name or .gguf")
    parser.add_argument("--model-large", default="", metavar="M", help="large model name or .gguf")


def add_otel_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--otel-file", type=Path, metavar="PATH",
        help="append the run's spans and metrics to PATH as OTLP JSON lines (`graph trace`)",
    )  # fmt: skip


def options(args: argparse.Namespace, progress: bool = True) -> RunOptions:
    approvals: Approvals = args.approvals or ("ask" if sys.stdin.isatty() else "deny")
    return RunOptions(
        approvals=approvals,
        approver=args.approver,
        model_small=args.model_small,
        model_large=args.model_large,
        resume=args.resume,
        ask=ask_on_terminal if approvals == "ask" and sys.stdin.isatty() else None,
        progress=say if progress else RunOptions.progress,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    loaded = load_scenario(settings, args.scenario)
    say(f"replaying {loaded.spec.name}: {loaded.spec.title}")
    with telemetry_for(settings, args.otel_file) as tel:
        result = execute(loaded, settings, options(args))
    report = to_json(result, tel.pricing)
    print(json.dumps(report, indent=2) if args.json else render(result, report))
    return EXIT_OK if report["passed"] else EXIT_FAILED


def execute(loaded: Any, settings: Settings, opts: RunOptions) -> Replay:
    try:
        return asyncio.run(replay(loaded, settings, opts))
    except STARTUP_ERRORS as exc:
        raise CliError(str(exc)) from exc
    except (LookupError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc


@contextmanager
def telemetry_for(settings: Settings, otel_file: Path | None) -> Iterator[Telemetry]:
    """The settings' exporters (or `--otel-file`) for a command; flushed when it ends."""
    if otel_file is not None:
        settings = settings.model_copy(update={"otel_exporter": "file", "otel_file": otel_file})
    try:
        value = setup_telemetry(settings)
    except (PricingError, ValueError, OSError) as exc:
        raise CliError(f"telemetry: {exc}") from exc
    with installed(value):
        yield value


def ask_on_terminal(request: dict[str, Any]) -> dict[str, Any]:
    print("\n── approval needed " + "─" * 50, file=sys.stderr)
    print(f"action:  {request['tool']} {request['args']}", file=sys.stderr)
    print(f"why:     {request['reason']}", file=sys.stderr)
    print(f"decided: {request.get('origin', '?')}", file=sys.stderr)
    print(f"rules:   {', '.join(request['rules'])}", file=sys.stderr)
    for check in request.get("checks", []):
        print(f"check:   {check}", file=sys.stderr)
    answers = request.get("answers") or {}
    if answers:
        print("models:  " + ", ".join(f"{k}={v}" for k, v in answers.items()), file=sys.stderr)
    print(f"cause:   {request['root_cause'][:500]}", file=sys.stderr)
    for item in request.get("evidence", []):
        print(f"evidence: {item[:160]}", file=sys.stderr)
    reply = input("approve? [y/N] ").strip().lower()
    name = input("your name: ").strip() if reply in ("y", "yes") else ""
    return {"approved": reply in ("y", "yes"), "approver": name or "terminal user"}


def say(line: str) -> None:
    print(f"· {line}", file=sys.stderr, flush=True)
