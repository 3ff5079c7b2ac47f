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


# identifiers that say nothing about what failed: a request id, a UUID, a long token
_NOISE = re.compile(
    r"\b(?:request ?id|x-amzn-requestid|trace ?id|span ?id|correlation ?id)\s*[:=]\s*[\w-]+,?\s*"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{24,}\b",
    re.I,
)


def without_noise(message: str) -> str:
    """An error message without request ids, UUIDs and long tokens, whitespace collapsed."""
    return " ".join(_NOISE.sub(" ", message).split()).rstrip(", ")


def gist(message: str, limit: int = 90) -> str:
    """What an error message says failed, in at most `limit` characters: without ids and
    tokens, and where it is still too long, without the outer wrappers of an error chain
    (`fetch items: rpc error: code = X desc = <cause>`, `op: op: <cause>`), whose cause comes
    last; a `: ` inside quotes or brackets is no wrapper. Then cut at the end."""
    text = without_noise(message)
    if len(text) > limit and (desc := text.rfind(" desc = ")) >= 0:
        text = text[desc + len(" desc = ") :]
    start = 0
    for cut in _chain_starts(text):  # a link's own links start where they did in the whole
        if len(text) - start <= limit or len(text) - cut < 30:
            break
        start = cut
    return shorten(text[start:], limit)


def _chain_starts(text: str) -> list[int]:
    """Where each link after a `: ` outside quotes and brackets begins."""
    out, depth, quote = [], 0, ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'" and (i == 0 or not text[i - 1].isalnum()):
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif char == ":" and depth == 0 and text[i + 1 : i + 2] == " ":
            out.append(i + 2)
    return out
