"""Severity once the evidence is in: what the dashboards show (error ratios, saturation, a
signal already back to its baseline) and what the investigation concluded (a false alarm)
can change triage's severity, which came from the alert alone. The rules are the same
(`agents.shared.impact`); the reasons say what changed it."""

from __future__ import annotations

import re
from datetime import datetime

from agents.root_cause import correlate
from agents.root_cause.facts.types import PageFacts, Series
from agents.shared.alerts import alert_text
from agents.shared.impact import Impact, from_text, label_severity, severity
from core.state import Alert, RootCause, Triage

_ERRORS = re.compile(r"err|\b5xx\b|\b5\d\d\b|fail|timeout|reject|refus|unavailable", re.I)
_SUCCESS = re.compile(r"success|availab|uptime", re.I)
_SATURATION = re.compile(r"cpu|memory|heap|utili[sz]|usage|saturat|disk|volume|connections|"
                         r"pool|in use|quota|used", re.I)  # fmt: skip


def page_impact(pages: list[PageFacts]) -> Impact:
    """The measures the pages' percentage series show at their worst since the onset."""
    found = Impact()
    for page in pages:
        since = page.onset.at if page.onset else None
        for s in page.series:
            worst = _worst(s, since)
            if worst is None or s.unit != "%":
                continue
            low, high = worst
            if _SUCCESS.search(s.name):
                found = found.merged(Impact(error_ratio=round(100 - low, 3)))
            elif _ERRORS.search(s.name):
                found = found.merged(Impact(error_ratio=high))
            elif _SATURATION.search(s.name):
                found = found.merged(Impact(saturation=high))
        for ratio in _counted_ratios(page.series, since):
            found = found.merged(Impact(error_ratio=ratio))
    onsets = [p.onset for p in pages if p.onset]
    problems = [o for o in onsets if o.problem]  # a dip back while errors go on is no recovery
    back = (all(correlate.came_back(o, pages) for o in problems) if problems
            else any(correlate.came_back(o, pages) for o in onsets))  # fmt: skip
    if back and not correlate.ongoing(pages):  # nor while failures another table counts go on
        found = found.merged(Impact(recovered=True))
    return found


def reassess(tri: Triage, alert: Alert, pages: list[PageFacts], cause: RootCause) -> Triage:
    """Triage with its severity from the whole evidence, the reasons saying what changed."""
    if cause.category == "false_alarm":
        level, why = "low", ["the investigation found no user impact (a false alarm) → low"]
    else:
        stated = from_text(f"{alert.name} {alert_text(alert)}")
        measured = _fill(stated, page_impact(pages))
        production = None if tri.environment is None else tri.environment == "production"
        level, why = severity(measured, tri.tier, production, label_severity(alert.labels))
    if level == tri.severity:
        return tri
    reasons = (*tri.reasons, *(f"after the investigation: {r}" for r in why))
    return tri.model_copy(update={"severity": level, "reasons": reasons})


def _fill(stated: Impact, shown: Impact) -> Impact:
    """What the alert states stands (its own measurement of the incident); the pages fill in
    what it does not state, and say whether the signal recovered."""
    return Impact(
        error_ratio=stated.error_ratio if stated.error_ratio is not None else shown.error_ratio,
        saturation=stated.saturation if stated.saturation is not None else shown.saturation,
        latency_over_slo=stated.latency_over_slo,
        unavailable=stated.unavailable,
        hours_left=stated.hours_left,
        restarts=stated.restarts,
        recovered=shown.recovered,
    )


_TOTAL = re.compile(r"\b(count|requests|total|calls|invocations)\b", re.I)
_WORD_END = re.compile(r"\W+")


def _counted_ratios(series: tuple[Series, ...], since: datetime | None) -> list[float]:
    """Error ratios a table shows as two counts of the same thing (`POST /orders Count`
    and `POST /orders 5XX`): the failures over the total, in %, at its worst since the
    onset (a minute with too few calls to say is skipped)."""
    out = []
    for failed in series:
        if failed.unit == "%" or not _ERRORS.search(failed.name) or _TOTAL.search(failed.name):
            continue
        for total in series:
            if total is failed or total.caption != failed.caption or not _TOTAL.search(total.name):
                continue
            if _subject(total.name, _TOTAL) != _subject(failed.name, _ERRORS):
                continue
            counts = {p.at: p.value for p in total.points if since is None or p.at >= since}
            shares = [100 * min(p.value, counts[p.at]) / counts[p.at] for p in failed.points
                      if p.at in counts and counts[p.at] >= MIN_CALLS]  # fmt: skip
            if shares:
                out.append(round(max(shares), 2))
    return out


MIN_CALLS = 20  # calls in a point, at least, for its share of failures to say anything


def _subject(name: str, kind: re.Pattern[str]) -> str:
    """What a count is of: its name without the word that says which count it is."""
    match = kind.search(name)
    if match is None:
        return ""
    rest = name[: match.start()] + " " + name[match.end() :]
    return " ".join(_WORD_END.sub(" ", rest).lower().split())


def _worst(s: Series, since: datetime | None) -> tuple[float, float] | None:
    values = [p.value for p in s.points if since is None or p.at >= since]
    return (min(values), max(values)) if values else None
