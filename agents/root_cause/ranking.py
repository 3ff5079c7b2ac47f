"""Deterministic ranking of candidate changes: time to the alert, repo, relevance, mentions
on the dashboards, and risky patterns in the patch. The model only chooses among the top."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from agents.root_cause.patterns import Finding, added_lines, findings
from core.state import Candidate

HALF_LIFE_MIN = 120.0
NO_CAUSE_BELOW = 0.35
_DOC_OR_TEST = re.compile(r"(^|/)(docs?|tests?|__tests__)/|\.(md|rst|txt)$|[._](test|spec)\.\w+$")
_TOKEN = re.compile(r"[a-z][a-z0-9]{2,}")
_STOP = {
    "the",
    "and",
    "for",
    "with",
    "from",
    "this",
    "that",
    "into",
    "prod",
    "production",
    "warning",
    "critical",
    "firing",
    "alert",
    "true",
    "false",
    "none",
    "null",
    "http",
    "https",
    "main",
    "app",
    "src",
    "yaml",
    "json",
    "min",
    "max",
}


@dataclass(frozen=True)
class Change:
    """A merged PR or a commit, as GitHub reported it (patches once fetched)."""

    kind: str
    repo: str
    ref: str
    number: int | None
    sha: str | None
    title: str
    author: str
    merged_at: datetime
    files: tuple[str, ...]
    patches: dict[str, str] = field(default_factory=dict)


def keywords(texts: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
        words |= set(_TOKEN.findall(spaced.lower()))
    return words - _STOP


def score(change: Change, start: datetime, repo: str, signals: str, kw: set[str]) -> Candidate:
    minutes = (start - change.merged_at).total_seconds() / 60
    time_s = 0.5 ** (max(minutes, 0) / HALF_LIFE_MIN)
    found = [f for name, patch in change.patches.items() for f in findings(name, patch)]
    overlap = kw & keywords([*change.files, change.title, *_added_text(change)])
    relevance = min(1.0, len(overlap) / 4)
    mentioned = _mentioned(change, signals)
    total = 0.4 * time_s + 0.2 * relevance + 0.2 * mentioned + 0.2 * bool(found)
    reasons = [f"merged {minutes:.0f} min before the alert"]
    if change.repo != repo:
        total *= 0.3
        reasons.append(f"in {change.repo}, not the service's repo {repo}")
    if change.files and all(_DOC_OR_TEST.search(f) for f in change.files):
        total *= 0.3
        reasons.append("touches only docs or tests")
    if overlap:
        reasons.append(
            "shares terms with the alert and dashboards: " + ", ".join(sorted(overlap)[:6])
        )
    if mentioned:
        reasons.append("named on the dashboards (deploy annotation)")
    reasons += [f"{f.file}:{f.line}: {f.message}" for f in found]
    return _candidate(change, round(total, 3), reasons)


def rank(
    changes: Iterable[Change], start: datetime, repo: str, signals: str, kw: set[str]
) -> list[Candidate]:
    """Candidates merged before the alert started, best first."""
    scored = [score(c, start, repo, signals, kw) for c in changes if c.merged_at <= start]
    return sorted(scored, key=lambda c: (-c.score, c.ref))


def top_finding(change: Change) -> Finding | None:
    found = [f for name, patch in change.patches.items() for f in findings(name, patch)]
    return found[0] if found else None


def _added_text(change: Change) -> list[str]:
    return [text for patch in change.patches.values() for _, text in added_lines(patch)]


def _mentioned(change: Change, signals: str) -> bool:
    marks = [f"#{change.number}"] if change.number else []
    marks += [change.sha[:7]] if change.sha else []
    return any(re.search(re.escape(m) + r"\b", signals) for m in marks)


def _candidate(change: Change, total: float, reasons: list[str]) -> Candidate:
    return Candidate(
        kind="pr" if change.kind == "pr" else "commit",
        repo=change.repo,
        ref=change.ref,
        number=change.number,
        sha=change.sha,
        title=change.title,
        author=change.author,
        merged_at=change.merged_at,
        files=change.files,
        score=total,
        reasons=tuple(reasons),
    )
