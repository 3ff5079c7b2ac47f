"""The deterministic half of the diagnosis over the suite, without a model: replays each
scenario with a model that never answers validly, so the ranking decides, and prints per
scenario the culprit, category and severity it reached and whether the expected culprit was
among the model's options. It shows what the evidence alone supports (`make bench-diagnosis`).

Usage: python bench/diagnosis.py [--scenarios DIR] [--only GLOB ...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402

from replay.result import to_json  # noqa: E402
from replay.run import RunOptions, replay  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from world.loader import discover, load_file  # noqa: E402


def options() -> RunOptions:
    never = FakeListChatModel(responses=["not JSON"] * 50)
    return RunOptions(model_small="none", model_large="none", chat_models={"none": never})


def run_one(folder: Path, settings: Settings) -> dict[str, Any]:
    loaded = load_file(folder / "scenario.yaml")
    started = time.perf_counter()
    result = to_json(asyncio.run(replay(loaded, settings, options())))
    want = loaded.spec.expect.root_cause
    cause = result["root_cause"]
    offered = [c for c in _candidates(result) if c]
    expected = (f"PR #{want.pr}" if want and want.pr else want.commit if want and want.commit
                else "none")  # fmt: skip
    return {
        "explain": {k: cause[k] for k in ("facts", "none_reasons", "candidates", "decided_why")},
        "scenario": folder.name,
        "expected": expected,
        "got": f"PR #{cause['pr']}" if cause["pr"] else (cause["commit"] or "none"),
        "culprit": (result.get("root_cause", {}).get("detail") or {}).get("culprit"),
        "category": cause["category"],
        "expected_category": want.category if want else None,
        "severity": result["severity"],
        "expected_severity": loaded.spec.expect.severity,
        "offered": expected in offered or expected == "none",
        "seconds": round(time.perf_counter() - started, 1),
    }


def selected(scenarios: Path, only: list[str]) -> list[Path]:
    """The scenario folders under `scenarios` whose names match a glob of `only` (all if none)."""
    return [f for f in discover(scenarios)
            if not only or any(fnmatch.fnmatch(f.name, g) for g in only)]  # fmt: skip


def scratch_settings(tmp: Path) -> Settings:
    """Settings whose checkpoints and audit live in `tmp`, thrown away after the run."""
    return Settings(checkpoint_db=tmp / "c.sqlite", audit_db=tmp / "a.sqlite")


def _candidates(result: dict[str, Any]) -> list[str]:
    return [c["ref"] for c in result["root_cause"]["candidates"] if c["option"]]


def _explain(explain: dict[str, Any]) -> None:
    for line in explain["facts"]:
        print(f"      fact: {line}")
    print(f"      none: {explain['none_reasons']}")
    for c in explain["candidates"]:
        mark = (
            "option"
            if c["option"]
            else f"ruled out: {c['ruled_out']}"
            if c["ruled_out"]
            else "weak"
        )
        print(f"      {c['ref']:<10} {c['score']:.2f} {c['category']} ({mark}): "
              + " | ".join(c["reasons"][:5]))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios"))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print facts and candidates")
    args = parser.parse_args()
    folders = selected(args.scenarios, args.only)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = scratch_settings(Path(tmp))
        for folder in folders:
            rows.append(run_one(folder, settings))
            if not args.json:
                r = rows[-1]
                marks = "".join("✓" if ok else "✗" for ok in (
                    r["culprit"], r["category"] == r["expected_category"],
                    r["severity"] == r["expected_severity"]))  # fmt: skip
                wanted = "" if r["severity"] == r["expected_severity"] else (
                    f"≠{r['expected_severity']}")  # fmt: skip
                print(f"{marks}  {r['scenario']:<58} want {r['expected']:<10} got "
                      f"{r['got']:<10} {r['category'] or '-':<22} {r['severity']}{wanted}",
                      flush=True)  # fmt: skip
                if args.explain:
                    _explain(r["explain"])
    total = len(rows)
    summary = {
        "scenarios": total,
        "culprit": sum(bool(r["culprit"]) for r in rows),
        "category": sum(r["category"] == r["expected_category"] for r in rows),
        "severity": sum(r["severity"] == r["expected_severity"] for r in rows),
    }
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
    else:
        print(f"ranking alone: culprit {summary['culprit']}/{total}, category "
              f"{summary['category']}/{total}, severity {summary['severity']}/{total}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
