"""Alerting rules evaluated at `REPLAY_NOW`, for replays.

A replay's Prometheus holds the scenario's day, backfilled; its own rule evaluation runs on
the real clock and so never sees that data fire. At `REPLAY_NOW` the server instead asks
Prometheus for each alerting rule's expression over the hour (plus the rule's `for`) before
that time, one point per evaluation interval, and derives what Prometheus would have shown:
a series present at that time is active since the start of its unbroken run of points,
pending until it has been active for `for`, then firing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from mcpservers import prometheus_format as fmt
from mcpservers.timeargs import iso_unix

LOOKBACK = timedelta(hours=1)
_TEMPLATE = re.compile(
    r"\{\{\s*(?:(?:\$labels|\.Labels)\.(?P<label>\w+)|(?P<value>\$value|\.Value))"
    r"\s*(?:\|[^}]*)?\}\}"
)


def evaluation_window(
    raw_rule: dict[str, Any], interval_s: float, now: datetime
) -> tuple[datetime, datetime, timedelta]:
    """[start, now] and the step: a whole number of intervals ending exactly at now."""
    step = timedelta(seconds=interval_s or 60)
    span = LOOKBACK + timedelta(seconds=float(raw_rule.get("duration", 0) or 0))
    count = int(span / step)
    return now - count * step, now, step


def alerts_of(
    raw_rule: dict[str, Any], data: dict[str, Any], now: datetime, step: timedelta
) -> list[fmt.Alert]:
    """The alerts of one alerting rule, from its expression's range query ending at now."""
    found = []
    at, step_s = now.timestamp(), step.total_seconds()
    for item in data.get("result") or []:
        stamps = [float(p[0]) for p in item.get("values") or []]
        if not stamps or abs(stamps[-1] - at) > step_s / 2:
            continue  # not active at now
        since = stamps[-1]
        for stamp in reversed(stamps[:-1]):
            if since - stamp > step_s * 1.01:
                break
            since = stamp
        held = at - since
        for_s = float(raw_rule.get("duration", 0) or 0)
        found.append(_alert(raw_rule, item, since, "firing" if held >= for_s else "pending"))
    return sorted(found, key=lambda a: sorted(a.labels.items()))


def _alert(raw_rule: dict[str, Any], item: dict[str, Any], since: float, state: str) -> fmt.Alert:
    metric = {k: v for k, v in (item.get("metric") or {}).items() if k != "__name__"}
    labels = metric | dict(raw_rule.get("labels") or {}) | {"alertname": raw_rule["name"]}
    current = fmt.value(item["values"][-1][1])
    annotations = {
        key: expand(text, labels, current)
        for key, text in (raw_rule.get("annotations") or {}).items()
    }
    return fmt.Alert(
        name=raw_rule["name"],
        state=state,
        labels=labels,
        annotations=annotations,
        active_at=iso_unix(since),
        value=current,
    )


def expand(text: str, labels: dict[str, str], value: fmt.Value) -> str:
    """The common annotation templates: `{{ $labels.x }}`, `{{ $value }}` (pipes ignored)."""

    def one(match: re.Match[str]) -> str:
        if match.group("label"):
            return labels.get(match.group("label"), "")
        return f"{value:g}" if isinstance(value, float) else value

    return _TEMPLATE.sub(one, text)


def rule_state(alerts: list[fmt.Alert]) -> str:
    states = {a.state for a in alerts}
    return "firing" if "firing" in states else "pending" if states else "inactive"
