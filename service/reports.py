"""An incident as a responder reads it (pure, JSON-ready): the report `graph mcp` returns,
and why the guardian decided what it did about one action."""

from __future__ import annotations

from typing import Any


def report(incident: dict[str, Any]) -> dict[str, Any]:
    """Severity and owner, the root cause with its evidence, the actions with their
    verdicts and answers, what waits for a person, the trace id."""
    summary = incident.get("summary") or {}
    pending = [
        {"action_id": a["action_id"], "tool": a["request"].get("tool"),
         "args": a["request"].get("args"), "environment": a["request"].get("environment"),
         "reason": a["request"].get("reason"), "rules": a["request"].get("rules", [])}
        for a in incident.get("approvals", []) if a["status"] == "pending"
    ]  # fmt: skip
    return {
        "incident_id": incident["id"],
        "status": incident["status"],
        "service": incident.get("service"),
        "severity": summary.get("severity"),
        "category": summary.get("category"),
        "team": summary.get("team"),
        "channel": summary.get("channel"),
        "alert": (summary.get("alert") or {}).get("summary") or incident.get("name"),
        "root_cause": summary.get("root_cause"),
        "evidence": [e for e in summary.get("evidence", []) if e.get("ok")],
        "actions": [_action(a) for a in summary.get("actions", [])],
        "awaiting_approval": pending,
        "problems": summary.get("problems", []),
        "error": incident.get("error"),
        "trace_id": incident.get("trace_id"),
    }


def _action(a: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "tool", "args", "reason", "verdict", "rules", "approved", "approver", "role",
            "executed", "outcome")  # fmt: skip
    return {k: a.get(k) for k in keys}


def explain(incident: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The guardian's decision on one action: the deterministic verdict, the rules and
    inventory checks that fired, the quarantined and privileged models' answers, the final
    verdict (models may only make it stricter) and a person's answer. An unknown action id
    raises LookupError naming the known ones."""
    summary = incident.get("summary") or {}
    actions = {a["id"]: a for a in summary.get("actions", [])}
    if action_id not in actions:
        known = ", ".join(actions) or "none"
        raise LookupError(f"incident {incident['id']} has no action {action_id!r} (actions: "
                          f"{known})")  # fmt: skip
    a = actions[action_id]
    stricter = a.get("policy_verdict") not in (None, a.get("verdict"))
    asked = next((p for p in incident.get("approvals", []) if p["action_id"] == action_id), None)
    return {
        "action": {"id": a["id"], "tool": a["tool"], "args": a["args"], "reason": a["reason"]},
        "policy_verdict": a.get("policy_verdict"),
        "verdict": a.get("verdict"),
        "models_made_it_stricter": stricter,
        "rules": a.get("rules", []),
        "checks": a.get("checks", []),
        "model_answers": a.get("answers", {}),
        "approval": None if asked is None else {
            "status": asked["status"], "approved": asked["approved"],
            "approver": asked["approver"], "role": asked.get("role"), "via": asked["via"],
        },
        "executed": a.get("executed"),
        "outcome": a.get("outcome"),
        "detail": a.get("detail"),
    }  # fmt: skip
