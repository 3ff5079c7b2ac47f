"""The audit trail: every gate decision, every approval and every mutation started, in
SQLite (`INCIDENT_GRAPH_AUDIT_DB`) or, when `INCIDENT_GRAPH_DATABASE_URL` is set, in
PostgreSQL, shared by every service and worker.

One row per (incident, action): the first decision and the first answer stand, so a
resumed run or a second click cannot rewrite history. The per-hour rate limits count
from here (actions a rule let through, by wall-clock time), across incidents, runs and
workers. A mutation's idempotency key is written here *before* its tool is called
(`begin_mutation`), so a run that dies mid-call and resumes elsewhere never calls it again.
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
CREATE TABLE IF NOT EXISTS mutations (
    incident_id TEXT NOT NULL, action_id TEXT NOT NULL, tool TEXT NOT NULL,
    started_at REAL NOT NULL, PRIMARY KEY (incident_id, action_id));
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (recorded_at)
"""
_RULE_FIRED = {  # a rule id among a decision's rules (a JSON array of strings)
    "sqlite": "EXISTS (SELECT 1 FROM json_each(d.rules) WHERE value = ?)",
    "postgres": "EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.rules::jsonb) r WHERE r = ?)",
}


class AuditStore:
    def __init__(self, path: Path, url: str | None = None) -> None:
        """SQLite at `path`, or PostgreSQL at `url` when given."""
        self.path = path
        self.kind = "postgres" if url else "sqlite"
        self._url = url
        if url is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            self._setup(db)

    @property
    def where(self) -> str:
        """The store for a message (a PostgreSQL URL without its password)."""
        if self._url is None:
            return str(self.path)
        return "postgresql://…@" + self._url.rsplit("@", 1)[-1]

    def _setup(self, db: Any) -> None:
        ddl = _SCHEMA
        if self.kind == "sqlite":
            db.execute("PRAGMA journal_mode=WAL")
        else:
            ddl = ddl.replace(" REAL", " DOUBLE PRECISION")
            db.execute("SELECT pg_advisory_xact_lock(7140022)")  # one creates the tables
        for statement in filter(str.strip, ddl.split(";")):
            db.execute(statement)
        if self.kind == "postgres":
            db.execute("ALTER TABLE approvals ADD COLUMN IF NOT EXISTS role TEXT")
            return
        columns = {row[1] for row in db.execute("PRAGMA table_info(approvals)")}
        if "role" not in columns:  # an audit trail written before roles existed
            db.execute("ALTER TABLE approvals ADD COLUMN role TEXT")

    @contextmanager
    def _db(self) -> Iterator[Any]:
        """A connection in a transaction, committed when the block ends."""
        if self._url is None:
            with closing(sqlite3.connect(self.path, timeout=10)) as lite, lite:
                lite.row_factory = sqlite3.Row
                yield _Sql(lite, "sqlite")
            return
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self._url, row_factory=dict_row) as pg:  # commits on success
            yield _Sql(pg, "postgres")

    def record_decision(self, incident_id: str, d: GateDecision, trace_id: str | None) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (incident_id, d.action_id, d.tool, json.dumps(d.args), d.verdict,
                 d.policy_verdict, json.dumps(d.rules), json.dumps(d.checks),
                 json.dumps(d.answers), d.decided_at.isoformat() if d.decided_at else None,
                 trace_id, time.time()),
            )  # fmt: skip

    def record_approval(self, incident_id: str, a: Approval) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO approvals (incident_id, action_id, approved, approver, at, "
                "recorded_at, role) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (incident_id, a.action_id, int(a.approved), a.approver, a.at.isoformat(),
                 time.time(), a.role),
            )  # fmt: skip

    def begin_mutation(self, incident_id: str, action_id: str, tool: str) -> float | None:
        """Record that this action's tool is about to be called. None: go ahead (the key is
        written); else when an earlier attempt started it (it must not be called again)."""
        with self._db() as db:
            written = db.execute(
                "INSERT INTO mutations VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                (incident_id, action_id, tool, time.time()),
            ).rowcount
            if written:
                return None
            row = db.execute(
                "SELECT started_at FROM mutations WHERE incident_id = ? AND action_id = ?",
                (incident_id, action_id),
            ).fetchone()
        return float(row["started_at"])

    def let_through(self, rule_id: str, within_s: float = 3600.0) -> int:
        """Actions this rule allowed, or asked about and a human approved, lately."""
        with self._db() as db:
            row = db.execute(
                f"""SELECT count(*) AS n FROM decisions d LEFT JOIN approvals a
                   USING (incident_id, action_id)
                   WHERE d.recorded_at >= ? AND {_RULE_FIRED[self.kind]}
                     AND (d.verdict = 'allowed'
                          OR (d.verdict = 'needs_approval' AND a.approved = 1))""",
                (time.time() - within_s, rule_id),
            ).fetchone()
        return int(row["n"])

    def rows(self, incident_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Decisions with their approvals, newest first."""
        where, params = ("WHERE d.incident_id = ?", [incident_id]) if incident_id else ("", [])
        with self._db() as db:
            found = db.execute(
                f"""SELECT d.*, a.approved, a.approver, a.role AS approver_role, a.at AS approved_at
                    FROM decisions d LEFT JOIN approvals a USING (incident_id, action_id)
                    {where} ORDER BY d.recorded_at DESC, d.action_id DESC LIMIT ?""",
                [*params, limit],
            ).fetchall()
        return [_row(r) for r in found]


class _Sql:
    """One connection, `?` placeholders on both databases."""

    def __init__(self, conn: Any, kind: str) -> None:
        self._conn = conn
        self._kind = kind

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self._kind == "postgres":
            sql = sql.replace("?", "%s")
        return self._conn.execute(sql, params)


def _row(r: Any) -> dict[str, Any]:
    out = dict(r)
    for key in ("args", "rules", "checks", "answers"):
        out[key] = json.loads(out[key])
    out["approved"] = None if out["approved"] is None else bool(out["approved"])
    out["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(out["recorded_at"]))
    return out
