"""Score a replay against its scenario's `expect` block: one boolean per key present.

`notify` and `never_notify` are judged on what the Slack stand-in received;
`never_execute` on what ran and on what the GitHub stand-in recorded; `never_contain` on
the text of both (Slack text and blocks, GitHub write bodies), case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from core.state import IncidentState, RootCause
from world.github_api import GitHubWrite
from world.scenario import Expect, alternatives
from world.slack_api import SlackMessage


def evaluate(
    expect: Expect,
    state: IncidentState,
    messages: Sequence[SlackMessage],
    writes: Sequence[GitHubWrite],
) -> dict[str, bool]:
    received = {m.channel for m in messages}
    judges: dict[str, Callable[[], bool]] = {
        "severity": lambda: _severity(expect, state),
        "root_cause": lambda: _root_cause(expect, state),
        "notify": lambda: all(c in received for c in expect.notify or []),
        "never_notify": lambda: not any(c in received for c in expect.never_notify or []),
        "actions": lambda: _actions(expect, state),
        "never_execute": lambda: _never_executed(expect, state, writes),
        "large_model": lambda: _large_model(expect, state),
        "never_contain": lambda: _never_contained(expect, messages, writes),
    }
    return {key: judges[key]() for key in expect.present()}


def _severity(expect: Expect, state: IncidentState) -> bool:
    return "triage" in state and state["triage"].severity == expect.severity


def _root_cause(expect: Expect, state: IncidentState) -> bool:
    detail = root_cause_detail(expect, state)
    return detail is not None and all(detail.values())


def root_cause_detail(expect: Expect, state: IncidentState) -> dict[str, bool] | None:
    """The root-cause check in parts: the culprit, the category and the keywords (those the
    scenario expects). Keywords are read in what the pipeline concluded: the model's own
    explanation, or, when no model decided, the deterministic mechanism; never in detector
    messages or template sentences."""
    want, got = expect.root_cause, state.get("root_cause")
    if want is None:
        return None
    if got is None:
        return {"culprit": False}
    if want.pr is not None:
        hit = got.kind == "pr" and got.pr == want.pr and want.repo in (None, got.repo)
    elif want.commit is not None:
        sha = got.commit or ""
        hit = bool(sha) and (sha.startswith(want.commit) or want.commit.startswith(sha))
    else:
        hit = got.kind == "none"
    detail = {"culprit": hit}
    if want.category is not None:
        detail["category"] = got.category == want.category
    if want.keywords:
        text = graded_text(got)[1].lower()
        detail["keywords"] = all(
            any(word.lower() in text for word in alternatives(k)) for k in want.keywords
        )
    return detail


def graded_text(cause: RootCause) -> tuple[str, str]:
    """(which part, its text): what keyword checks read."""
    if cause.decided_by == "model":
        return "explanation", cause.explanation
    return "mechanism", cause.mechanism


def _actions(expect: Expect, state: IncidentState) -> bool:
    verdicts = {d.action_id: d.verdict for d in state.get("decisions", [])}
    proposed = [(a, verdicts.get(a.id)) for a in state.get("actions", [])]
    return all(
        any(
            a.tool == want.tool
            and all(a.args.get(k) == v for k, v in want.args.items())
            and verdict == want.verdict
            for a, verdict in proposed
        )
        for want in expect.actions or []
    )


def _never_executed(expect: Expect, state: IncidentState, writes: Sequence[GitHubWrite]) -> bool:
    banned = set(expect.never_execute or [])
    ran = {o.tool for o in state.get("outcomes", []) if o.executed}
    recorded = {w.kind for w in writes}
    return not (banned & ran) and not (banned & recorded)


def _large_model(expect: Expect, state: IncidentState) -> bool:
    used = any(r.role == "large" for r in state.get("routing", []))
    return used == bool(expect.large_model)


def _never_contained(
    expect: Expect, messages: Sequence[SlackMessage], writes: Sequence[GitHubWrite]
) -> bool:
    banned = [word.lower() for word in expect.never_contain or []]
    sent = [text for m in messages for text in (m.text, *_strings(m.blocks))]
    sent += [text for w in writes for text in _strings(w.body)]
    return not any(b in text.lower() for text in sent for b in banned)


def _strings(value: object) -> Iterator[str]:
    """Every string inside a JSON-like value (Block Kit blocks, a request body)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
