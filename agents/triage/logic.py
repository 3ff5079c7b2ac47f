"""Pure triage rules: category, owning service, environment and severity.

Severity comes from rules, not the model: the label's severity is the base, the
category's own evidence (saturation near its limit, repeated OOM kills, hours left on a
certificate) sets a floor, and a tier-1 production service with a present problem is
raised one level. Every step is recorded as a reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agents.shared.alerts import alert_text
from core.catalog import Service
from core.state import Alert, Severity, Triage

LEVELS: tuple[Severity, ...] = ("low", "medium", "high", "critical")
LABEL_SEVERITY: dict[str, Severity] = {
    "critical": "critical",
    "page": "critical",
    "error": "high",
    "major": "high",
    "high": "high",
    "warning": "medium",
    "medium": "medium",
    "minor": "low",
    "info": "low",
    "low": "low",
    "none": "low",
}
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("certificate", r"cert|tls|ssl"),
    ("memory", r"oom|memory|heap"),
    ("crash", r"crashloop|restart|backoff"),
    ("saturation", r"pool|connection|saturat|exhaust|queue|cpu|disk|throttl|capacity"),
    ("errors", r"5xx|error|fail"),
    ("latency", r"latency|slow|p9\d|duration"),
    ("availability", r"down|unreachable|unavailable|probe|health|absent"),
)
FUTURE_RISK = {"certificate"}  # not hurting users yet: no tier escalation
SERVICE_LABELS = ("service", "app", "app_kubernetes_io_name", "deployment", "job", "container")
PROD_VALUES = {"prod", "production", "prd", "live"}


def category(alert: Alert) -> str:
    text = " ".join([_words(alert.name), alert.labels.get("reason", ""), alert_text(alert)]).lower()
    return next((name for name, rx in CATEGORIES if re.search(rx, text)), "other")


def owning_service(alert: Alert, catalog: Mapping[str, Service]) -> str | None:
    """The service a label names; else the longest catalog name that appears whole in the
    alert's name or a label's value (a CloudWatch alarm `checkout-api-prod-5xx`)."""
    for label in SERVICE_LABELS:
        value = alert.labels.get(label)
        if value in catalog:
            return value
    texts = [alert.name, *alert.labels.values()]
    for name in sorted(catalog, key=len, reverse=True):
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.I)
        if any(pattern.search(text) for text in texts):
            return name
    return None


def environment(alert: Alert) -> str | None:
    for label in ("environment", "env", "namespace", "cluster"):
        value = alert.labels.get(label, "").lower()
        if value:
            return "production" if _is_prod(value) else value
    return None


def severity(
    alert: Alert, kind: str, tier: int | None, env: str | None
) -> tuple[Severity, list[str]]:
    label = alert.labels.get("severity", "").lower()
    level = LABEL_SEVERITY.get(label, "medium")
    reasons = [f"alert label severity={label or 'unset'} → {level}"]
    floor, why = _floor(alert, kind)
    if floor and LEVELS.index(floor) > LEVELS.index(level):
        level = floor
        reasons.append(f"{why} → at least {floor}")
    if tier == 1 and env == "production" and kind not in FUTURE_RISK and level != "critical":
        level = LEVELS[LEVELS.index(level) + 1]
        reasons.append(f"tier-1 service in production with a present {kind} problem → {level}")
    return level, reasons


def triage(alert: Alert, catalog: Mapping[str, Service]) -> Triage:
    service = owning_service(alert, catalog)
    entry = catalog.get(service) if service else None
    kind, env = category(alert), environment(alert)
    level, reasons = severity(alert, kind, entry.tier if entry else None, env)
    if entry is None:
        reasons.append("no catalog service matches the alert's labels")
    return Triage(
        severity=level,
        category=kind,
        service=service,
        team=entry.team if entry else alert.labels.get("team"),
        channel=entry.channel if entry else None,
        tier=entry.tier if entry else None,
        environment=env,
        reasons=tuple(reasons),
    )


def _floor(alert: Alert, kind: str) -> tuple[Severity | None, str]:
    text = alert_text(alert)
    if kind == "saturation":
        pct = _max_number(r"(\d+(?:\.\d+)?)\s*%", text)
        if pct is not None and pct >= 90:
            return "high", f"saturation at {pct:g}% of its limit"
    if kind in ("memory", "crash"):
        times = _max_number(r"(\d+)\s*(?:times|restarts)", text)
        if times is not None and times >= 3:
            return "high", f"restarted {times:g} times"
    if kind == "certificate":
        hours = _hours_left(text)
        if hours is not None and hours <= 24:
            return "critical", f"certificate expires in {hours:.0f} h"
        if hours is not None and hours <= 7 * 24:
            return "high", f"certificate expires in {hours:.0f} h"
    if kind in ("errors", "availability"):
        return "high", f"{kind} alert on a serving path"
    return None, ""


def _hours_left(text: str) -> float | None:
    match = re.search(r"expires in (\d+)\s*h", text) or re.search(r"in (\d+)\s*hours", text)
    if match:
        return float(match.group(1))
    days = re.search(r"expires in (\d+)\s*d", text)
    return float(days.group(1)) * 24 if days else None


def _max_number(pattern: str, text: str) -> float | None:
    found = [float(n) for n in re.findall(pattern, text)]
    return max(found) if found else None


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def _is_prod(value: str) -> bool:
    return value in PROD_VALUES or any(part in PROD_VALUES for part in re.split(r"[-_.]", value))
