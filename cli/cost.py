"""`graph cost --scenarios DIR [--json]`: what the incidents' model calls cost, node by node.

Every scenario is replayed (as `graph eval` does, approvals denied); each node's tokens are
priced by the model it used (observability/pricing.py), then the same tokens are priced as if
every model call had gone to the large model. The saving from routing is
`1 - actual / all_large`. Caveats: a node's tokens are priced by the last model it called
(an escalated triage counts at the large model's price), and the all-large figure keeps the
token counts (the Qwen pair shares a tokenizer; a larger model's answers would differ).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cli.errors import EXIT_OK, CliError
from cli.run import execute, say
from observability.cost_report import Line, build, usage_lines
from observability.pricing import Pricing, PricingError, load_pricing
from replay.run import RunOptions
from runtime.settings import Settings
from world.loader import LoadedScenario, ScenarioError, discover, load_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios", required=True, metavar="DIR", help="folder of scenarios")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--model-small", default="", metavar="M")
    parser.add_argument("--model-large", default="", metavar="M")


def run(args: argparse.Namespace, settings: Settings) -> int:
    large = args.model_large or settings.model_large
    pricing = pricing_for(settings.pricing_file, [args.model_small or settings.model_small, large])
    scenarios = load_folder(Path(args.scenarios))
    opts = RunOptions(
        approvals="deny", model_small=args.model_small, model_large=args.model_large, progress=say
    )
    report = build(collect(scenarios, settings, opts), pricing, large)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return EXIT_OK


def pricing_for(path: Path, models: Sequence[str]) -> Pricing:
    """The pricing file, checked to price these models before anything is replayed."""
    try:
        pricing = load_pricing(path)
        for model in models:
            pricing.price(model)
    except PricingError as exc:
        raise CliError(str(exc)) from exc
    return pricing


def load_folder(folder: Path) -> list[LoadedScenario]:
    folders = discover(folder)
    if not folders:
        raise CliError(f"no scenario.yaml under {folder}")
    try:
        return [load_file(f / "scenario.yaml") for f in folders]
    except ScenarioError as exc:
        raise CliError(str(exc)) from exc


def collect(scenarios: list[LoadedScenario], settings: Settings, opts: RunOptions) -> list[Line]:
    lines: list[Line] = []
    for i, scenario in enumerate(scenarios, 1):
        say(f"[{i}/{len(scenarios)}] {scenario.spec.name}")
        done = execute(scenario, settings, opts)
        lines += usage_lines(scenario.spec.name, done.state.get("usage", []))
    return lines


def table(report: dict[str, Any]) -> str:
    rows_, total = report["rows"], report["total"]
    width = max([len(r["node"]) for r in rows_] + [5])
    mwidth = max([len(r["model"] + _mark(r)) for r in rows_] + [5])
    head = f"{'node':<{width}}  {'model':<{mwidth}}  {'input':>8}  {'output':>7}  {'USD':>11}"
    lines = [head, "-" * len(head)]
    for r in rows_:
        name = f"{r['node']:<{width}}  {r['model'] + _mark(r):<{mwidth}}"
        lines.append(f"{name}  {_numbers(r['input_tokens'], r['output_tokens'], r['cost_usd'])}")
    name = f"{'total':<{width + mwidth + 2}}"
    numbers = _numbers(total["input_tokens"], total["output_tokens"], total["cost_usd"])
    lines += ["-" * len(head), f"{name}  {numbers}", ""]
    return "\n".join([*lines, *_incidents(report["incidents"]), "", *_footer(report)])


def _incidents(incidents: list[dict[str, Any]]) -> list[str]:
    width = max([len(i["scenario"]) for i in incidents] + [8])
    lines = [f"{'incident':<{width}}  {'USD':>11}  {'all-large USD':>13}"]
    return lines + [
        f"{i['scenario']:<{width}}  {i['cost_usd']:>11.6f}  {i['all_large_usd']:>13.6f}"
        for i in incidents
    ]


def _footer(report: dict[str, Any]) -> list[str]:
    total, n = report["total"], max(len(report["incidents"]), 1)
    saving = "n/a (no model calls)" if report["saving"] is None else f"{report['saving']:.1%}"
    return [
        f"{n} incidents: {total['cost_usd']:.6f} USD with routing "
        f"({total['cost_usd'] / n * 1000:.4f} USD per 1000 incidents), "
        f"{total['all_large_usd']:.6f} USD if every model call used {report['large_model']}",
        f"saving from routing: {saving} (the competing product claims "
        f"{report['claimed_saving']:.0%})",
        f"prices: {report['pricing_file']} (local models: machine time per token)",
    ]


def _numbers(input_tokens: int, output_tokens: int, usd: float) -> str:
    return f"{input_tokens:>8}  {output_tokens:>7}  {usd:>11.6f}"


def _mark(row: dict[str, Any]) -> str:
    return " (default)" if row["priced_by"] == "default" else ""
