"""Result shapes of the Prometheus MCP server and their conversion from Prometheus's JSON.

Results are frozen pydantic models, so FastMCP publishes an output schema for every tool.
A point is `[time, value]`: the time RFC 3339, the value a number, or the string `NaN`,
`+Inf` or `-Inf` (JSON has no such numbers).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcpservers.timeargs import iso_unix, parse_duration

Value = float | str
Point = tuple[str, Value]
MAX_POINTS = 500  # per series; the most recent are kept
DEFAULT_POINTS = 60  # a range query's default step gives about this many


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Series(_Result):
    labels: dict[str, str] = Field(description="the metric's labels, __name__ included")
    points: list[Point] = Field(description="[RFC 3339 time, value], oldest first")


class QueryResult(_Result):
    query: str
    time: str
    result_type: str = Field(description="vector, matrix, scalar or string")
    series: list[Series]
    series_total: int
    truncated: bool = Field(description="true when series or points were left out")
    warnings: list[str] = []


class RangeResult(_Result):
    query: str
    start: str
    end: str
    step: str
    result_type: str
    series: list[Series]
    series_total: int
    truncated: bool
    warnings: list[str] = []


class Alert(_Result):
    name: str
    state: str = Field(description="pending or firing")
    labels: dict[str, str]
    annotations: dict[str, str]
    active_at: str | None
    value: Value | None


class AlertList(_Result):
    source: str = Field(description="'prometheus' (its live alerts) or 'replay' (see evaluated_at)")
    evaluated_at: str | None = Field(
        description="in a replay: the REPLAY_NOW the alerting rules were evaluated at"
    )
    alerts: list[Alert]
    warnings: list[str] = []


class Rule(_Result):
    group: str
    file: str
    name: str
    type: str = Field(description="alerting or recording")
    query: str
    for_seconds: float = 0
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    health: str
    last_error: str = ""
    state: str | None = Field(default=None, description="alerting rules: inactive|pending|firing")
    active_alerts: int = 0


class RuleList(_Result):
    source: str
    evaluated_at: str | None
    rules: list[Rule]
    warnings: list[str] = []


class Target(_Result):
    scrape_pool: str
    job: str
    instance: str
    scrape_url: str
    health: str
    last_scrape: str | None
    last_error: str
    labels: dict[str, str]


class TargetList(_Result):
    active: list[Target]
    active_total: int
    dropped_total: int
    truncated: bool


class SeriesList(_Result):
    match: list[str]
    start: str
    end: str
    series: list[dict[str, str]]
    total: int
    truncated: bool


class LabelValues(_Result):
    label: str
    match: list[str]
    start: str
    end: str
    values: list[str]
    total: int
    truncated: bool


def value(raw: Any) -> Value:
    """Prometheus's sample value (a string) as a number, or NaN/+Inf/-Inf as text."""
    number = float(raw)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    return number


def point(raw: list[Any]) -> Point:
    return (iso_unix(float(raw[0])), value(raw[1]))


def series_of(data: dict[str, Any], limit: int) -> tuple[list[Series], int, bool]:
    """An instant or range query's `data` as series (at most `limit`), total, truncated."""
    kind, result = data.get("resultType", ""), data.get("result")
    if kind in ("scalar", "string"):
        stamp, raw = result or [0, "NaN"]
        text: Value = str(raw) if kind == "string" else value(raw)
        return [Series(labels={}, points=[(iso_unix(float(stamp)), text)])], 1, False
    items: list[dict[str, Any]] = list(result or [])
    items.sort(key=lambda s: sorted(s.get("metric", {}).items()))
    kept, cut = [], len(items) > limit
    for item in items[:limit]:
        raws = item.get("values") or ([item["value"]] if "value" in item else [])
        cut = cut or len(raws) > MAX_POINTS
        points = [point(p) for p in raws[-MAX_POINTS:]]
        kept.append(Series(labels=dict(item.get("metric", {})), points=points))
    return kept, len(items), cut


def alert(raw: dict[str, Any]) -> Alert:
    labels = dict(raw.get("labels", {}))
    return Alert(
        name=labels.get("alertname", ""),
        state=raw.get("state", ""),
        labels=labels,
        annotations=dict(raw.get("annotations", {})),
        active_at=_stamp(raw.get("activeAt")),
        value=value(raw["value"]) if raw.get("value") not in (None, "") else None,
    )


def rule(group: dict[str, Any], raw: dict[str, Any]) -> Rule:
    return Rule(
        group=group.get("name", ""),
        file=group.get("file", ""),
        name=raw.get("name", ""),
        type=raw.get("type", ""),
        query=raw.get("query", ""),
        for_seconds=float(raw.get("duration", 0) or 0),
        labels=dict(raw.get("labels") or {}),
        annotations=dict(raw.get("annotations") or {}),
        health=raw.get("health", ""),
        last_error=raw.get("lastError", "") or "",
        state=raw.get("state") if raw.get("type") == "alerting" else None,
        active_alerts=len(raw.get("alerts") or []),
    )


def target(raw: dict[str, Any]) -> Target:
    labels = dict(raw.get("labels", {}))
    return Target(
        scrape_pool=raw.get("scrapePool", ""),
        job=labels.get("job", ""),
        instance=labels.get("instance", ""),
        scrape_url=raw.get("scrapeUrl", ""),
        health=raw.get("health", ""),
        last_scrape=_stamp(raw.get("lastScrape")),
        last_error=raw.get("lastError", "") or "",
        labels=labels,
    )


def _stamp(raw: Any) -> str | None:
    """Prometheus's RFC 3339 stamps as given; its zero time (never) as None."""
    if not raw or str(raw).startswith("0001-01-01"):
        return None
    return str(raw)


def range_step(start: datetime, end: datetime, step: str | None) -> tuple[timedelta, list[str]]:
    """The step: as given, or about DEFAULT_POINTS points; raised to keep MAX_POINTS."""
    span = (end - start).total_seconds()
    chosen = (
        parse_duration(step, "step").total_seconds()
        if step
        else max(1.0, math.ceil(span / DEFAULT_POINTS))
    )
    if span / chosen <= MAX_POINTS:
        return timedelta(seconds=chosen), []
    raised = float(math.ceil(span / MAX_POINTS))
    note = f"step raised from {chosen:g}s to {raised:g}s: at most {MAX_POINTS} points"
    return timedelta(seconds=raised), [note]
