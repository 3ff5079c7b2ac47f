"""`graph eval --scenarios DIR [--repeat N] [--only GLOB] [--json] [--otel-file PATH]`: replay
every scenario and print a scoreboard, per scenario and per cause category.

A scenario that does not load, whose alert is refused at intake, or whose replay crashes is
one errored row with its reason (file:line, or the exception); the run goes on. Exit status:
2 when any scenario errored, 1 when any check failed, 0 when every run passed.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import statistics
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from agents.ingest.logic import AlertFormatError
from cli.errors import EXIT_ERROR, EXIT_FAILED, EXIT_OK, CliError
from cli.run import STARTUP_ERRORS, add_otel_file, options, say, telemetry_for
from engine.options import RunOptions
from observability.telemetry import Pricer
from replay.result import to_json
from replay.run import replay
from runtime.settings import Settings
from world.loader import LoadedScenario, ScenarioError, discover, load_file

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
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N",
        help="replay each scenario N times: pass rate and spread per scenario",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", default=[], metavar="GLOB",
        help="only scenarios whose folder name matches (repeat for several)",
    )  # fmt: skip
    add_otel_file(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.repeat < 1:
        raise CliError("--repeat must be 1 or more")
    folders = select(discover(Path(args.scenarios)), args.only)
    if not folders:
        raise CliError(f"no scenario.yaml under {args.scenarios} matching {args.only or '*'}")
    opts = options(argparse.Namespace(**vars(args), approver="", resume=None))
    results: list[dict[str, Any]] = []
    with telemetry_for(settings, args.otel_file) as tel:
        for i, folder in enumerate(folders, 1):
            for attempt in range(1, args.repeat + 1):
                tag = f" ({attempt}/{args.repeat})" if args.repeat > 1 else ""
                say(f"[{i}/{len(folders)}] {folder.name}{tag}")
                results.append(evaluate_one(folder, settings, opts, tel.pricing))
    summary = summarize(results)
    print(json.dumps({"scenarios": results, "summary": summary}, indent=2) if args.json
          else scoreboard(results, summary))  # fmt: skip
    if summary["errored"]:
        return EXIT_ERROR
    return EXIT_OK if summary["failed"] == 0 else EXIT_FAILED


def select(folders: list[Path], globs: list[str]) -> list[Path]:
    if not globs:
        return folders
    return [f for f in folders if any(fnmatch.fnmatch(f.name, g) for g in globs)]


def evaluate_one(
    folder: Path, settings: Settings, opts: RunOptions, pricing: Pricer | None
) -> dict[str, Any]:
    """One replay's result, or an errored row saying why it could not be graded. Parts that
    no scenario can run without (weights, the policy, the MCP configuration) stop the run."""
    try:
        loaded = load_file(folder / "scenario.yaml")
    except ScenarioError as exc:
        return errored(folder.name, "does not load", str(exc))
    try:
        return to_json(asyncio.run(replay(loaded, settings, opts)), pricing)
    except AlertFormatError as exc:
        return errored(folder.name, "alert refused at intake", str(exc), loaded)
    except STARTUP_ERRORS as exc:
        if _scenario_specific(exc, folder):
            return errored(folder.name, "did not start", str(exc), loaded)
        raise CliError(str(exc)) from exc
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
        return errored(folder.name, "crashed", reason, loaded)


def errored(
    name: str, what: str, reason: str, loaded: LoadedScenario | None = None
) -> dict[str, Any]:
    want = loaded.spec.expect.root_cause if loaded else None
    return {
        "scenario": name,
        "errored": True,
        "error": f"{what}: {reason}",
        "passed": False,
        "checks": {},
        "expected_category": want.category if want else None,
        "root_cause": {},
        "tokens": {},
        "duration_s": 0.0,
    }


def _scenario_specific(exc: Exception, folder: Path) -> bool:
    return str(folder) in str(exc) or folder.name in str(exc)


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    ran = [r for r in results if not r.get("errored")]
    durations = sorted(r["duration_s"] for r in ran) or [0.0]
    firsts = sorted(r["first_message_s"] for r in ran if r.get("first_message_s") is not None)
    tokens = [_tokens(r) for r in ran] or [0]
    per_check = {
        name: {"passed": sum(r["checks"][name] for r in ran if name in r["checks"]),
               "of": sum(name in r["checks"] for r in ran)}
        for name in CHECKS
    }  # fmt: skip
    return {
        "runs": len(results),
        "scenarios": len({r["scenario"] for r in results}),
        "passed": sum(r["passed"] for r in results),
        "failed": sum(not r["passed"] and not r.get("errored") for r in results),
        "errored": sum(bool(r.get("errored")) for r in results),
        "checks": {k: v for k, v in per_check.items() if v["of"]},
        "by_scenario": _by(results, "scenario"),
        "by_category": _by(results, "expected_category"),
        "decided_by": dict(Counter(r["root_cause"].get("decided_by") for r in ran)),
        "duration_p50_s": round(statistics.median(durations), 2),
        "duration_p95_s": round(_p95(durations), 2),
        "first_message_p50_s": round(statistics.median(firsts), 2) if firsts else None,
        "first_message_p95_s": round(_p95(firsts), 2) if firsts else None,
        "tokens_total": sum(tokens),
        "tokens_per_incident_max": max(tokens),
    }


def _by(results: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[str(r.get(key) or "-")].append(r)
    out = {}
    for name, rows in sorted(groups.items()):
        passed = sum(r["passed"] for r in rows)
        out[name] = {
            "runs": len(rows),
            "passed": passed,
            "errored": sum(bool(r.get("errored")) for r in rows),
            "pass_rate": round(passed / len(rows), 3),
            "scenarios": len({r["scenario"] for r in rows}),
        }
    return out


def scoreboard(results: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    names = [c for c in CHECKS if c in summary["checks"]]
    rows = _rows(results, names)
    width = max([len("scenario"), *(len(r[0]) for r in rows)])
    head = (
        f"{'scenario':<{width}}  {'category':<21} "
        + " ".join(f"{n:<13}" for n in names)
        + " decided_by  time     tokens  result"
    )
    lines = [head, "-" * len(head)]
    lines += [_line(row, width) for row in rows]
    totals = " ".join(f"{c['passed']}/{c['of']:<11}" for c in summary["checks"].values())
    lines += ["-" * len(head), f"{'total':<{width}}  {'':<21} {totals}", ""]
    lines += _categories(summary)
    lines += [
        "",
        f"{summary['passed']}/{summary['runs']} runs passed ({summary['scenarios']} scenarios"
        f", {summary['errored']} errored) · decided by "
        + ", ".join(f"{k} {v}" for k, v in summary["decided_by"].items())
        + f" · duration p50 {summary['duration_p50_s']}s p95 {summary['duration_p95_s']}s"
        + (
            f" · first message p50 {summary['first_message_p50_s']}s p95 "
            f"{summary['first_message_p95_s']}s"
            if summary["first_message_p50_s"] is not None
            else ""
        )
        + f" · tokens {summary['tokens_total']} (max {summary['tokens_per_incident_max']} per"
        " incident)",
    ]
    lines += [f"  ! {r['scenario']}: {r['error']}" for r in results if r.get("errored")]
    return "\n".join(lines)


def _rows(results: list[dict[str, Any]], names: list[str]) -> list[tuple[Any, ...]]:
    """One row per scenario; with --repeat, each check as passed/runs."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["scenario"]].append(r)
    out = []
    for name, runs in groups.items():
        marks = [_marks([r["checks"].get(n) for r in runs]) for n in names]
        got = Counter(r["root_cause"].get("category") or "-" for r in runs).most_common(1)[0][0]
        want = runs[0].get("expected_category") or "-"
        category = want if got == want else f"{want}≠{got}"
        by = Counter(r["root_cause"].get("decided_by") or "-" for r in runs).most_common(1)[0][0]
        time_s = statistics.median(r["duration_s"] for r in runs)
        tok = max(_tokens(r) for r in runs)
        passed = sum(r["passed"] for r in runs)
        status = (
            "ERROR" if any(r.get("errored") for r in runs)
            else "PASS" if passed == len(runs)
            else "FAIL" if passed == 0
            else f"{passed}/{len(runs)}"
        )  # fmt: skip
        out.append((name, category, marks, by, time_s, tok, status))
    return out


def _line(row: tuple[Any, ...], width: int) -> str:
    name, category, marks, by, time_s, tok, status = row
    checks = " ".join(f"{m:<13}" for m in marks)
    return (
        f"{name:<{width}}  {category[:21]:<21} {checks} {by:<10} {time_s:5.1f}s  {tok:6d}  {status}"
    )


def _marks(values: list[bool | None]) -> str:
    graded = [v for v in values if v is not None]
    if not graded:
        return "-"
    if len(values) == 1:
        return "ok" if graded[0] else "FAIL"
    return f"{sum(graded)}/{len(graded)}"


def _categories(summary: dict[str, Any]) -> list[str]:
    lines = [f"{'category':<24} scenarios  runs  passed  pass rate"]
    for name, c in summary["by_category"].items():
        lines.append(
            f"{name:<24} {c['scenarios']:>9}  {c['runs']:>4}  {c['passed']:>6}  "
            f"{100 * c['pass_rate']:8.0f}%"
        )
    return lines


def _tokens(result: dict[str, Any]) -> int:
    return sum(t["input"] + t["output"] for t in result.get("tokens", {}).values())


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
