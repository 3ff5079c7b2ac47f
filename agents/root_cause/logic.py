"""Pure root-cause logic: the options the model chooses among, its answer's schema, the
deterministic record when no model decided or when the model contradicts strong evidence,
and the proposed actions.

The model chooses among the plausible changes and `none` (always an option), gives the
category and the mechanism in its own words, and cites the evidence ids it rests on. When
its answer contradicts strong deterministic evidence, the ranking decides and the record
says why (`decided_by`, `decided_why`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.root_cause.score import STRONG, NoneEvidence, Scored
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
    Workload,
)
from core.structured import one_of
from core.windows import CHANGE_WINDOW

CHOICES = 3
OPTION_MARGIN = 0.15  # a change offered beside the best is at most this much weaker
RULED_OUT_SHOWN = 3
CONFIDENCE = {"low": 0.3, "medium": 0.6, "high": 0.9}
EXPLANATION_CHARS = 150  # the model's explanation, at most (its grammar stops it there)
WHAT_CHARS = 80  # what the chosen change does (its title's words), restated first
HOW_ANSWER_CHARS = 120  # the mechanism it restates next
CHANGE_CATEGORIES = {"code_change", "config_change", "dependency_change", "schema_change",
                     "infrastructure_change"}  # fmt: skip


def _grammar_fields(schema: dict[str, Any]) -> None:
    """The model writes `what` and `how` (the grammar requires them) and no confidence (the
    evidence's strength is the record's confidence: each token the model writes costs about
    85 ms on two cores); a stored or scripted answer from before still validates."""
    required = schema.setdefault("required", [])
    required[1:1] = ["what", "how"]
    schema.get("properties", {}).pop("confidence", None)
    if "confidence" in required:
        required.remove("confidence")


class CauseAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_grammar_fields)
    cause: str
    what: str = Field(default="", max_length=WHAT_CHARS)  # what the chosen cause is or does
    how: str = Field(default="", max_length=HOW_ANSWER_CHARS)  # the chosen mechanism, restated
    category: CauseCategory
    explanation: str = Field(max_length=EXPLANATION_CHARS)
    evidence: list[str] = Field(default_factory=list, max_length=2)
    confidence: Literal["low", "medium", "high"] | None = None  # answers from before


def answer_schema(options: list[str], evidence_ids: list[str] | None = None) -> type[CauseAnswer]:
    """CauseAnswer whose `cause` must be one of `options` (an enum in the JSON schema), and
    whose `evidence` items, when ids are given, must be among them."""
    schema = one_of(CauseAnswer, "cause", options)
    if not evidence_ids:
        return schema
    return one_of(schema, "evidence", evidence_ids, many=True)


@dataclass(frozen=True)
class Findings:
    """What the investigation found and correlated, before anyone chose."""

    alert: Alert
    top: list[Scored]  # the plausible changes, best first (the model's options)
    ruled_out: list[Scored]  # shown with why, never options
    none: NoneEvidence
    facts_lines: list[str]  # the incident's facts, compact, each ending with its evidence id
    pages: list[str]  # the ids of the pages read
    partial: bool
    mechanism_none: str = ""  # extracted facts that explain the incident without a change
    errors_seen: tuple[str, ...] = ()  # the first errors the evidence shows, as extracted
    signals: list[str] = field(default_factory=list)
    workloads: tuple[Workload, ...] = ()  # the alert's deployments, as the cluster reported them
    changes_since: datetime | None = None  # where the change window started
    ongoing: bool = False  # a problem series the pages show departed and not back

    @classmethod
    def split(cls, scored: list[Scored], **rest: Any) -> Findings:
        """The model's options: the plausible changes close to the best-supported one (a
        change the evidence supports far less is shown as weaker, never offered)."""
        ranked = sorted(scored, key=lambda s: (-s.score, s.change.ref))
        plausible = [s for s in ranked if s.plausible]
        best = plausible[0].score if plausible else 0.0
        top = [s for s in plausible if s.score >= best - OPTION_MARGIN][:CHOICES]
        out = [s for s in ranked if s not in top][:RULED_OUT_SHOWN]
        return cls(top=top, ruled_out=out, **rest)

    @property
    def candidates(self) -> list[Candidate]:
        return [*(_candidate(s, option=True) for s in self.top),
                *(_candidate(s, option=False) for s in self.ruled_out)]  # fmt: skip

    @property
    def evidence_ids(self) -> list[str]:
        return evidence_ids(self.pages, self.candidates)

    def prompt(self, tri: Triage) -> dict[str, Any]:
        return prompt_values(self.alert, tri, self.candidates, self.facts_lines,
                             self.none.reasons, self.evidence_ids, self.none.category)  # fmt: skip


def options(candidates: Sequence[Candidate]) -> list[str]:
    return [c.ref for c in candidates if c.option] + ["none"]


def evidence_ids(pages: Sequence[str], candidates: Sequence[Candidate]) -> list[str]:
    """The ids the model may cite: the pages, and each change by its ref (`PR #41`), with its
    repo only where two repos share a ref (fewer tokens to write)."""
    return list(_full_ids(pages, candidates))


def cited_ids(
    cited: Sequence[str], pages: Sequence[str], candidates: Sequence[Candidate]
) -> tuple[str, ...]:
    """What the model cited, as the record's ids (a change as `repo:ref`)."""
    full = _full_ids(pages, candidates)
    return tuple(dict.fromkeys(full[c] for c in cited if c in full))


def _full_ids(pages: Sequence[str], candidates: Sequence[Candidate]) -> dict[str, str]:
    refs = [c.ref for c in candidates]
    out = {p: p for p in pages}
    for c in candidates:
        full = f"{c.repo}:{c.ref}"
        out[c.ref if refs.count(c.ref) == 1 else full] = full
    return out


def prompt_values(
    alert: Alert,
    tri: Triage,
    candidates: Sequence[Candidate],
    facts: Sequence[str],
    none_reasons: Sequence[str],
    ids: Sequence[str],
    none_category: str | None = None,
) -> dict[str, Any]:
    """The prompt's values, from what the record keeps (so a stored incident can be
    prompted again exactly, for fine-tuning)."""
    return {
        "alert_name": alert.name,
        "service": tri.service or "an unknown service",
        "severity": tri.severity,
        "started": alert.starts_at.strftime("%Y-%m-%d %H:%M UTC"),
        "alert_text": quote(alert_text(alert), 300),
        "facts": quote("\n".join(facts), FACT_CHARS) if facts else "",
        "candidates": [_option_values(c) for c in candidates if c.option],
        "ruled_out": [
            {"ref": c.ref, "why": c.ruled_out or f"weaker evidence ({c.score:.2f})"}
            for c in candidates
            if not c.option
        ],
        "none_reasons": "; ".join(none_reasons[:3]) or "nothing specific",
        "none_category": (none_category or "").replace("_", " "),
        "options": json.dumps(options(candidates)),
        "evidence_ids": json.dumps(list(ids)),
    }


def _option_values(c: Candidate) -> dict[str, Any]:
    how, when = how_and_when(c.reasons)
    return {
        "ref": c.ref,
        "kind": (c.category or "code_change").replace("_", " "),
        "title": quote(c.title, 120).replace("\n", " "),
        "repo": c.repo,
        "how": "; ".join(how[:2]) or "nothing found in the change ties it to the symptoms",
        "when": "; ".join(when[:2]),
    }


# The reasons that say when a change went live and how far it is from the incident, as
# opposed to what it does (a setting, a risk found in its code, a frame, a library).
_WHEN = re.compile(
    r"^(merged |a leak builds up|a latent risk|live [0-9.]+ h before|in \S+, (a service|not "
    r"the service)|touches only docs|only moves an image tag|reached production after|"
    r"merged after|a [a-z ]+ change \(fits the symptoms|the failures began with its version|"
    r"configuration read at start-up|the errors fail at a line it wrote)"
)
_FIT = re.compile(r"\s*[(;]\s*fits the symptoms ([0-9.]*[0-9])\)?")


FACT_CHARS = 900  # the prompt's facts, at most (whole lines: `fact_lines` keeps to it)
HOW_CHARS = 110
# Code quoted in a reason that the model would have to escape or could not copy whole (a
# regex, a long expression): the words around it say what it does.
_SPAN = re.compile(r"`[^`]*`")
_AT = re.compile(r"^\S+:\d+: ")  # a finding's file:line (the record keeps where it is)


def how_and_when(reasons: Sequence[str]) -> tuple[list[str], list[str]]:
    """A change's reasons split for the prompt: what it does that bears on the incident,
    the best fit to the symptoms first (a setting, a risk found in its code, a library the
    errors come from, the line a stack frame points at; where a timeout ran out last),
    each shortened, without its file:line and the ranking's weights; and when it went live."""
    how: list[tuple[float, str]] = []
    when: list[str] = []
    for reason in reasons:
        if _WHEN.match(reason):
            when.append(reason)
            continue
        if _said_again(reason, reasons):
            continue
        fit = _FIT.search(reason)
        weight = float(fit.group(1)) if fit else 1.1 if _QUOTES.match(reason) else 0.8
        weight = LINK_WEIGHT if _LINK.match(reason) else weight
        text = _FIT.sub(lambda m: ")" if m.group(0).lstrip().startswith(";") else "", reason)
        text = _FRAME_READS.sub(r"the errors come from a line it changed, \g<where>:", text)
        text = " ".join(_SPAN.sub(_copyable, _AT.sub("", text).replace("()", "")).split())
        text = _DANGLING.sub("", text)
        how.append((_telling(text) * 0.1 - weight, _short(text)))
    return [text for _, text in sorted(how, key=lambda pair: pair[0])], when


# Reasons that tie a change to the failures without saying what it does (the failures quote
# a message it writes, a file named for what fails) or that say a setting did nothing: said
# after what it does, so the model explains the mechanism, not the tie.
_LINK = re.compile(r"^(the failures' own message|changes the code of what fails|not in effect)")
LINK_WEIGHT = 0.2
_SETS = re.compile(r"^sets (?P<key>\S+) ")
# the failures' own words quote what the change set or took away: the tie to say first
_QUOTES = re.compile(r"^the (?:failures quote the value it sets|errors name `)")


def _said_again(reason: str, reasons: Sequence[str]) -> bool:
    """A setting's bare before → after that a finding on the same key says with its risk."""
    sets = _SETS.match(reason)
    return sets is not None and any(
        r is not reason and not _WHEN.match(r) and not _SETS.match(r) and sets["key"] in r
        for r in reasons
    )


_FRAME_READS = re.compile(  # a frame at a changed line: the line's code is the point
    r"^a stack frame of the errors is at a line it changed: (?:\S*/)?(?P<where>[^/\s:]+:\d+), "
    r"which now reads"
)
_DANGLING = re.compile(r"(?<=:) ?(?:``|)\s*;|:\s*$")  # what a left-out code span leaves
COPYABLE = 48  # longer code in a reason is left out (the model would not copy it whole)


def _copyable(span: re.Match[str]) -> str:
    code = span.group(0)
    return "" if "\\" in code or len(code) > COPYABLE else code


def _short(text: str) -> str:
    """At most HOW_CHARS: asides in parentheses go first, then the end."""
    while len(text) > HOW_CHARS and (asides := _asides(text)):
        start, end = max(asides, key=lambda span: span[1] - span[0])
        text = text[:start] + text[end:]
    return text if len(text) <= HOW_CHARS else text[: HOW_CHARS - 1] + "…"


def _asides(text: str) -> list[tuple[int, int]]:
    """The spans of the outermost ` (...)` groups (balanced, nested ones inside)."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0 and start > 0 and text[start - 1] == " ":
                out.append((start - 1, i + 1))
    return out


def _telling(reason: str) -> int:
    """How directly a reason says what the change does (lower: more); a timeout's frame
    only says where the time ran out."""
    if "where the time ran out" in reason or "where the call was made" in reason:
        return 9
    if reason.startswith("sets ") or "which it upgrades" in reason:
        return 1
    if "from a line it changed" in reason:
        return 2
    return 0


def decide(answer: CauseAnswer | None, found: Findings) -> RootCause:
    """The record from the model's answer, or from the ranking: when the model gave no valid
    answer, or chose against strong evidence."""
    pick, why, by = _choose(answer, found)
    chosen = next((s for s in found.top if s.change.ref == pick), None)
    if answer is not None and by == "model":
        category = _category(answer.category, chosen, found)
        if _not_false_alarm(answer.category, chosen, found):
            why += "; it said false alarm, but the pages show the failures still under way"
        explanation = _explained(answer)
        confidence = (CONFIDENCE[answer.confidence] if answer.confidence
                      else _confidence(chosen, found))  # fmt: skip
        cited = cited_ids(answer.evidence, found.pages, found.candidates)
    else:
        category = chosen.category if chosen else (found.none.category or "capacity")
        explanation, confidence = "", _confidence(chosen, found)
        cited = ()
    return _record(chosen, found, category, explanation, confidence, by, why, cited)


def _explained(answer: CauseAnswer) -> str:
    """The model's explanation followed by what it chose and how, each where the
    explanation does not already say it (all three the model's words)."""
    text = answer.explanation.strip().rstrip(".")
    said = text.lower()
    parts = [p for p in (" ".join(answer.what.split()).rstrip("."),
                         " ".join(answer.how.split()).rstrip("."))
             if p and p.lower() not in said]  # fmt: skip
    if not parts:
        return f"{text}." if text else ""
    added = " — ".join(parts)
    return f"{text}: {added}." if text else f"{added}."


def propose(incident_id: str, cause: RootCause, alert_start: datetime) -> list[ProposedAction]:
    """A revert of the PR found to be the cause, and a rollback of the alert's deployment
    when a change caused it and that deployment's current revision was rolled out in the
    incident window (the fastest way back while the revert is reviewed and shipped)."""
    return [*_revert(incident_id, cause), *_rollback(incident_id, cause, alert_start)]


def _rollback(incident_id: str, cause: RootCause, alert_start: datetime) -> list[ProposedAction]:
    if cause.category not in CHANGE_CATEGORIES:
        return []
    chosen = Provenance(trusted=False, source=f"cause category decided by the {cause.decided_by} "
                        "after reading untrusted text")  # fmt: skip
    from_cluster = Provenance(trusted=True, source="the Kubernetes API's record of the "
                              "alert's deployment, read by the investigation")  # fmt: skip
    merged = _merged_at(cause)
    out = []
    for w in cause.workloads:
        earliest = max(alert_start - CHANGE_WINDOW, merged or alert_start - CHANGE_WINDOW)
        recent = w.rolled_out_at is not None and earliest <= w.rolled_out_at <= alert_start
        if not recent or not any(r < w.revision for r in w.revisions):
            continue
        args: dict[str, str | int | float | bool | None] = {
            "name": w.name,
            "namespace": w.namespace,
        }
        out.append(ProposedAction(
            id=action_id(incident_id, "rollback_deployment", args),
            tool="rollback_deployment", args=args, origin=chosen,
            reason=(f"a {cause.category.replace('_', ' ')} caused it and {w.namespace}/{w.name} "
                    f"revision {w.revision} was rolled out {_ago(w.rolled_out_at, alert_start)} "
                    "before the alert: rolling back to the previous revision undoes it"),
            provenance={"name": from_cluster, "namespace": from_cluster},
        ))  # fmt: skip
    return out


def _merged_at(cause: RootCause) -> datetime | None:
    """When the blamed change merged: a rollout before it cannot have shipped it."""
    for c in cause.candidates:
        if (cause.pr is not None and c.number == cause.pr and c.repo == cause.repo) or (
            cause.commit and c.sha and c.sha.startswith(cause.commit)
        ):
            return c.merged_at
    return None


def _ago(at: datetime | None, then: datetime) -> str:
    minutes = round((then - at).total_seconds() / 60) if at else 0
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.0f} h"


def _revert(incident_id: str, cause: RootCause) -> list[ProposedAction]:
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
                "repo": Provenance(
                    trusted=True, source="service catalog: the service's or an upstream's repo"
                ),
            },
        )
    ]


def mechanism(chosen: Scored | None, found: Findings) -> str:
    """The extracted facts that say how (for a change: the settings it changes before →
    after, the versions it moves, the statements it adds, the frames in its files, and the
    errors the evidence shows)."""
    if chosen is None:
        return found.mechanism_none
    facts = chosen.facts
    parts: list[str] = []
    if facts is not None:
        parts += [f"{s.key} {s.before or '∅'} → {s.after or '∅'} in {s.file}"
                  for s in facts.settings if s.family != "other"][:3]  # fmt: skip
        parts += [f"{d.name} {d.before or '∅'} → {d.after or '∅'}" for d in facts.dependencies][:3]
        parts += [s.text[:120] for s in facts.statements][:2]
    parts += [r for r in chosen.reasons if r.startswith("a stack frame")]
    parts += found.errors_seen  # what the change produced, as the evidence shows it
    return "; ".join(parts)


def _choose(
    answer: CauseAnswer | None, found: Findings
) -> tuple[str, str, Literal["model", "ranking"]]:  # noqa: E501
    best = found.top[0] if found.top else None
    ranking_pick = _ranking_pick(found)
    if answer is None:
        return ranking_pick, "no valid answer from the model: the ranking decided", "ranking"
    if answer.cause == "none" and best and _strong(best, found) and found.none.strength < 0.6:
        return best.change.ref, (
            f"the model answered none, but {best.change.ref} is tied to the onset by strong "
            f"evidence ({best.score:.2f}): the ranking decided"
        ), "ranking"  # fmt: skip
    if answer.cause == "none" and best and not found.none.reasons and _supported(best, found):
        return best.change.ref, (
            f"the model answered none, but nothing speaks for no change while "
            f"{best.change.ref} is tied by evidence beyond its timing ({best.score:.2f}): "
            "the ranking decided"
        ), "ranking"  # fmt: skip
    picked = next((s for s in found.top if s.change.ref == answer.cause), None)
    if picked is not None and found.none.reasons and found.none.strength >= picked.score:
        return "none", (
            f"the model chose {picked.change.ref} ({picked.score:.2f}), but "
            f"{found.none.reasons[0]} explains the onset at least as well "
            f"({found.none.strength:.2f}): the ranking decided"
        ), "ranking"  # fmt: skip
    if (
        picked is not None
        and best is not None
        and _strong(best, found)
        and (picked.score < best.score - 0.35)
    ):
        return best.change.ref, (
            f"the model chose {picked.change.ref} ({picked.score:.2f}), far weaker than "
            f"{best.change.ref} ({best.score:.2f}): the ranking decided"
        ), "ranking"  # fmt: skip
    return answer.cause, "the model chose among the correlated options", "model"


RANKING_PICKS = 0.45  # without the model, a change needs evidence beyond its timing


def _ranking_pick(found: Findings) -> str:
    best = found.top[0] if found.top else None
    if best is None or best.score < RANKING_PICKS or found.none.strength >= best.score:
        return "none"
    return best.change.ref


def _supported(best: Scored, found: Findings) -> bool:
    """Tied by more than its timing, and well ahead of the next option."""
    return _ahead(best, found, RANKING_PICKS)


def _strong(best: Scored, found: Findings) -> bool:
    return _ahead(best, found, STRONG)


def _ahead(best: Scored, found: Findings, floor: float) -> bool:
    """Scoring `floor` or more, and 0.2 ahead of the next option."""
    second = found.top[1].score if len(found.top) > 1 else 0.0
    return best.score >= floor and best.score - second >= 0.2


def _category(category: CauseCategory, chosen: Scored | None, found: Findings) -> CauseCategory:
    """The category the evidence gives, the model's where the evidence gives none: a chosen
    change's own kind (from its files and what the evidence points at in it); for no change,
    the kind of what explains the incident (a notice, a platform event, load, an expiry). A
    change made outside the recorded repos is still a change, so the model's change
    category stands for `none` when nothing else names one; a false alarm does not stand
    while the pages show the failures still under way."""
    if chosen is not None:
        return chosen.category
    if category in CHANGE_CATEGORIES:
        return category
    if _not_false_alarm(category, chosen, found):
        return "capacity"  # the ranking's own word for no change when nothing names a kind
    return found.none.category or category


def _not_false_alarm(category: CauseCategory, chosen: Scored | None, found: Findings) -> bool:
    """The model said false alarm for no change, which nothing in the evidence says, while
    the pages show the failures still under way."""
    return chosen is None and category == "false_alarm" and found.ongoing and (
        found.none.category is None)  # fmt: skip


def _confidence(chosen: Scored | None, found: Findings) -> float:
    return round(min(chosen.score if chosen else found.none.strength, 0.9), 2)


def _record(
    chosen: Scored | None,
    found: Findings,
    category: CauseCategory,
    explanation: str,
    confidence: float,
    by: Literal["model", "ranking"],
    why: str,
    cited: tuple[str, ...],
) -> RootCause:
    base: dict[str, Any] = {
        "category": category,
        "explanation": explanation,
        "mechanism": mechanism(chosen, found),
        "confidence": confidence,
        "decided_by": by,
        "decided_why": why,
        "candidates": tuple(found.candidates),
        "partial_evidence": found.partial,
        "facts": tuple(found.facts_lines),
        "none_reasons": found.none.reasons,
        "none_category": found.none.category,
        "workloads": found.workloads,
        "changes_since": found.changes_since,
    }
    symptom = found.alert.annotations.get("summary", found.alert.name)
    if chosen is None:
        notes = found.none.reasons
        summary = _join(symptom, explanation or "No recent change explains it", *notes[:2])
        ids = cited or tuple(n.source for n in found.none.notices if n.source)
        return RootCause(**base, kind="none", findings=notes, evidence_ids=ids, summary=summary)
    change = chosen.change
    file, line = _where(chosen)
    evidence = f'{change.ref} "{change.title}" by {change.author}, {chosen.reasons[0]}'
    return RootCause(
        **base,
        kind="pr" if change.kind == "pr" else "commit",
        pr=change.number,
        commit=change.sha[:7] if change.sha else None,
        repo=change.repo,
        file=file,
        line=line,
        findings=tuple(chosen.reasons[1:]),
        evidence_ids=cited or (f"{change.repo}:{change.ref}",),
        summary=_join(symptom, explanation, evidence),
    )


def _where(chosen: Scored) -> tuple[str | None, int | None]:
    if chosen.findings:
        return chosen.findings[0].file, chosen.findings[0].line
    facts = chosen.facts
    if facts is not None:
        located = [s for s in facts.settings if s.family != "other"]
        if located:
            return located[0].file, located[0].line
        if facts.statements:
            return facts.statements[0].file, facts.statements[0].line
        if facts.dependencies:
            return facts.dependencies[0].file, facts.dependencies[0].line
    code = [f for f in chosen.change.files if "test" not in f and not f.endswith(".md")]
    return next(iter(code or chosen.change.files), None), None


def _candidate(s: Scored, option: bool) -> Candidate:
    c = s.change
    return Candidate(
        kind="pr" if c.kind == "pr" else "commit", repo=c.repo, ref=c.ref, number=c.number,
        sha=c.sha, title=c.title, author=c.author, merged_at=c.merged_at, files=c.files,
        score=s.score, reasons=s.reasons, category=s.category, option=option,
        ruled_out=s.ruled_out,
    )  # fmt: skip


def _join(*parts: str) -> str:
    return " ".join(p.strip().rstrip(".") + "." for p in parts if p and p.strip())
