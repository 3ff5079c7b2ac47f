"""Helpers the detectors share: the added lines of code files, grouped by file."""

from __future__ import annotations

import re
from collections import defaultdict

from agents.root_cause.facts.types import ChangeFacts, Line
from agents.root_cause.kinds import file_kind


def code_lines(change: ChangeFacts) -> dict[str, list[Line]]:
    """Added lines per code file (not docs, tests, lock files or manifests), in order."""
    out: dict[str, list[Line]] = defaultdict(list)
    for line in change.added:
        if file_kind(line.file) == "code":
            out[line.file].append(line)
    return dict(out)


def indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def searcher(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)
