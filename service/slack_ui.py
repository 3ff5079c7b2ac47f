"""The incident's Slack thread (pure): its Block Kit message, the replies, the buttons.

The root message shows severity, service, the alert, the root cause with links, the
evidence and each proposed action; an action waiting for a human carries Approve / Deny
buttons whose value names the incident and the action. Block Kit has no colour of its
own, so severity shows as a coloured emoji. Free text (alert and root-cause summaries,
evidence titles, error messages) is escaped so it cannot mention anyone or form links.
`click` reads a button press from Slack's interaction payload.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.notify.sanitize import sanitize

SEVERITY = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":white_circle:",
}
APPROVE, DENY = "approve", "deny"


def escape(text: str) -> str:
    """Slack's own escaping: `&`, `<` and `>` make mentions and links inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str, hosts: frozenset[str] = frozenset()) -> str:
    """A link to a URL the pipeline itself read (trusted), with an untrusted label."""
    text = sanitize(label, hosts)
    if not url.startswith(("http://", "https://")) or any(c in url for c in "<>| "):
        return text
    return f"<{url}|{text.replace('|', '/')}>"


def headline(incident: dict[str, Any]) -> str:
    s = incident["summary"]
    severity = str(s.get("severity") or "untriaged").upper()
    service = incident.get("service") or s.get("service") or "unknown service"
    resolved = " · RESOLVED" if incident.get("resolved") else ""
    return f"{severity} {incident['name']} on {service}{resolved}"


def message(
    incident: dict[str, Any], hosts: frozenset[str] = frozenset()
) -> tuple[str, list[dict[str, Any]]]:
    """The root message: (text fallback, blocks). Untrusted text is sanitized: mentions and
    links to hosts outside `hosts` (the policy's `links`) are removed."""
    s = incident["summary"]
    emoji = SEVERITY.get(str(s.get("severity")), ":white_circle:")
    fields = [
        ("Severity", s.get("severity") or "untriaged"),
        ("Service", incident.get("service") or s.get("service") or "unknown"),
        ("Status", str(incident["status"]).replace("_", " ")),
        ("Incident", incident["id"]),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(incident)[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{escape(str(v))}"} for k, v in fields],
        },
    ]
    alert = (s.get("alert") or {}).get("summary")
    if alert:
        blocks.append(_section(f"{emoji} *Alert:* {sanitize(alert, hosts)}"))
    blocks += _cause(s, hosts) + _evidence(s, hosts)
    for action in s.get("actions", []):
        blocks += _action(incident, action, hosts)
    traces = ", ".join(incident.get("trace_ids") or []) or "none yet"
    footer = f"Incident {incident['id']} · trace {traces}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer[:3000]}]})
    return f"{emoji} {headline(incident)}", blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _cause(s: dict[str, Any], hosts: frozenset[str]) -> list[dict[str, Any]]:
    cause = s.get("root_cause")
    if not cause:
        return []
    where = f" `{escape(cause['file'])}:{cause['line']}`" if cause.get("file") else ""
    ref = cause.get("kind", "unknown")
    if cause.get("pr") is not None:
        ref = _link(cause["links"][0], f"{cause['repo']} PR #{cause['pr']}")
    elif cause.get("commit"):
        ref = _link(cause["links"][-1], f"{cause['repo']} commit {cause['commit']}")
    return [_section(f"*Root cause* ({ref}{where}): {sanitize(cause['summary'][:1500], hosts)}")]


def _evidence(s: dict[str, Any], hosts: frozenset[str]) -> list[dict[str, Any]]:
    items = [e for e in s.get("evidence", []) if e.get("ok")][:5]
    if not items:
        return []
    lines = [f"• {_link(e['source'], e['title'][:150], hosts)} ({e['kind']})" for e in items]
    return [_section("*Evidence*\n" + "\n".join(lines))]


def _action(
    incident: dict[str, Any], action: dict[str, Any], hosts: frozenset[str]
) -> list[dict[str, Any]]:
    args = escape(json.dumps(action["args"], sort_keys=True))
    verdict = str(action.get("verdict") or "not reviewed").replace("_", " ")
    line = f"*Action* `{action['tool']}` {args}: {verdict}"
    ask = next((a for a in incident.get("approvals", []) if a["action_id"] == action["id"]), None)
    if action.get("approver"):
        who = sanitize(action["approver"], hosts)
        line += f", {'approved' if action['approved'] else 'denied'} by {who}"
    elif ask and ask["status"] != "pending":
        line += (
            f", {'approved' if ask['approved'] else 'denied'} by {sanitize(ask['approver'], hosts)}"
        )
    if action.get("outcome"):
        line += f" · {'executed' if action['executed'] else action['outcome']}"
    blocks = [_section(line)]
    if ask and ask["status"] == "pending":
        value = json.dumps({"incident": incident["id"], "action": action["id"]})
        blocks.append(
            {
                "type": "actions",
                "block_id": f"approval:{action['id']}"[:255],
                "elements": [
                    _button("Approve", APPROVE, value, "primary"),
                    _button("Deny", DENY, value, "danger"),
                ],
            }
        )
    return blocks


def _button(label: str, action_id: str, value: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
        "style": style,
    }


def reply(kind: str, detail: dict[str, Any], hosts: frozenset[str] = frozenset()) -> str | None:
    """A thread reply for a timeline event, or None when the root message says it all."""
    if kind == "stage":
        return _stage(detail, hosts)
    if kind == "approval_needed":
        args = escape(json.dumps(detail.get("args", {}), sort_keys=True))
        return f":raised_hand: approval needed: `{detail.get('tool')}` {args}"
    if kind == "decision":
        word = "approved" if detail["approved"] else "denied"
        who = sanitize(detail["approver"], hosts)
        role = f" as {sanitize(detail['role'], hosts)}" if detail.get("role") else ""
        return f":ballot_box_with_check: {word} by {who}{role} ({detail['via']})"
    if kind == "alert_joined":
        return (
            f":heavy_plus_sign: alerts joined: {sanitize(', '.join(detail['fingerprints']), hosts)}"
        )
    if kind == "resolved":
        return ":large_green_circle: resolved: the alert stopped firing"
    if kind == "failed":
        return f":x: the pipeline failed: {sanitize(str(detail.get('error', ''))[:500], hosts)}"
    if kind == "requeued":
        return (
            f":arrows_counterclockwise: picked up again ({sanitize(detail.get('why', ''), hosts)})"
        )
    return None  # completed: the root message shows the outcome


def _stage(d: dict[str, Any], hosts: frozenset[str]) -> str:
    parts = [f":white_check_mark: *{d['node']}*"]
    if "duration_s" in d:
        parts.append(f"{d['duration_s']:.1f}s" + (f" on {d['model']}" if d.get("model") else ""))
    if "severity" in d:
        parts.append(f"severity {d['severity']}")
    cause = d.get("root_cause")
    if cause:
        ref = f"PR #{cause['pr']}" if cause.get("pr") is not None else cause.get("commit")
        parts.append(f"cause {cause.get('repo') or ''} {ref or cause['kind']}".replace("  ", " "))
    parts += [
        f"{tool}: {verdict.replace('_', ' ')}" for tool, verdict in d.get("verdicts", {}).items()
    ]
    parts += [
        f"{'approved' if a['approved'] else 'denied'} by {sanitize(a['approver'], hosts)}"
        for a in d.get("approvals", [])
    ]
    parts += [f"{tool}: {status}" for tool, status in d.get("outcomes", {}).items()]
    if d.get("notified"):
        parts.append("notified " + ", ".join(d["notified"]))
    return " · ".join(parts)


UPDATES_ROOT = frozenset(
    {"stage", "approval_needed", "decision", "resolved", "completed", "failed"}
)


class _User(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    username: str = ""
    name: str = ""


class _Action(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action_id: str
    value: str


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    user: _User
    actions: list[_Action] = Field(min_length=1)


class Click(BaseModel):
    incident_id: str
    action_id: str
    approved: bool
    user_id: str
    user_name: str

    def approver(self) -> str:
        return f"{self.user_name} (slack {self.user_id})"


class InteractionError(ValueError):
    """A payload that is not an Approve / Deny click of ours."""


def click(body: bytes) -> Click:
    """The button press in a `POST /slack/interactions` form body (`payload=<json>`)."""
    form = parse_qs(body.decode("utf-8", errors="replace"))
    try:
        payload = _Payload.model_validate_json(form["payload"][0])
        action = payload.actions[0]
        target = json.loads(action.value)
        incident_id, action_id = str(target["incident"]), str(target["action"])
    except (KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
        raise InteractionError(f"not an interaction payload of ours: {exc}") from None
    if payload.type != "block_actions" or action.action_id not in (APPROVE, DENY):
        raise InteractionError(f"unexpected {payload.type} action {action.action_id!r}")
    name = payload.user.username or payload.user.name or payload.user.id
    return Click(
        incident_id=incident_id,
        action_id=action_id,
        approved=action.action_id == APPROVE,
        user_id=payload.user.id,
        user_name=name,
    )
