"""One training example: the chat the pipeline sends for a role, and the answer it should get.

A dataset is a JSON-lines file of `Example`s. `messages` ends with the assistant's answer,
the JSON the pipeline's schema allows (`json_schema`, the exact constraint llama.cpp gets),
and `max_tokens` is the bound the pipeline sets for that call. `group` is the unit of the
train/eval split (a scenario, or a kind of incident), so no incident is in both halves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from finetune.errors import FinetuneError

Task = Literal["triage", "root_cause", "reader"]
TASKS: tuple[Task, ...] = ("triage", "root_cause", "reader")
TASK_TITLES: dict[Task, str] = {
    "triage": "triage (small model)",
    "root_cause": "root cause (large model)",
    "reader": "quarantined extraction (small model)",
}


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class Example(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    task: Task
    messages: tuple[Message, ...]
    json_schema: dict[str, Any]
    max_tokens: int
    source: Literal["scenario", "incident"]
    group: str
    origin: str  # the scenario's name or the incident's id
    note: str = ""  # where the answer came from (e.g. the label rule, the approver)
    split: Literal["train", "eval"] = "train"

    @property
    def prompt(self) -> tuple[Message, ...]:
        return self.messages[:-1]

    @property
    def answer(self) -> dict[str, Any]:
        value = json.loads(self.messages[-1].content)
        if not isinstance(value, dict):
            raise ValueError("an example's answer must be a JSON object")
        return value

    def key(self) -> str:
        """Identity for de-duplication: the task, the prompt and the answer."""
        raw = json.dumps([self.task, [m.model_dump() for m in self.messages]], sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


class DatasetError(FinetuneError):
    """A dataset file that cannot be used, with the file and line."""


def write(path: Path, examples: Iterable[Example]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(example.model_dump_json() + "\n")
            count += 1
    tmp.replace(path)
    return count


def read(path: Path, split: str | None = None, tasks: Iterable[str] | None = None) -> list[Example]:
    """Examples from a dataset file, optionally one split and some tasks only."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file (make one with `graph finetune dataset`)")
    wanted = set(tasks) if tasks else None
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            example = Example.model_validate_json(line)
        except ValidationError as exc:
            raise DatasetError(f"{path}:{number}: not a finetune example: {exc}") from exc
        if (split is None or example.split == split) and (wanted is None or example.task in wanted):
            out.append(example)
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
