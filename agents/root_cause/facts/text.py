"""Cut a page's text into pieces: log records (a `<pre>` block arrives as one line) and clauses."""

from __future__ import annotations

import re

_RECORD_START = re.compile(
    r"(?<![\w\[\"'(=:.+-])(?=\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})"  # 2025-06-01T11:20:05Z, not quoted
    r"|(?<=\s)(?<!,\s)(?=\[\d{4}-\d{2}-\d{2}T\d{2}:)"  # [2025-06-01T11:20:05.123+0000][info]
    r"|(?<=\s)(?=[DIWEF], \[\d{4}-)"  # E, [2025-06-01T11:20:05.123456 #1] ERROR -- :
    r"|(?<![\w-])(?=[IWEF]\d{4} \d{2}:\d{2}:\d{2})"  # klog: E0601 11:20:05.123456
    r"|(?<=\s)(?=(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2} \d{2}:\d{2}:\d{2})"
    r"|(?<=[\s}])(?=\{\")"  # a JSON log object
    r"|(?<=\s)(?=\$ )"  # a shell prompt
)
_BARE_STAMP = re.compile(r"^[\d\-T:.,Z+ ]{10,32}$")
_CLAUSE = re.compile(r"\s+·\s+|;\s+|\s+\|\s+|\s+&middot;\s+")


def records(line: str) -> list[str]:
    """A line cut where log records, JSON log objects or shell commands start."""
    pieces = [p.strip() for p in _RECORD_START.split(line)]
    out: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece:
            continue
        if _BARE_STAMP.match(piece):  # a collector's timestamp before the record it read
            carry = f"{carry} {piece}".strip()
            continue
        out.append(f"{carry} {piece}".strip() if carry else piece)
        carry = ""
    if carry:
        out.append(carry)
    return out


def clauses(text: str) -> list[str]:
    """Text cut at ' · ', '; ' and ' | ' (how dashboards list annotations and notes)."""
    return [c.strip() for c in _CLAUSE.split(text) if c.strip()]


def shorten(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
