"""`graph finetune dataset`: scenarios and confirmed incidents to chat-format examples.

From each scenario (`finetune.teacher`): the triage, root-cause and quarantined-reader
requests its replay really makes, answered with the scenario's expected answers; and more
reader examples from the free text the run read (every PR and commit it fetched, their added
lines, the alert's annotations), labelled by `finetune.labels`. From the incident store
(`finetune.incidents`): the incidents a human confirmed. Then secrets are redacted, exact
duplicates dropped, and whole groups (a scenario, a kind of incident) go to train or eval.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agents.root_cause.facts import diff
from agents.shared.alerts import alert_text
from core.prompting import render
from finetune import labels
from finetune.examples import Example, Message, Task
from finetune.redact import redact
from finetune.teacher import Recording
from policies.gate import ReaderAnswer
from policies.guard import PROMPTS, READER_TOKENS
from policies.views import reader_values
from world.scenario import FileChange


@dataclass
class Built:
    examples: list[Example]
    duplicates: int = 0
    redacted: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    scenarios: int = 0
    incidents: int = 0


READER_NEGATIVES = 6
Progress = Callable[[str], None]


def from_recording(
    rec: Recording, reader_negatives: int = READER_NEGATIVES
) -> tuple[list[Example], list[str]]:
    """Examples from one scenario's recorded replay, and why any request was left out.

    Besides the reader requests the run made, every text with planted instructions becomes
    a reader example, and at most `reader_negatives` of the others (a stable, hash-chosen
    sample): a scenario's history holds dozens of ordinary texts, which would drown the
    other tasks."""
    name = rec.loaded.spec.name
    out, skipped = [], []
    for call in rec.calls:
        if call.task == "judge":
            continue
        if not call.gold:
            skipped.append(f"{name}: {call.task}: {call.note}")
            continue
        answer = Message(role="assistant", content=json.dumps(call.answer))
        out.append(
            Example(
                task=_task(call.task), messages=(*call.messages, answer),
                json_schema=call.json_schema, max_tokens=call.max_tokens,
                source="scenario", group=name, origin=name, note=call.note,
            )
        )  # fmt: skip
    texts = reader_texts(rec)
    planted = [t for t in texts if labels.planted(t[1])]
    ordinary = sorted((t for t in texts if t not in planted), key=_stable)[:reader_negatives]
    out += [reader_example(c, text, "scenario", name, name) for c, text in planted + ordinary]
    return out, skipped


def _stable(item: tuple[str, str]) -> bytes:
    return hashlib.sha256("\n".join(item).encode()).digest()


def reader_texts(rec: Recording) -> list[tuple[str, str]]:
    """(carrier, text) for free text of the incident: the PRs and commits the run fetched, as
    the gate quotes them; every PR and commit of the scenario's history in full, and their
    added lines; the alert's annotations."""
    state, spec = rec.done.state, rec.loaded.spec
    texts = [
        ("pull request" if e.kind == "pull_request" else "commit", f"{e.title}\n{e.excerpt}")
        for e in state.get("evidence", [])
        if e.kind in ("pull_request", "commit") and e.ok
    ]
    for _, pull in spec.all_pulls():
        texts.append(("pull request", f"PR #{pull.number}: {pull.title}\n{pull.body}"))
        texts += _code(pull.files)
    for repo in spec.github.repos.values():
        for commit in repo.commits:
            texts.append(("commit", f"{commit.sha[:7]}: {commit.message}"))
            texts += _code(commit.files)
    if "alert" in state:
        texts.append(("alert annotation", alert_text(state["alert"])))
    return [(c, t) for c, t in texts if t.strip()]


def _code(files: list[FileChange]) -> list[tuple[str, str]]:
    lines = ["\n".join(d.text for d in diff.parse(f.patch) if d.sign == "+") for f in files]
    return [("code change", text) for text in lines if text.strip()]


def reader_example(
    carrier: str, text: str, source: str, group: str, origin: str, note: str = ""
) -> Example:
    prompt = render(PROMPTS / "quarantine.md.j2", reader_values(carrier, text))
    answer = labels.label(text)
    return Example.model_validate(
        {
            "task": "reader",
            "messages": [
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": json.dumps(answer.model_dump())},
            ],
            "json_schema": ReaderAnswer.model_json_schema(),
            "max_tokens": READER_TOKENS,
            "source": source, "group": group, "origin": origin,
            "note": "; ".join(p for p in (note, f"label rules ({carrier})") if p),
        }
    )  # fmt: skip


def _task(name: str) -> Task:
    if name not in ("triage", "root_cause", "reader"):
        raise ValueError(f"not a trained task: {name}")
    return name  # type: ignore[return-value]


def finish(
    examples: Iterable[Example], eval_fraction: float, eval_groups: set[str] | None, built: Built
) -> Built:
    """Redact, de-duplicate and split `examples` into `built`."""
    seen: set[str] = set()
    kept = []
    for example in examples:
        found: Counter[str] = Counter()
        clean = scrub(example, found)
        key = clean.key()
        if key in seen:
            built.duplicates += 1
            continue
        seen.add(key)
        built.redacted.update(found)
        kept.append(clean)
    chosen = eval_groups if eval_groups is not None else pick_eval(kept, eval_fraction)
    built.examples = [
        e.model_copy(update={"split": "eval" if e.group in chosen else "train"}) for e in kept
    ]
    return built


def scrub(example: Example, counts: Counter[str]) -> Example:
    messages = tuple(m.model_copy(update={"content": redact(m.content, counts)})
                     for m in example.messages)  # fmt: skip
    return example.model_copy(update={"messages": messages})


def pick_eval(examples: list[Example], fraction: float) -> set[str]:
    """A stable, hash-ordered share of the groups (at least one when there are two or more)."""
    groups = sorted({e.group for e in examples}, key=lambda g: hashlib.sha256(g.encode()).digest())
    if len(groups) < 2 or fraction <= 0:
        return set()
    count = min(len(groups) - 1, max(1, math.ceil(fraction * len(groups))))
    return set(groups[:count])
