"""Prometheus as a stdio MCP server: PromQL queries, alerts, rules, targets and series.

Run `python -m mcpservers.prometheus`. Settings come from the environment:

- `PROMETHEUS_URL` (required): the base URL, e.g. `http://prometheus:9090` (a path prefix
  such as `https://host/prometheus` is kept); the server exits at start without it.
- `PROMETHEUS_BEARER_TOKEN`: sent as `Authorization: Bearer ...` when set.
- `REPLAY_NOW` (optional, RFC 3339): "now" for queries and default windows; replays set it
  to the scenario's `now`, and `alerts`/`rules` then evaluate the alerting rules at that
  time (prometheus_replay.py). Empty or unset: the real clock and Prometheus's own alerts.

Prometheus's errors come back as MCP tool errors quoting its message, e.g.
`Prometheus API 400 bad_data: invalid parameter "query": 1:5: parse error: ...`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

import httpx
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from mcpservers import prometheus_format as fmt
from mcpservers import prometheus_replay as replay
from mcpservers.timeargs import iso, parse_time, replay_now, seconds_text, window

READ = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_WINDOW = timedelta(hours=1)

PromQL = Annotated[
    str, Field(description="a PromQL expression, e.g. rate(http_requests_total[5m])")
]
TimeArg = Annotated[
    str | None,
    Field(description="RFC 3339 (e.g. 2026-03-14T10:04:00Z), Unix seconds, or now-15m"),
]
Matchers = Annotated[
    list[str], Field(min_length=1, description="series selectors, e.g. ['up{job=\"api\"}']")
]
SeriesLimit = Annotated[int, Field(ge=1, le=500, description="at most this many series")]


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None = None
    now: datetime | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        url = env.get("PROMETHEUS_URL", "").strip().rstrip("/")
        if not url:
            raise ValueError("PROMETHEUS_URL is not set; give Prometheus's base URL")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"PROMETHEUS_URL must be an http(s) URL like http://prometheus:9090; got {url!r}"
            )
        token = env.get("PROMETHEUS_BEARER_TOKEN", "").strip() or None
        return cls(url=url, token=token, now=replay_now(env))

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


class PrometheusAPI:
    """Prometheus's HTTP API (`/api/v1/...`); failures become tool errors quoting it."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.url
        self.headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}

    async def get(self, path: str, params: dict[str, Any], about: str) -> tuple[Any, list[str]]:
        """The reply's `data` and `warnings`."""
        try:
            async with httpx.AsyncClient(
                base_url=self.url, headers=self.headers, timeout=TIMEOUT
            ) as http:
                response = await http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ToolError(f"Prometheus unreachable at {self.url} for {about}: {exc}") from exc
        try:
            body = response.json()
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
        except ValueError:
            text = response.text.strip()[:300]
            raise ToolError(
                f"Prometheus API {response.status_code} {response.reason_phrase}: {text} ({about})"
            ) from None
        if response.status_code >= 400 or body.get("status") != "success":
            kind = body.get("errorType") or response.reason_phrase
            message = body.get("error") or body
            raise ToolError(f"Prometheus API {response.status_code} {kind}: {message} ({about})")
        return body.get("data"), list(body.get("warnings") or [])


def _unix(value: datetime) -> str:
    return f"{value.timestamp():.3f}"


def _args(about: str, parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except ValueError as exc:
        raise ToolError(f"{exc} ({about})") from exc


async def evaluate_rules(
    api: PrometheusAPI, now: datetime
) -> tuple[list[tuple[dict[str, Any], dict[str, Any], list[fmt.Alert]]], list[str]]:
    """Every rule with its group and, for alerting rules, its alerts at `now` (a replay)."""
    data, warnings = await api.get("/api/v1/rules", {}, "rules")
    found = []
    for group in data.get("groups") or []:
        for raw in group.get("rules") or []:
            alerts: list[fmt.Alert] = []
            if raw.get("type") == "alerting":
                start, end, step = replay.evaluation_window(raw, group.get("interval", 60), now)
                params = {
                    "query": raw.get("query", ""),
                    "start": _unix(start),
                    "end": _unix(end),
                    "step": seconds_text(step),
                }
                about = f"alerting rule {raw.get('name')} at {iso(now)}"
                try:
                    result, _ = await api.get("/api/v1/query_range", params, about)
                except ToolError as exc:
                    warnings.append(str(exc))
                    result = {}
                alerts = replay.alerts_of(raw, result, now, step)
            found.append((group, raw, alerts))
    return found, warnings


def build_server(api: PrometheusAPI, settings: Settings) -> FastMCP:
    """The FastMCP server with the Prometheus tools bound to `api`."""
    server = FastMCP("prometheus", log_level="WARNING")
    _register_queries(server, api, settings)
    _register_state(server, api, settings)
    return server


def _register_queries(server: FastMCP, api: PrometheusAPI, settings: Settings) -> None:
    @server.tool(annotations=READ)
    async def query(
        query: PromQL, time: TimeArg = None, limit: SeriesLimit = 50
    ) -> fmt.QueryResult:
        """Evaluate PromQL at one instant (default: now). Each series: its labels and
        [time, value] points (one for a vector; several for a range selector like x[5m])."""
        about = f"query {query!r}"
        at = _args(about, parse_time, time, "time", settings.clock()) or settings.clock()
        data, warnings = await api.get("/api/v1/query", {"query": query, "time": _unix(at)}, about)
        series, total, cut = fmt.series_of(data, limit)
        kind = data.get("resultType", "")
        return fmt.QueryResult(
            query=query, time=iso(at), result_type=kind, series=series,
            series_total=total, truncated=cut, warnings=warnings,
        )  # fmt: skip

    @server.tool(annotations=READ)
    async def query_range(
        query: PromQL,
        start: TimeArg = None,
        end: TimeArg = None,
        step: Annotated[str | None, Field(description="e.g. 30s, 1m (default: ~60 points)")] = None,
        limit: SeriesLimit = 50,
    ) -> fmt.RangeResult:
        """Evaluate PromQL over [start, end] every `step`: end defaults to now, start to an
        hour before end. Each series: its labels and [time, value] points, oldest first."""
        about = f"query_range {query!r}"
        since, until = _args(about, window, start, end, settings.clock(), DEFAULT_WINDOW)
        every, notes = _args(about, fmt.range_step, since, until, step)
        params = {"query": query, "start": _unix(since), "end": _unix(until)}
        data, warnings = await api.get(
            "/api/v1/query_range", params | {"step": seconds_text(every)}, about
        )
        series, total, cut = fmt.series_of(data, limit)
        return fmt.RangeResult(
            query=query, start=iso(since), end=iso(until), step=seconds_text(every),
            result_type=data.get("resultType", ""), series=series, series_total=total,
            truncated=cut, warnings=notes + warnings,
        )  # fmt: skip

    @server.tool(annotations=READ)
    async def series(
        match: Matchers, start: TimeArg = None, end: TimeArg = None, limit: SeriesLimit = 100
    ) -> fmt.SeriesList:
        """The label sets of the series matching any selector in [start, end] (end defaults
        to now, start to an hour before end)."""
        about = f"series {match}"
        since, until = _args(about, window, start, end, settings.clock(), DEFAULT_WINDOW)
        params = {"match[]": match, "start": _unix(since), "end": _unix(until)}
        data, _ = await api.get("/api/v1/series", params, about)
        found = sorted((dict(s) for s in data or []), key=lambda s: sorted(s.items()))
        return fmt.SeriesList(
            match=match, start=iso(since), end=iso(until), series=found[:limit],
            total=len(found), truncated=len(found) > limit,
        )  # fmt: skip

    @server.tool(annotations=READ)
    async def label_values(
        label: Annotated[str, Field(description="a label name; __name__ lists metric names")],
        match: list[str] | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: Annotated[int, Field(ge=1, le=2000)] = 200,
    ) -> fmt.LabelValues:
        """The values a label takes in [start, end] (default: the hour before now),
        optionally only on series matching `match`."""
        about = f"label {label!r} values"
        since, until = _args(about, window, start, end, settings.clock(), DEFAULT_WINDOW)
        params: dict[str, Any] = {"start": _unix(since), "end": _unix(until)}
        if match:
            params["match[]"] = match
        path = f"/api/v1/label/{quote(label, safe='')}/values"
        data, _ = await api.get(path, params, about)
        values = sorted(str(v) for v in data or [])
        return fmt.LabelValues(
            label=label, match=match or [], start=iso(since), end=iso(until),
            values=values[:limit], total=len(values), truncated=len(values) > limit,
        )  # fmt: skip


def _register_state(server: FastMCP, api: PrometheusAPI, settings: Settings) -> None:
    @server.tool(annotations=READ)
    async def alerts() -> fmt.AlertList:
        """Alerts that are pending or firing now: name, state, labels, annotations, since
        when, value. In a replay, the alerting rules evaluated at the replay's now."""
        if settings.now is None:
            data, warnings = await api.get("/api/v1/alerts", {}, "alerts")
            found = [fmt.alert(a) for a in data.get("alerts") or []]
            return fmt.AlertList(
                source="prometheus", evaluated_at=None, alerts=found, warnings=warnings
            )
        rules_, warnings = await evaluate_rules(api, settings.now)
        found = [a for _, _, rule_alerts in rules_ for a in rule_alerts]
        return fmt.AlertList(
            source="replay", evaluated_at=iso(settings.now), alerts=found, warnings=warnings
        )

    @server.tool(annotations=READ)
    async def rules(
        type: Literal["alerting", "recording", "all"] = "all",
    ) -> fmt.RuleList:
        """Alerting and recording rules: group, expression, for, labels, annotations,
        health, last error, and for alerting rules their state and active alert count."""
        if settings.now is None:
            data, warnings = await api.get("/api/v1/rules", {}, "rules")
            found = [fmt.rule(g, r) for g in data.get("groups") or [] for r in g.get("rules") or []]
            evaluated = None
        else:
            evaluated_rules, warnings = await evaluate_rules(api, settings.now)
            found = [_replayed(fmt.rule(g, r), a) for g, r, a in evaluated_rules]
            evaluated = iso(settings.now)
        kept = [r for r in found if type == "all" or r.type == type]
        source = "prometheus" if evaluated is None else "replay"
        return fmt.RuleList(source=source, evaluated_at=evaluated, rules=kept, warnings=warnings)

    @server.tool(annotations=READ)
    async def targets(
        health: Literal["up", "down", "unknown", "all"] = "all",
        limit: Annotated[int, Field(ge=1, le=500)] = 100,
    ) -> fmt.TargetList:
        """Scrape targets: pool, job, instance, URL, health, last scrape, last error."""
        data, _ = await api.get("/api/v1/targets", {"state": "active"}, "targets")
        active = [fmt.target(t) for t in data.get("activeTargets") or []]
        kept = [t for t in active if health == "all" or t.health == health]
        return fmt.TargetList(
            active=kept[:limit], active_total=len(kept),
            dropped_total=len(data.get("droppedTargets") or []), truncated=len(kept) > limit,
        )  # fmt: skip


def _replayed(rule: fmt.Rule, alerts: list[fmt.Alert]) -> fmt.Rule:
    if rule.type != "alerting":
        return rule
    return rule.model_copy(
        update={"state": replay.rule_state(alerts), "active_alerts": len(alerts)}
    )


def main() -> None:
    try:
        settings = Settings.from_env(os.environ)
    except ValueError as exc:
        sys.exit(f"mcpservers.prometheus: {exc}")
    build_server(PrometheusAPI(settings), settings).run("stdio")


if __name__ == "__main__":
    main()
