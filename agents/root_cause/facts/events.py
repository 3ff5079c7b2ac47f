"""What happened when, in words: the text cells of time-table rows (an events list, a notes
column beside the numbers), time-stamped lines that carry no log level, and the expiry times
of what a table lists (certificates, secrets, keys).

These are read for what the platform or a provider did (a failover, an eviction, a node that
went away) near the onset; levelled log records are `logs`' business.
"""

from __future__ import annotations

import re
from datetime import datetime

from agents.root_cause.facts.logs import record_level, record_time
from agents.root_cause.facts.tables import TimeTable
from agents.root_cause.facts.text import records, shorten
from agents.root_cause.facts.times import Clock, first_time
from agents.root_cause.facts.tree import Page
from agents.root_cause.facts.types import LogLine

MAX_EVENTS = 200
_WORDS = re.compile(r"[A-Za-z]{3,}(?:\W+[A-Za-z]{2,}){1,}")  # at least two words


def events(page: Page, tables: list[TimeTable], clock: Clock, source: str) -> list[LogLine]:
    out: list[LogLine] = []
    for table in tables:
        for at, row in table.rows:
            words = [cell for cell in row[1:] if _WORDS.search(cell)]
            if words:
                out.append(LogLine("EVENT", shorten(" · ".join(words), 300), at, None, source))
    for line in page.texts:
        for record in records(line):
            if record_level(record) is not None:
                continue
            stamp = record_time(record, clock)
            if stamp is not None and _WORDS.search(record):
                out.append(LogLine("EVENT", shorten(record, 300), stamp, None, source))
    out += _blocks(page.texts, clock, source)
    out += _expiries(page, clock, source)
    return out[:MAX_EVENTS]


_EXPIRY = re.compile(r"expir|not[ _-]?after|valid[ _-]?(?:until|to|through)", re.I)


def _expiries(page: Page, clock: Clock, source: str) -> list[LogLine]:
    """Rows of a table with an expiry column (certificates, client secrets, API keys, tokens:
    `expires_at`, `Not After`, `Valid until`): each is an event at its expiry time, in the
    table's own words (`Signing keys partner-a: expires 2025-03-01T08:00:00Z`), so that
    what expired near the onset is read like any other event."""
    out = []
    for table in page.tables:
        column = next((i for i, h in enumerate(table.header) if _EXPIRY.search(h)), None)
        if column is None:
            continue
        for row in table.rows:
            found = first_time(row[column], clock) if column < len(row) else None
            if found is None or not found.has_date:
                continue
            name = row[0] if column else ""
            caption = re.split(r"\s[·|]\s|\.\s|:\s", table.caption)[0][:40]  # its title
            what = " ".join(f"{caption} {name}".split())
            out.append(LogLine("EVENT", shorten(f"{what}: expires {row[column]}", 300),
                               found.at, None, source))  # fmt: skip
    return out


BLOCK_LINES = 14  # a record written as a definition list: its label and value lines, at most


def _blocks(texts: list[str], clock: Clock, source: str) -> list[LogLine]:
    """Records written as definition lists, one label or value per line (an audit log's
    `Event id · 48213 · Changed at · 2026-04-14 14:02:37 · Changed by · …`): a line that is
    only a time starts a record with the two lines above it (its label and the record's
    first field) and runs to the next such record."""
    bare = [(n, at) for n, line in enumerate(texts) if (at := _bare_time(line, clock))]
    out = []
    for i, (n, at) in enumerate(bare):
        end = min(bare[i + 1][0] - 2 if i + 1 < len(bare) else len(texts), n + BLOCK_LINES)
        block = texts[max(0, n - 2) : max(end, n + 1)]
        text = " ".join(" ".join(block).split())
        if _WORDS.search(text):
            out.append(LogLine("EVENT", shorten(text, 300), at, None, source))
    return out


def _bare_time(line: str, clock: Clock) -> datetime | None:
    """The time of a line that is a date and time and nothing else; None for other lines."""
    found = first_time(line, clock)
    bare = (found is not None and found.has_date and found.start == 0
            and not _WORDS.search(line[found.end :]))  # fmt: skip
    return found.at if bare and found is not None else None
