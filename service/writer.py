"""The inbox's one writing thread: group commit.

A caller submits a function of the connection and gets its result once the batch holding
it is committed, so an alert is durable before its 2xx and a burst of alerts shares one
fsync. When a batch fails, each of its functions runs again alone, so one that raises fails
alone. Results go back to threads directly and to event loops once per loop and batch.
SQLite's WAL checkpoints run in a thread of their own, never inside a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from service.db import Conn, Database

T = TypeVar("T")


@dataclass
class _Job:
    fn: Callable[[Conn], Any]
    keys: tuple[str, ...]
    future: Future[Any] | None = None  # a thread waits on it
    loop: asyncio.AbstractEventLoop | None = None  # or a task on this loop waits on `waiter`
    waiter: asyncio.Future[Any] | None = None


_STOP = object()


class Writer:
    """The one writing thread: batches of submitted functions, one transaction per batch."""

    def __init__(self, db: Database, max_batch: int = 512) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name="inbox-writer", daemon=True)
        self._ready: Future[None] = Future()

    def start(self) -> Writer:
        self._thread.start()
        self._ready.result()  # raises when the writer could not connect
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    def submit(self, fn: Callable[[Conn], T], keys: tuple[str, ...] = ()) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put(_Job(fn, keys, future=future))
        return future

    async def run(self, fn: Callable[[Conn], T], keys: tuple[str, ...] = ()) -> T:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, keys, loop=loop, waiter=waiter))
        return await waiter

    def run_sync(self, fn: Callable[[Conn], T], keys: tuple[str, ...] = ()) -> T:
        return self.submit(fn, keys).result(timeout=60)

    def _main(self) -> None:
        try:
            conn = self._db.connect()
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._ready.set_exception(exc)
            return
        checkpoints = _Checkpoints(self._db) if self._db.kind == "sqlite" else None
        if checkpoints is not None:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # not in a commit: see _Checkpoints
            checkpoints.start()
        self._ready.set_result(None)
        try:
            while (batch := self._next_batch()) is not None:
                conn = self._commit(conn, batch)
        finally:
            conn.close()
            if checkpoints is not None:
                checkpoints.stop()

    def _next_batch(self) -> list[_Job] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                self._queue.put(_STOP)
                break
            batch.append(more)
        return batch

    def _commit(self, conn: Conn, batch: list[_Job]) -> Conn:
        """One transaction for the batch; when it fails, each job again alone, so that a
        job that fails takes no other down with it."""
        try:
            results = self._attempts(conn, batch)
        except Exception as exc:
            if len(batch) > 1:
                for job in batch:
                    conn = self._commit(conn, [job])
                return conn
            _settle(batch, [(False, exc)])
            return self._reconnect(conn)
        _settle(batch, [(True, value) for value in results])
        return conn

    def _attempts(self, conn: Conn, batch: list[_Job]) -> list[Any]:
        for attempt in range(3):
            try:
                return self._transaction(conn, batch)
            except Exception as exc:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                if attempt == 2 or not self._db.retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _transaction(self, conn: Conn, batch: list[_Job]) -> list[Any]:
        self._db.begin(conn)
        self._db.lock_keys(conn, [k for job in batch for k in job.keys])
        results = [job.fn(conn) for job in batch]
        conn.execute("COMMIT")
        return results

    def _reconnect(self, conn: Conn) -> Conn:
        """After a failed commit the connection may be dead (PostgreSQL restarted): renew it."""
        with contextlib.suppress(Exception):
            conn.close()
        try:
            return self._db.connect()
        except Exception:
            return conn  # still down: the next batch fails with the database's own error


def _settle(batch: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each job its result: threads directly, event loops once per loop and batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for job, (ok, value) in zip(batch, outcomes, strict=True):
        if job.future is not None:
            job.future.set_result(value) if ok else job.future.set_exception(value)
        elif job.loop is not None and job.waiter is not None:
            by_loop.setdefault(job.loop, []).append((job.waiter, ok, value))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for waiter, ok, value in items:
        if not waiter.done():  # a waiter cancelled meanwhile wants nothing
            waiter.set_result(value) if ok else waiter.set_exception(value)


class _Checkpoints(threading.Thread):
    """SQLite: copy the WAL into the database now and then, off the writer's commits (an
    automatic checkpoint would stall the acknowledgements of the batch that triggered it)."""

    def __init__(self, db: Database, every_s: float = 1.0) -> None:
        super().__init__(name="inbox-checkpoints", daemon=True)
        self._db = db
        self._every_s = every_s
        self._done = threading.Event()

    def run(self) -> None:
        conn = self._db.connect()
        try:
            while not self._done.wait(self._every_s):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)
