"""The workers' side of the inbox: claiming incidents, leases, and what a run segment left.

An incident is `queued` → `running` (claimed by one worker under a lease) → `completed`,
`failed`, or `awaiting_approval` (a pending interrupt) → `queued` again once a decision is
recorded. A claim is one UPDATE on one row, so no incident runs twice at once; a worker
renews its lease while it runs. After a crash, an incident left `running` is queued again
(SQLite: at start, the file being this process's alone; PostgreSQL: as soon as the dead
service's liveness lock is free, or its lease ends).
A run that keeps dying with the process is failed after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from service.db import Conn
from service.inbox import Inbox

MAX_ATTEMPTS = 3
LEASE_S = 60.0


@dataclass(frozen=True)
class Claim:
    incident_id: str
    source: str
    body: str
    attempts: int
    decisions: dict[str, dict[str, Any]]  # interrupt id -> {"approved", "approver", "role"}
    trace_parent: str | None = None  # the first segment's root span: later ones join its trace


@dataclass(frozen=True)
class Pending:
    """One interrupt the graph stopped at: an action that needs a human's answer."""

    interrupt_id: str
    action_id: str
    request: dict[str, Any]


def owner_prefix(pid: int) -> str:
    """The start of the owner id of this host's process `pid`: what its claims and its
    liveness lock are named after."""
    return f"{socket.gethostname()}:{pid}:"


def new_owner() -> str:
    """This process's owner id, unique across restarts of the same pid."""
    return f"{owner_prefix(os.getpid())}{uuid.uuid4().hex[:6]}"


class Jobs:
    def __init__(self, inbox: Inbox, owner: str) -> None:
        self._inbox = inbox
        self._sql = inbox.sql
        self.owner = owner
        self._alive: Conn | None = None

    @property
    def shared(self) -> bool:
        """Several services share the inbox (PostgreSQL), so others may die mid-run."""
        return self._inbox.db.kind == "postgres"

    def start(self) -> list[str]:
        """Announce this worker as alive and queue again what dead ones left running.

        SQLite: the file is this process's alone, so whatever is `running` is orphaned.
        PostgreSQL: each service holds a session advisory lock named after it for as long as
        it lives; the lock of a dead one is free, and so its incidents are orphans.
        """
        if self._inbox.db.kind == "postgres":
            self._alive = self._inbox.db.connect()
            self._alive.execute("SELECT pg_advisory_lock(hashtext(%s))", (_alive_key(self.owner),))
        return self.requeue_orphans()

    def stop(self) -> None:
        if self._alive is not None:
            self._alive.close()
            self._alive = None

    def requeue_orphans(self) -> list[str]:
        return self._inbox.writer.run_sync(self._requeue_orphans)

    def _requeue_orphans(self, conn: Conn) -> list[str]:
        running = "SELECT id, owner FROM ig_incidents WHERE status = 'running'"
        rows = [(str(i), str(o)) for i, o in conn.execute(running).fetchall()]
        if self._inbox.db.kind == "postgres":
            owners = {o for _, o in rows if o != self.owner}
            dead = {
                o
                for o in owners
                if conn.execute(
                    "SELECT pg_try_advisory_xact_lock(hashtext(%s))", (_alive_key(o),)
                ).fetchone()[0]
            }
            rows = [(i, o) for i, o in rows if o in dead]
        now = time.time()
        for iid, _ in rows:
            conn.execute(
                self._sql(
                    "UPDATE ig_incidents SET status = 'queued', owner = NULL, "
                    "updated_at = ? WHERE id = ? AND status = 'running'"
                ),
                (now, iid),
            )
            self._inbox.event(conn, iid, "requeued", {"why": "the service stopped mid-run"}, now)
        return [i for i, _ in rows]

    def claim(self) -> Claim | None:
        return self._inbox.writer.run_sync(self._claim)

    def _claim(self, conn: Conn) -> Claim | None:
        now, sql = time.time(), self._sql
        skip = " FOR UPDATE SKIP LOCKED" if self._inbox.db.kind == "postgres" else ""
        row = conn.execute(
            sql(
                "UPDATE ig_incidents SET status = 'running', owner = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE id = (SELECT id FROM ig_incidents "
                "WHERE status = 'queued' OR (status = 'running' AND lease_until < ?) "
                f"ORDER BY created_at LIMIT 1{skip}) RETURNING id, source, body, attempts, "
                "trace_parent"
            ),
            (self.owner, now + LEASE_S, now, now),
        ).fetchone()
        return None if row is None else self._claimed(conn, row)

    def claim_id(self, incident_id: str) -> Claim | None:
        """This incident, when it may run here: queued, or left running by an owner whose
        lease ended or who is dead (a task redelivered after its worker died). None when
        it is unknown, settled, waiting for a person, or running on a live owner."""
        return self._inbox.writer.run_sync(partial(self._claim_id, incident_id))

    def _claim_id(self, incident_id: str, conn: Conn) -> Claim | None:
        now, sql = time.time(), self._sql
        held = conn.execute(sql("SELECT status, owner, lease_until FROM ig_incidents "
                                "WHERE id = ?"), (incident_id,)).fetchone()  # fmt: skip
        if held is None or held[0] not in ("queued", "running"):
            return None
        if held[0] == "running" and held[2] is not None and held[2] >= now:
            dead = self._inbox.db.kind == "postgres" and held[1] and conn.execute(
                "SELECT pg_try_advisory_xact_lock(hashtext(%s))", (_alive_key(held[1]),)
            ).fetchone()[0]  # fmt: skip
            if not dead:
                return None
        row = conn.execute(
            sql(
                "UPDATE ig_incidents SET status = 'running', owner = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = ? "
                "AND COALESCE(owner, '') = ? RETURNING id, source, body, attempts, trace_parent"
            ),  # the owner too: of two workers that saw the same dead one, one wins
            (self.owner, now + LEASE_S, now, incident_id, held[0], held[1] or ""),
        ).fetchone()
        return None if row is None else self._claimed(conn, row)

    def _claimed(self, conn: Conn, row: Any) -> Claim:
        sql = self._sql
        decided = conn.execute(
            sql(
                "SELECT interrupt_id, approved, approver, role FROM ig_approvals "
                "WHERE incident_id = ? AND status = 'decided'"
            ),
            (row[0],),
        ).fetchall()
        answers = {i: {"approved": bool(a), "approver": str(who), "role": role}
                   for i, a, who, role in decided}  # fmt: skip
        return Claim(row[0], row[1], row[2], int(row[3]), answers, row[4])

    def renew(self, incident_id: str) -> bool:
        """Extend this owner's lease; False when it no longer holds the incident."""
        renewed: int = self._inbox.writer.run_sync(
            lambda conn: (
                conn.execute(
                    self._sql("UPDATE ig_incidents SET lease_until = ? WHERE id = ? AND owner = ?"),
                    (time.time() + LEASE_S, incident_id, self.owner),
                ).rowcount
            )
        )
        return renewed == 1

    def note(self, incident_id: str, kind: str, detail: dict[str, Any], **fields: Any) -> None:
        """A timeline event, and columns the run learnt (`channel`, `summary`, ...)."""

        def write(conn: Conn) -> None:
            now = time.time()
            if fields:
                sets = ", ".join(f"{name} = ?" for name in fields)
                conn.execute(
                    self._sql(f"UPDATE ig_incidents SET {sets}, updated_at = ? WHERE id = ?"),
                    (*fields.values(), now, incident_id),
                )
            self._inbox.event(conn, incident_id, kind, detail, now)

        self._inbox.writer.run_sync(write)

    def finish(
        self,
        incident_id: str,
        status: str,
        summary: dict[str, Any],
        trace_id: str | None,
        pending: Sequence[Pending] = (),
        applied: Sequence[str] = (),
        error: str | None = None,
        trace_parent: str | None = None,
    ) -> None:
        """A run segment ended: completed, failed, or stopped at approvals (`pending`).
        `applied`: the interrupt ids whose recorded answers this segment resumed with;
        `trace_parent`: its root span, kept from the first segment on."""
        args = (incident_id, status, summary, trace_id, pending, applied, error, trace_parent)
        self._inbox.writer.run_sync(lambda conn: self._finish(conn, *args))

    def _finish(
        self,
        conn: Conn,
        incident_id: str,
        status: str,
        summary: dict[str, Any],
        trace_id: str | None,
        pending: Sequence[Pending],
        applied: Sequence[str],
        error: str | None,
        trace_parent: str | None,
    ) -> None:
        now, sql = time.time(), self._sql
        (traces,) = conn.execute(
            sql("SELECT trace_ids FROM ig_incidents WHERE id = ?"), (incident_id,)
        ).fetchone()
        trace_ids = json.loads(traces)
        if trace_id and trace_id not in trace_ids:  # later segments join the first's trace
            trace_ids.append(trace_id)
        for interrupt_id in applied:
            conn.execute(
                sql(
                    "UPDATE ig_approvals SET status = 'applied' WHERE incident_id = ? "
                    "AND interrupt_id = ? AND status = 'decided'"
                ),
                (incident_id, interrupt_id),
            )
        waiting = [p for p in pending if self._ask(conn, incident_id, p, now)]
        if status == "awaiting_approval" and not waiting:
            status = "queued"  # every question already has its answer: run on
        conn.execute(
            sql(
                "UPDATE ig_incidents SET status = ?, summary = ?, trace_ids = ?, error = ?, "
                "attempts = 0, owner = NULL, lease_until = NULL, updated_at = ?, "
                "trace_parent = COALESCE(trace_parent, ?) WHERE id = ?"
            ),
            (
                status,
                json.dumps(summary, default=str),
                json.dumps(trace_ids),
                error,
                now,
                trace_parent,
                incident_id,
            ),
        )
        detail: dict[str, Any] = {"trace_id": trace_id}
        if error:
            detail["error"] = error
        if status in ("completed", "failed"):
            self._inbox.event(conn, incident_id, status, detail, now)

    def _ask(self, conn: Conn, incident_id: str, pending: Pending, now: float) -> bool:
        """Record a pending approval (once); True while it still waits for an answer."""
        held = conn.execute(
            self._sql(
                "SELECT status, interrupt_id FROM ig_approvals "
                "WHERE incident_id = ? AND action_id = ?"
            ),
            (incident_id, pending.action_id),
        ).fetchone()
        if held is not None and held[1] == pending.interrupt_id and held[0] != "applied":
            return bool(held[0] == "pending")  # "decided": its answer waits for the next run
        if held is not None:  # asked again after its answer was used: ask anew
            conn.execute(
                self._sql("DELETE FROM ig_approvals WHERE incident_id = ? AND action_id = ?"),
                (incident_id, pending.action_id),
            )
        conn.execute(
            self._sql(
                "INSERT INTO ig_approvals (incident_id, action_id, interrupt_id, request, "
                "status, asked_at) VALUES (?, ?, ?, ?, 'pending', ?)"
            ),
            (
                incident_id,
                pending.action_id,
                pending.interrupt_id,
                json.dumps(pending.request, default=str),
                now,
            ),
        )
        self._inbox.event(conn, incident_id, "approval_needed", pending.request, now)
        return True

    def release(self, incident_id: str) -> None:
        """The service is stopping: the incident goes back to the queue, not counted as a crash."""

        def write(conn: Conn) -> None:
            conn.execute(
                self._sql(
                    "UPDATE ig_incidents SET status = 'queued', owner = NULL, updated_at = ?, "
                    "attempts = attempts - 1 WHERE id = ? AND status = 'running'"
                ),  # updated_at: a dispatcher sends it again at once
                (time.time(), incident_id),
            )
            self._inbox.event(
                conn, incident_id, "requeued", {"why": "the service stopped"}, time.time()
            )

        self._inbox.writer.run_sync(write)


def _alive_key(owner: str) -> str:
    return f"incident-graph:alive:{owner}"
