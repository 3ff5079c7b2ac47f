"""The inbox's database: SQLite (WAL, one service per file) or PostgreSQL, one surface.

`open_database` checks it and creates the tables; writes go through the one writer thread
of `service.writer`; reads borrow a connection from `Readers`, a small pool. SQL is
written with `?` placeholders; PostgreSQL gets `%s`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Conn = Any  # sqlite3.Connection | psycopg.Connection: both take execute(sql, params)
SCHEMA_VERSION = "1"

_DDL = """
CREATE TABLE IF NOT EXISTS ig_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ig_alerts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at REAL NOT NULL, source TEXT NOT NULL,
  status TEXT NOT NULL, fingerprint TEXT NOT NULL, incident_id TEXT, outcome TEXT NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ig_alerts_incident ON ig_alerts (incident_id, seq);
CREATE TABLE IF NOT EXISTS ig_incidents (
  id TEXT PRIMARY KEY, open_key TEXT, key TEXT NOT NULL, source TEXT NOT NULL,
  name TEXT NOT NULL, service TEXT, body TEXT NOT NULL, status TEXT NOT NULL,
  fingerprints TEXT NOT NULL, alerts INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  created_at REAL NOT NULL, updated_at REAL NOT NULL, last_alert_at REAL NOT NULL,
  resolved_at REAL, owner TEXT, lease_until REAL, attempts INTEGER NOT NULL,
  trace_ids TEXT NOT NULL, error TEXT, channel TEXT, slack_ts TEXT, summary TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ig_incidents_open ON ig_incidents (open_key)
  WHERE open_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ig_incidents_status ON ig_incidents (status, created_at);
CREATE TABLE IF NOT EXISTS ig_approvals (
  incident_id TEXT NOT NULL, action_id TEXT NOT NULL, interrupt_id TEXT NOT NULL,
  request TEXT NOT NULL, status TEXT NOT NULL, approved INTEGER, approver TEXT,
  via TEXT, asked_at REAL NOT NULL, decided_at REAL, role TEXT,
  PRIMARY KEY (incident_id, action_id));
CREATE TABLE IF NOT EXISTS ig_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, incident_id TEXT NOT NULL, at REAL NOT NULL,
  kind TEXT NOT NULL, detail TEXT NOT NULL, posted INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ig_events_incident ON ig_events (incident_id, seq);
CREATE INDEX IF NOT EXISTS ig_events_unposted ON ig_events (seq) WHERE posted = 0;
"""


class DatabaseError(Exception):
    """The inbox cannot be opened: the message names the database and what to do."""


@dataclass
class Database:
    """How to open connections to one inbox; `open_database` builds and checks it."""

    kind: Literal["sqlite", "postgres"]
    target: str  # a file path, or a PostgreSQL URL
    _lock_file: Any = None

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.kind == "postgres" else text

    def connect(self, read_only: bool = False) -> Conn:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.target, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA synchronous=FULL")  # durable before the 2xx, even on power loss
            if read_only:
                conn.execute("PRAGMA query_only=1")
            return conn
        import psycopg

        return psycopg.connect(self.target, autocommit=True)

    def begin(self, conn: Conn) -> None:
        conn.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")

    def lock_keys(self, conn: Conn, keys: list[str]) -> None:
        """Serialize writers of the same incident keys across PostgreSQL services."""
        if self.kind == "postgres" and keys:
            conn.execute(  # one round trip; one order everywhere: no deadlock between batches
                "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(%s::text[]) AS k ORDER BY k",
                (sorted(set(keys)),),
            )

    def retryable(self, exc: BaseException) -> bool:
        return type(exc).__name__ in ("DeadlockDetected", "SerializationFailure")

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def open_database(sqlite_path: Path, url: str | None) -> Database:
    """PostgreSQL when `url` is given, else the SQLite file (locked to this process)."""
    db = Database("postgres", url) if url else _sqlite(sqlite_path)
    try:
        conn = db.connect()
    except Exception as exc:
        db.close()
        raise DatabaseError(f"cannot open the inbox {_shown(db)}: {exc}") from exc
    try:
        _setup(db, conn)
    finally:
        conn.close()
    return db


def _sqlite(path: Path) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = (path.parent / f"{path.name}.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise DatabaseError(
            f"the inbox {path} is in use by another `graph serve` (pid {holder}); stop it, "
            "or give this one its own INCIDENT_GRAPH_INBOX_DB (or share a PostgreSQL "
            "INCIDENT_GRAPH_DATABASE_URL)"
        ) from None
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    return Database("sqlite", str(path), lock)


def _setup(db: Database, conn: Conn) -> None:
    ddl = _DDL
    if db.kind == "postgres":
        ddl = ddl.replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        ).replace(" REAL", " DOUBLE PRECISION")
        conn.execute("SELECT pg_advisory_lock(7140021)")  # one service creates the tables
    else:
        conn.execute("PRAGMA journal_mode=WAL")
    try:
        for statement in filter(str.strip, ddl.split(";")):
            conn.execute(statement)
        _add_column(db, conn, "ig_approvals", "role TEXT")  # inboxes made before roles
        _add_column(db, conn, "ig_incidents", "trace_parent TEXT")  # one trace per incident
        found = conn.execute("SELECT value FROM ig_meta WHERE name = 'schema'").fetchone()
        if found is None:
            conn.execute(db.sql("INSERT INTO ig_meta VALUES ('schema', ?)"), (SCHEMA_VERSION,))
        elif found[0] != SCHEMA_VERSION:
            raise DatabaseError(
                f"the inbox {_shown(db)} has schema version {found[0]}; this build reads "
                f"version {SCHEMA_VERSION}: use a new inbox or the matching release"
            )
    finally:
        if db.kind == "postgres":
            conn.execute("SELECT pg_advisory_unlock(7140021)")


def _add_column(db: Database, conn: Conn, table: str, column: str) -> None:
    if db.kind == "postgres":
        conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")
        return
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
    if column.split()[0] not in have:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def _shown(db: Database) -> str:
    """The database for a message, without a password."""
    if db.kind == "sqlite":
        return db.target
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(db.target)
    return f"postgresql://{parts.get('user', '')}@{parts.get('host', '')}/{parts.get('dbname', '')}"


class Readers:
    """A few read connections, borrowed one at a time (the API's threads share them)."""

    def __init__(self, db: Database, size: int = 4) -> None:
        self._db = db
        self._free: queue.LifoQueue[Conn] = queue.LifoQueue()
        self._slots = threading.Semaphore(size)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Conn]:
        with self._slots:
            try:
                conn = self._free.get_nowait()
            except queue.Empty:
                conn = self._db.connect(read_only=True)
            try:
                yield conn
            except Exception:
                with contextlib.suppress(Exception):
                    conn.close()
                raise
            self._free.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._free.get_nowait().close()
            except queue.Empty:
                return
