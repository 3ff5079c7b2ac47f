"""Scale-out: incident runs as Celery tasks on RabbitMQ (or Redis), any worker on any host
(docs/scale-out.md).

`graph serve` with `INCIDENT_GRAPH_BROKER_URL` keeps acknowledging alerts into PostgreSQL and
runs no incident itself: its dispatcher sends one task per queued incident (new, resumed
after an answer, or left running by a dead worker), on the queue of its severity. `graph
worker` consumes them. A task only names the incident; the state lives in PostgreSQL (inbox,
checkpoints), so a task delivered twice runs once: the second finds it running on a live
owner, or settled. Tasks are acknowledged late (after the segment ends) and rejected when
their worker is lost, so the broker redelivers what a dead worker held.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Celery
from kombu.entity import Queue

from observability.logs import log
from service.inbox import Inbox
from service.jobs import Jobs

RUN_TASK = "incident_graph.run_incident"
PRIORITIES = ("critical", "default")  # a queue each, named `<prefix>.<priority>`
RESEND_S = 120.0  # a queued incident's task is sent again after this long (a lost message)
DISPATCH_POLL_S = 1.0
REAP_S = 15.0


def celery_app(broker_url: str, prefix: str = "incident-graph") -> Celery:
    """The app; its queues are `<prefix>.critical` and `<prefix>.default` (a prefix per
    deployment when several share one broker)."""
    app = Celery("incident_graph", broker=broker_url, set_as_current=False)
    names = queue_names(prefix)
    app.conf.update(
        incident_graph_queues=names,
        task_queues=[Queue(name) for name in names.values()],  # type: ignore[no-untyped-call]
        task_default_queue=names["default"],
        task_acks_late=True,  # acknowledged when the segment has ended, not when received
        task_reject_on_worker_lost=True,  # a worker killed mid-task: the broker redelivers
        worker_prefetch_multiplier=1,  # a worker holds no more than it runs
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"confirm_publish": True, "visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def queue_names(prefix: str) -> dict[str, str]:
    return {p: f"{prefix}.{p}" for p in PRIORITIES}


def priority_of(body: str) -> str:
    """Critical alerts go first: the webhook's severity label (the first `severity` found,
    breadth first: Alertmanager's commonLabels, Grafana's labels, …) picks the queue."""
    try:
        found = _severity(json.loads(body))
    except ValueError:
        found = ""
    return "critical" if found in ("critical", "page", "p1", "sev1") else "default"


def _severity(value: Any) -> str:
    level = [value]
    while level:
        for item in level:
            if isinstance(item, dict) and isinstance(item.get("severity"), str):
                return str(item["severity"]).lower()
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]  # fmt: skip
    return ""


class Dispatcher:
    """`graph serve`'s side: sends a task for each queued incident (at once when nudged, else
    every second), and now and then requeues what dead workers left running."""

    def __init__(self, inbox: Inbox, jobs: Jobs, send: Callable[[str, str], None]) -> None:
        self._inbox = inbox
        self._jobs = jobs
        self._send = send
        self._sent: dict[str, tuple[float, float]] = {}  # id -> (its updated_at, sent at)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="incident-dispatch", daemon=True)

    def start(self) -> Dispatcher:
        self._thread.start()
        return self

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(30)

    def _main(self) -> None:
        reaped = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - reaped > REAP_S:
                    self._jobs.requeue_orphans()
                    reaped = time.monotonic()
                self.dispatch()
            except Exception as exc:  # the broker or the database is down: say so, go on
                log().error("cannot dispatch incidents", error=f"{type(exc).__name__}: {exc}")
            self._wake.wait(DISPATCH_POLL_S)
            self._wake.clear()

    def dispatch(self) -> int:
        """Send a task for each queued incident that became queued since its last task (new,
        answered, handed back, or requeued from a dead worker), or whose task is older than
        RESEND_S (a lost message); the number sent."""
        now, sent, seen = time.monotonic(), 0, {}
        for incident_id, body, updated in self.queued():
            last = self._sent.get(incident_id)
            seen[incident_id] = last
            if last is not None and last[0] == updated and now - last[1] < RESEND_S:
                continue
            self._send(incident_id, priority_of(body))
            seen[incident_id] = (updated, now)
            sent += 1
        self._sent = {i: v for i, v in seen.items() if v is not None}
        return sent

    def queued(self) -> list[tuple[str, str, float]]:
        with self._inbox.readers.connection() as conn:
            rows = conn.execute(
                "SELECT id, body, updated_at FROM ig_incidents WHERE status = 'queued' "
                "ORDER BY created_at LIMIT 1000"
            ).fetchall()
        return [(str(i), str(b), float(u)) for i, b, u in rows]


def sender(app: Celery) -> Callable[[str, str], None]:
    names = app.conf.incident_graph_queues

    def send(incident_id: str, priority: str) -> None:
        app.send_task(RUN_TASK, args=[incident_id], queue=names[priority])

    return send


def queue_depths(app: Celery) -> dict[str, int]:
    """Messages waiting in each queue (a passive declare per queue)."""
    depths: dict[str, int] = {}
    with app.connection_for_write() as conn, conn.channel() as channel:
        for name in app.conf.incident_graph_queues.values():
            _, count, _ = channel.queue_declare(queue=name, passive=True)
            depths[name] = int(count)
    return depths


def live_workers(app: Celery, prefix: str, timeout_s: float = 1.0) -> dict[str, int]:
    """`graph worker` processes that answer a broadcast ping within the timeout."""
    replies = app.control.ping(timeout=timeout_s) or []
    return {prefix: len(replies)}


def describe(app: Celery) -> dict[str, Any]:
    names = app.conf.incident_graph_queues
    return {"broker": app.conf.broker_url.split("@")[-1], "queues": list(names.values())}
