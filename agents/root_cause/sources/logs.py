"""Logs from a Loki-compatible API: the workload's error and warning lines around the onset,
read by the same extractors as a dashboard's log panel (levels, times, counts, error types,
stack frames). Log text is written by the application and whoever it logged: untrusted."""

from __future__ import annotations

import re
from datetime import timedelta

from agents.root_cause.evidence import Bundle, ToolFailed, iso, read
from agents.root_cause.facts.errors import errors
from agents.root_cause.facts.logs import log_lines
from agents.root_cause.facts.text import shorten
from agents.root_cause.facts.times import Clock
from agents.root_cause.facts.tree import Page
from agents.root_cause.facts.types import PageFacts
from agents.root_cause.sources.target import Target
from core.ports import Tools
from core.state import Alert, Evidence
from core.tools import LogResult

SOURCE = "logs"
BEFORE = timedelta(minutes=45)
LIMIT = 300
EXCERPT_LINES = 25
FILTER = '|~ "(?i)(error|fatal|panic|exception|warn|fail|timeout|refused|killed|denied)"'
_STAMP = re.compile(r"^\W{0,2}\d{4}-\d{2}-\d{2}[T ]\d")


def selectors(where: Target) -> list[str]:
    """Stream selectors to try, most specific first (label names differ between shippers)."""
    name, ns = where.workload, where.namespace
    if not name:
        return [f'{{namespace="{ns}"}}'] if ns else []
    labels = (f'app="{name}"', f'pod=~"{name}-.*"', f'container="{name}"')
    scoped = [f'{{namespace="{ns}",{label}}}' for label in labels] if ns else []
    return [*scoped, f'{{app="{name}"}}', f'{{service="{name}"}}', f'{{job=~".*{name}"}}']


async def read_logs(tools: Tools, alert: Alert, where: Target, bundle: Bundle) -> None:
    start, end = alert.starts_at - BEFORE, where.end
    reply: LogResult | None = None
    for selector in selectors(where):
        args = {"query": f"{selector} {FILTER}", "start": iso(start), "end": iso(end),
                "limit": LIMIT, "direction": "backward"}  # fmt: skip
        try:
            reply = await read(tools, "logs.query_range", args, LogResult)
        except ToolFailed as exc:
            bundle.problems.append(f"logs: {exc}")
            return
        if any(s.entries for s in reply.streams):
            break
    if reply is None or not any(s.entries for s in reply.streams):
        return
    lines = [_stamped(at, line) for at, line in
             sorted(e for s in reply.streams for e in s.entries)]  # fmt: skip
    page = Page(title="logs", lines=lines, tables=[], texts=lines)
    clock = Clock(alert.starts_at)
    bundle.pages.insert(0, PageFacts(
        source=SOURCE, url=f"loki: {reply.query}", title="logs",
        errors=tuple(errors(page, clock, SOURCE)), logs=tuple(log_lines(page, clock, SOURCE)),
    ))  # fmt: skip
    distinct = list(dict.fromkeys(shorten(line, 240) for line in reversed(lines)))
    bundle.evidence.append(Evidence(
        id=SOURCE, kind="logs", source=f"loki: {reply.query}",
        title=f"logs: {len(lines)} error and warning lines", excerpt="\n".join(
            distinct[:EXCERPT_LINES]),
    ))  # fmt: skip


def _stamped(at: str, line: str) -> str:
    """The line with the entry's time in front when it does not start with its own."""
    return line if _STAMP.match(line) else f"{at} {line}"
