"""`graph finetune eval`: a base and a tuned model on the same prompts, side by side.

The prompts are the ones the pipeline sends (from a dataset's eval split, or recorded from
replays of a folder of scenarios), each asked through `structured_call` with the pipeline's
schema and `max_tokens`, exactly as the agents ask. Scores: triage accuracy (severity),
root-cause hit rate (the chosen option), quarantined-reader accuracy ("instructions"),
valid-output rate (a schema-valid answer at the first attempt) and output tokens per second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from agents.root_cause.logic import answer_schema
from agents.triage.advice import TriageAnswer
from finetune.examples import TASKS, Example
from policies.gate import ReaderAnswer
from runtime.models.structured import StructuredOutputError, structured_call

SCORED = {"triage": "severity", "root_cause": "cause", "reader": "instructions"}
METRICS = (
    ("triage", "triage accuracy (severity)"),
    ("root_cause", "root-cause hit rate"),
    ("reader", "reader accuracy (instructions)"),
    ("reader_planted", "  of which planted, caught"),
)


@dataclass(frozen=True)
class Outcome:
    task: str
    expected: str  # the scored field's expected value
    answered: bool  # a schema-valid answer within the two attempts
    first_try: bool  # ... at the first attempt
    correct: bool
    input_tokens: int
    output_tokens: int
    seconds: float


def schema_for(example: Example) -> type[BaseModel]:
    if example.task == "triage":
        return TriageAnswer
    if example.task == "reader":
        return ReaderAnswer
    return answer_schema(list(example.json_schema["properties"]["cause"]["enum"]))


def to_messages(example: Example) -> list[BaseMessage]:
    kinds: dict[str, type[BaseMessage]] = {
        "system": SystemMessage, "user": HumanMessage, "assistant": AIMessage
    }  # fmt: skip
    return [kinds[m.role](content=m.content) for m in example.prompt]


async def ask(model: BaseChatModel, example: Example) -> Outcome:
    started = time.perf_counter()
    field = SCORED[example.task]
    expected = example.answer[field]
    try:
        answer = await structured_call(
            model, schema_for(example), to_messages(example), max_tokens=example.max_tokens
        )
    except StructuredOutputError as exc:
        return Outcome(example.task, str(expected), False, False, False, exc.input_tokens,
                       exc.output_tokens, exc.duration_s)  # fmt: skip
    got = getattr(answer.value, field)
    return Outcome(
        example.task, str(expected), True, answer.attempts == 1, got == expected,
        answer.input_tokens, answer.output_tokens, time.perf_counter() - started,
    )  # fmt: skip


def run(
    model: BaseChatModel, examples: list[Example], progress: Callable[[str], None]
) -> list[Outcome]:
    async def go() -> list[Outcome]:
        out = []
        for i, example in enumerate(examples, 1):
            out.append(await ask(model, example))
            if i % 10 == 0 or i == len(examples):
                progress(f"{i}/{len(examples)} prompts")
        return out

    return asyncio.run(go())


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    per_task: dict[str, dict[str, int]] = {}
    for task in TASKS:
        mine = [o for o in outcomes if o.task == task]
        per_task[task] = {"correct": sum(o.correct for o in mine), "of": len(mine)}
    planted = [o for o in outcomes if o.task == "reader" and o.expected == "yes"]
    per_task["reader_planted"] = {"correct": sum(o.correct for o in planted), "of": len(planted)}
    seconds = sum(o.seconds for o in outcomes)
    output = sum(o.output_tokens for o in outcomes)
    return {
        "tasks": per_task,
        "valid": {"first_try": sum(o.first_try for o in outcomes), "of": len(outcomes)},
        "answered": sum(o.answered for o in outcomes),
        "input_tokens": sum(o.input_tokens for o in outcomes),
        "output_tokens": output,
        "seconds": round(seconds, 2),
        "output_tokens_per_s": round(output / seconds, 1) if seconds else 0.0,
        "tokens_per_s": round((output + sum(o.input_tokens for o in outcomes)) / seconds, 1)
        if seconds
        else 0.0,
    }


def table(names: tuple[str, str], base: dict[str, Any], tuned: dict[str, Any]) -> str:
    width = max(24, *(len(n) + 8 for n in names))
    head = f"{'metric':<32}{'base ' + names[0]:<{width}}{'tuned ' + names[1]:<{width}}delta"
    lines = [head, "-" * len(head)]
    for task, title in METRICS:
        a, b = base["tasks"][task], tuned["tasks"][task]
        if a["of"]:
            lines.append(f"{title:<32}{_ratio(a):<{width}}{_ratio(b):<{width}}{_points(a, b)}")
    va, vb = base["valid"], tuned["valid"]
    lines.append(f"{'valid output (first try)':<32}{_ratio(va, 'first_try'):<{width}}"
                 f"{_ratio(vb, 'first_try'):<{width}}{_points(va, vb, 'first_try')}")  # fmt: skip
    for key, title in (("output_tokens_per_s", "output tokens/s"),
                       ("tokens_per_s", "tokens/s (prompt + output)")):  # fmt: skip
        ta, tb = base[key], tuned[key]
        change = f"{(tb - ta) / ta * 100:+.0f}%" if ta else "-"
        lines.append(f"{title:<32}{ta:<{width}}{tb:<{width}}{change}")
    lines.append(f"{'seconds':<32}{base['seconds']:<{width}}{tuned['seconds']:<{width}}")
    return "\n".join(lines)


def _ratio(row: dict[str, int], key: str = "correct") -> str:
    return f"{row[key]}/{row['of']} ({row[key] / row['of']:.0%})" if row["of"] else "-"


def _points(a: dict[str, int], b: dict[str, int], key: str = "correct") -> str:
    if not a["of"] or not b["of"]:
        return "-"
    return f"{(b[key] / b['of'] - a[key] / a['of']) * 100:+.0f} pts"
