"""A bound on how much one request may ask for, removed: a page size, a result limit or a
payload maximum that was clamped or validated is now whatever the caller sends, so one
large request loads everything into memory (OOM kills, GC pauses, timeouts).

Catches removed lines that clamp or cap a value where no added line of the change does:
`if limit > maxPageSize { limit = maxPageSize }`, `limit = min(limit, MAX_ROWS)`,
`Math.min(size, MAX)`, a schema's `maximum: 500` / `maxItems` / `maxLength`, pydantic's
`le=` on a limit-like field, `@Max(500)`, zod or joi's `.max(500)`, and SQL's `LIMIT 500`.

Ignores a bound that the change moves rather than drops (an added line still clamps or
caps), lines in tests and docs, and comments.
"""

from __future__ import annotations

import re

from agents.root_cause import kinds
from agents.root_cause.facts.types import ChangeFacts, Finding, Line

NAME = "bound_removed"
SYMPTOMS = ("memory", "latency", "timeouts", "crash", "cpu", "size")

_CLAMP = (
    # if limit > maxPageSize {   /   if (size > MAX_SIZE)
    re.compile(r"\bif\s*\(?\s*(?P<v>[\w.]+)\s*>=?\s*(?P<max>[A-Za-z_][\w.]*)\s*\)?\s*[{:]?\s*$"),
    # limit = min(limit, MAX_ROWS)   /   Math.min(size, MAX)   /   min(MAX, n)
    re.compile(r"\b(?:Math\.)?min\(\s*(?P<v>[\w.]+)\s*,\s*(?P<max>[\w.]+)\s*\)"),
    # schema and validation maxima on a value
    re.compile(r"^\s*(?P<v>maximum|maxItems|maxLength|max_items|max_length)\s*:\s*(?P<max>\d+)"),
    re.compile(r"\b(?P<v>limit|size|page_?size|per_?page|count|rows)\w*\s*:[^=\n]*\bField\([^)]*"
               r"\ble\s*=\s*(?P<max>\d+)", re.I),
    re.compile(r"@Max\(\s*(?:value\s*=\s*)?(?P<max>\d+)\s*\)(?P<v>)"),
    re.compile(r"\.max\(\s*(?P<max>\d+)\s*\)(?P<v>)"),
    re.compile(r"\bLIMIT\s+(?P<max>\d+)\b(?P<v>)"),
)  # fmt: skip
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|<!--|;)")
_BOUND_NAME = re.compile(r"max|limit|cap|bound|ceil|most|upper", re.I)


def detect(change: ChangeFacts) -> list[Finding]:
    added = [a for a in change.added if _counts(a)]
    if any(_clamp(a.text) for a in added):
        return []  # a bound moved or rewritten, not dropped
    out: list[Finding] = []
    removed = [r for r in change.removed if _counts(r)]
    for i, line in enumerate(removed):
        found = _clamp(line.text)
        if found is None:
            continue
        if found.re is _CLAMP[0] and not _assigns(removed[i + 1 : i + 2], found):
            continue  # a guard (`if attempts > maxRetries {`), not a clamp
        what = f"`{line.text.strip()[:60]}`"
        out.append(Finding(NAME, f"a bound removed: {what} no longer caps what one request "
                           "may ask for", line.file, line.line, SYMPTOMS, 0.5))  # fmt: skip
        break
    return out


def _assigns(following: list[Line], clamp: re.Match[str]) -> bool:
    """The next removed line sets the value to its bound (`limit = maxPageSize`)."""
    v, bound = re.escape(clamp.group("v")), re.escape(clamp.group("max"))
    return any(re.match(rf"^\s*{v}\s*:?=\s*{bound}\b", n.text) for n in following)


def _counts(line: Line) -> bool:
    return not _COMMENT.match(line.text) and kinds.file_kind(line.file) != "docs_tests"


def _clamp(text: str) -> re.Match[str] | None:
    for pattern in _CLAMP:
        hit = pattern.search(text)
        if hit is None:
            continue
        bound = hit.group("max")
        if bound.isdigit() or _BOUND_NAME.search(bound) or bound.isupper():
            return hit
    return None
