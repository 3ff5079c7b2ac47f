"""Reading the inbox: incidents for the API, and the Slack outbox's backlog."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from service.inbox import Inbox

_COLUMNS = (
    "id",
    "status",
    "source",
    "name",
    "service",
    "fingerprints",
    "alerts",
    "duplicates",
    "created_at",
    "updated_at",
    "last_alert_at",
    "resolved_at",
    "attempts",
    "trace_ids",
    "error",
    "channel",
    "slack_ts",
    "summary",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM ig_incidents"
TIMELINE_ALERTS = 100  # the latest alert arrivals shown in a timeline (all are counted)
TIMELINE_EVENTS = 1000


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def _incident(row: tuple[Any, ...]) -> dict[str, Any]:
    out = dict(zip(_COLUMNS, row, strict=True))
    for key in ("fingerprints", "trace_ids", "summary"):
        out[key] = json.loads(out[key])
    for key in ("created_at", "updated_at", "last_alert_at", "resolved_at"):
        out[key] = iso(out[key])
    out["trace_id"] = out["trace_ids"][0] if out["trace_ids"] else None
    out["resolved"] = out["resolved_at"] is not None
    return out


class Queries:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._sql = inbox.sql

    def counts(self) -> dict[str, int]:
        with self._inbox.readers.connection() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM ig_incidents GROUP BY status")
            return {str(status): int(n) for status, n in rows.fetchall()}

    def incidents(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        where, args = (" WHERE status = ?", [status]) if status else ("", [])
        with self._inbox.readers.connection() as conn:
            rows = conn.execute(
                self._sql(f"{_SELECT}{where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"),
                (*args, limit, offset),
            ).fetchall()
        return [_incident(r) for r in rows]

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        """The incident with its approvals and its timeline (alert arrivals and events)."""
        sql = self._sql
        with self._inbox.readers.connection() as conn:
            row = conn.execute(sql(f"{_SELECT} WHERE id = ?"), (incident_id,)).fetchone()
            if row is None:
                return None
            out = _incident(row)
            out["approvals"] = self._approvals(conn, incident_id)
            arrivals = conn.execute(
                sql(
                    "SELECT received_at, source, status, fingerprint, outcome, seq FROM "
                    "ig_alerts WHERE incident_id = ? ORDER BY seq DESC LIMIT ?"
                ),
                (incident_id, TIMELINE_ALERTS),
            ).fetchall()
            events = conn.execute(
                sql(
                    "SELECT at, kind, detail FROM ig_events WHERE incident_id = ? "
                    "ORDER BY seq LIMIT ?"
                ),
                (incident_id, TIMELINE_EVENTS),
            ).fetchall()
        timeline = [
            (
                at,
                {
                    "at": iso(at),
                    "kind": "alert",
                    "detail": {
                        "alert_id": seq,
                        "source": src,
                        "status": st,
                        "fingerprint": fp,
                        "outcome": outcome,
                    },
                },
            )
            for at, src, st, fp, outcome, seq in arrivals
        ] + [(at, {"at": iso(at), "kind": kind, "detail": json.loads(d)}) for at, kind, d in events]
        out["timeline"] = [entry for _, entry in sorted(timeline, key=lambda t: t[0])]
        return out

    def _approvals(self, conn: Any, incident_id: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            self._sql(
                "SELECT action_id, status, request, approved, approver, via, role, asked_at, "
                "decided_at FROM ig_approvals WHERE incident_id = ? ORDER BY asked_at"
            ),
            (incident_id,),
        ).fetchall()
        return [
            {
                "action_id": a,
                "status": st,
                "request": json.loads(req),
                "approved": None if ok is None else bool(ok),
                "approver": who,
                "via": via,
                "role": role,
                "asked_at": iso(asked),
                "decided_at": iso(decided),
            }
            for a, st, req, ok, who, via, role, asked, decided in rows
        ]

    def asked(self, incident_id: str, action_id: str) -> dict[str, Any] | None:
        """What an approval asks (its request: the tool, the environment), or None."""
        with self._inbox.readers.connection() as conn:
            row = conn.execute(
                self._sql(
                    "SELECT request FROM ig_approvals WHERE incident_id = ? AND action_id = ?"
                ),
                (incident_id, action_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def unposted(self, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]:
        """Events not yet in Slack, of incidents whose channel is known: (seq, id, kind, detail)."""
        with self._inbox.readers.connection() as conn:
            rows = conn.execute(
                self._sql(
                    "SELECT e.seq, e.incident_id, e.kind, e.detail FROM ig_events e "
                    "JOIN ig_incidents i ON i.id = e.incident_id WHERE e.posted = 0 "
                    "AND i.channel IS NOT NULL ORDER BY e.seq LIMIT ?"
                ),
                (limit,),
            ).fetchall()
        return [(int(s), str(i), str(k), json.loads(d)) for s, i, k, d in rows]

    def for_slack(self, incident_id: str) -> dict[str, Any] | None:
        with self._inbox.readers.connection() as conn:
            row = conn.execute(self._sql(f"{_SELECT} WHERE id = ?"), (incident_id,)).fetchone()
            if row is None:
                return None
            out = _incident(row)
            out["approvals"] = self._approvals(conn, incident_id)
        return out
