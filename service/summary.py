"""What the API and the Slack thread show of an incident's graph state (pure, JSON-ready).

Free text (alert summary, root-cause summary, evidence titles) is carried as it is; the
Slack renderer escapes it. Links are built from trusted fields only (repo, PR number,
sha, the URL the pipeline itself read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, get_origin, get_type_hints

from core.state import IncidentState


def summarize(state: IncidentState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "alert" in state:
        alert = state["alert"]
        out["alert"] = {
            "name": alert.name,
            "status": alert.status,
            "fingerprint": alert.fingerprint,
            "starts_at": alert.starts_at.isoformat(),
            "labels": dict(alert.labels),
            "summary": alert.annotations.get("summary", ""),
        }
    if "triage" in state:
        tri = state["triage"]
        out.update(
            severity=tri.severity,
            category=tri.category,
            service=tri.service,
            team=tri.team,
            channel=tri.channel,
            reasons=list(tri.reasons),
        )
    if "root_cause" in state:
        out["root_cause"] = _cause(state)
    out["evidence"] = [
        {"kind": e.kind, "title": e.title, "source": e.source, "ok": e.ok}
        for e in state.get("evidence", [])
    ]
    out["actions"] = actions(state)
    out["notifications"] = [
        {"channel": n.channel, "ok": n.ok, "ts": n.ts, "error": n.error}
        for n in state.get("notifications", [])
    ]
    out["problems"] = list(state.get("problems", []))
    out["models"] = {r.node: r.model for r in state.get("routing", [])}
    out["usage"] = [
        {
            "node": u.node,
            "model": u.model,
            "duration_s": round(u.duration_s, 3),
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
        }
        for u in state.get("usage", [])
    ]
    return out


def _cause(state: IncidentState) -> dict[str, Any]:
    cause = state["root_cause"]
    links = []
    if cause.repo and cause.pr is not None:
        links.append(f"https://github.com/{cause.repo}/pull/{cause.pr}")
    if cause.repo and cause.commit:
        links.append(f"https://github.com/{cause.repo}/commit/{cause.commit}")
    return {
        "kind": cause.kind,
        "pr": cause.pr,
        "commit": cause.commit,
        "repo": cause.repo,
        "file": cause.file,
        "line": cause.line,
        "summary": cause.summary,
        "confidence": cause.confidence,
        "decided_by": cause.decided_by,
        "partial_evidence": cause.partial_evidence,
        "links": links,
    }


def actions(state: IncidentState) -> list[dict[str, Any]]:
    """Each proposed action with the gate's verdict, a human's answer and what ran."""
    verdicts = {d.action_id: d for d in state.get("decisions", [])}
    answers = {a.action_id: a for a in state.get("approvals", [])}
    ran = {o.action_id: o for o in state.get("outcomes", [])}
    out = []
    for action in state.get("actions", []):
        verdict, answer, outcome = (
            verdicts.get(action.id),
            answers.get(action.id),
            ran.get(action.id),
        )
        out.append(
            {
                "id": action.id,
                "tool": action.tool,
                "args": dict(action.args),
                "reason": action.reason,
                "verdict": verdict.verdict if verdict else None,
                "policy_verdict": verdict.policy_verdict if verdict else None,
                "rules": list(verdict.rules) if verdict else [],
                "checks": list(verdict.checks) if verdict else [],
                "answers": dict(verdict.answers) if verdict else {},
                "approved": answer.approved if answer else None,
                "approver": answer.approver if answer else None,
                "role": answer.role if answer else None,
                "executed": bool(outcome and outcome.executed),
                "outcome": outcome.status if outcome else None,
                "detail": outcome.detail if outcome else None,
            }
        )
    return out


_ADDED = frozenset(
    name
    for name, hint in get_type_hints(IncidentState, include_extras=True).items()
    if get_origin(hint) is Annotated  # a reducer: updates add to the list
)


def merge(state: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """The state after a node's update, as LangGraph's reducers make it."""
    out = dict(state)
    for key, value in (update or {}).items():
        out[key] = [*out.get(key, []), *value] if key in _ADDED else value
    return out


def stage(node: str, update: Mapping[str, Any]) -> dict[str, Any]:
    """A timeline entry for a node that finished: time, model, tokens, and what it decided."""
    usage = (update or {}).get("usage") or []
    out: dict[str, Any] = {"node": node}
    if usage:
        u = usage[-1]
        out.update(
            duration_s=round(u.duration_s, 3),
            model=u.model,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
        )
    if "triage" in update:
        out.update(severity=update["triage"].severity, channel=update["triage"].channel)
    if "root_cause" in update:
        cause = update["root_cause"]
        out["root_cause"] = {
            "kind": cause.kind,
            "repo": cause.repo,
            "pr": cause.pr,
            "commit": cause.commit,
        }
    if "decisions" in update:
        out["verdicts"] = {d.tool: d.verdict for d in update["decisions"]}
    if "approvals" in update:
        out["approvals"] = [
            {"approved": a.approved, "approver": a.approver, "role": a.role}
            for a in update["approvals"]
        ]
    if "outcomes" in update:
        out["outcomes"] = {o.tool: o.status for o in update["outcomes"]}
    if "notifications" in update:
        out["notified"] = [n.channel for n in update["notifications"] if n.ok]
    return out
