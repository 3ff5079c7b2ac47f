"""A database query added inside a loop over items (the N+1 pattern): one request makes a
round trip per item and holds its connection throughout.

Catches a `for`/`while`/`forEach`/`map`/`each` line followed within a few lines by a query
call (ORM filters and gets, `execute`, `fetch*`, `find`, raw `SELECT`). Ignores queries
before the loop, loops in tests and docs, loops over a constant handful of items written
out in the line (`for x in (a, b)`), and lookups in a mapping the change builds itself
(`totals = {}` … `totals.get(item.id)`: a dict, not a database).
"""

from __future__ import annotations

import re

from agents.root_cause.detectors._lines import code_lines
from agents.root_cause.facts.types import ChangeFacts, Finding

NAME = "query_in_loop"
SYMPTOMS = ("connections", "latency", "timeouts", "cpu", "queue")
_LOOP = re.compile(
    r"^\s*(for\b.*\bin\b.*:|for\s*\(|while\b|foreach\b)|\.(forEach|map|each|each_with_index|"
    r"flatMap|stream\(\)\.map)\b\s*[({]|\bfor\s+\w+\s*:?=\s*range\b|\bfor\s+\w+\s*,\s*\w+\s*:?=\s*range"
)
_LITERAL_LOOP = re.compile(r"\bin\s*[(\[][^)\]]*,[^)\]]*[)\]]\s*:")
_QUERY = re.compile(
    r"\.query\b|\bselect\(|\.execute\(|\.filter_by\(|\.filter\(|\.scalars?\(|\.find(One|_by|By\w*)?\(|"
    r"\bSELECT\b|\.fetch(one|all|row|val)?\(|objects\.(get|filter)\(|\.where\(|\.first\(|"
    r"\.get\(\s*\w+\.id\s*\)|QueryRow(Context)?\(|\.Query(Context)?\(|\bdb\.\w+\(|repository\.\w+\("
)
WINDOW = 6
# a name the change binds to a mapping of its own: its `.get(…)` is no query
_MAPPING = re.compile(
    r"(?P<name>\w+)\s*(?::[^=]*)?(?::?=)\s*(\{\s*\}|dict\(|defaultdict\(|Counter\(|new (Hash|Tree|"
    r"Linked)?Map\b|make\(map\[|map\[[^\]]*\][\w.*]*\{)"
)


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, lines in code_lines(change).items():
        owner = _owner({m.group("name") for line in lines if (m := _MAPPING.search(line.text))})
        for i, loop in enumerate(lines):
            if not _LOOP.search(loop.text) or _LITERAL_LOOP.search(loop.text):
                continue
            body = [b for b in lines[i + 1 : i + 1 + WINDOW] if b.line - loop.line <= WINDOW]
            query = next((b for b in body if _QUERY.search(b.text)
                          and not _lookup(b.text, owner)), None)  # fmt: skip
            if query is not None:
                found.append(
                    Finding(
                        NAME,
                        "a query runs once per item of a loop (one round trip per "
                        "item, the connection held throughout)",
                        file,
                        query.line,
                        SYMPTOMS,
                        0.7,
                    )  # fmt: skip
                )
                break
    return found


def _owner(mappings: set[str]) -> re.Pattern[str] | None:
    """The names of the change's own mappings, as the receiver of a call ends them."""
    if not mappings:
        return None
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(mappings)))})\s*$")


def _lookup(text: str, owner: re.Pattern[str] | None) -> bool:
    """The line's only query-like call is `.get` on a mapping the change builds."""
    if owner is None:
        return False
    calls = list(_QUERY.finditer(text))
    return bool(calls) and all(
        m.group().startswith(".get(") and owner.search(text[: m.start()]) for m in calls
    )
