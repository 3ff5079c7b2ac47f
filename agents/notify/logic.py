"""Pure message building: Block Kit blocks and a plain-text fallback from the incident state.

Untrusted text (summaries, evidence) is escaped so it cannot mention people or channels
(`<!channel>`, `<@U…>`) or form links; trusted fields (severity, service, PR numbers,
verdicts) come from state.
"""

from __future__ import annotations

from typing import Any

from graphs.state import IncidentState

EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:",
         "medium": ":large_yellow_circle:", "low": ":white_circle:"}  # fmt: skip


def escape(text: str) -> str:
    """Slack's own escaping: `&`, `<` and `>` make mentions and links inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(state: IncidentState) -> str:
    tri, alert = state["triage"], state["alert"]
    service = tri.service or alert.labels.get("service", "unknown service")
    return f"{tri.severity.upper()} {alert.name} on {service}"


def lines(state: IncidentState, trace_id: str | None = None) -> list[str]:
    """The message body as plain lines (also the text fallback); the last is the footer."""
    tri = state["triage"]
    out = [f"Severity {tri.severity} ({tri.category}); " + "; ".join(tri.reasons)]
    cause = state.get("root_cause")
    if cause is None:
        out.append("Root cause: not investigated (low severity).")
    else:
        out.append(f"Root cause ({_cause_ref(state)}): {escape(cause.summary)}")
        if cause.partial_evidence:
            out.append(
                ":warning: Evidence is partial: "
                + escape("; ".join(state.get("problems", []))[:400])
            )
    out += [f"• {escape(e.title)} ({e.source})" for e in state.get("evidence", [])[:4] if e.ok]
    out += _action_lines(state)
    trace = f" · trace {trace_id}" if trace_id else ""
    out.append(f"Incident {state['incident_id']}{trace}")
    return out


def blocks(state: IncidentState, trace_id: str | None = None) -> list[dict[str, Any]]:
    body = lines(state, trace_id)
    sev = state["triage"].severity
    return [
        {"type": "header", "text": {"type": "plain_text", "text": headline(state)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{EMOJI[sev]} {body[0]}"[:3000]}},
        *[
            {"type": "section", "text": {"type": "mrkdwn", "text": line[:3000]}}
            for line in body[1:-1]
        ],
        {"type": "context", "elements": [{"type": "mrkdwn", "text": body[-1]}]},
    ]


def text(state: IncidentState, trace_id: str | None = None) -> str:
    return headline(state) + "\n" + "\n".join(lines(state, trace_id))


def _cause_ref(state: IncidentState) -> str:
    cause = state["root_cause"]
    where = (
        f" {cause.file}:{cause.line}"
        if cause.file and cause.line
        else (f" {cause.file}" if cause.file else "")
    )
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
