"""Pure triage rules: category, owning service, environment and severity.

Severity comes from rules, not the model: from the impact the alert states (error ratio,
saturation, latency against its SLO, the service down, restarts, time left before
something expires), the service's tier and the environment; the label's severity only when
nothing is measured (`agents.shared.impact`). Every step is recorded as a reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agents.shared.alerts import alert_text
from agents.shared.impact import Impact, from_text, label_severity
from agents.shared.impact import severity as impact_severity
from core.catalog import Service
from core.state import Alert, Severity, Triage

LEVELS: tuple[Severity, ...] = ("low", "medium", "high", "critical")
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("certificate", r"cert|tls|ssl"),
    ("memory", r"oom|memory|heap"),
    ("crash", r"crashloop|restart|backoff"),
    ("saturation", r"pool|connection|saturat|exhaust|queue|cpu|disk|throttl|capacity"),
    ("errors", r"5xx|error|fail"),
    ("latency", r"latency|slow|p9\d|duration"),
    ("availability", r"down|unreachable|unavailable|probe|health|absent"),
)
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


ENV_LABELS = ("environment", "env", "stage", "deployment_environment")
ENV_WORDS = {
    "prod", "production", "prd", "live", "staging", "stage", "stg", "dev", "development",
    "test", "testing", "qa", "uat", "sandbox", "preprod", "canary",
}  # fmt: skip


def environment(alert: Alert) -> str | None:
    """From an environment label; else from a namespace or cluster whose name says one
    (`prod`, `prod-eu-west-1`, `staging`); None when nothing says (treated as production)."""
    for label in ENV_LABELS:
        value = alert.labels.get(label, "").lower()
        if value:
            return "production" if _is_prod(value) else value
    for label in ("namespace", "cluster", "kube_cluster_name"):
        value = alert.labels.get(label, "").lower()
        words = set(re.split(r"[-_.]", value))
        if words & ENV_WORDS:
            return "production" if _is_prod(value) else value
    return None


def severity(
    alert: Alert, tier: int | None, env: str | None, more: Impact | None = None
) -> tuple[Severity, list[str]]:
    """Severity from impact (`agents.shared.impact`); the label only when nothing is measured."""
    level = label_severity(alert.labels)
    measured = from_text(f"{alert.name} {alert_text(alert)}")
    if more is not None:
        measured = measured.merged(more)
    production = None if env is None else env == "production"
    return impact_severity(measured, tier, production, level)


def triage(alert: Alert, catalog: Mapping[str, Service]) -> Triage:
    service = owning_service(alert, catalog)
    entry = catalog.get(service) if service else None
    kind, env = category(alert), environment(alert)
    level, reasons = severity(alert, entry.tier if entry else None, env)
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


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def _is_prod(value: str) -> bool:
    return value in PROD_VALUES or any(part in PROD_VALUES for part in re.split(r"[-_.]", value))
