"""The audit trail: every gate decision and every approval, persisted in SQLite.

One row per (incident, action): the first decision and the first answer stand, so a
resumed run or a second click cannot rewrite history. The per-hour rate limits count
from here (actions a rule let through, by wall-clock time), across incidents and runs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from core.state import Approval, GateDecision

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    incident_id TEXT NOT NULL, action_id TEXT NOT NULL, tool TEXT NOT NULL,
    args TEXT NOT NULL, verdict TEXT NOT NULL, policy_verdict TEXT, rules TEXT NOT NULL,
    checks TEXT NOT NULL, answers TEXT NOT NULL, incident_time TEXT, trace_id TEXT,
    recorded_at REAL NOT NULL, PRIMARY KEY (incident_id, action_id));
CREATE TABLE IF NOT EXISTS approvals (
    incident_id TEXT NOT NULL, action_id TEXT NOT NULL, approved INTEGER NOT NULL,
    approver TEXT NOT NULL, at TEXT NOT NULL, recorded_at REAL NOT NULL, role TEXT,
    PRIMARY KEY (incident_id, action_id));
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (recorded_at);
"""


class AuditStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(approvals)")}
            if "role" not in columns:  # an audit trail written before roles existed
                db.execute("ALTER TABLE approvals ADD COLUMN role TEXT")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def record_decision(self, incident_id: str, d: GateDecision, trace_id: str | None) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (incident_id, d.action_id, d.tool, json.dumps(d.args), d.verdict,
                 d.policy_verdict, json.dumps(d.rules), json.dumps(d.checks),
                 json.dumps(d.answers), d.decided_at.isoformat() if d.decided_at else None,
                 trace_id, time.time()),
            )  # fmt: skip

    def record_approval(self, incident_id: str, a: Approval) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO approvals (incident_id, action_id, approved, approver, "
                "at, recorded_at, role) VALUES (?,?,?,?,?,?,?)",
                (incident_id, a.action_id, int(a.approved), a.approver, a.at.isoformat(),
                 time.time(), a.role),
            )  # fmt: skip

    def let_through(self, rule_id: str, within_s: float = 3600.0) -> int:
        """Actions this rule allowed, or asked about and a human approved, lately."""
        with self._db() as db:
            row = db.execute(
                """SELECT count(*) FROM decisions d LEFT JOIN approvals a
                   USING (incident_id, action_id)
                   WHERE d.recorded_at >= ? AND EXISTS
                         (SELECT 1 FROM json_each(d.rules) WHERE value = ?)
                     AND (d.verdict = 'allowed'
                          OR (d.verdict = 'needs_approval' AND a.approved = 1))""",
                (time.time() - within_s, rule_id),
            ).fetchone()
        return int(row[0])

    def rows(self, incident_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Decisions with their approvals, newest first."""
        where, params = ("WHERE d.incident_id = ?", [incident_id]) if incident_id else ("", [])
        with self._db() as db:
            found = db.execute(
                f"""SELECT d.*, a.approved, a.approver, a.role AS approver_role, a.at AS approved_at
                    FROM decisions d LEFT JOIN approvals a USING (incident_id, action_id)
                    {where} ORDER BY d.recorded_at DESC, d.rowid DESC LIMIT ?""",
                [*params, limit],
            ).fetchall()
        return [_row(r) for r in found]


def _row(r: sqlite3.Row) -> dict[str, Any]:
    out = dict(r)
    for key in ("args", "rules", "checks", "answers"):
        out[key] = json.loads(out[key])
    out["approved"] = None if out["approved"] is None else bool(out["approved"])
    out["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(out["recorded_at"]))
    return out
