"""Static checks on a patch's added lines for change patterns that commonly cause incidents.

Each finding names the file and the line (in the new file) so a fix can go straight there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_LOOP = re.compile(r"^\s*(for\b.*\bin\b.*:|for\s*\(|while\b)|\.(forEach|map)\(\s*(async\s*)?\(?")
_QUERY = re.compile(
    r"\.query\b|\bselect\(|\.execute\(|\.filter_by\(|\.filter\(|\.scalars\(|\.find(One)?\(|"
    r"\bSELECT\b|\.fetch(one|all)\(|objects\.(get|filter)\(",
)
_CLIENT = re.compile(
    r"createClient\(|new Redis\(|redis\.Redis\(|Redis\.from_url\(|\.connect\(|new Client\(|"
    r"new Pool\(|create_engine\(|\bopen\(",
)
_CLOSE = re.compile(r"\.(quit|close|disconnect|release|end|dispose)\(")
_LEAVE = re.compile(r"^\s*(throw\b|return\b|raise\b|continue\b)")


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    file: str
    line: int


def added_lines(patch: str) -> list[tuple[int, str]]:
    """(new-file line number, text) for every added line of a unified diff."""
    out: list[tuple[int, str]] = []
    line = 0
    for raw in patch.splitlines():
        hunk = _HUNK.match(raw)
        if hunk:
            line = int(hunk.group(1))
        elif raw.startswith("+") and not raw.startswith("+++"):
            out.append((line, raw[1:]))
            line += 1
        elif not raw.startswith("-"):
            line += 1
    return out


def findings(file: str, patch: str) -> list[Finding]:
    added = added_lines(patch)
    return [f for f in (_query_in_loop(file, added), _unclosed_client(file, added)) if f]


def _query_in_loop(file: str, added: list[tuple[int, str]]) -> Finding | None:
    for i, (_, text) in enumerate(added):
        if not _LOOP.search(text):
            continue
        for line, body in added[i + 1 : i + 6]:
            if _QUERY.search(body):
                return Finding(
                    "n_plus_one",
                    "N+1 query: a database query runs once per item inside a loop, so one "
                    "request makes many round trips and holds its connection throughout",
                    file,
                    line,
                )
    return None


def _unclosed_client(file: str, added: list[tuple[int, str]]) -> Finding | None:
    opened = next(((n, t) for n, t in added if _CLIENT.search(t)), None)
    if opened is None:
        return None
    after = [t for n, t in added if n > opened[0]]
    closes = [t for t in after if _CLOSE.search(t)]
    in_finally = any(re.search(r"\bfinally\b", t) for t in after)
    exits = any(_LEAVE.search(t) for t in after)
    if closes and (in_finally or not exits):
        return None
    call = _CLOSE.search(closes[0]).group(1) if closes else "quit"  # type: ignore[union-attr]
    return Finding(
        "unclosed_client",
        f"client/connection opened here is not closed on every path: {call}() runs only on "
        f"the success path, so each error or early exit leaks one (no finally)",
        file,
        opened[0],
    )
