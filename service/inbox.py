"""The durable inbox: the acknowledgement path and the approvals.

`accept` is the only thing an alert waits for before its 2xx: it decides the alert's
incident (`service.incidents`) and inserts it in the writer's next batch, so it is
committed (SQLite WAL with synchronous=FULL, or PostgreSQL) when the call returns.
`decide` records a human's answer to a pending approval and queues the incident again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from core.state import Alert, RawAlert
from service import incidents
from service.db import Conn, Database, Readers
from service.writer import Writer


@dataclass(frozen=True)
class Receipt:
    alert_id: int
    incident_id: str | None
    outcome: incidents.Outcome


DecideResult = Literal["decided", "unknown", "already_decided"]


@dataclass(frozen=True)
class Who:
    """Who answered an approval, through what, and the role that allowed it."""

    name: str
    via: str
    role: str | None = None


_FIND = "SELECT id, last_alert_at, fingerprints, resolved_at FROM ig_incidents WHERE open_key = ?"
_CLOSE = "UPDATE ig_incidents SET open_key = NULL WHERE id = ?"
_OPEN = (
    "INSERT INTO ig_incidents (id, open_key, key, source, name, service, body, status, "
    "fingerprints, alerts, duplicates, created_at, updated_at, last_alert_at, attempts, "
    "trace_ids, summary) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, 1, 0, ?, ?, ?, 0, '[]', '{}')"
)
_JOIN = (
    "UPDATE ig_incidents SET fingerprints = ?, alerts = alerts + 1, last_alert_at = ?, "
    "updated_at = ? WHERE id = ?"
)
_DUPLICATE = (
    "UPDATE ig_incidents SET alerts = alerts + 1, duplicates = duplicates + 1, "
    "last_alert_at = ? WHERE id = ?"
)
_RESOLVE = (
    "UPDATE ig_incidents SET resolved_at = ?, alerts = alerts + 1, last_alert_at = ?, "
    "updated_at = ? WHERE id = ?"
)
_ARRIVED = (
    "INSERT INTO ig_alerts (received_at, source, status, fingerprint, incident_id, outcome, "
    "body) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq"
)


class Inbox:
    """Alerts, incidents, approvals and timelines in one database; see `service.db`."""

    def __init__(self, db: Database, window_s: float) -> None:
        self.db = db
        self.window_s = window_s
        self.writer = Writer(db).start()
        self.readers = Readers(db)
        self.sql = db.sql

    def close(self) -> None:
        self.writer.stop()
        self.readers.close()
        self.db.close()

    async def accept(self, raw: RawAlert, alert: Alert, route: str | None = None) -> Receipt:
        """Store the alert durably; `route` (default: its format) is the webhook route that
        received it, which the worker reads it through again (`generic/<mapping>`)."""
        came = incidents.arrival(alert, raw.body)
        job = partial(self._accept, came, raw, route or raw.format, alert.fingerprint, time.time())
        return await self.writer.run(job, keys=(came.key,))

    def _accept(
        self,
        came: incidents.Arrival,
        raw: RawAlert,
        route: str,
        fingerprint: str,
        now: float,
        conn: Conn,
    ) -> Receipt:
        found = conn.execute(self.sql(_FIND), (came.key,)).fetchone()
        latest = None
        if found is not None:
            seen = frozenset(json.loads(found[2]))
            latest = incidents.Latest(found[0], found[1], seen, found[3] is not None)
        decision = incidents.decide(came, latest, now, self.window_s, incidents.new_incident_id)
        self._apply(conn, decision, came, raw.body, route, now, latest)
        row = (now, route, came.status, fingerprint, decision.incident_id,
               decision.outcome, raw.body)  # fmt: skip
        (alert_id,) = conn.execute(self.sql(_ARRIVED), row).fetchone()
        return Receipt(int(alert_id), decision.incident_id, decision.outcome)

    def _apply(
        self,
        conn: Conn,
        decision: incidents.Decision,
        came: incidents.Arrival,
        body: str,
        route: str,
        now: float,
        latest: incidents.Latest | None,
    ) -> None:
        sql, iid, outcome = self.sql, str(decision.incident_id), decision.outcome
        if outcome == "new":
            if decision.supersedes:
                conn.execute(sql(_CLOSE), (decision.supersedes,))
            every = json.dumps(sorted(came.fingerprints))
            row = (iid, came.key, came.key, route, came.name, came.service, body,
                   every, now, now, now)  # fmt: skip
            conn.execute(sql(_OPEN), row)
        elif outcome == "joined" and latest is not None:
            every = json.dumps(sorted(latest.fingerprints | decision.added))
            conn.execute(sql(_JOIN), (every, now, now, iid))
            self.event(conn, iid, "alert_joined", {"fingerprints": sorted(decision.added)}, now)
        elif outcome == "duplicate":
            conn.execute(sql(_DUPLICATE), (now, iid))
        elif outcome == "resolved":
            conn.execute(sql(_RESOLVE), (now, now, now, iid))
            self.event(conn, iid, "resolved", {"alert": came.name}, now)

    def event(
        self, conn: Conn, incident_id: str, kind: str, detail: dict[str, Any], now: float
    ) -> None:
        """A timeline entry (also posted to the incident's Slack thread by the outbox)."""
        conn.execute(
            self.sql(
                "INSERT INTO ig_events (incident_id, at, kind, detail, posted) "
                "VALUES (?, ?, ?, ?, 0)"
            ),
            (incident_id, now, kind, json.dumps(detail, default=str)),
        )

    async def decide(
        self,
        incident_id: str,
        action_id: str,
        approved: bool,
        approver: str,
        via: str,
        role: str | None = None,
    ) -> DecideResult:
        """Record an answer to a pending approval; the incident is queued to resume with it."""
        who = Who(approver, via, role)
        job = partial(self._decide, incident_id, action_id, approved, who, time.time())
        return await self.writer.run(job)

    def _decide(
        self,
        incident_id: str,
        action_id: str,
        approved: bool,
        who: Who,
        now: float,
        conn: Conn,
    ) -> DecideResult:
        sql = self.sql
        done = conn.execute(
            sql(
                "UPDATE ig_approvals SET status = 'decided', approved = ?, approver = ?, "
                "via = ?, role = ?, decided_at = ? WHERE incident_id = ? AND action_id = ? "
                "AND status = 'pending'"
            ),
            (int(approved), who.name, who.via, who.role, now, incident_id, action_id),
        )
        if done.rowcount == 0:
            held = conn.execute(
                sql("SELECT status FROM ig_approvals WHERE incident_id = ? AND action_id = ?"),
                (incident_id, action_id),
            ).fetchone()
            return "unknown" if held is None else "already_decided"
        conn.execute(
            sql(
                "UPDATE ig_incidents SET status = 'queued', updated_at = ? "
                "WHERE id = ? AND status = 'awaiting_approval'"
            ),
            (now, incident_id),
        )
        detail = {"action_id": action_id, "approved": approved, "approver": who.name,
                  "via": who.via, "role": who.role}  # fmt: skip
        self.event(conn, incident_id, "decision", detail, now)
        return "decided"
