"""Times as pages write them, resolved to datetimes.

A time may come with a date (`2025-06-01 11:20`, ISO 8601, `06-01 11:20`, `Jun 1, 11:20`,
`Sun 1 Jun 11:20`), with a weekday and the day of the month (`Thu 07 06:00`: the latest
such date), with a weekday only (`Sun 11:20`), or alone (`11:20`). A lone time takes
the date that puts it inside the page's range ("2025-06-01 10:00:00 to 2025-06-01 11:30:00
UTC") when the page states one, else the date of the alert, or the day before when that would
put it more than a few hours after the alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_WD = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?"
_DATE = (
    r"(?:(?P<wd>" + _WD + r")\s+)?"
    r"(?:(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"  # 2025-06-01
    r"|(?P<mo2>\d{2})-(?P<d2>\d{2})"  # 06-01
    r"|(?P<mon>" + _MON + r")\s+(?P<d3>\d{1,2})(?:,?\s+(?P<y3>\d{4}))?"  # Jun 1, 2025
    r"|(?P<d4>\d{1,2})\s+(?P<mon4>" + _MON + r")(?:\s+(?P<y4>\d{4}))?)"  # 1 Jun 2025
)
_TIME = (
    r"(?<![\d:.])(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)"
    r"(?::(?P<S>[0-5]\d)(?:[.,](?P<f>\d{1,9}))?(?P<off>[+-]\d{2}:?\d{2}(?![\d:]))?)?"
    r"(?![\d]|:\d)(?P<tz>Z|\s?UTC\b)?"
)
_DATED_TIME = re.compile(r"(?<![\w-])" + _DATE + r"(?:,?\s+-?\s*|T)" + _TIME)
_WEEKDAY_TIME = re.compile(r"(?<![\w-])(?P<wd>" + _WD + r")\s+" + _TIME)
# a weekday and the day of the month, as dashboards write them (`Thu 07 06:00`, `Sat 9th`)
_DAY_OF_MONTH = r"(?P<wd>" + _WD + r")\s+(?P<dd>[0-3]?\d)(?:st|nd|rd|th)?"
_WEEKDAY_DAY_TIME = re.compile(r"(?<![\w-])" + _DAY_OF_MONTH + r"\s+" + _TIME)
_WEEKDAY_DAY_ONLY = re.compile(r"^\s*" + _DAY_OF_MONTH + r"(?![\d:.,/-])")
_LONE_TIME = re.compile(_TIME)
_DATE_ONLY = re.compile(r"^\s*" + _DATE + r"(?![\d:-])")
_RANGE = re.compile(
    r"(?P<a>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s*(?:UTC\s*)?(?:to|–|—|-)\s*"
    r"(?P<b>(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?)"
)
_LATE = timedelta(hours=6)  # a lone time this far after the alert belongs to the day before


@dataclass(frozen=True)
class Found:
    at: datetime
    start: int  # where in the text
    end: int
    has_date: bool


@dataclass(frozen=True)
class Clock:
    """Resolves the times one page writes: the alert's start and the page's range, if any."""

    alert: datetime
    start: datetime | None = None
    end: datetime | None = None

    def day_for(self, t: time) -> date:
        """The date a lone time of day belongs to."""
        if self.start is not None and self.end is not None:
            for day in (self.end.date(), self.start.date()):
                at = self._combine(day, t)
                if self.start - timedelta(hours=1) <= at <= self.end + timedelta(hours=1):
                    return day
        at = self._combine(self.alert.date(), t)
        return (at - timedelta(days=1)).date() if at > self.alert + _LATE else at.date()

    def combine(self, day: date | None, t: time) -> datetime:
        return self._combine(day if day is not None else self.day_for(t), t)

    def _combine(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t).replace(tzinfo=self.alert.tzinfo)

    def year_for(self, month: int, day: int) -> int:
        """A month and day without a year: the latest such date not well after the alert."""
        year = self.alert.year
        try:
            if date(year, month, day) > self.alert.date() + timedelta(days=2):
                return year - 1
        except ValueError:
            return year
        return year

    def weekday_date(self, weekday: int) -> date:
        """The latest date with this weekday, on or before the page's end (or the alert)."""
        ref = (self.end or self.alert).date()
        return ref - timedelta(days=(ref.weekday() - weekday) % 7)


def clock_for(lines: list[str], alert: datetime) -> Clock:
    """A clock that knows the page's range when one of its first lines states it."""
    base = Clock(alert)
    for line in lines[:12]:
        match = _RANGE.search(line)
        if not match:
            continue
        start = first_time(match["a"], base)
        end = first_time(match["b"], base, anchor=start.at.date() if start else None)
        if start and end and end.at >= start.at:
            return Clock(alert, start.at, end.at)
    return base


def first_time(text: str, clock: Clock, anchor: date | None = None) -> Found | None:
    """The first time written in text; a lone time takes `anchor`'s date when given."""
    found = all_times(text, clock, anchor)
    return found[0] if found else None


def all_times(text: str, clock: Clock, anchor: date | None = None) -> list[Found]:
    """Every time written in text, in order (a dated time wins over the time inside it)."""
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_DATED_TIME, _WEEKDAY_DAY_TIME, _WEEKDAY_TIME, _LONE_TIME):
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            found = _resolve(match, clock, anchor)
            if found is not None:
                out.append(found)
                taken.append((match.start(), match.end()))
    return _range_ends(sorted(out, key=lambda f: f.start), text)


_RANGE_SEP = re.compile(r"\s*(?:-|–|—|to|until)\s*$")


def _range_ends(found: list[Found], text: str) -> list[Found]:
    """A lone time that ends a range begun by a dated time (`Tue 06-03 09:40-09:52`) is on
    that date (the next day when it reads earlier: `23:50-00:10`)."""
    out = list(found)
    for i in range(1, len(out)):
        first, end = out[i - 1], out[i]
        if end.has_date or not first.has_date:
            continue
        if not _RANGE_SEP.fullmatch(text[first.end : end.start]):
            continue
        at = datetime.combine(first.at.date(), end.at.timetz())
        at += timedelta(days=1) if at < first.at else timedelta()
        out[i] = Found(at, end.start, end.end, True)
    return out


def date_only(text: str, clock: Clock) -> datetime | None:
    """A cell that is a date without a time of day (a daily table's row): its midnight."""
    match = _DATE_ONLY.match(text)
    if not match:
        both = _WEEKDAY_DAY_ONLY.match(text)
        day = _day_of_month(both, clock) if both else None
        return clock.combine(day, time()) if day is not None else None
    day = _date(match, clock)
    return clock.combine(day, time()) if day is not None else None


def _resolve(match: re.Match[str], clock: Clock, anchor: date | None) -> Found | None:
    groups = match.groupdict()
    try:
        t = time(int(match["H"]), int(match["M"]), int(match["S"] or 0), _micros(match["f"]))
    except ValueError:
        return None
    day = _date(match, clock) if "mo2" in groups else None
    if "dd" in groups:
        day = _day_of_month(match, clock)
        if day is None:
            return None
    if day is None and groups.get("wd") and not _has_date(groups):
        day = clock.weekday_date(WEEKDAYS.index(match["wd"][:3].lower()))
    has_date = day is not None
    at = clock.combine(day if day is not None else anchor, t)
    at = _shift(at, match["off"])
    return Found(at, match.start(), match.end(), has_date)


def _has_date(groups: dict[str, str | None]) -> bool:
    return any(groups.get(k) for k in ("y", "mo2", "mon", "mon4"))


def _date(match: re.Match[str], clock: Clock) -> date | None:
    g = match.groupdict()
    try:
        if g.get("y"):
            return date(int(g["y"] or 0), int(g["mo"] or 0), int(g["d"] or 0))
        if g.get("mo2"):
            month, day = int(g["mo2"] or 0), int(g["d2"] or 0)
        elif g.get("mon"):
            month, day = _month(g["mon"]), int(g["d3"] or 0)
            if g.get("y3"):
                return date(int(g["y3"] or 0), month, day)
        elif g.get("mon4"):
            month, day = _month(g["mon4"]), int(g["d4"] or 0)
            if g.get("y4"):
                return date(int(g["y4"] or 0), month, day)
        else:
            return None
        return date(clock.year_for(month, day), month, day)
    except ValueError:
        return None


_MONTHS_BACK = 3  # months looked at for a weekday and day of the month (this one, two before)


def _day_of_month(match: re.Match[str], clock: Clock) -> date | None:
    """The latest date, not after the page's end (or the alert), with this day of the month
    and this weekday (`Thu 07`); None when no recent month has both."""
    weekday, dom = WEEKDAYS.index(match["wd"][:3].lower()), int(match["dd"])
    ref = (clock.end or clock.alert).date() + timedelta(days=1)
    year, month = ref.year, ref.month
    for _ in range(_MONTHS_BACK):
        try:
            day = date(year, month, dom)
        except ValueError:
            day = None
        if day is not None and day <= ref and day.weekday() == weekday:
            return day
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def _month(name: str | None) -> int:
    return MONTHS.index((name or "")[:3].lower()) + 1


def _micros(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def _shift(at: datetime, tz: str | None) -> datetime:
    """A time written with a UTC offset, moved to UTC."""
    if not tz:
        return at
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    return at - sign * offset
