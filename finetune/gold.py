"""A scenario's expected answers in the pipeline's own answer schemas.

- triage: `expect.severity` (the rules' severity where the scenario gives none), the rules'
  category, confidence "high";
- root cause: the option naming `expect.root_cause` (`PR #N`, the commit's short sha, or
  `none`); `what`, the culprit's title; `how`, the mechanism the pipeline's patch checks
  find in the culprit; and an explanation from the scenario's title (up to its first ";":
  the author's one-line account of what happened), the mechanism where it fits, and any
  `keywords` not yet named, within the schema's limits (`EXPLANATION_CHARS` and the rest);
- quarantined reader: `finetune.labels`.
"""

from __future__ import annotations

from agents.root_cause.detectors import detect
from agents.root_cause.facts.changes import change_facts
from agents.root_cause.logic import EXPLANATION_CHARS, HOW_ANSWER_CHARS, WHAT_CHARS
from agents.triage.advice import TriageAnswer
from agents.triage.logic import triage
from core.state import Alert
from world.scenario import ExpectedRootCause, FileChange, Scenario, alternatives


def triage_answer(spec: Scenario, alert: Alert) -> TriageAnswer:
    decided = triage(alert, spec.services)
    return TriageAnswer.model_validate(
        {
            "severity": spec.expect.severity or decided.severity,
            "category": decided.category,
            "confidence": "high",
        }
    )


def cause_option(expected: ExpectedRootCause, options: list[str]) -> str | None:
    """The option that names the expected cause, or None when the ranking left it out."""
    if expected.none:
        return "none"
    if expected.pr is not None:
        want = f"PR #{expected.pr}"
        return want if want in options else None
    sha = expected.commit or ""
    return next((o for o in options if len(o) >= 7 and sha.startswith(o[:7])), None)


def category(expected: ExpectedRootCause, option: str) -> str:
    """The expected cause category; without one, a change's is code_change, none's capacity."""
    if expected.category is not None:
        return expected.category
    return "capacity" if option == "none" else "code_change"


def explanation(spec: Scenario, expected: ExpectedRootCause) -> str:
    headline = spec.title.split(";")[0].strip().rstrip(".")
    mechanism = _mechanism(spec, expected)
    for parts in ([headline, mechanism], [headline]):
        text = _with_keywords(". ".join(p for p in parts if p) + ".", expected.keywords)
        if len(text) <= EXPLANATION_CHARS:
            return text
    tail = _with_keywords("", expected.keywords)
    room = EXPLANATION_CHARS - len(tail) - 2
    return (headline[:room].rsplit(" ", 1)[0] + ". " + tail).strip()[:EXPLANATION_CHARS]


def what(spec: Scenario, expected: ExpectedRootCause) -> str:
    """The culprit's title (none: nothing)."""
    if expected.pr is None:
        return ""
    titles = [p.title for _, p in spec.all_pulls() if p.number == expected.pr]
    return " ".join(titles[0].split())[:WHAT_CHARS] if titles else ""


def how(spec: Scenario, expected: ExpectedRootCause) -> str:
    """The mechanism the pipeline's patch checks find in the culprit, if any."""
    return _mechanism(spec, expected)[:HOW_ANSWER_CHARS]


def _with_keywords(text: str, keywords: list[str | list[str]]) -> str:
    lowered = text.lower()
    missing = [
        alternatives(k)[0]
        for k in keywords
        if not any(word.lower() in lowered for word in alternatives(k))
    ]
    return f"{text} Key terms: {', '.join(missing)}.".strip() if missing else text


def _mechanism(spec: Scenario, expected: ExpectedRootCause) -> str:
    """What the pipeline's detectors say about the culprit's patches (the strongest)."""
    files = _files(spec, expected)
    patches = {f.filename: f.patch for f in files}
    found = detect(change_facts("expected", list(patches), patches)) if patches else []
    if not found:
        return ""
    message = found[0].message
    return message[0].upper() + message[1:]


def _files(spec: Scenario, expected: ExpectedRootCause) -> list[FileChange]:
    if expected.pr is not None:
        pulls = [p for _, p in spec.all_pulls() if p.number == expected.pr]
        return pulls[0].files if pulls else []
    if expected.commit is not None:
        commits = [
            c
            for repo in spec.github.repos.values()
            for c in repo.commits
            if c.sha.startswith(expected.commit)
        ]
        return commits[0].files if commits else []
    return []
