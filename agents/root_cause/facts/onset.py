"""When the page's data left its baseline: the `Onset` among the series that describe a problem.

A series describes a problem when its name says errors, failures, timeouts, latency, saturation,
restarts, queues or lag (worse when it rises), or success, availability, hit ratio or readiness
(worse when it falls); a column that compares with yesterday, a forecast or a threshold does
not. The baseline is the median of the early part of the series, its spread the median absolute
deviation; a series leaves it when it goes past the tolerance in the bad direction for at least
two points in a row (so a single spike is not an onset), and it has recovered when it is back
within tolerance from some point to the end of the table. An onset is abrupt (a step, or a
rollout's ramp) when the series is half the way to its peak within 10 minutes of it; a leak or
a slow growth is not. The
onset is the earliest departure among the problem series, those of answers the clients caused
(4xx: bad logins, declined cards) only when no other departs; when none departs, the most
anomalous of the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import median

from agents.root_cause.facts.types import Onset, Series

_IGNORE = re.compile(
    r"yesterday|last (?:week|mon|tue|wed|thu|fri|sat|sun|month|year)|same (?:minute|time|hour|day)"
    r"|forecast|\bexpected\b|baseline|threshold|\btarget\b|\blimit\b|\bvs\.?\b|\bslo\b|\bbudget\b"
)
_ERRORS = re.compile(
    r"err|\b[45]xx\b|\b[45]\d\d\b|fail|timeout|timed out|exception|throttl|reject|refus|denied"
    r"|drop|\boom|crash|restart|kill|evict|\bshed\b|conflict|cancel|abort|invalid|servfail"
    r"|nxdomain|panic|unavailable|retr(?:y|ies)|expired|\bstale|dead.?letter|\blost\b"
)
_LATENCY = re.compile(
    r"latency|\bp\d{2,3}\b|percentile|duration|response time|\bwait|acquire|\bslow|\blag\b"
    r"|staleness|\bage\b|delay|runtime|gc time|pause|freshness"
)
_SATURATION = re.compile(
    r"cpu|memory|\bmem\b|heap|utili[sz]|usage|saturat|working set|disk|volume|inode|queue"
    r"|backlog|pending|connections|conns\b|clients|threads|in use|\bload\b|iops|busy|old gen"
    r"|full gcs?\b|open files|swap|sessions|\bused\b"
    r"|\bfields\b|field count"  # a mapping's or schema's fields, which fill a fixed limit
)
_FALLING = re.compile(
    r"success|availab|uptime|\bhit\b|hit ratio|hit rate|\bready\b|healthy|apdex|probe|\bup\b"
)
_WINDOW_MAX = 12  # points in the baseline window at most
_RUN = 2  # points in a row past the tolerance
_MIN_BEFORE = 4  # baseline points (when there are) whose noise a departure must exceed
_K_SPREAD = 4.0  # tolerance: this many robust standard deviations...
_RELATIVE = 0.25  # ...or this share of the baseline, whichever is wider
_RECOVERY_SHARE = 0.1  # back within a tenth of the excursion counts as back
_BLIP_SHARE = 0.1  # an early run back at baseline before a tenth of what came later is noise
_SCORE_FLOOR = 0.05  # a departure from zero scores as if from a twentieth of its peak
_COARSER = 2.5  # a table this much coarser than the finest one with a departure is a summary
_STEP = 0.5  # half the way to the peak within _SUDDEN of the onset makes it a step
_SUDDEN = timedelta(minutes=10)


@dataclass(frozen=True)
class Departure:
    index: int
    base: float
    peak: float
    recovered: int | None
    score: float  # excursion over tolerance and baseline level
    half: int = 0  # the first point at least half the way to the peak


def classify(name: str) -> tuple[int, int]:
    """(tier, direction): tier 1 errors, 2 latency, 3 saturation, 4 falls when bad, 0 other;
    direction +1 when higher is worse, -1 when lower is worse, 0 when either may be."""
    text = name.lower()
    if _IGNORE.search(text):
        return 0, 0
    for tier, pattern in ((1, _ERRORS), (2, _LATENCY), (3, _SATURATION)):
        if pattern.search(text):
            return tier, 1
    if _FALLING.search(text):
        return 4, -1
    return 0, 0


_CLIENT_SIDE = re.compile(
    r"\b4(?!08|29)\d\d\b|\b4xx\b|declin|bad request|unauthori[sz]ed|not found|invalid (?:input|"
    r"request|credentials|password)|wrong password|validation"
)


def client_side(name: str) -> bool:
    """A series of answers the clients caused (4xx other than 408 and 429: bad logins,
    declined cards, unknown ids): they move with what clients send, a release that turns
    400s into 401s, a fraud wave; not a failure of the service itself."""
    return bool(_CLIENT_SIDE.search(name.lower())) and not re.search(r"\b5\d\d\b|5xx", name.lower())


def about_clients(name: str, summary: str) -> bool:
    """An alert whose own name or summary is about answers clients caused (`400 ratio`):
    those answers are then its failures, not noise beside them."""
    return client_side(f"{' '.join(re.findall(r'[A-Z]?[a-z]+|[0-9]+|[A-Z]+(?![a-z])', name))} "
                       f"{summary}")  # fmt: skip


def page_onset(series: list[Series], clients: bool = False) -> Onset | None:
    """The page's onset: the earliest departure of a problem series (errors first, then
    latency, saturation...), of answers clients caused (4xx) only where no other departs,
    unless the alert itself is about such answers (`clients`)."""
    problems: list[tuple[Series, Departure, int]] = []
    others: list[tuple[Series, Departure]] = []
    for s in series:
        tier, direction = classify(s.name)
        if tier == 0 and _IGNORE.search(s.name.lower()):
            continue
        found = departure([p.value for p in s.points], direction)
        if found is None:
            continue
        if tier:
            problems.append((s, found, tier))
        else:
            others.append((s, found))
    if problems:
        finest = min(_spacing(s) for s, _, _ in problems)
        close = [c for c in problems if _spacing(c[0]) <= _COARSER * finest]
        served = [c for c in close if clients or not client_side(c[0].name)]
        s, found, tier = min(
            served or close, key=lambda c: (c[0].points[c[1].index].at, c[2], -c[1].score)
        )
        chosen = _earlier_summary(problems, s, found, tier) if tier > 1 else (s, found)
        onset = _onset(*_before_its_window(problems, *chosen))
        back = onset.recovered_at
        if back is not None and tier == 1 and _nothing_succeeds(s, back, series):
            return replace(onset, recovered_at=None)
        return onset
    if others:
        s, found = max(others, key=lambda c: c[1].score)
        return replace(_onset(s, found), problem=False)
    return None


_SUCCEEDED = re.compile(r"success|succeeded|\bok\b|accept|\b2xx\b|\b2\d\d\b|complete|"
                        r"deliver|processed")  # fmt: skip


def _nothing_succeeds(failures: Series, since: datetime, series: list[Series]) -> bool:
    """Failures fewer again, but still every attempt failing: where they go on, a count of
    successes timed alike (the same table's column) stays at zero. Fewer failures then is
    fewer attempts (a batch's run over, clients giving up), not a recovery."""
    after = {p.at: p.value for p in failures.points if p.at >= since}
    if not any(v > 0 for v in after.values()):
        return False
    for other in series:
        if other is failures or classify(other.name)[0] == 1:
            continue
        if not _SUCCEEDED.search(other.name.lower()):
            continue
        same = [p.value for p in other.points if p.at in after]
        if len(same) == len(after) and all(v == 0 for v in same):
            return True
    return False


def _before_its_window(
    problems: list[tuple[Series, Departure, int]], s: Series, found: Departure
) -> tuple[Series, Departure]:
    """A finer table that begins after the problem began cannot show when it began: where
    its series was already above zero at every point before its own departure, and a
    coarser table of the same page shows a problem series as direct (or more) departing from
    zero before the finer table's first row and never recovering, that departure is the
    onset (a minute table of the last half hour, already holding the errors a five-minute
    table shows starting two hours before)."""
    first = s.points[0].at
    before = [p.value for p in s.points[: found.index]]
    if not before or min(before) <= 0:
        return s, found
    tier = classify(s.name)[0]
    earlier = [
        (c, d) for c, d, t in problems
        if c is not s and d.recovered is None and d.base == 0 and t <= tier
        and not client_side(c.name) and c.points[d.index].at < first
    ]  # fmt: skip
    return min(earlier, key=lambda c: c[0].points[c[1].index].at, default=(s, found))


def _earlier_summary(
    problems: list[tuple[Series, Departure, int]], s: Series, found: Departure, fine: int
) -> tuple[Series, Departure]:
    """A coarser table (15-minute, hourly or daily rows beside a finer table) is a summary
    whose buckets start before what they summarize, so it does not set the onset, except
    where the fine table's onset is of a less direct kind (`fine`: latency or saturation
    moved, no errors; saturation moved, no latency) and the summary's errors or latency of a
    more direct kind departed a whole bucket or more before the fine table's onset and have
    not recovered since: the problem was already there, and the fine table shows only its
    latest stretch (bursts every quarter hour since the day before; a latency creeping up
    day by day, the fine table showing this evening's peak)."""
    at = s.points[found.index].at
    earlier = [
        (c, d) for c, d, tier in problems
        if d.recovered is None and tier < fine and not client_side(c.name)
        and c.points[d.index].at + timedelta(seconds=_spacing(c)) <= at
    ]  # fmt: skip
    return min(earlier, key=lambda c: c[0].points[c[1].index].at, default=(s, found))


def departure(values: list[float], direction: int) -> Departure | None:
    """The first lasting departure from the baseline in the bad direction (either, if 0)."""
    if len(values) < 3 + _RUN:
        return None
    window = values[: min(max(3, len(values) // 3), _WINDOW_MAX)]
    base = median(window)
    spread = 1.4826 * median(abs(v - base) for v in window)
    floor = max(_K_SPREAD * spread, _RELATIVE * abs(base), 1e-9)
    for i in range(1, len(values) - _RUN + 1):
        before = window[: max(i, _MIN_BEFORE)]  # what the baseline did: its noise, resolution
        tol = max(floor, max(abs(v - base) for v in before), _step(before))
        sign = direction or (1 if values[i] > base else -1)
        if all((v - base) * sign > tol for v in values[i : i + _RUN]):
            if _blip(values, i, base, tol, sign):
                continue
            return _measure(values, i, base, tol, sign)
        if _flapped(values, i, base, tol, sign):
            return _measure(values, i, base, tol, sign)
    return None


_FLAP = 2  # points back at baseline, at most, between a first burst and the lasting departure


def _flapped(values: list[float], i: int, base: float, tol: float, sign: int) -> bool:
    """One point past the tolerance, back for a point or two, then a lasting departure of
    the same size: it began with the first burst (pods a deploy restarted in between, a
    retry that briefly cleared it), not at the run after it."""
    if (values[i] - base) * sign <= tol:
        return False
    for j in range(i + 2, min(i + 2 + _FLAP, len(values) - _RUN + 1)):
        if all((v - base) * sign > tol for v in values[j : j + _RUN]):
            later = max((v - base) * sign for v in values[j:])
            return (values[i] - base) * sign >= _STEP * later
    return False


def _blip(values: list[float], i: int, base: float, tol: float, sign: int) -> bool:
    """A run past the tolerance that came back within it before reaching a tenth of what the
    series did later (0.01% twice, then 0% for half an hour, then 70%): noise ahead of the
    departure, not its start."""
    back = next((j for j in range(i + _RUN, len(values)) if (values[j] - base) * sign <= tol), None)
    if back is None:
        return False
    later = max(((v - base) * sign for v in values[back:]), default=0.0)
    reached = max((v - base) * sign for v in values[i:back])
    return reached < _BLIP_SHARE * later


def _spacing(s: Series) -> float:
    """The series' usual time between two points, in seconds."""
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(s.points, s.points[1:], strict=False)]
    return median(gaps) if gaps else 0.0


def _step(values: list[float]) -> float:
    """The smallest difference between two of the values (their printed resolution)."""
    distinct = sorted({round(v, 9) for v in values})
    gaps = [b - a for a, b in zip(distinct, distinct[1:], strict=False)]
    return min(gaps) if gaps else 0.0


def _measure(values: list[float], i: int, base: float, tol: float, sign: int) -> Departure:
    peak = max(values[i:], key=lambda v: (v - base) * sign)
    excursion = abs(peak - base)
    back = max(tol, _RECOVERY_SHARE * excursion)
    recovered = None
    for j in range(i + _RUN, len(values) - 1):
        if all((v - base) * sign <= back for v in values[j:]):
            recovered = j
            break
    scale = max(tol + abs(base), _SCORE_FLOOR * abs(peak))
    half = next(j for j in range(i, len(values)) if abs(values[j] - base) >= _STEP * excursion)
    return Departure(i, base, peak, recovered, excursion / scale, half)


def _onset(s: Series, found: Departure) -> Onset:
    recovered = s.points[found.recovered].at if found.recovered is not None else None
    return Onset(
        at=s.points[found.index].at,
        series=s.name,
        baseline=found.base,
        peak=found.peak,
        recovered_at=recovered,
        source=s.source,
        abrupt=s.points[found.half].at - s.points[found.index].at <= _SUDDEN,
        step=_spacing(s),
    )
