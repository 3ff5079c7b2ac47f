"""Grouping and deduplication: which incident an arriving alert belongs to (pure).

An incident is keyed by its source and notification group (`groupKey`), or by its source
and fingerprint when the body has no group (the generic format). For each key the inbox
keeps the latest incident; `decide` compares an arrival with it:

- no incident for the key: a firing body opens one; a resolved body matches nothing;
- a firing body within `window` seconds of the incident's last alert joins it; one whose
  firing fingerprints it has all seen already is a duplicate (retries, HA senders);
- a firing body after the window, or after the incident was resolved, opens a new one;
- a resolved body resolves the incident (once; another resolved body is a duplicate).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from core.state import Alert

Outcome = Literal["new", "joined", "duplicate", "resolved", "unmatched"]
Status = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Arrival:
    """What the inbox needs to know about one accepted webhook body."""

    key: str
    status: Status
    fingerprints: frozenset[str]
    name: str
    service: str | None


@dataclass(frozen=True)
class Latest:
    """The latest incident of a key, as the inbox holds it."""

    id: str
    last_alert_at: float
    fingerprints: frozenset[str]
    resolved: bool


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    incident_id: str | None
    added: frozenset[str] = frozenset()  # fingerprints the incident had not seen
    supersedes: str | None = None  # the key's previous incident, closed by a new one


def arrival(alert: Alert, body: str) -> Arrival:
    """The arrival of a body that `agents.ingest.logic.parse_alert` accepted as `alert`."""
    key = f"{alert.source}:group:{alert.group_key}" if alert.group_key else None
    return Arrival(
        key=key or f"{alert.source}:fingerprint:{alert.fingerprint}",
        status=alert.status,
        fingerprints=_fingerprints(alert, body),
        name=alert.name,
        service=alert.labels.get("service"),
    )


def _fingerprints(alert: Alert, body: str) -> frozenset[str]:
    """A group's firing fingerprints (all of them when none fires); else the alert's own."""
    if alert.source == "generic":
        return frozenset({alert.fingerprint})
    alerts: list[dict[str, Any]] = json.loads(body)["alerts"]  # validated by parse_alert
    firing = {a["fingerprint"] for a in alerts if a["status"] == "firing"}
    return frozenset(firing or {a["fingerprint"] for a in alerts})


def decide(
    came: Arrival,
    latest: Latest | None,
    now: float,
    window_s: float,
    new_id: Callable[[str], str],
) -> Decision:
    if latest is None:
        if came.status == "resolved":
            return Decision("unmatched", None)
        return Decision("new", new_id(came.name), came.fingerprints)
    if came.status == "resolved":
        return Decision("duplicate" if latest.resolved else "resolved", latest.id)
    if latest.resolved or now - latest.last_alert_at > window_s:
        return Decision("new", new_id(came.name), came.fingerprints, supersedes=latest.id)
    added = came.fingerprints - latest.fingerprints
    return Decision("joined" if added else "duplicate", latest.id, added)


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def new_incident_id(name: str) -> str:
    """`dbconnectionpoolhigh-3f9a0c1d2e`: the alert name as a slug and 40 random bits."""
    slug = _NOT_SLUG.sub("-", name.lower()).strip("-")[:40].strip("-") or "incident"
    return f"{slug}-{secrets.token_hex(5)}"
