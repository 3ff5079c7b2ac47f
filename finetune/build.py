"""Build a dataset end to end and describe it: the statistics `graph finetune dataset` prints."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from finetune import dataset, incidents, teacher
from finetune.dataset import Built, Progress
from finetune.examples import TASKS, Example
from runtime.settings import Settings
from world.loader import LoadedScenario


def build(
    scenarios: list[LoadedScenario],
    settings: Settings,
    *,
    store: tuple[Path, Path] | None = None,
    eval_fraction: float = 0.2,
    eval_groups: set[str] | None = None,
    reader_negatives: int = dataset.READER_NEGATIVES,
    progress: Progress = lambda _line: None,
) -> Built:
    """Examples from `scenarios` (each replayed once with the teacher) and, when `store`
    (checkpoint db, audit db) is given, from the confirmed incidents in it."""
    built = Built(examples=[])
    collected: list[Example] = []
    for i, loaded in enumerate(scenarios, 1):
        progress(f"[{i}/{len(scenarios)}] replaying {loaded.spec.name} with the teacher")
        rec = teacher.record(loaded, settings)
        found, skipped = dataset.from_recording(rec, reader_negatives)
        collected += found
        built.skipped += skipped
        built.scenarios += 1
    if store is not None:
        confirmed = incidents.confirmed_incidents(*store)
        progress(f"{len(confirmed)} confirmed incident(s) in {store[0]}")
        for item in confirmed:
            collected += incidents.examples(item)
        built.incidents = len(confirmed)
    return dataset.finish(collected, eval_fraction, eval_groups, built)


def stats(built: Built) -> dict[str, Any]:
    examples = built.examples
    per_task: dict[str, dict[str, Any]] = {}
    for task in TASKS:
        mine = [e for e in examples if e.task == task]
        per_task[task] = {
            "train": sum(e.split == "train" for e in mine),
            "eval": sum(e.split == "eval" for e in mine),
            "prompt_chars_avg": round(sum(len(e.prompt[-1].content) for e in mine) / len(mine))
            if mine
            else 0,
            "answers": dict(Counter(_answer_key(e) for e in mine).most_common(6)),
        }
    return {
        "examples": len(examples),
        "scenarios": built.scenarios,
        "incidents": built.incidents,
        "sources": dict(Counter(e.source for e in examples)),
        "tasks": per_task,
        "duplicates_removed": built.duplicates,
        "secrets_redacted": dict(built.redacted),
        "skipped": built.skipped,
        "eval_groups": sorted({e.group for e in examples if e.split == "eval"}),
        "train_groups": sorted({e.group for e in examples if e.split == "train"}),
    }


def _answer_key(example: Example) -> str:
    answer = example.answer
    if example.task == "triage":
        return f"{answer['severity']}/{answer['category']}"
    if example.task == "root_cause":
        return "none" if answer["cause"] == "none" else "a change"
    return f"{answer['instructions']}/{answer['asks_for']}"


def describe(summary: dict[str, Any], out: Path) -> str:
    lines = [
        f"dataset: {summary['examples']} examples from {summary['scenarios']} scenario(s) and "
        f"{summary['incidents']} confirmed incident(s) → {out}",
        f"{'task':<12} {'train':>5} {'eval':>5} {'prompt chars':>13}  answers",
    ]
    for task, row in summary["tasks"].items():
        answers = ", ".join(f"{k} ×{v}" for k, v in row["answers"].items())
        lines.append(
            f"{task:<12} {row['train']:>5} {row['eval']:>5} {row['prompt_chars_avg']:>13}  "
            f"{answers}"
        )
    redacted = summary["secrets_redacted"]
    secrets = ", ".join(f"{k} ×{v}" for k, v in redacted.items()) or "none"
    lines += [
        f"sources: {', '.join(f'{k} {v}' for k, v in summary['sources'].items()) or 'none'}"
        f" · duplicates removed: {summary['duplicates_removed']} · secrets redacted: {secrets}",
        f"eval groups ({len(summary['eval_groups'])}): {', '.join(summary['eval_groups']) or '-'}",
    ]
    lines += [f"skipped: {why}" for why in summary["skipped"]]
    return "\n".join(lines)
