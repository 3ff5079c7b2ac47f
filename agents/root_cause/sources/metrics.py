"""Metrics from Prometheus: the alerting rule's own expression over the window, and the
workload's series that tell an incident (restarts and terminations, readiness and replicas,
memory, errors, requests and latency, CPU, connections, disk, lag, quota), each as a typed
`Series`, so the onset is found as on a dashboard's table."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from agents.root_cause.evidence import Bundle, ToolFailed, iso, parse_time, read
from agents.root_cause.facts.onset import page_onset
from agents.root_cause.facts.types import PageFacts, Point, Series
from agents.root_cause.sources.target import Target
from core.ports import Tools
from core.state import Alert, Evidence
from core.tools import MetricNames, MetricSeries, RangeResult, RuleList

SOURCE = "metrics"
STEP = "60s"
MAX_QUERIES = 7
SERIES_PER_QUERY = 3
# what a metric's name says it measures, most telling first (at most two metrics per kind)
KINDS = (
    re.compile(r"restart|oom|terminated|waiting_reason|crash"),
    re.compile(r"unavailable|available|ready|replicas|phase|unschedulable|pending"),
    re.compile(r"memory|heap|gc_"),
    re.compile(r"error|5xx|fail|exception"),
    re.compile(r"request|duration|latency"),
    re.compile(r"cpu|throttl"),
    re.compile(r"connection|pool|conns"),
    re.compile(r"disk|filesystem|volume|evict"),
    re.compile(r"lag|replay|delay|behind"),
    re.compile(r"quota"),
)
# Series that react to the incident or carry the load rather than show the fault: they never
# set the onset (a scale-out, CPU and traffic move for many reasons, often before the fault).
REACTION = re.compile(
    r"spec_replicas|status_replicas\{|replicas_updated|current_replicas|desired|"
    r"request|cpu|duration|latency|quota|limit|max_"
)
_COUNTER = re.compile(r"_(total|count|sum)$")


async def read_metrics(tools: Tools, alert: Alert, where: Target, bundle: Bundle) -> None:
    queries: list[tuple[str, str]] = []
    rule: str | None = None
    try:
        rule = await _rule(tools, alert.name)
        if rule:
            queries.append((f"{_words(alert.name)} (the alert's expression)", rule))
        if where.namespace:
            queries += await _workload_queries(tools, where)
    except ToolFailed as exc:
        bundle.problems.append(f"metrics: {exc}")
    series: list[Series] = []
    ruled: list[Series] = []  # the alert's own expression
    faults: list[Series] = []  # the series that show a fault rather than a reaction or load
    for i, (name, query) in enumerate(queries[:MAX_QUERIES]):
        args = {"query": query, "start": iso(where.start), "end": iso(where.end), "step": STEP}
        try:
            reply = await read(tools, "prometheus.query_range", args, RangeResult)
        except ToolFailed as exc:
            bundle.problems.append(f"metrics: {exc}")
            continue
        got = [s for raw in reply.series[:SERIES_PER_QUERY] if (s := _series(name, raw))]
        series += got
        if i == 0 and rule:
            ruled += got
        elif not REACTION.search(query):
            faults += got
    if not series:
        return
    own = page_onset(ruled) if ruled else None  # what the alert measures is the problem
    onset = (replace(own, problem=True) if own else None) or (
        page_onset(faults) if faults else None)  # fmt: skip
    bundle.pages.insert(0, PageFacts(source=SOURCE, url="prometheus", title="Prometheus",
                                     series=tuple(series), onset=onset))  # fmt: skip
    bundle.evidence.append(Evidence(
        id=SOURCE, kind="metrics", source="prometheus: " + "; ".join(q for _, q in queries[:3]),
        title=f"Prometheus: {len(series)} series around the onset",
        excerpt="\n".join(_summary(s) for s in series),
    ))  # fmt: skip


async def _rule(tools: Tools, alertname: str) -> str | None:
    """The alerting rule's expression, when this Prometheus has the rule that fired."""
    rules = await read(tools, "prometheus.rules", {"type": "alerting"}, RuleList)
    return next((r.query for r in rules.rules if r.name == alertname and r.query), None)


async def _workload_queries(tools: Tools, where: Target) -> list[tuple[str, str]]:
    """Queries over the workload's own series, chosen by what their names measure."""
    ns = where.namespace
    selectors = (
        [
            f'{{namespace="{ns}",deployment="{where.workload}"}}',
            f'{{namespace="{ns}",pod=~"{where.workload}-.*"}}',
        ]
        if where.workload
        else []
    )
    selectors = selectors or [f'{{namespace="{ns}"}}']  # fmt: skip
    names: dict[str, str] = {}  # metric → the selector it was found with
    for selector in selectors:
        args = {"label": "__name__", "match": [selector], "start": iso(where.start),
                "end": iso(where.end)}  # fmt: skip
        found = await read(tools, "prometheus.label_values", args, MetricNames)
        for name in found.values:
            names.setdefault(name, selector)
    chosen: list[tuple[str, str]] = []
    for kind in KINDS:
        hits = sorted(n for n in names if kind.search(n) and n not in dict(chosen))
        chosen += [(n, names[n]) for n in hits[:2]]
    return [(_words(n), _query(n, s)) for n, s in chosen]


def _query(metric: str, selector: str) -> str:
    if _COUNTER.search(metric):
        return f"sum(increase({metric}{selector}[5m]))"
    return f"max({metric}{selector})"


def _series(name: str, raw: MetricSeries) -> Series | None:
    points = []
    for at, value in raw.points:
        number = _number(value)
        if number is not None:
            points.append(Point(parse_time(at), number))
    if len(points) < 4:
        return None
    extra = {k: v for k, v in raw.labels.items() if k != "__name__"}
    label = name + (f" {{{', '.join(f'{k}={v}' for k, v in extra.items())}}}" if extra else "")
    return Series(name=label, unit=_unit(name), points=tuple(points), source=SOURCE)


def _summary(s: Series) -> str:
    values = [p.value for p in s.points]
    return f"{s.name}: {values[0]:g} → max {max(values):g}, last {values[-1]:g}"


def _number(value: float | str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _unit(name: str) -> str:
    return "B" if "bytes" in name else "s" if "seconds" in name else ""


def _words(name: str) -> str:
    """`HighErrorRate` → `High Error Rate`; `High5xxRatio` → `High 5xx Ratio`;
    `kube_pod_status` → `kube pod status`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[a-z])(?=[1-5](?:xx|\d\d)(?![0-9]))", " ", name)
    return re.sub(r"[_:]+", " ", spaced).strip()
