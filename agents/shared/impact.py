"""Severity from impact (docs/triage.md): how much users are hurt now, not what the alert's
label says. The measures come from the alert's text and values at triage, and from the
dashboards' series after the investigation (which may change the severity: a signal already
back to its baseline, an error ratio the alert did not state).

Rules, first the measures, then the level:
- error ratio ≥ 5 %: critical on a tier-1 service, high otherwise; 1–5 %: high on tier 1,
  medium otherwise;
- the service down or unavailable: critical on tier 1, high otherwise;
- saturation ≥ 90 % of a limit: high on tier 1 (or at 95 % and more), medium otherwise;
- latency at least twice its SLO: high on tier 1, medium otherwise;
- something expiring within 3 days: high; within 14 days: medium;
- a workload restarted 3 times or more: high;
- no measure: the label's severity, at most high on tier 2 and medium on tier 3;
- the signal back to its baseline before anyone looked, or a non-production environment:
  low (medium at most outside production when users are hurt).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from core.state import Severity

LEVELS: tuple[Severity, ...] = ("low", "medium", "high", "critical")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_ERROR_WORDS = re.compile(
    r"5xx|error|fail|exception|non-2xx|unsuccessful|rejected|declin|"
    r"\b[45](?:\d\d|xx)\s+(?:ratio|rate|share|responses)\b|\bstatus(?: code)?\s+[45]\d\d\b|"
    r"\b(?:answered|returned|responded|served)\s+(?:with\s+)?(?:(?:an?|http|status)\s+)?[45]\d\d\b",
    re.I,
)  # a status code's share of the answers (`401 ratio 26.7%`, `2% of requests answered 400`)
# is requests failing too
_SUCCESS_WORDS = re.compile(r"success|availability|uptime|ok rate|apdex", re.I)
_SATURATION_WORDS = re.compile(
    r"pool|util|usage|used|saturat|capacity|full|cpu|memory|heap|disk|connections|quota|"
    r"max_?connections|maxclients|of (its |the )?limit", re.I,
)  # fmt: skip
_DOWN = re.compile(
    r"\b(down|unavailable|unreachable|outage|no healthy|0 (of \d+ )?ready|zero ready|"
    r"not serving|all (pods|instances|replicas) (are )?(failing|down))\b", re.I,
)  # fmt: skip
_LATENCY = re.compile(r"\bp(?:9\d|50)\b[^.;]{0,40}?(\d+(?:\.\d+)?)\s*(ms|s)\b", re.I)
_SLO = re.compile(r"\b(?:slo|target|objective|threshold)\b[^.;]{0,20}?(\d+(?:\.\d+)?)\s*(ms|s)\b",
                  re.I)  # fmt: skip
_LEFT = re.compile(r"(\d+(?:\.\d+)?)\s*(h|hours?|d|days?)\b(?:\s*\d+\s*m)?\s*(left|remaining)?",
                   re.I)  # fmt: skip
_FREE_WORDS = re.compile(r"\s*(free|available|left|remaining)\b", re.I)
# a percentage the text sets as a goal or a limit, not one it measured (`SLO: 99.95% of
# requests succeed`, `(threshold 0.4%)`, `error budget 0.1%`)
_TARGET = re.compile(
    r"\b(slo|sla|target|objective|threshold|budget|goal)s?\b\W{0,3}(of\s+)?$", re.I
)
_RATIO = re.compile(  # a fraction (`error rate 0.54`), not a percentage (`5xx ratio 0.65%`)
    r"\b(?:error|failure|5xx|4\d\d|throttl\w*)\s+(?:ratio|rate)\b[^.\d]{0,40}?\b(0?\.\d+)\b(?!\s*%)",
    re.I,
)
_RESTARTS = re.compile(
    r"(?:restart\w*|oomkilled|killed|crash\w*|terminated)\D{0,30}?(\d+)\s*times|"
    r"(\d+)\s*restarts", re.I,
)  # fmt: skip
_EXPIRY_WORDS = re.compile(r"expir|renew|certificate|cert\b|license|token", re.I)


LABEL_SEVERITY: dict[str, Severity] = {
    "critical": "critical",
    "page": "critical",
    "error": "high",
    "major": "high",
    "high": "high",
    "warning": "medium",
    "medium": "medium",
    "minor": "low",
    "info": "low",
    "low": "low",
    "none": "low",
}

PRIORITY: dict[str, Severity] = {"p1": "critical", "p2": "high", "p3": "medium", "p4": "low",
                                 "p5": "low", "sev1": "critical", "sev2": "high", "sev3": "medium",
                                 "fatal": "critical", "urgent": "critical"}  # fmt: skip


def label_severity(labels: Mapping[str, str]) -> Severity:
    """The sender's own severity: a `severity` label, else a priority or level (P1..P5,
    SEV1..3, fatal/error/warning), else medium."""
    for key in ("severity", "priority", "level", "urgency"):
        value = labels.get(key, "").lower().strip()
        if value in LABEL_SEVERITY:
            return LABEL_SEVERITY[value]
        if value in PRIORITY:
            return PRIORITY[value]
    return "medium"


@dataclass(frozen=True)
class Impact:
    error_ratio: float | None = None  # percent of requests failing
    saturation: float | None = None  # percent of a limit in use
    latency_over_slo: float | None = None  # how many times its SLO
    unavailable: bool = False
    hours_left: float | None = None  # until something expires
    restarts: float | None = None  # of a workload, lately
    recovered: bool = False  # back to baseline before anyone looked
    evidence: tuple[str, ...] = ()

    def merged(self, other: Impact) -> Impact:
        return Impact(
            error_ratio=_max(self.error_ratio, other.error_ratio),
            saturation=_max(self.saturation, other.saturation),
            latency_over_slo=_max(self.latency_over_slo, other.latency_over_slo),
            unavailable=self.unavailable or other.unavailable,
            hours_left=_min(self.hours_left, other.hours_left),
            restarts=_max(self.restarts, other.restarts),
            recovered=self.recovered or other.recovered,
            evidence=(*self.evidence, *other.evidence),
        )


def from_text(text: str) -> Impact:
    """The measures a free text states (an alert's summary and description)."""
    found = Impact()
    for match in _PERCENT.finditer(text):
        value = float(match.group(1))
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 25]
        context = before + " " + after
        if _TARGET.search(before):
            continue
        if _FREE_WORDS.match(after):
            found = found.merged(Impact(saturation=round(100 - value, 3)))
        elif _SUCCESS_WORDS.search(before[-25:]):
            found = found.merged(Impact(error_ratio=round(100 - value, 3)))
        elif _ERROR_WORDS.search(context):
            found = found.merged(Impact(error_ratio=value))
        elif _SATURATION_WORDS.search(context):
            found = found.merged(Impact(saturation=value))
    for match in _RATIO.finditer(text):
        found = found.merged(Impact(error_ratio=round(float(match.group(1)) * 100, 3)))
    latency, slo = _LATENCY.search(text), _SLO.search(text)
    if latency and slo:
        ratio = _seconds(latency.group(1), latency.group(2)) / _seconds(slo.group(1), slo.group(2))
        found = replace(found, latency_over_slo=round(ratio, 2))
    if _DOWN.search(text):
        found = replace(found, unavailable=True)
    restarts = [float(m.group(1) or m.group(2)) for m in _RESTARTS.finditer(text)]
    if restarts:
        found = replace(found, restarts=max(restarts))
    if _EXPIRY_WORDS.search(text):
        left = [_hours(m.group(1), m.group(2)) for m in _LEFT.finditer(text)]
        if left:
            found = replace(found, hours_left=min(left))
    return found


def severity(
    impact: Impact, tier: int | None, production: bool | None, label: Severity
) -> tuple[Severity, list[str]]:
    """The level and the reasons, one per rule that decided it."""
    reasons: list[str] = []
    if impact.recovered:
        return "low", ["the signal was back to its baseline before anyone looked → low"]
    measured = _measured(impact, tier == 1, reasons)
    if measured is None:
        level = _cap(label, tier)
        reasons.append(f"no impact measure: the alert's label ({label}) for a tier-"
                       f"{tier or '?'} service → {level}")  # fmt: skip
    else:
        level = measured
    if production is False and level != "low":
        level = "medium" if measured in ("high", "critical") else "low"
        reasons.append(f"not production → {level}")
    return level, reasons


FEW = 0.1  # an error ratio under this is the noise every service has, no measure of harm


def _measured(impact: Impact, tier1: bool, reasons: list[str]) -> Severity | None:
    levels: list[Severity] = []

    def rule(level: Severity, why: str) -> None:
        levels.append(level)
        reasons.append(f"{why} → {level}")

    if impact.error_ratio is not None and impact.error_ratio >= 1:
        big = impact.error_ratio >= 5
        level: Severity = ("critical" if tier1 else "high") if big else (
            "high" if tier1 else "medium")  # fmt: skip
        rule(level, f"{impact.error_ratio:g}% of requests failing")
    elif impact.error_ratio is not None and impact.error_ratio >= FEW:
        some = impact.error_ratio >= 0.5  # one call in two hundred or more
        rule("high" if some and tier1 else "medium", f"{impact.error_ratio:g}% of requests "
             "failing, under 1%")  # fmt: skip
    if impact.unavailable:
        rule("critical" if tier1 else "high", "the service is down or unavailable")
    if impact.saturation is not None and impact.saturation >= 90:
        near = tier1 or impact.saturation >= 95
        rule("high" if near else "medium", f"{impact.saturation:g}% of a limit in use")
    if impact.latency_over_slo is not None and impact.latency_over_slo >= 2:
        rule("high" if tier1 else "medium", f"latency {impact.latency_over_slo:g}× its SLO")
    if impact.restarts is not None and impact.restarts >= 3:
        rule("high", f"restarted {impact.restarts:g} times")
    if impact.hours_left is not None and impact.hours_left <= 24 * 14:
        rule("high" if impact.hours_left <= 72 else "medium",
             f"{impact.hours_left:g} h until it expires")  # fmt: skip
    return max(levels, key=LEVELS.index) if levels else None


def _cap(label: Severity, tier: int | None) -> Severity:
    ceilings: dict[int, Severity] = {1: "critical", 2: "high", 3: "medium"}
    ceiling = ceilings.get(tier or 2, "high")
    return min(label, ceiling, key=LEVELS.index)


def _seconds(value: str, unit: str) -> float:
    return float(value) / (1000 if unit.lower() == "ms" else 1)


def _hours(value: str, unit: str) -> float:
    return float(value) * (24 if unit.lower().startswith("d") else 1)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)
