"""Workers: run queued incidents through the graph, off the HTTP event loop.

The pool owns a thread with its own event loop. `concurrency` worker tasks each claim one
incident at a time (`service.jobs`), run a segment of it (`service.runner`),
renew the claim's lease while it runs, and record how it ended. The Slack outbox runs on
the same loop. `nudge()` (from any thread) wakes idle workers when an alert or an answer
arrives; otherwise they poll the inbox every `POLL_S`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
import time
from typing import Any, cast

from core.state import IncidentState
from observability.logs import log
from service.jobs import LEASE_S, MAX_ATTEMPTS, Claim, Jobs
from service.metrics import Metrics
from service.outbox import Outbox
from service.runner import Runtime, run_segment
from service.summary import stage, summarize

POLL_S = 1.0
REAP_S = 15.0


class WorkerPool:
    def __init__(
        self,
        jobs: Jobs,
        runtime: Runtime,
        concurrency: int,
        metrics: Metrics,
        outbox: Outbox | None = None,
    ) -> None:
        self._jobs = jobs
        self._runtime = runtime
        self._concurrency = concurrency
        self._metrics = metrics
        self._outbox = outbox
        self._renew_every_s = LEASE_S / 3
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._nudged = threading.Event()
        self._thread = threading.Thread(target=self._main, name="incident-workers", daemon=True)

    def start(self) -> WorkerPool:
        self._thread.start()
        return self

    def nudge(self) -> None:
        """From any thread: there is work. Wakes the loop once, however many alerts arrive."""
        if self._concurrency == 0 or self._nudged.is_set() or self._loop.is_closed():
            return
        self._nudged.set()
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self._woken)

    def _woken(self) -> None:
        self._nudged.clear()
        self._wake.set()

    def submit(self, claim: Claim) -> concurrent.futures.Future[None]:
        """From another thread (a Celery task): run this claimed incident's segment on the
        pool's loop, with its lease renewed and its end recorded, as the pool's own workers do."""
        return asyncio.run_coroutine_threadsafe(self._process(claim), self._loop)

    def stop(self, timeout: float = 60.0) -> None:
        """Cancel running segments (their incidents go back to the queue) and wait."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        tasks = [asyncio.create_task(self._worker()) for _ in range(self._concurrency)]
        if self._outbox is not None:
            tasks.append(asyncio.create_task(self._outbox.run()))
        if self._concurrency and self._jobs.shared:
            tasks.append(asyncio.create_task(self._reap()))
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _worker(self) -> None:
        while True:
            try:
                claim = await asyncio.to_thread(self._jobs.claim)
            except Exception as exc:  # the database is down: say so, try again
                log().error("cannot claim an incident", error=f"{type(exc).__name__}: {exc}")
                claim = None
            if claim is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_S)
                continue
            await self._process(claim)

    async def _process(self, claim: Claim) -> None:
        iid = claim.incident_id
        if claim.attempts > MAX_ATTEMPTS:
            error = f"gave up after {MAX_ATTEMPTS} attempts: the service stopped during each run"
            await asyncio.to_thread(self._jobs.finish, iid, "failed", {}, None, error=error)
            self._metrics.runs.labels("failed").inc()
            return
        run = asyncio.create_task(run_segment(self._runtime, claim, self._observer(iid)))
        lost = asyncio.Event()
        renew = asyncio.create_task(self._renew(iid, run, lost))
        started = time.perf_counter()
        self._metrics.running.inc()
        try:
            segment = await run
        except asyncio.CancelledError:
            if lost.is_set():  # another worker may own it now: leave it alone, go on
                self._metrics.runs.labels("lease_lost").inc()
                return
            await asyncio.to_thread(self._jobs.release, iid)
            self._metrics.runs.labels("released").inc()
            raise
        except Exception as exc:  # recorded on the incident; the worker goes on
            error = f"{type(exc).__name__}: {exc}"
            log().error("incident run failed", incident_id=iid, error=error)
            await asyncio.to_thread(self._jobs.finish, iid, "failed", {}, None, error=error)
            self._metrics.runs.labels("failed").inc()
            return
        finally:
            renew.cancel()
            self._metrics.running.dec()
            self._metrics.run_seconds.observe(time.perf_counter() - started)
            self._poke_outbox()
        await asyncio.to_thread(
            self._jobs.finish,
            iid,
            segment.status,
            summarize(segment.state),
            segment.trace_id,
            segment.pending,
            segment.applied,
            trace_parent=segment.trace_parent,
        )
        self._metrics.runs.labels(segment.status).inc()
        log().info("incident segment ended", incident_id=iid, status=segment.status)
        self._poke_outbox()

    def _observer(self, iid: str) -> Any:
        def observe(node: str, update: Any, state: dict[str, Any]) -> None:
            columns: dict[str, Any] = {
                "summary": json.dumps(summarize(cast(IncidentState, state)), default=str)
            }
            if "triage" in update and update["triage"].channel:
                columns["channel"] = update["triage"].channel
            self._jobs.note(iid, "stage", stage(node, update), **columns)
            self._poke_outbox()

        return observe

    async def _reap(self) -> None:
        """Now and then, queue again what services that died (PostgreSQL) left running."""
        while True:
            await asyncio.sleep(REAP_S)
            try:
                if await asyncio.to_thread(self._jobs.requeue_orphans):
                    self._wake.set()
            except Exception as exc:
                log().error("cannot look for orphaned incidents", error=str(exc))

    async def _renew(self, iid: str, run: asyncio.Task[Any], lost: asyncio.Event) -> None:
        """Keep the lease while the segment runs. When a renewal fails or the lease is gone,
        another worker may claim the incident: say so and stop this worker's run of it."""
        while True:
            await asyncio.sleep(self._renew_every_s)
            try:
                if await asyncio.to_thread(self._jobs.renew, iid):
                    continue
                reason = "the lease expired and the incident is no longer this worker's"
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
            log().error(
                "lease renewal failed: stopping this worker's run of the incident",
                incident_id=iid,
                error=reason,
            )
            lost.set()
            run.cancel()
            return

    def _poke_outbox(self) -> None:
        if self._outbox is not None:
            self._outbox.nudge()
