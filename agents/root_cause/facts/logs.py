"""Log lines a page shows: records with a level, their time, and a count where one is shown.

A record is a piece of a text line that starts where a log record starts (`text.records`). Its
level is read from how loggers write it: a level word after the timestamp (`ERROR`, `WARN`,
`info`), `level=error`, JSON (`"level":"error"`, pino's `"level":50`), `[info]`, klog's
`E0601 11:20:05`, Ruby's `E, [...]`, PostgreSQL's `FATAL:`. Prose that merely contains the
word "error" is not a log line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from agents.root_cause.facts.text import records, shorten
from agents.root_cause.facts.times import Clock, all_times
from agents.root_cause.facts.tree import Page
from agents.root_cause.facts.types import LogLine

_LEVELS = {
    "error": "ERROR", "err": "ERROR", "e": "ERROR", "warn": "WARN", "warning": "WARN", "w": "WARN",
    "info": "INFO", "notice": "INFO", "log": "INFO", "i": "INFO", "debug": "DEBUG", "d": "DEBUG",
    "trace": "DEBUG", "fatal": "FATAL", "f": "FATAL", "critical": "FATAL", "crit": "FATAL",
    "panic": "FATAL", "emerg": "FATAL", "alert": "FATAL", "severe": "FATAL",
}  # fmt: skip
_PINO = {10: "DEBUG", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}
_WORDS = r"error|err|warn|warning|info|notice|debug|trace|fatal|critical|crit|panic|severe"
_JSON_LEVEL = re.compile(r'"(?:level|severity|lvl)"\s*:\s*(?:"(?P<word>\w+)"|(?P<num>\d{2}))', re.I)
_KV_LEVEL = re.compile(r"\b(?:level|severity|lvl)=\"?(?P<word>" + _WORDS + r")\b", re.I)
_BRACKET_LEVEL = re.compile(r"\[(?P<word>" + _WORDS + r")\]", re.I)
_KLOG = re.compile(  # a collector's own timestamp may come first (Loki, kubectl --timestamps)
    r"^(?:\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?\s+)?(?P<letter>[IWEF])(?P<mo>\d{2})"
    r"(?P<d>\d{2}) \d{2}:\d{2}:\d{2}"
)
_RUBY = re.compile(r"^(?:\S+\s+)?(?P<letter>[DIWEF]), \[")
_UPPER_LEVEL = re.compile(
    r"(?<![\w\"'=])(?P<word>ERROR|ERR|WARN|WARNING|INFO|FATAL|CRITICAL|CRIT|PANIC|DEBUG|TRACE"
    r"|SEVERE|NOTICE|LOG)(?![\w\"'=])"
)
_LOWER_AFTER_STAMP = re.compile(r"^\S*\d{2}:\d{2}\S*\s+(?P<word>" + _WORDS + r")\b")
_JSON_TIME = re.compile(r'"(?:ts|time|timestamp|@timestamp)"\s*:\s*"([^"]{8,40})"')
_STAMP_START = re.compile(
    r"^[\W]{0,2}(?:\d{4}-\d{2}-\d{2}[T ]\d|[IWEF]\d{4} \d|[DIWEF], \[|\d{1,2}:\d{2}:\d{2}"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2},? (?:\d{4} )?\d{2}:)"
)
_EPOCH = re.compile(r'"(?:ts|time|timestamp)"\s*:\s*(?P<n>\d{13}|\d{10}(?:\.\d+)?)\b')
_COUNT = re.compile(
    r"(?:×|(?<=[\s(])x)\s?(?P<a>\d[\d,]*)\b|\brepeated (?P<b>\d[\d,]*) times\b"
    r"|\((?P<c>\d[\d,]*) (?:times|occurrences|events|in \d+\s?\w+)\)"
)
_LEADING_COUNT = re.compile(r"^\s*(?:" + _WORDS + r")\s+(?P<n>\d{1,3}(?:,\d{3})+|\d+)\s", re.I)
_HEAD = 48  # a level word counts only this close to the record's start
MAX_LINES = 200


def log_lines(page: Page, clock: Clock, source: str) -> list[LogLine]:
    out: list[LogLine] = []
    for line in page.texts:
        for record in records(line):
            level = record_level(record)
            if level is None:
                continue
            count = record_count(record)
            at = record_time(record, clock)
            out.append(LogLine(level, shorten(record, 300), at, count, source))
            if len(out) >= MAX_LINES:
                return out
    return out


def record_level(record: str) -> str | None:
    """The level a log record was written at, if it reads as a log record."""
    head = record[:_HEAD]
    for pattern in (_KLOG, _RUBY):
        match = pattern.match(record)
        if match:
            return _LEVELS[match["letter"].lower()]
    match = _JSON_LEVEL.search(record)
    if match and record.lstrip().startswith("{"):
        return _PINO.get(int(match["num"])) if match["num"] else _LEVELS.get(match["word"].lower())
    for pattern in (_KV_LEVEL, _BRACKET_LEVEL, _UPPER_LEVEL, _LOWER_AFTER_STAMP):
        match = pattern.search(head)
        if match and (_stamped(record) or match.start() == 0 or pattern is _KV_LEVEL):
            return _LEVELS.get(match["word"].lower())
    return None


def _stamped(record: str) -> bool:
    return bool(_STAMP_START.match(record)) or bool(_EPOCH.search(record[:80]))


def record_time(record: str, clock: Clock) -> datetime | None:
    """When a log record was written: its leading timestamp, its JSON `ts`/`time` field,
    klog's `E0601 11:20`, epoch seconds or milliseconds; None for text that is no record."""
    epoch = _EPOCH.search(record[:120])
    if epoch:
        seconds = float(epoch["n"]) / (1000 if len(epoch["n"]) == 13 else 1)
        at = datetime.fromtimestamp(seconds, tz=UTC)
        return at if clock.alert.tzinfo else at.replace(tzinfo=None)
    field = _JSON_TIME.search(record) if record.lstrip().startswith("{") else None
    text = field.group(1) if field else record[:120]
    if field is None and not _STAMP_START.match(record):
        return None
    found = [f for f in all_times(text, clock) if f.start <= _HEAD]
    if not found:
        return None
    at = found[0].at
    klog = _KLOG.match(record)
    if klog and not found[0].has_date:
        month, day = int(klog["mo"]), int(klog["d"])
        try:
            at = at.replace(year=clock.year_for(month, day), month=month, day=day)
        except ValueError:
            return None
    return at if abs(at - clock.alert) <= timedelta(days=400) else None


def record_count(record: str) -> int | None:
    match = _COUNT.search(record) or _LEADING_COUNT.match(record)
    if not match:
        return None
    digits = next(g for g in match.groups() if g)
    return int(digits.replace(",", ""))
