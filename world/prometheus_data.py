"""What the world's Prometheus is given: OpenMetrics text, a rules file, a config.

Pure functions for `world.prometheus`: `openmetrics` writes a scenario's series (optionally
shifted in time) as the OpenMetrics text `promtool tsdb create-blocks-from openmetrics`
backfills; `rules_yaml` and `config_yaml` write the rules and the configuration; the rest
computes the `ALERTS_FOR_STATE` samples that let a freshly started Prometheus restore the
`for` state of alerts that were already pending before it started (see `world.prometheus`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import yaml

from world.signals_spec import AlertRule, Series, to_duration

GROUP = "scenario"
FOR_STATE = "ALERTS_FOR_STATE"
_LABEL_TEMPLATE = re.compile(r"\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


@dataclass
class _Family:
    name: str
    type: str
    help: str
    series: dict[tuple[tuple[str, str], ...], dict[int, float]]  # labels -> {ms: value}


def openmetrics(series: Iterable[Series], shift: timedelta = timedelta(0)) -> str:
    """The series as OpenMetrics text (one family per metric name, seconds, `# EOF`).

    Series of one name and label set are merged (a later sample at the same time wins);
    gaps are simply absent."""
    families: dict[str, _Family] = {}
    for s in series:
        family = families.setdefault(s.name, _Family(s.name, s.type, s.help, {}))
        family.help = family.help or s.help
        points = family.series.setdefault(tuple(sorted(s.labels.items())), {})
        for at, value in s.points():
            points[_millis(at + shift)] = value
    lines: list[str] = []
    for family in families.values():
        lines += _family_lines(family)
    return "\n".join([*lines, "# EOF", ""])


def _family_lines(family: _Family) -> list[str]:
    counter = family.type == "counter" and family.name.endswith("_total")
    name = family.name.removesuffix("_total") if counter else family.name
    lines = [f"# HELP {name} {_escape_help(family.help)}"] if family.help else []
    lines.append(f"# TYPE {name} {family.type}")
    for labels, points in family.series.items():
        selector = _selector(family.name, labels)
        lines += [f"{selector} {_value(v)} {ms / 1000:.3f}" for ms, v in sorted(points.items())]
    return lines


def _selector(name: str, labels: Sequence[tuple[str, str]]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
    return f"{name}{{{inner}}}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _millis(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def rules_yaml(rules: Sequence[AlertRule], interval: str) -> str:
    """The alerting rules as one Prometheus rule group."""
    out: list[dict[str, Any]] = []
    for rule in rules:
        entry: dict[str, Any] = {"alert": rule.alert, "expr": rule.expr, "for": rule.for_}
        if rule.labels:
            entry["labels"] = dict(rule.labels)
        if rule.annotations:
            entry["annotations"] = dict(rule.annotations)
        out.append(entry)
    doc = {"groups": [{"name": GROUP, "interval": interval, "rules": out}]}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def config_yaml(interval: str, rule_file: str | None, alertmanager_url: str | None) -> str:
    """prometheus.yml: no scrape jobs, the rules (if any), an Alertmanager (if any)."""
    doc: dict[str, Any] = {"global": {"evaluation_interval": interval}}
    if rule_file:
        doc["rule_files"] = [rule_file]
    if alertmanager_url:
        parts = urlsplit(alertmanager_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"an Alertmanager URL like http://127.0.0.1:9093; got {alertmanager_url!r}"
            )
        target = {"targets": [parts.netloc]}
        manager = {
            "scheme": parts.scheme,
            "path_prefix": parts.path or "/",
            "static_configs": [target],
        }
        doc["alerting"] = {"alertmanagers": [manager]}
    return yaml.safe_dump(doc, sort_keys=False)


# --- restoring the `for` state --------------------------------------------------------------


def hold(rule: AlertRule) -> timedelta:
    """How long the rule's condition must hold before it fires (`for`; 0s when absent)."""
    return timedelta(0) if rule.for_ in ("0s", "0m", "0h") else to_duration(rule.for_)


def active_since(values: Sequence[Sequence[Any]], end: float, step: float) -> float | None:
    """Given a range query's `values` ([t, "v"], ascending), when the unbroken run of points
    that reaches `end` began; None when the series has no point at `end`."""
    times = [float(t) for t, _ in values]
    if not times or abs(times[-1] - end) > step / 2:
        return None
    first = len(times) - 1
    while first > 0 and abs(times[first] - times[first - 1] - step) <= step / 2:
        first -= 1
    return times[first]


def alert_labels(rule: AlertRule, metric: Mapping[str, str]) -> dict[str, str] | None:
    """The labels Prometheus gives the alert of `rule` for one result series (its labels
    without `__name__`, the rule's labels, `alertname`); None when a rule label uses a
    template other than `{{ $labels.x }}`, whose value this module cannot know."""
    labels = {k: v for k, v in metric.items() if k != "__name__"}
    for key, raw in rule.labels.items():
        value = _LABEL_TEMPLATE.sub(lambda m: metric.get(m.group(1), ""), raw)
        if "{{" in value:
            return None
        labels[key] = value
    labels["alertname"] = rule.alert
    return {k: v for k, v in labels.items() if v != ""}


def for_state_openmetrics(states: Sequence[tuple[dict[str, str], float]], at: float) -> str:
    """`ALERTS_FOR_STATE` samples at `at` (seconds) whose value is each alert's start."""
    lines = [f"# TYPE {FOR_STATE} gauge"]
    for labels, since in states:
        selector = _selector(FOR_STATE, sorted(labels.items()))
        lines.append(f"{selector} {_value(since)} {at:.3f}")
    return "\n".join([*lines, "# EOF", ""])
