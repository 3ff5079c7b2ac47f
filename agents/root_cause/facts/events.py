"""What happened when, in words: the text cells of time-table rows (an events list, a notes
column beside the numbers) and time-stamped lines that carry no log level.

These are read for what the platform or a provider did (a failover, an eviction, a node that
went away) near the onset; levelled log records are `logs`' business.
"""

from __future__ import annotations

import re

from agents.root_cause.facts.logs import record_level, record_time
from agents.root_cause.facts.tables import TimeTable
from agents.root_cause.facts.text import records, shorten
from agents.root_cause.facts.times import Clock
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
    return out[:MAX_EVENTS]
