"""`graph eval --scenarios DIR [--json] [--otel-file PATH]`: replay every scenario and print a
scoreboard."""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from cli.errors import EXIT_FAILED, EXIT_OK, CliError
from cli.run import add_otel_file, execute, options, say, telemetry_for
from replay.result import to_json
from runtime.settings import Settings
from world.loader import ScenarioError, discover, load_file

CHECKS = (
    "severity",
    "root_cause",
    "notify",
    "never_notify",
    "actions",
    "never_execute",
    "never_contain",
    "large_model",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios", required=True, metavar="DIR", help="folder of scenarios")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--approvals", choices=["deny", "approve"], default="deny")
    parser.add_argument("--model-small", default="", metavar="M")
    parser.add_argument("--model-large", default="", metavar="M")
    add_otel_file(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    folders = discover(Path(args.scenarios))
    if not folders:
        raise CliError(f"no scenario.yaml under {args.scenarios}")
    try:
        loaded = [load_file(folder / "scenario.yaml") for folder in folders]
    except ScenarioError as exc:
        raise CliError(str(exc)) from exc
    opts = options(argparse.Namespace(**vars(args), approver="", resume=None))
    results = []
    with telemetry_for(settings, args.otel_file) as tel:
        for i, scenario in enumerate(loaded, 1):
            say(f"[{i}/{len(loaded)}] {scenario.spec.name}")
            results.append(to_json(execute(scenario, settings, opts), tel.pricing))
    summary = summarize(results)
    print(json.dumps({"scenarios": results, "summary": summary}, indent=2) if args.json
          else scoreboard(results, summary))  # fmt: skip
    return EXIT_OK if summary["failed"] == 0 else EXIT_FAILED


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    durations = sorted(r["duration_s"] for r in results)
    tokens = [sum(t["input"] + t["output"] for t in r["tokens"].values()) for r in results]
    per_check = {
        name: {"passed": sum(r["checks"][name] for r in results if name in r["checks"]),
               "of": sum(name in r["checks"] for r in results)}
        for name in CHECKS
    }  # fmt: skip
    return {
        "scenarios": len(results),
        "passed": sum(r["passed"] for r in results),
        "failed": sum(not r["passed"] for r in results),
        "checks": {k: v for k, v in per_check.items() if v["of"]},
        "duration_p50_s": round(statistics.median(durations), 2),
        "duration_p95_s": round(_p95(durations), 2),
        "tokens_total": sum(tokens),
        "tokens_per_incident_max": max(tokens),
    }


def scoreboard(results: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    names = [c for c in CHECKS if c in summary["checks"]]
    width = max(len(r["scenario"]) for r in results)
    head = f"{'scenario':<{width}}  " + "  ".join(f"{n:<13}" for n in names)
    lines = [head + "  time     tokens  result", "-" * (len(head) + 29)]
    for r in results:
        marks = "  ".join(f"{_mark(r['checks'].get(n)):<13}" for n in names)
        tok = sum(t["input"] + t["output"] for t in r["tokens"].values())
        status = "PASS" if r["passed"] else "FAIL"
        lines.append(
            f"{r['scenario']:<{width}}  {marks}  {r['duration_s']:5.1f}s  {tok:6d}  {status}"
        )
    totals = "  ".join(f"{c['passed']}/{c['of']:<11}" for c in summary["checks"].values())
    lines += ["-" * (len(head) + 29), f"{'total':<{width}}  {totals}"]
    lines.append(
        f"{summary['passed']}/{summary['scenarios']} scenarios passed · duration p50 "
        f"{summary['duration_p50_s']}s p95 {summary['duration_p95_s']}s · tokens "
        f"{summary['tokens_total']} (max {summary['tokens_per_incident_max']} per incident)"
    )
    return "\n".join(lines)


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("ok" if value else "FAIL")


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
