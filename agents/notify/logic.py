"""Pure message building: Block Kit blocks and a plain-text fallback from the incident state.

The body comes from the `message.md.j2` template. Trusted fields (severity, service,
team, PR numbers, repo, verdicts, incident and trace ids) are filled in escaped; untrusted
text (the root-cause summary, evidence titles, problems, the alert's summary annotation)
goes through `sanitize.sanitize` and is rendered as a quote, so it can neither mention
people or channels nor link to a host outside `allowed_hosts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.notify.sanitize import LINK_REMOVED, as_quote, clip, escape, sanitize
from core.prompting import render
from core.state import Evidence, IncidentState, Notification

__all__ = ["EMOJI", "TEMPLATE", "blocks", "escape", "fields", "first_message", "headline",
           "lines", "reply", "text"]  # fmt: skip

TEMPLATE = Path(__file__).resolve().parent / "message.md.j2"
EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:",
         "medium": ":large_yellow_circle:", "low": ":white_circle:"}  # fmt: skip
NO_HOSTS: frozenset[str] = frozenset()
_LIMITS = {"alert": 300, "cause": 1500, "problems": 400, "title": 200, "source": 300}
_EVIDENCE = 4


def headline(state: IncidentState) -> str:
    """Severity, alert name and service: trusted values, unescaped (a plain_text header)."""
    tri, alert = state["triage"], state["alert"]
    service = tri.service or alert.labels.get("service", "unknown service")
    return f"{tri.severity.upper()} {alert.name} on {service}"


def fields(
    state: IncidentState, trace_id: str | None = None, *, allowed_hosts: frozenset[str] = NO_HOSTS
) -> dict[str, Any]:
    """The template's values: trusted ones escaped, untrusted ones sanitized and quoted."""
    tri, cause = state["triage"], state.get("root_cause")
    problems = "; ".join(state.get("problems", []))
    partial = cause is not None and cause.partial_evidence
    return {
        "severity": escape(tri.severity),
        "category": escape(tri.category),
        "reasons": escape("; ".join(tri.reasons)),
        "alert": _quoted(_alert_summary(state), "alert", allowed_hosts),
        "cause_ref": escape(_cause_ref(state)) if cause else None,
        "cause": _quoted(cause.summary, "cause", allowed_hosts) if cause else None,
        "investigating": cause is None and tri.severity != "low" and not state.get("outcomes"),
        "partial": _quoted(problems, "problems", allowed_hosts) if partial else None,
        "evidence": _evidence(state.get("evidence", []), allowed_hosts),
        "actions": [escape(line) for line in _action_lines(state)],
        "incident_id": escape(state["incident_id"]),
        "trace_id": escape(trace_id) if trace_id else None,
    }


def lines(
    state: IncidentState, trace_id: str | None = None, *, allowed_hosts: frozenset[str] = NO_HOSTS
) -> list[str]:
    """The message body as paragraphs (also the text fallback); the last is the footer."""
    body = render(TEMPLATE, fields(state, trace_id, allowed_hosts=allowed_hosts))
    return [part.strip("\n") for part in body.split("\n\n") if part.strip()]


def blocks(
    state: IncidentState, trace_id: str | None = None, *, allowed_hosts: frozenset[str] = NO_HOSTS
) -> list[dict[str, Any]]:
    body = lines(state, trace_id, allowed_hosts=allowed_hosts)
    sev = state["triage"].severity
    return [
        {"type": "header", "text": {"type": "plain_text", "text": headline(state)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{EMOJI[sev]} {body[0]}"[:3000]}},
        *[
            {"type": "section", "text": {"type": "mrkdwn", "text": part[:3000]}}
            for part in body[1:-1]
        ],
        {"type": "context", "elements": [{"type": "mrkdwn", "text": body[-1]}]},
    ]


def text(
    state: IncidentState, trace_id: str | None = None, *, allowed_hosts: frozenset[str] = NO_HOSTS
) -> str:
    body = lines(state, trace_id, allowed_hosts=allowed_hosts)
    return escape(headline(state)) + "\n" + "\n".join(body)


def reply(
    state: IncidentState, trace_id: str | None = None, *, allowed_hosts: frozenset[str] = NO_HOSTS
) -> str:
    """The conclusion, as a reply in the first message's thread: the root cause and the
    actions (an update in place notifies nobody; the reply does)."""
    body = lines(state, trace_id, allowed_hosts=allowed_hosts)
    wanted = [p for p in body if p.startswith(("Root cause", ":warning:", "Action "))]
    return escape(headline(state)) + "\n" + "\n".join(wanted or body[:1])


def first_message(state: IncidentState, channel: str) -> Notification | None:
    """The incident's first message in `channel` that Slack took (not a thread reply): the
    one later updates replace in place."""
    for note in state.get("notifications", []):
        first = note.ok and note.ts and not note.thread_ts and note.replaces is None
        if first and note.channel == channel:
            return note
    return None


def _quoted(untrusted: str, kind: str, allowed_hosts: frozenset[str]) -> str:
    safe = sanitize(clip(untrusted, _LIMITS[kind]), allowed_hosts).strip()
    return as_quote(safe) if safe else ""


def _alert_summary(state: IncidentState) -> str:
    notes = state["alert"].annotations
    return notes.get("summary") or notes.get("description") or ""


def _evidence(items: list[Evidence], allowed_hosts: frozenset[str]) -> str:
    """Up to four evidence titles with their source, one quoted bullet each."""
    out = []
    for item in [e for e in items if e.ok][:_EVIDENCE]:
        title = sanitize(" ".join(clip(item.title, _LIMITS["title"]).split()), allowed_hosts)
        source = sanitize(" ".join(clip(item.source, _LIMITS["source"]).split()), allowed_hosts)
        out.append(f"• {title} ({item.kind if LINK_REMOVED in source else source})")
    return as_quote("\n".join(out)) if out else ""


def _cause_ref(state: IncidentState) -> str:
    cause = state["root_cause"]
    path = (cause.file or "").replace("`", "")
    spot = f"{path}:{cause.line}" if path and cause.line else path
    where = f" `{spot}`" if spot else ""  # inline code: Slack never links a file name there
    if cause.kind == "pr":
        return f"{cause.repo} PR #{cause.pr}{where}"
    if cause.kind == "commit":
        return f"{cause.repo} commit {cause.commit}{where}"
    return "no code change"


def _action_lines(state: IncidentState) -> list[str]:
    decided = {d.action_id: d for d in state.get("decisions", [])}
    ran = {o.action_id: o for o in state.get("outcomes", [])}
    out = []
    for action in state.get("actions", []):
        decision, outcome = decided.get(action.id), ran.get(action.id)
        verdict = decision.verdict if decision else "not reviewed"
        status = f", {outcome.status}" if outcome else (", not run" if decision else "")
        out.append(f"Action {action.tool} {dict(action.args)}: {verdict}{status}")
    return out
