"""A scheduled job's schedule changed: a cron expression or an interval moved, so the job now
runs at another time or more often (and may land on peak traffic or on another job).

Catches a removed and an added schedule in the same hunk of one file: crontab lines (and
`@daily`-style macros), quoted cron expressions (Kubernetes CronJob `schedule:`, Sidekiq
cron, Spring `@Scheduled(cron=...)`, node-cron, robfig/cron, Quartz with seconds), Celery
beat `crontab(minute=..., hour=...)`, AWS `cron(...)`/`rate(...)`, systemd `OnCalendar=`,
and intervals (`@every 5m`, `every: 1h`, a beat entry's `schedule: 300`). It reports the old
and new times, the runs per day, and whether the new schedule runs in common business hours
(09:00-18:00, Monday to Friday, in the scheduler's time zone).

Ignores CI schedules (GitHub Actions, GitLab, CircleCI workflows), docs and tests, comments,
schedules that are only added (a new job) or only removed, and an expression rewritten to an
equivalent one (`0 3 * * *` → `00 03 * * *`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause.facts import diff
from agents.root_cause.facts.settings import number
from agents.root_cause.facts.types import ChangeFacts, Finding
from agents.root_cause.kinds import file_kind

NAME = "schedule_moved"
SYMPTOMS = ("latency", "cpu", "connections", "locks", "queue", "disk")

_FIELD = r"(?:[\d*?/,LW#-]+|[A-Za-z]{3}(?:[-,][A-Za-z]{3})*)"
_NUMERIC = re.compile(r"^[\d*?/,-]+$")
_CRON_TEXT = re.compile(rf"^{_FIELD}(?:\s+{_FIELD}){{4,6}}$")
_CRONTAB_LINE = re.compile(r"^\s*(?:(?:CRON_)?TZ=\S+\s+)?((?:[\d*/,-]+\s+){4}[\w*/,-]+)\s+\S")
_MACRO = re.compile(r"@(yearly|annually|monthly|weekly|daily|midnight|hourly)\b", re.I)
_MACROS = {"yearly": "0 0 1 1 *", "annually": "0 0 1 1 *", "monthly": "0 0 1 * *",
           "weekly": "0 0 * * 0", "daily": "0 0 * * *", "midnight": "0 0 * * *",
           "hourly": "0 * * * *"}  # fmt: skip
_QUOTED = re.compile(r"\"([^\"\n]+)\"|'([^'\n]+)'")
_KEYED = re.compile(
    r"\b(?:schedule|cron|cron_?expression|crontab)\"?\s*[:=]\s*([^\"'#\n]+?)\s*$", re.I
)
_CELERY = re.compile(r"\bcrontab\(([^)]*)\)")
_AWS_CRON = re.compile(r"\bcron\(([^)]+)\)")
_RATE = re.compile(r"\brate\((\d+)\s*(minutes?|hours?|days?)\)", re.I)
_EVERY = re.compile(
    r"@every\s+([\dhms.]+)|\bevery\"?\s*:\s*[\"']?(\d+(?:\.\d+)?\s*[a-z]*)[\"']?", re.I
)
_BEAT_SECONDS = re.compile(r"[\"']?schedule[\"']?\s*[:=]\s*(\d+(?:\.\d+)?)\s*,?\s*$")
_TIMEDELTA = re.compile(r"\bschedule\b.*timedelta\(([^)]*)\)")
_ON_CALENDAR = re.compile(r"^\s*OnCalendar\s*=\s*(.+?)\s*$")
_CONTEXT = re.compile(r"schedul|cron|every|beat|job|task|timer|@Scheduled", re.I)
_SCHEDULISH = re.compile(  # a line that can hold a schedule has one of these: a cheap first pass
    r"[*?]|cron|every|rate\(|OnCalendar|@\w+ly\b|@midnight|schedule|^\s*(?:\S+=\S+\s+)?\d+\s+\d+\s",
    re.I,
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--\s|;)")
_CI = re.compile(r"(^|/)(\.github|\.circleci|\.gitlab|\.buildkite)/|(^|/)(\.gitlab-ci\.yml|"
                 r"Jenkinsfile|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml)$",
                 re.I)  # fmt: skip
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
)}  # fmt: skip
_DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
BUSINESS_HOURS = range(9, 18)  # 09:00-17:59
BUSINESS_DAYS = {1, 2, 3, 4, 5}


@dataclass(frozen=True)
class Schedule:
    text: str  # as written
    minutes: frozenset[int] | None = None  # cron: the minutes, hours and weekdays it fires
    hours: frozenset[int] | None = None
    days: frozenset[int] | None = None
    every: float | None = None  # an interval, in seconds

    def key(self) -> tuple[object, ...]:
        return (self.minutes, self.hours, self.days, self.every)

    def runs_per_day(self) -> float:
        if self.every:
            return 86400 / self.every
        return len(self.minutes or ()) * len(self.hours or ()) * len(self.days or ()) / 7

    def in_business_hours(self) -> bool:
        if self.every:
            return self.every < 9 * 3600  # an interval this short always hits the working day
        return bool(set(self.hours or ()) & set(BUSINESS_HOURS)) and bool(
            set(self.days or ()) & BUSINESS_DAYS
        )

    def describe(self) -> str:
        if self.every:
            return f"every {_duration(self.every)}"
        minutes, hours = sorted(self.minutes or ()), sorted(self.hours or ())
        if len(minutes) * len(hours) <= 4:
            when = ", ".join(f"{h:02d}:{m:02d}" for h in hours for m in minutes)
        elif len(hours) == 24 and len(minutes) == 1:
            when = f"hourly at :{minutes[0]:02d}"
        elif len(hours) == 24 and _step(minutes):
            when = f"every {_step(minutes)} min"
        elif len(hours) == 24:
            when = f"{len(minutes)} times an hour"
        else:
            when = f"{len(minutes) * len(hours)} times a day, hours {_span(hours)}"
        days = sorted(self.days or ())
        if len(days) == 7:
            return f"{when} daily"
        return f"{when} {_days(days)}"


def detect(change: ChangeFacts) -> list[Finding]:
    found = []
    for file, patch in change.patches.items():
        if _CI.search(file) or file_kind(file, patch) == "docs_tests":
            continue
        zone = _zone(patch)
        hunks: dict[int, tuple[list[Schedule], list[tuple[diff.DiffLine, Schedule]]]] = {}
        for d in diff.parse(patch):
            if d.sign == " " or not _SCHEDULISH.search(d.text):
                continue
            old, new = hunks.setdefault(d.hunk, ([], []))
            for schedule in _read(d.text):
                if d.sign == "-":
                    old.append(schedule)
                else:
                    new.append((d, schedule))
        for old, new in hunks.values():
            for before, (line, after) in zip(old, new, strict=False):
                if before.key() != after.key():
                    found.append(_finding(file, line.new, before, after, zone))
    return found


def _finding(file: str, line: int | None, before: Schedule, after: Schedule, zone: str) -> Finding:
    old_runs, new_runs = before.runs_per_day(), after.runs_per_day()
    old_busy, new_busy = before.in_business_hours(), after.in_business_hours()
    hours = "runs in" if new_busy else "is outside"
    message = (
        f"schedule changed: `{before.text}` ({before.describe()}) → `{after.text}` "
        f"({after.describe()}); the new schedule {hours} business hours (09:00-18:00 Mon-Fri, "
        f"{zone})"
    )
    if new_runs >= 2 * old_runs > 0:
        message += f"; runs per day {_count(old_runs)} → {_count(new_runs)}"
    strength = 0.3
    if new_busy and not old_busy:
        strength = 0.75
    elif new_busy:
        strength = 0.45
    if old_runs and new_runs >= 4 * old_runs:
        strength = max(strength, 0.6) + 0.05
    return Finding(NAME, message, file, line, SYMPTOMS, round(min(strength, 0.85), 2))


def _read(text: str) -> list[Schedule]:
    """The schedules a line sets (at most one per expression)."""
    if _COMMENT.match(text) and not _CRONTAB_LINE.match(text):  # `*/5 * * * * cmd` is no comment
        return []
    out: list[Schedule] = []
    celery = _CELERY.search(text)
    if celery:
        cron = _celery(celery.group(1))
        return [cron] if cron else []
    aws = _AWS_CRON.search(text)
    if aws:
        fields = aws.group(1).split()
        cron = _cron(" ".join(fields[:5]), aws.group(0)) if len(fields) == 6 else None
        return [cron] if cron else []
    rate = _RATE.search(text)
    if rate:
        seconds = number(f"{rate.group(1)} {rate.group(2)}")
        return [Schedule(rate.group(0), every=seconds)] if seconds else []
    every = _EVERY.search(text)
    if every:
        raw = every.group(1) or every.group(2)
        seconds = _seconds(raw)
        return [Schedule(every.group(0).strip(), every=seconds)] if seconds else []
    calendar = _ON_CALENDAR.match(text)
    if calendar:
        cron = _calendar(calendar.group(1))
        return [cron] if cron else []
    beat = _BEAT_SECONDS.search(text) or _TIMEDELTA.search(text)
    if beat:
        raw = beat.group(1)
        seconds = _timedelta(raw) if "=" in raw else float(raw)
        return [Schedule(beat.group(0).strip().rstrip(","), every=seconds)] if seconds else []
    macro = _MACRO.search(text)
    if macro:
        cron = _cron(_MACROS[macro.group(1).lower()], macro.group(0))
        return [cron] if cron else []
    for quoted in _QUOTED.finditer(text):
        value = (quoted.group(1) or quoted.group(2)).strip()
        if _CRON_TEXT.match(value) and (_CONTEXT.search(text) or re.search(r"[*/?]", value)):
            cron = _cron(value, value)
            if cron:
                out.append(cron)
    if out:
        return out
    keyed = _KEYED.search(text)
    if keyed and _CRON_TEXT.match(keyed.group(1)):
        cron = _cron(keyed.group(1), keyed.group(1))
        return [cron] if cron else []
    tab = _CRONTAB_LINE.match(text)
    if tab:
        cron = _cron(tab.group(1), tab.group(1))
        return [cron] if cron else []
    return []


def _cron(expression: str, text: str) -> Schedule | None:
    fields = expression.split()
    if len(fields) in (6, 7):  # seconds first (Quartz, Spring, node-cron with seconds)
        fields = fields[1:6]
    if len(fields) != 5 or not (_NUMERIC.match(fields[0]) and _NUMERIC.match(fields[1])):
        return None
    minutes = _expand(fields[0], 0, 59, {})
    hours = _expand(fields[1], 0, 23, {})
    dom = _expand(fields[2], 1, 31, {})
    months = _expand(fields[3], 1, 12, _MONTHS)
    days = _expand(fields[4], 0, 7, _DAYS)
    if not (minutes and hours and days and dom and months):
        return None
    weekdays = frozenset(d % 7 for d in days)
    return Schedule(text.strip(), frozenset(minutes), frozenset(hours), weekdays)


def _expand(field: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    out: set[int] = set()
    for part in field.lower().split(","):
        step = 1
        if "/" in part:
            part, raw_step = part.split("/", 1)
            if not raw_step.isdigit() or int(raw_step) == 0:
                return None
            step = int(raw_step)
        if part in ("*", "?", ""):
            start, end = low, high
        elif "-" in part:
            first, last = (_value(p, names) for p in part.split("-", 1))
            if first is None or last is None:
                return None
            start, end = first, last
        else:
            single = _value(part, names)
            if single is None:
                return None
            start, end = single, single if step == 1 else high
        if not (low <= start <= high and low <= end <= high):
            return None
        out.update(range(start, end + 1, step))
    return out


def _value(text: str, names: dict[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text[:3])


def _celery(arguments: str) -> Schedule | None:
    if "=" in arguments:
        pairs = re.findall(r"(\w+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^,)]+)", arguments)
    else:  # positional: minute, hour, day_of_week, day_of_month, month_of_year
        names = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        pairs = list(zip(names, [p for p in arguments.split(",") if p.strip()], strict=False))
    given = {key: value.strip().strip("\"'") for key, value in pairs}
    fields = [given.get(k, "*") or "*" for k in
              ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")]  # fmt: skip
    return _cron(" ".join(fields), f"crontab({arguments.strip()})")


def _calendar(value: str) -> Schedule | None:
    found = re.match(
        r"^(?:(?P<days>[A-Za-z]{3}(?:\.\.[A-Za-z]{3})?(?:,[A-Za-z]{3})*)\s+)?(?:\S+\s+)?"
        r"(?P<hour>\d{1,2}|\*):(?P<minute>\d{2}|\*)(?::\d{2})?$",
        value,
    )
    if not found:
        macro = _MACROS.get(value.strip().lower())
        return _cron(macro, value) if macro else None
    days = (found.group("days") or "*").replace("..", "-")
    return _cron(f"{found.group('minute')} {found.group('hour')} * * {days}", value)


def _seconds(raw: str) -> float | None:
    raw = raw.strip()
    go = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?", raw)
    if go and any(go.groups()):
        h, m, s = (float(g) if g else 0.0 for g in go.groups())
        return h * 3600 + m * 60 + s
    return number(raw)


def _timedelta(arguments: str) -> float | None:
    scale = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
    total = 0.0
    for unit, amount in re.findall(r"(\w+)\s*=\s*(\d+(?:\.\d+)?)", arguments):
        total += scale.get(unit, 0) * float(amount)
    return total or None


def _zone(patch: str) -> str:
    found = re.search(
        r"(?:timeZone|time_zone|timezone|CRON_TZ|\bTZ|zone)\"?\s*[:=]\s*[\"']?([\w/+-]+)", patch
    )
    return f"time zone {found.group(1)}" if found else "in the scheduler's time zone"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _count(runs: float) -> str:
    return f"{runs:.0f}" if runs >= 1 else f"{runs:.2f}"


def _step(minutes: list[int]) -> int | None:
    steps = {b - a for a, b in zip(minutes, minutes[1:], strict=False)} | {
        60 - minutes[-1] + minutes[0]
    }
    return steps.pop() if len(steps) == 1 else None


def _span(values: list[int]) -> str:
    return f"{values[0]:02d}-{values[-1]:02d}" if values else "-"


def _days(days: list[int]) -> str:
    if days == [1, 2, 3, 4, 5]:
        return "Mon-Fri"
    if days == [0, 6]:
        return "weekends"
    return ",".join(_DAY_NAMES[d] for d in days)
