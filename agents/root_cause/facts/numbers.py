"""Numbers with units as dashboards print them: `95%`, `1,250 ms`, `3.5 s`, `120/s`, `1.5M`,
`900 MiB`, `4m 10s`, `12 / 40`, `5,000 ms (timeout)`.

A unit of time or size is kept as written and converted when a column mixes them (`850 ms` and
`1.25 s`); `k`/`M`/`bn` multiply the number (`12.5k` is 12500, unit ""); every per-second rate
(`/s`, `rps`, `req/s`, `ops/s`) is written `/s`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_NUMBER = r"[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+\-−]?\.\d+"
_CELL = re.compile(
    r"^(?P<num>" + _NUMBER + r")\s?(?P<unit>[A-Za-zµ%/][A-Za-z/%µ]*(?:/[a-z]+)?)?"
    r"(?:\s?/\s?(?:" + _NUMBER + r")\s?(?P<unit2>[A-Za-z%µ/]+)?)?"  # 12 / 40, 512 / 768 MiB
    r"\s*(?:\([^)]*\))?\s*$"  # a note in brackets: 5,000 ms (timeout)
)
_DURATION = re.compile(
    r"^(?:(?P<d>\d+)d\s?)?(?:(?P<h>\d+)h\s?)?(?:(?P<m>\d+)m(?:in)?\s?)?(?:(?P<s>\d+(?:\.\d+)?)s)?"
    r"\s*(?:\([^)]*\))?$"
)
_TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0,
               "min": 60.0, "mins": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0}  # fmt: skip
_SIZE_UNITS = {"b": 1.0, "bytes": 1.0, "kb": 1e3, "kib": 1024.0, "mb": 1e6, "mib": 1024.0**2,
               "gb": 1e9, "gib": 1024.0**3, "tb": 1e12, "tib": 1024.0**4}  # fmt: skip
_MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "bn": 1e9}
_PER_SECOND = frozenset({"/s", "rps", "qps", "req/s", "reqs/s", "ops/s", "msgs/s", "msg/s",
                         "events/s", "requests/s", "calls/s", "tps", "/sec"})  # fmt: skip
_PER_MINUTE = frozenset({"/min", "/m", "rpm", "req/min", "/minute"})
_MISSING = frozenset({"", "-", "–", "—", "n/a", "na", "none", "null", "?", "…"})


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str  # normalized: "%", "ms", "s", "MiB", "/s", "" ...


def is_missing(cell: str) -> bool:
    return cell.strip().lower().strip("!") in _MISSING


def quantity(cell: str) -> Quantity | None:
    """The number a cell shows (the first of `a / b`), with its unit; None if not a number."""
    text = cell.strip().lstrip("!~≈<>").strip()
    duration = _duration(text)
    if duration is not None:
        return duration
    match = _CELL.match(text)
    if not match:
        return None
    value = float(match["num"].replace(",", "").replace("−", "-"))
    unit = match["unit"] or match["unit2"] or ""
    if unit != unit.lower() and unit not in _MULTIPLIERS and unit.lower() not in _SIZE_UNITS:
        return None  # `0 / 3 Waiting`: a word, not a unit
    if unit in _MULTIPLIERS:
        return Quantity(value * _MULTIPLIERS[unit], "")
    return Quantity(value, normalize_unit(unit))


def normalize_unit(unit: str) -> str:
    if unit in _PER_SECOND or unit.lower() in _PER_SECOND:
        return "/s"
    if unit.lower() in _PER_MINUTE:
        return "/min"
    if unit.lower() == "m":
        return "min"
    return unit


def _duration(text: str) -> Quantity | None:
    """A compound duration (`13m 50s`, `1h 5m`, `2d 3h`) in seconds."""
    if not re.search(r"\d[dhm]\b.*\d|\d(?:d|h|m|min)\s?\d", text):
        return None
    match = _DURATION.match(text)
    if not match or not any(match.group(k) for k in ("d", "h", "m", "s")):
        return None
    seconds = sum(
        float(match.group(k) or 0) * f for k, f in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    )
    return Quantity(seconds, "s")


def family(unit: str) -> tuple[str, float] | None:
    """('time' or 'size', factor to the base unit) for a unit of time or size."""
    if unit in _TIME_UNITS:
        return "time", _TIME_UNITS[unit]
    if unit.lower() in _SIZE_UNITS and unit not in ("m", "M"):
        return "size", _SIZE_UNITS[unit.lower()]
    return None


def convert(q: Quantity, unit: str) -> float | None:
    """q in `unit` (a unitless number is taken to be in it already); None if it can't be."""
    if q.unit == unit or not q.unit:
        return q.value
    have, want = family(q.unit), family(unit)
    if have is None or want is None or have[0] != want[0]:
        return None
    return q.value * have[1] / want[1]


def column_unit(quantities: list[Quantity]) -> str:
    """The unit most cells of a column show."""
    units = Counter(q.unit for q in quantities if q.unit)
    return units.most_common(1)[0][0] if units else ""


def header_unit(header: str) -> str:
    """A unit written in a column's header: `Lag (ms)`, `Throughput, MB/s`."""
    match = re.search(r"[(,]\s*([A-Za-z%µ/]{1,6}(?:/[a-z]+)?)\s*\)?\s*$", header)
    if not match:
        return ""
    unit = normalize_unit(match.group(1))
    known = unit in ("%", "/s", "/min") or family(unit) is not None or "/" in unit
    return unit if known else ""
