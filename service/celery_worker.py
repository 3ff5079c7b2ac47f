"""`graph worker`'s side of the scale-out (service/queue.py): a Celery worker whose tasks
each name an incident; one `WorkerPool` (its loop thread, the models loaded once) runs the
segment under the same lease, checkpoints and records as `graph serve`'s own workers.

Celery's thread pool runs `concurrency` tasks at once; a task returns once its segment has
ended, and only then is its message acknowledged.
"""

from __future__ import annotations

import os
import socket

from celery import Celery

from observability.logs import log
from service.jobs import Jobs
from service.queue import RUN_TASK
from service.workers import WorkerPool


class TaskRunner:
    def __init__(self, jobs: Jobs, pool: WorkerPool) -> None:
        self._jobs = jobs
        self._pool = pool

    def run(self, incident_id: str) -> str:
        """Run the incident's next segment here, when it may run here at all."""
        claim = self._jobs.claim_id(incident_id)
        if claim is None:
            log().info("task skipped: the incident is not runnable here", incident_id=incident_id)
            return "skipped"
        self._pool.submit(claim).result()
        return "ran"


def register(app: Celery, runner: TaskRunner) -> None:
    @app.task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_incident(incident_id: str) -> str:
        return runner.run(str(incident_id))


def start_worker(app: Celery, concurrency: int, priorities: list[str]) -> None:
    """Blocks until SIGTERM/SIGINT (Celery's warm shutdown: running tasks finish first)."""
    names = [app.conf.incident_graph_queues[p] for p in priorities]
    worker = app.Worker(
        hostname=f"incident-graph-{os.getpid()}@{socket.gethostname()}",  # unique per process
        pool="threads",
        concurrency=concurrency,
        queues=names,
        without_gossip=True,
        without_mingle=True,
        loglevel="WARNING",
        redirect_stdouts=False,
    )
    worker.start()
