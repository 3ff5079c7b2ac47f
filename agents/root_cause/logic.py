"""Pure root-cause logic: the model's answer schema, the prompt's values, the final record
(from the model or, when it fails twice, from the ranking alone), and proposed actions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.root_cause import kinds
from agents.root_cause.patterns import added_lines, findings
from agents.root_cause.ranking import NO_CAUSE_BELOW, Change, top_finding
from agents.shared.alerts import alert_text
from core.actions import action_id
from core.prompting import quote
from core.state import (
    Alert,
    Candidate,
    CauseCategory,
    ProposedAction,
    Provenance,
    RootCause,
    Triage,
)
from core.structured import one_of

CHOICES = 3
RULED_OUT_SHOWN = 2
PATCHES_SHOWN = 2  # the model reads the added lines of the best two; titles and files of all
CONFIDENCE = {"low": 0.3, "medium": 0.6, "high": 0.9}


class CauseAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cause: str
    category: CauseCategory
    explanation: str = Field(max_length=280)
    confidence: Literal["low", "medium", "high"]


def answer_schema(options: list[str]) -> type[CauseAnswer]:
    """CauseAnswer whose `cause` must be one of `options` (an enum in the JSON schema)."""
    return one_of(CauseAnswer, "cause", options)


def options(top: list[Candidate]) -> list[str]:
    return [c.ref for c in top] + ["none"]


def prompt_values(found: Findings, tri: Triage, lookback_h: int) -> dict[str, Any]:
    alert, top, changes, signals = found.alert, found.top, found.changes, found.signals
    return {
        "alert_name": alert.name,
        "service": tri.service or "an unknown service",
        "severity": tri.severity,
        "started": alert.starts_at.strftime("%Y-%m-%d %H:%M UTC"),
        "alert_text": quote(alert_text(alert), 400),
        "signals": quote("\n".join(signals[:8]), 800),
        "candidates": [
            _candidate_values(c, changes.get(c.ref) if i < PATCHES_SHOWN else None, alert.starts_at)
            for i, c in enumerate(top)
        ],
        "ruled_out": [_candidate_values(c, None, alert.starts_at) for c in found.ruled_out],
        "lookback_hours": lookback_h,
        "options": json.dumps(options(top)),
    }


@dataclass(frozen=True)
class Findings:
    """What the investigation found, before anyone chose."""

    alert: Alert
    top: list[Candidate]  # plausible candidates (ranking score at least NO_CAUSE_BELOW)
    changes: dict[str, Change]
    signals: list[str]
    partial: bool
    ruled_out: list[Candidate] = field(default_factory=list)  # shown, never options

    @classmethod
    def split(cls, ranked: list[Candidate], **rest: Any) -> Findings:
        plausible = [c for c in ranked if c.score >= NO_CAUSE_BELOW][:CHOICES]
        unlikely = [c for c in ranked if c.score < NO_CAUSE_BELOW][:RULED_OUT_SHOWN]
        return cls(top=plausible, ruled_out=unlikely, **rest)


def decide(answer: CauseAnswer | None, found: Findings) -> RootCause:
    """The root cause from the model's answer, or from the ranking when there is none."""
    top = found.top
    if answer is None:
        best = top[0] if top else None
        base = _base(found, "", min(best.score, 0.9) if best else 0.5, "ranking")
        base["decided_why"] = "no valid answer from the model: the ranking's first candidate"
        base["category"] = _change_category(best, found) if best else None
    else:
        best = next((c for c in top if c.ref == answer.cause), None)
        base = _base(found, answer.explanation, CONFIDENCE[answer.confidence], "model")
        base["decided_why"] = "the model chose among the ranked candidates and none"
        base["category"] = answer.category
    if best is None:
        return _no_change(found, base)
    return _change(best, found, base)


def propose(incident_id: str, cause: RootCause) -> list[ProposedAction]:
    if cause.kind != "pr" or cause.pr is None or cause.repo is None:
        return []
    args: dict[str, str | int | float | bool | None] = {"pr": cause.pr, "repo": cause.repo}
    reason = f"PR #{cause.pr} is the likely cause; reverting it removes the change"
    chosen = Provenance(trusted=False, source=f"root cause decided by the {cause.decided_by} "
                        "after reading untrusted text")  # fmt: skip
    return [
        ProposedAction(
            id=action_id(incident_id, "revert_pull_request", args),
            tool="revert_pull_request",
            args=args,
            reason=reason,
            origin=chosen,
            provenance={
                "pr": Provenance(
                    trusted=False,
                    source="GitHub PR number, chosen by the "
                    f"{cause.decided_by} among the merged PRs",
                ),
                "repo": Provenance(trusted=True, source="service catalog: the service's repo"),
            },
        )
    ]


def _base(found: Findings, explanation: str, confidence: float, by: str) -> dict[str, Any]:
    return {
        "summary": explanation,
        "explanation": explanation,
        "confidence": confidence,
        "decided_by": by,
        "candidates": tuple(found.top + found.ruled_out),
        "partial_evidence": found.partial,
    }


def _change(best: Candidate, found: Findings, base: dict[str, Any]) -> RootCause:
    change = found.changes.get(best.ref)
    finding = top_finding(change) if change else None
    file = finding.file if finding else _main_file(best.files)
    where = f"{file}:{finding.line}" if finding and file else (file or "its files")
    minutes = round((found.alert.starts_at - best.merged_at).total_seconds() / 60)
    evidence = (
        f'{best.ref} "{best.title}" by {best.author}, merged {minutes} min before the alert, '
        f"changed {where}" + (f": {finding.message}" if finding else "")
    )
    notes = tuple(f"{f.file}:{f.line}: {f.message}" for f in _findings(change))
    return RootCause(
        **{**base, "summary": _join(_symptom(found.alert), base["summary"], evidence)},
        findings=notes,
        evidence_ids=(f"{best.repo}:{best.ref}",),
        kind="pr" if best.kind == "pr" else "commit",
        pr=best.number,
        commit=best.sha[:7] if best.sha else None,
        repo=best.repo,
        file=file,
        line=finding.line if finding else None,
    )


def _no_change(found: Findings, base: dict[str, Any]) -> RootCause:
    strongest = key_signals(found.signals)
    evidence = "No recent change explains it. Key signals: " + " / ".join(strongest)
    summary = _join(_symptom(found.alert), base["summary"], evidence)
    return RootCause(**{**base, "summary": summary}, kind="none")


def _findings(change: Change | None) -> list[Any]:
    if change is None:
        return []
    return [f for name, patch in change.patches.items() for f in findings(name, patch)]


def _change_category(best: Candidate, found: Findings) -> CauseCategory:
    change = found.changes.get(best.ref)
    patches = change.patches if change else {}
    return kinds.category(kinds.change_kind(best.files, patches))


def _candidate_values(c: Candidate, change: Change | None, start: datetime) -> dict[str, Any]:
    added = [t for p in (change.patches.values() if change else []) for _, t in added_lines(p)]
    return {
        "ref": c.ref,
        "title": c.title,
        "author": c.author,
        "minutes": round((start - c.merged_at).total_seconds() / 60),
        "files": ", ".join(c.files[:6]),
        "reasons": "; ".join(c.reasons[1:4]) or "none",
        "patch": quote("\n".join(t.rstrip() for t in added[:12]), 520) if added else "",
    }


def _symptom(alert: Alert) -> str:
    return alert.annotations.get("summary", alert.name)


def _main_file(files: tuple[str, ...]) -> str | None:
    code = [f for f in files if "test" not in f and not f.endswith(".md")]
    return next(iter(code or files), None)


FAILURE_WORDS = ("missing", "nxdomain", "error", "fail", "not permitted", "expired", "denied",
                 "refused", "timeout", "invalid", "deleted", "oom")  # fmt: skip


def key_signals(signals: list[str], count: int = 2) -> list[str]:
    """The lines that between them name the most distinct failure words (greedy cover)."""
    chosen: list[str] = []
    covered: set[str] = set()
    for _ in range(count):
        best = max(signals, key=lambda line: len(_failures(line) - covered), default=None)
        if best is None or not _failures(best) - covered:
            break
        chosen.append(best)
        covered |= _failures(best)
    return chosen


def _failures(line: str) -> set[str]:
    return {w for w in FAILURE_WORDS if w in line.lower()}


def _join(*parts: str) -> str:
    return " ".join(p.strip().rstrip(".") + "." for p in parts if p and p.strip())
