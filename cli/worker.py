"""`graph worker --catalog FILE [--concurrency N] [--queues critical,default]`: run incidents
that `graph serve` queued on the broker (docs/scale-out.md). Needs
INCIDENT_GRAPH_BROKER_URL and INCIDENT_GRAPH_DATABASE_URL (the state every worker shares)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from agents.ingest.mapping import MappingError, load_mappings
from cli.errors import EXIT_OK, CliError
from cli.run import STARTUP_ERRORS, add_model_options, add_otel_file, say, telemetry_for
from engine.deps import preflight
from engine.options import RunOptions
from runtime.settings import Settings, secret
from service.catalog import CatalogError, load_catalog
from service.celery_worker import TaskRunner, register, start_worker
from service.db import DatabaseError, open_database
from service.inbox import Inbox
from service.jobs import Jobs, new_owner
from service.metrics import Metrics
from service.queries import Queries
from service.queue import PRIORITIES, celery_app, describe
from service.runner import Runtime
from service.workers import WorkerPool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        type=Path,
        required=True,
        metavar="FILE",
        help="the service catalog (YAML `services:`; a scenario.yaml works)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="incidents this worker runs at once (default INCIDENT_GRAPH_SERVICE_WORKERS)",
    )
    parser.add_argument(
        "--queues",
        default="critical,default",
        help="which queues to take from, comma-separated (critical, default); "
        "a worker of its own for critical incidents: --queues critical",
    )
    add_model_options(parser)
    add_otel_file(parser)  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    return worker(args, settings)


def worker(
    args: argparse.Namespace,
    settings: Settings,
    chat_models: Mapping[str, BaseChatModel] | None = None,
) -> int:
    """Until SIGTERM/SIGINT: running incidents finish their segment first."""
    broker, database = secret(settings.broker_url), secret(settings.database_url)
    if not broker or not database:
        raise CliError("graph worker needs INCIDENT_GRAPH_BROKER_URL (amqp://… or redis://…) "
                       "and INCIDENT_GRAPH_DATABASE_URL (postgresql://…): the queue and the "
                       "state every worker shares (docs/scale-out.md)")  # fmt: skip
    concurrency = settings.service_workers if args.concurrency is None else args.concurrency
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    if concurrency < 1 or not queues or set(queues) - set(PRIORITIES):
        raise CliError(f"--concurrency must be 1 or more; --queues among {', '.join(PRIORITIES)}")
    options = RunOptions(model_small=args.model_small, model_large=args.model_large,
                         chat_models=dict(chat_models or {}))  # fmt: skip
    try:
        preflight(settings, options)
        catalog = load_catalog(args.catalog)
        mappings = load_mappings(settings.alert_mappings_file)
    except (*STARTUP_ERRORS, CatalogError, MappingError) as exc:
        raise CliError(str(exc)) from exc
    runtime = Runtime(settings, options, catalog, lambda: datetime.now(UTC), {}, database,
                      mappings)  # fmt: skip
    try:
        inbox = Inbox(open_database(settings.inbox_db, database), settings.dedup_window_s)
    except DatabaseError as exc:
        raise CliError(str(exc)) from exc
    owner = new_owner()
    jobs = Jobs(inbox, owner)
    try:
        with telemetry_for(settings, args.otel_file):
            jobs.start()
            pool = WorkerPool(jobs, runtime, 0, Metrics(counts=Queries(inbox).counts)).start()
            app = celery_app(broker, settings.broker_queue_prefix)
            register(app, TaskRunner(jobs, pool))
            seen = describe(app)
            names = ", ".join(app.conf.incident_graph_queues[q] for q in queues)
            say(f"worker {owner}: {concurrency} at once from {names} on {seen['broker']}")
            try:
                start_worker(app, concurrency, queues)
            finally:
                pool.stop()
    finally:
        jobs.stop()
        inbox.close()
    return EXIT_OK
