"""Turn a Playwright accessibility snapshot into plain lines, and pick the telling ones."""

from __future__ import annotations

import re

_NODE = re.compile(
    r"^(?P<indent>\s*)- (?P<role>[\w-]+)"  # - cell
    r'(?: "(?P<name>(?:[^"\\]|\\.)*)")?'  # "95%"
    r"(?P<attrs>(?: \[[^\]]*\])*)"  # [ref=e12] [level=1]
    r"(?::\s*(?P<value>.*))?$"  # : text
)
SIGNAL = re.compile(
    r"error|fail|missing|timeout|timed out|exceed|oom|nxdomain|refused|limit|leak|denied|"
    r"expire|invalid|not found|not permitted|5xx|deploy|rollout|image|firing|threshold|%|"
    r"pending|expected|unable|cannot|no such|absent|deleted|removed|mismatch",
)  # applied to lower-cased text: much faster than IGNORECASE over this alternation
# where a new record starts inside a log or terminal excerpt flattened into one line
_RECORD = re.compile(
    r"(?=\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})|(?=\b[IEWF]\d{4} \d{2}:\d{2})|(?=\$ )"
)
LINE_CHARS = 200


def page_lines(snapshot: str) -> list[str]:
    """Readable text lines; table rows become one line with cells joined by ' | '."""
    lines: list[str] = []
    row: list[str] | None = None
    row_indent = -1
    for raw in _yaml_block(snapshot).splitlines():
        match = _NODE.match(_unquoted(raw))
        if not match:
            continue
        indent, role = len(match["indent"]), match["role"]
        if row is not None and indent <= row_indent:
            lines.append(" | ".join(row))
            row = None
        if role == "row":
            row, row_indent = [], indent
            continue
        text = _text(match["name"], match["value"])
        if not text:
            continue
        if row is not None and role in ("cell", "columnheader", "rowheader", "gridcell"):
            row.append(text)
        elif row is None:
            lines.append(text)
    if row:
        lines.append(" | ".join(row))
    return _dedupe([seg for line in lines for seg in _segments(line)])


def signal_lines(lines: list[str], limit_chars: int = 900) -> list[str]:
    """Lines that carry numbers against thresholds, failures, or deploys; in page order."""
    weights = [_weight(line) for line in lines]
    ranked = sorted((i for i, w in enumerate(weights) if w), key=lambda i: -weights[i])
    chosen: set[int] = set()
    used = 0
    for i in ranked:
        if used + len(lines[i]) > limit_chars:
            continue
        chosen.add(i)
        used += len(lines[i])
    return [lines[i] for i in sorted(chosen)]


def _segments(line: str) -> list[str]:
    """Long lines split at log records, each cut to a window around its strongest signal."""
    if len(line) <= LINE_CHARS:
        return [line]
    parts = [p.strip() for p in _RECORD.split(line) if p.strip()]
    return [_window(p) for p in parts]


def _window(text: str) -> str:
    if len(text) <= LINE_CHARS:
        return text
    hits = [m.start() for m in SIGNAL.finditer(text.lower())]
    if not hits:
        return text[: LINE_CHARS - 1] + "…"
    best = max(hits, key=lambda h: sum(abs(h - o) < LINE_CHARS // 2 for o in hits))
    start = max(0, min(best - LINE_CHARS // 2, len(text) - LINE_CHARS))
    return ("…" if start else "") + text[start : start + LINE_CHARS] + "…"


def _weight(line: str) -> int:
    return len(SIGNAL.findall(line.lower()))


def _text(name: str | None, value: str | None) -> str:
    parts = [p.strip().strip('"') for p in (name, value) if p and p.strip()]
    text = ": ".join(dict.fromkeys(parts))
    return text.replace('\\"', '"')


_SINGLE_QUOTED = re.compile(r"^(?P<indent>\s*)- '(?P<node>(?:[^']|'')*)'(?P<rest>:.*)?$")


def _unquoted(raw: str) -> str:
    """A node YAML wrote in single quotes (its text holds ': ' or quotes), as a plain one."""
    found = _SINGLE_QUOTED.match(raw)
    if not found:
        return raw
    return f"{found['indent']}- {found['node'].replace(chr(39) * 2, chr(39))}{found['rest'] or ''}"


def _yaml_block(snapshot: str) -> str:
    match = re.search(r"```yaml\n(.*?)```", snapshot, re.DOTALL)
    return match.group(1) if match else snapshot


def _dedupe(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
