"""A change as GitHub listed it: a merged PR or a commit, with its patches once read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Change:
    kind: str  # "pr" | "commit"
    repo: str
    ref: str  # "PR #847" or a short sha
    number: int | None
    sha: str | None
    title: str
    author: str
    merged_at: datetime
    files: tuple[str, ...]
    patches: dict[str, str] = field(default_factory=dict)
