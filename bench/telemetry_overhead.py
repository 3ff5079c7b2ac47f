"""What the OpenTelemetry instrumentation costs a scenario replay: telemetry on vs off.

Run `make bench-telemetry` (or `python bench/telemetry_overhead.py [--scenario NAME]
[--rounds N] [--fake-rounds N] [--exporter file|otlp-http|otlp-grpc|console] [--endpoint URL]
[--only models|zero-latency] [--json]`).

On and off differ in one settings field, `otel_exporter`: the chosen exporter (default `file`,
OTLP JSON lines to a temporary file) against `none`. Each run is timed as `graph run` spends
it: `setup_telemetry`, the replay, and the shutdown that flushes the exporters. Every round
replays every scenario off, then every scenario on; the next round on, then off. So drift (the
page cache, a busy neighbour, llama.cpp's prompt cache) falls on both sides alike.

1. Models: the configured local pair, a few rounds (about 20 s a replay).
2. Zero latency: scripted instant models, many rounds; the overhead is most visible here. Also
   reported against the graph's own time (input checkpoint to final checkpoint), which leaves
   out the world's and the MCP servers' start-up.

A warm-up replay (not counted) loads the weights first. Overhead = (mean on - mean off) / mean
off, with the 95% interval of the mean paired difference (on - off, same scenario and round)
and the median of the per-pair ratios.
Numbers are printed beside the 2% target; nothing asserts on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline import SCRIPTED, note, replay_timed, scenario_names, scripted_models

from observability.telemetry import installed, setup_telemetry
from replay.run import RunOptions
from runtime.settings import Settings
from world.loader import LoadedScenario, load

TARGET_PCT = 2.0
ModelsFor = Callable[[LoadedScenario], RunOptions]


@dataclass(frozen=True)
class Sample:
    round: int
    scenario: str
    telemetry: bool
    wall_s: float  # setup_telemetry + replay + shutdown (the exporters flushed)
    graph_s: float  # input checkpoint to final checkpoint
    spans: int  # exported (file exporter only; else 0)
    passed: bool


def switched(settings: Settings, on: bool) -> Settings:
    """The one difference between the two sides."""
    return settings.model_copy(update={"otel_exporter": settings.otel_exporter if on else "none"})


async def timed(
    loaded: LoadedScenario, settings: Settings, options: RunOptions, round_: int
) -> Sample:
    on = settings.otel_exporter != "none"
    started = time.perf_counter()
    with installed(setup_telemetry(settings)):
        done, t = await replay_timed(loaded, settings, options)
    wall = time.perf_counter() - started
    return Sample(
        round=round_,
        scenario=loaded.spec.name,
        telemetry=on,
        wall_s=wall,
        graph_s=t.graph_end - t.graph_start,
        spans=count_spans(settings.otel_file) if on else 0,
        passed=all(done.checks.values()) and not done.interrupted,
    )


def count_spans(path: Path | None) -> int:
    """Spans in the OTLP JSON-lines file (then emptied for the next run)."""
    if path is None or not path.exists():
        return 0
    total = 0
    for line in path.read_text().splitlines():
        for resource in json.loads(line).get("resourceSpans", []):
            total += sum(len(scope.get("spans", [])) for scope in resource.get("scopeSpans", []))
    path.unlink()
    return total


def schedule(rounds: int, names: list[str]) -> Iterator[tuple[int, str, bool]]:
    """(round, scenario, on): every scenario off then on in even rounds, on then off in odd ones.

    Scenarios interleave: llama.cpp reuses the previous prompt's cached prefix, so the same
    scenario twice in a row would flatter the second run."""
    for r in range(rounds):
        for on in (False, True) if r % 2 == 0 else (True, False):
            for name in names:
                yield r, name, on


async def bench(
    settings: Settings, names: list[str], rounds: int, models_for: ModelsFor, label: str
) -> list[Sample]:
    loaded = {name: load(name, settings.scenarios_dir) for name in names}
    first = loaded[names[0]]
    note(f"… {label}: warm-up replay of {first.spec.name} (not counted: loads the weights)")
    await timed(first, switched(settings, False), models_for(first), -1)
    samples = []
    for r, name, on in schedule(rounds, names):
        note(f"… {label}: {name} round {r + 1}/{rounds}, telemetry {'on' if on else 'off'}")
        side = switched(settings, on)
        samples.append(await timed(loaded[name], side, models_for(loaded[name]), r))
    return samples


def report(samples: list[Sample], key: str = "wall_s") -> dict[str, Any]:
    """On vs off; a pair is the same scenario in the same round."""
    off_by = {(s.round, s.scenario): getattr(s, key) for s in samples if not s.telemetry}
    on_by = {(s.round, s.scenario): getattr(s, key) for s in samples if s.telemetry}
    on, off = statistics.fmean(on_by.values()), statistics.fmean(off_by.values())
    ratios = [(on_by[k] - off_by[k]) / off_by[k] * 100 for k in on_by]
    diffs = [on_by[k] - off_by[k] for k in on_by]
    noise = 1.96 * statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
    return {
        "pairs": len(ratios),
        "mean_off_s": off,
        "mean_on_s": on,
        "median_off_s": statistics.median(off_by.values()),
        "median_on_s": statistics.median(on_by.values()),
        "overhead_pct": (on - off) / off * 100,
        "overhead_ms": (on - off) * 1000,
        "ci95_ms": noise * 1000,  # of the mean paired difference: below it, noise
        "median_pair_pct": statistics.median(ratios),
    }


def summary(samples: list[Sample], graph_too: bool) -> dict[str, Any]:
    spans = [s.spans for s in samples if s.telemetry]
    out = {
        "replays": len(samples),
        "passed": sum(s.passed for s in samples),
        "spans_per_incident": statistics.median(spans) if spans else 0,
        "wall": report(samples),
        "samples": [asdict(s) for s in samples],
    }
    if graph_too:
        out["graph"] = report(samples, key="graph_s")
    return out


def print_part(title: str, part: dict[str, Any]) -> None:
    print(f"== {title}: {part['replays']} replays ({part['replays'] // 2} on/off pairs), "
          f"checks passed {part['passed']}/{part['replays']}, "
          f"{part['spans_per_incident']:g} spans per incident exported")  # fmt: skip
    for name, r in (("wall", part["wall"]), ("graph only", part.get("graph"))):
        if r is None:
            continue
        verdict = "ok" if r["overhead_pct"] <= TARGET_PCT else "OVER"
        print(f"{name:<11} off {r['mean_off_s']:8.3f}s  on {r['mean_on_s']:8.3f}s  (means; "
              f"medians {r['median_off_s']:.3f}s / {r['median_on_s']:.3f}s)   overhead "
              f"{r['overhead_ms']:+8.1f} ± {r['ci95_ms']:.1f} ms = {r['overhead_pct']:+.2f}% "
              f"(median pair {r['median_pair_pct']:+.2f}%)   "
              f"target ≤ {TARGET_PCT:g}%: {verdict}")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", help="limit to this scenario (repeatable)")
    parser.add_argument("--rounds", type=int, default=2, help="on/off pairs per scenario, models")
    parser.add_argument("--fake-rounds", type=int, default=10, help="pairs per scenario, scripted")
    exporters = ("file", "otlp-http", "otlp-grpc", "console")
    parser.add_argument("--exporter", default="file", choices=exporters, help="the 'on' side")
    parser.add_argument("--endpoint", help="otel_endpoint for the OTLP exporters")
    parser.add_argument("--only", choices=("models", "zero-latency"), help="run one part")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    return parser.parse_args(argv)


def real_models(_loaded: LoadedScenario) -> RunOptions:
    return RunOptions()


def instant_models(loaded: LoadedScenario) -> RunOptions:
    return RunOptions(
        model_small=SCRIPTED[0], model_large=SCRIPTED[1], chat_models=scripted_models(loaded)
    )


async def run_parts(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    settings = Settings(
        checkpoint_db=tmp / "checkpoints.sqlite",
        otel_exporter=args.exporter,
        otel_endpoint=args.endpoint,
        otel_file=tmp / "spans.jsonl",
    )
    names = scenario_names(settings, args.scenario)
    out: dict[str, Any] = {"exporter": args.exporter, "target_pct": TARGET_PCT}
    if args.only in (None, "models"):
        samples = await bench(settings, names, args.rounds, real_models, "models")
        out["models"] = summary(samples, graph_too=False)
        out["models"]["pair"] = {"small": settings.model_small, "large": settings.model_large}
    if args.only in (None, "zero-latency"):
        samples = await bench(settings, names, args.fake_rounds, instant_models, "scripted")
        out["zero_latency"] = summary(samples, graph_too=True)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-telemetry-") as tmp:
        result = asyncio.run(run_parts(args, Path(tmp)))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"telemetry on = otel_exporter {result['exporter']!r}, off = 'none'")
    if "models" in result:
        pair = result["models"]["pair"]
        print_part(f"1. replays on {pair['small']} + {pair['large']}", result["models"])
    if "zero_latency" in result:
        print_part("2. replays on scripted instant models", result["zero_latency"])


if __name__ == "__main__":
    main()
