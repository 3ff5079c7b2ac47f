"""What the gate's parts see (pure): the trusted inventory an action is checked against,
the text the quarantined model reads, and the trusted-only view the privileged model reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, get_args
from urllib.parse import urlsplit

from core.catalog import Service
from core.prompting import quote
from core.state import IncidentState, ProposedAction, Provenance, RootCause, Verdict
from core.structured import one_of
from core.windows import window_start
from policies.gate import Ask, JudgeAnswer, ReaderAnswer, Reason, choices
from policies.inventory import WORKLOAD_LABELS, Inventory, PullFact, validate

PR_TOOLS = ("revert_pull_request", "merge_pull_request", "comment_on_pull_request")
TEXT_LIMIT = 2400


def inventory(
    state: IncidentState, catalog: Mapping[str, Service], now: datetime, links: frozenset[str]
) -> Inventory:
    alert, tri = state["alert"], state["triage"]
    service = catalog.get(tri.service) if tri.service else None
    cause = state.get("root_cause")
    pulls = {
        (c.repo, c.number): PullFact(c.repo, c.number, c.merged_at, len(c.files))
        for c in (cause.candidates if cause else ())
        if c.kind == "pr" and c.number is not None
    }
    # the alert's own deployments as the Kubernetes API reported them (trusted)
    deployments = {(w.namespace, w.name): w for w in (cause.workloads if cause else ())}
    return Inventory(
        service=tri.service,
        repo=service.repo if service else None,
        channel=tri.channel,
        tier=tri.tier,
        environment=tri.environment,
        namespace=alert.labels.get("namespace"),
        workloads=frozenset(alert.labels[k] for k in WORKLOAD_LABELS if k in alert.labels),
        catalog_channels=frozenset(s.channel for s in catalog.values()),
        pulls=pulls,
        window=(revert_window_start(alert.starts_at, cause), alert.starts_at),
        now=now,
        links=links | _visited_hosts(state),
        deployments=deployments,
        upstream={
            catalog[name].repo: name
            for name in (service.depends_on if service else ())
            if name in catalog
        },  # fmt: skip
    )


def revert_window_start(start: datetime, cause: RootCause | None) -> datetime:
    """Where the changes a revert may target begin: `CHANGE_WINDOW` before the alert, or
    where the investigation took its window back to (a build-up from an older deploy),
    never further than `LONGEST_WINDOW` (the pages that moved it are untrusted text)."""
    return window_start(start, cause.changes_since if cause else None)


def _visited_hosts(state: IncidentState) -> frozenset[str]:
    """Hosts the browser itself read (Playwright only reaches the allowed origins)."""
    return frozenset(
        urlsplit(e.source).netloc.lower()
        for e in state.get("evidence", [])
        if e.kind == "dashboard" and e.ok and e.source.startswith("http")
    )


def target_text(action: ProposedAction, state: IncidentState) -> tuple[str, str]:
    """(carrier, the free text tied to the action's target) for the quarantined reader."""
    if action.tool in PR_TOOLS:
        ref = f"{action.args.get('repo')}:PR #{action.args.get('pr')}"
        found = [e for e in state.get("evidence", []) if e.id == ref]
        return "pull request", "\n".join(f"{e.title}\n{e.excerpt}" for e in found)
    texts = [str(v) for k, v in action.args.items() if k in ("text", "title", "body")]
    return f"{action.tool} argument", "\n".join(texts)


def reader_values(carrier: str, text: str) -> dict[str, Any]:
    return {"carrier": carrier, "text": quote(text, TEXT_LIMIT), "asks": json.dumps(ASKS)}


UNREADABLE = ReaderAnswer(instructions="undeterminable", asks_for="undeterminable")
ASKS: list[str] = list(get_args(Ask))
REASONS: list[str] = list(get_args(Reason))


def judge_values(
    action: ProposedAction,
    state: IncidentState,
    inv: Inventory,
    verdict: Verdict,
    rules: tuple[str, ...],
    read: ReaderAnswer,
) -> dict[str, Any]:
    """Only trusted values and labels: an untrusted argument appears as its label alone."""
    tri = state["triage"]
    return {
        "service": tri.service or "an unknown service",
        "environment": tri.environment or "unknown environment",
        "tier": tri.tier if tri.tier is not None else "unknown",
        "alert_name": state["alert"].labels.get("alertname", "an alert"),
        "severity": tri.severity,
        "tool": action.tool,
        "args": [_arg(name, value, action) for name, value in sorted(action.args.items())],
        "origin": f"{action.origin.source} ({trust(action.origin.trusted)})",
        "checks": "; ".join(c.detail for c in validate(action, inv) if c.ok),
        "verdict": verdict,
        "rules": ", ".join(rules),
        "instructions": read.instructions,
        "asks_for": read.asks_for,
        "options": json.dumps(choices(verdict)),
        "reasons": json.dumps(REASONS),
    }


# targets the inventory checked (replicas: an int the inventory bounds, no room for text)
VALIDATED = ("pr", "repo", "channel", "name", "namespace", "replicas")


def _arg(name: str, value: object, action: ProposedAction) -> dict[str, str]:
    prov = action.provenance.get(name)
    trusted = prov is not None and prov.trusted
    label = f"{prov.source}, {trust(trusted)}" if prov else "no provenance, untrusted"
    if not trusted and name in VALIDATED:
        label += ", validated against the inventory"
    shown = (
        repr(value)
        if trusted or name in VALIDATED
        else f"<untrusted value, {len(str(value))} characters>"
    )
    return {"name": name, "value": shown, "label": label}


def trust(trusted: bool) -> str:
    return "trusted" if trusted else "untrusted"


def judge_schema(current: Verdict) -> type[JudgeAnswer]:
    """JudgeAnswer whose verdict can only be `current` or stricter (an enum in the schema,
    and checked again on validation): the privileged model cannot relax."""
    return one_of(JudgeAnswer, "verdict", choices(current))


def label(p: Provenance) -> str:
    return f"{p.source} ({trust(p.trusted)})"
