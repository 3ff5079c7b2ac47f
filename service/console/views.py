"""What the console's pages show, from the API's incident dicts (pure: no I/O, no clock).

Free text stays text (the templates escape it); links are made only from trusted fields
(the root cause's repo, PR and commit) or from http(s) URLs the pipeline itself read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from observability.cost_report import Line, build
from observability.pricing import Pricing, PricingError
from policies.roles import Permit

SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("queued", "running", "awaiting_approval", "completed", "failed")


def age(created: str | None, now: datetime) -> str:
    if not created:
        return ""
    seconds = max(0, int((now - datetime.fromisoformat(created)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def row(incident: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    summary = incident.get("summary") or {}
    cause = summary.get("root_cause") or {}
    return {
        "id": incident["id"],
        "status": incident["status"],
        "service": incident.get("service") or "",
        "severity": summary.get("severity") or "",
        "name": incident.get("name") or "",
        "age": age(incident.get("created_at"), now),
        "cause": cause.get("summary") or "",
        "ref": reference(cause),
    }


def matches(r: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    """A row kept by the list's filters (status, severity, service; empty: any)."""
    return all(not want or r[key] == want for key, want in filters.items())


def reference(cause: Mapping[str, Any]) -> str:
    if cause.get("pr") is not None:
        return f"{cause.get('repo') or ''} PR #{cause['pr']}".strip()
    if cause.get("commit"):
        return f"{cause.get('repo') or ''} {str(cause['commit'])[:12]}".strip()
    return str(cause.get("kind") or "")


def safe_link(url: object) -> str | None:
    """An http(s) URL to link to, or None (javascript:, data: and the like stay text)."""
    text = str(url or "")
    return text if urlsplit(text).scheme in ("http", "https") else None


def page(
    incident: Mapping[str, Any], may_answer: Callable[[Mapping[str, Any]], Permit]
) -> dict[str, Any]:
    """The incident page: stages, root cause, evidence, actions, approvals, Slack, trace."""
    summary = incident.get("summary") or {}
    cause = summary.get("root_cause")
    approvals = []
    for a in incident.get("approvals", []):
        permit = may_answer(a["request"]) if a["status"] == "pending" else None
        approvals.append({**a, "may": bool(permit and permit.allowed),
                          "why": permit.why if permit else ""})  # fmt: skip
    return {
        "id": incident["id"],
        "status": incident["status"],
        "service": incident.get("service") or "",
        "name": incident.get("name") or "",
        "severity": summary.get("severity") or "",
        "category": summary.get("category") or "",
        "team": summary.get("team") or "",
        "reasons": summary.get("reasons", []),
        "alert": (summary.get("alert") or {}).get("summary") or "",
        "cause": cause,
        "cause_ref": reference(cause or {}),
        "evidence": [
            {**e, "link": safe_link(e.get("source"))} for e in summary.get("evidence", [])
        ],
        "actions": summary.get("actions", []),
        "approvals": approvals,
        "stages": stages(incident.get("timeline", [])),
        "channel": incident.get("channel") or summary.get("channel") or "",
        "slack_ts": incident.get("slack_ts") or "",
        "trace_id": incident.get("trace_id") or "",
        "error": incident.get("error") or "",
        "problems": summary.get("problems", []),
    }


def stages(timeline: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The timeline as rows: when, what (a node with its duration, model and tokens, or an
    alert, a question, an answer), and what it decided."""
    out = []
    for entry in timeline:
        d, kind = entry.get("detail") or {}, entry["kind"]
        what, said = kind.replace("_", " "), ""
        if kind == "stage":
            what = str(d.get("node", "stage"))
            said = ", ".join(_decided(d))
        elif kind == "approval_needed":
            said = f"{d.get('tool')} {json.dumps(d.get('args', {}), sort_keys=True)}"
        elif kind == "decision":
            role = f" as {d['role']}" if d.get("role") else ""
            said = f"{'approved' if d.get('approved') else 'denied'} by {d.get('approver')}{role}"
        elif kind == "alert":
            said = f"{d.get('source')} {d.get('status')} ({d.get('outcome')})"
        tokens = (d.get("input_tokens") or 0) + (d.get("output_tokens") or 0)
        out.append({"at": entry.get("at") or "", "what": what, "said": said, "tokens": tokens,
                    "duration_s": d.get("duration_s"), "model": d.get("model") or ""})  # fmt: skip
    return out


def _decided(d: Mapping[str, Any]) -> list[str]:
    said = [f"severity {d['severity']}"] if d.get("severity") else []
    if isinstance(d.get("root_cause"), dict):
        said.append(f"cause {reference(d['root_cause'])}")
    said += [f"{tool}: {v.replace('_', ' ')}" for tool, v in (d.get("verdicts") or {}).items()]
    said += [f"{tool}: {v}" for tool, v in (d.get("outcomes") or {}).items()]
    return said


def costs(incidents: Sequence[Mapping[str, Any]], pricing: Pricing, large: str) -> dict[str, Any]:
    """Tokens and cost per node and model over these incidents, and routing's saving
    (`graph cost`'s arithmetic); a model the pricing file cannot price is named instead."""
    lines = [
        Line(i["id"], u["node"], u["model"], int(u["input_tokens"]), int(u["output_tokens"]))
        for i in incidents
        for u in (i.get("summary") or {}).get("usage", [])
        if u.get("model")
    ]
    try:
        return {**build(lines, pricing, large), "error": None}
    except PricingError as exc:
        return {"rows": [], "total": None, "saving": None, "error": str(exc)}
