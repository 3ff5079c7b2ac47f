"""Assemble and run the service: inbox, workers, Slack outbox, routes, uvicorn.

`ServiceServer(config).start()` opens everything and binds the port (so a taken port or
an unreachable database fails before anything runs); `serve()` blocks in uvicorn until
SIGINT/SIGTERM; `stop()` hands running incidents back to the queue and closes the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from graphs.checkpoints import postgres_checkpointer
from mcphost.config import expand, load_config, wanted
from mcphost.threaded import ThreadedToolHost
from observability.pricing import Pricing, PricingError, load_pricing
from policies.engine import load_policy
from policies.roles import Roles
from runtime.toolset import open_tools, tool_variables
from service.app import Service, create_app
from service.auth import Credentials, SlackVerifier
from service.db import open_database
from service.inbox import Inbox
from service.jobs import Jobs, new_owner
from service.metrics import Metrics
from service.outbox import Outbox
from service.queries import Queries
from service.queue import Dispatcher, celery_app, live_workers, queue_depths, sender
from service.runner import Runtime
from service.workers import WorkerPool


@dataclass(frozen=True)
class ServeConfig:
    host: str
    port: int
    workers: int
    runtime: Runtime
    token: str | None
    hmac_secret: str | None
    slack_signing_secret: str | None
    roles: Roles
    max_body: int
    dedup_window_s: float
    inbox_path: Path
    database_url: str | None
    broker_url: str | None = None  # incidents run on `graph worker`s (service/queue.py)


class ServiceServer:
    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.url = ""
        self.requeued: list[str] = []
        self.not_started: list[str] = []  # MCP servers whose backend is not configured here
        self._inbox: Inbox | None = None
        self._jobs: Jobs | None = None
        self._slack: ThreadedToolHost | None = None
        self._pool: WorkerPool | None = None
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self.service: Service | None = None
        self._dispatcher: Dispatcher | None = None

    def start(self, http: bool = True) -> ServiceServer:
        """Open everything; `http=False` for another front (`graph mcp`): no port, no app,
        the same inbox, workers and Slack outbox, reached through `service`."""
        try:
            self._start(http)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, http: bool) -> None:
        cfg = self.config
        if http:
            self._socket = bind(cfg.host, cfg.port)
            self.url = f"http://{cfg.host}:{self._socket.getsockname()[1]}"
        db = open_database(cfg.inbox_path, cfg.database_url)
        self._inbox = inbox = Inbox(db, cfg.dedup_window_s)
        jobs = Jobs(inbox, owner=new_owner())
        self._jobs = jobs
        self.requeued = jobs.start()
        if cfg.database_url:
            asyncio.run(_setup_checkpoints(cfg.database_url))
        prefix = cfg.runtime.settings.broker_queue_prefix
        queue = celery_app(cfg.broker_url, prefix) if cfg.broker_url else None
        depths = partial(queue_depths, queue) if queue is not None else None
        alive = partial(live_workers, queue, prefix) if queue is not None else None
        metrics = Metrics(counts=Queries(inbox).counts, depths=depths, workers=alive)
        outbox = None
        if cfg.workers > 0 or queue is not None:
            self.not_started = check_tools(cfg.runtime)
            self._slack = ThreadedToolHost(
                lambda: open_tools(cfg.runtime.settings, cfg.runtime.tool_env, only=["slack"])
            ).start()
            links = load_policy(cfg.runtime.settings.policy_file).links
            outbox = Outbox(inbox, self._slack, metrics, links)
        in_process = 0 if queue is not None else cfg.workers  # with a broker: on workers
        self._pool = WorkerPool(jobs, cfg.runtime, in_process, metrics, outbox)
        nudge = self._pool.nudge
        if queue is not None:
            self._dispatcher = Dispatcher(inbox, jobs, sender(queue))
            nudge = self._dispatcher.nudge
        slack = SlackVerifier(cfg.slack_signing_secret) if cfg.slack_signing_secret else None
        self.service = service = Service(
            inbox=inbox,
            credentials=Credentials(cfg.token, cfg.hmac_secret),
            slack=slack,
            roles=cfg.roles,
            max_body=cfg.max_body,
            metrics=metrics,
            workers=cfg.workers,
            nudge=nudge,
            mappings=cfg.runtime.mappings,
            costs=_costs(cfg.runtime),
        )
        if http:
            self._server = GracefulUvicorn(self._uvicorn_config(create_app(service)))
        self._pool.start()
        if self._dispatcher is not None:
            self._dispatcher.start()
        gc.collect()
        gc.freeze()  # start-up's objects (modules, models, schemas) leave the collector's scans

    @staticmethod
    def _uvicorn_config(app: ASGIApp) -> uvicorn.Config:
        return uvicorn.Config(
            app,
            loop="uvloop",
            http="httptools",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )

    def serve(self) -> None:
        """Until SIGINT or SIGTERM (uvicorn's handlers), then stop everything."""
        if self._server is None or self._socket is None:
            raise RuntimeError("start() the service first")
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.stop()

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()
            self._dispatcher = None
        if self._pool is not None:
            self._pool.stop()
            self._pool = None
        if self._slack is not None:
            self._slack.stop()
            self._slack = None
        if self._jobs is not None:
            self._jobs.stop()
            self._jobs = None
        if self._inbox is not None:
            self._inbox.close()
            self._inbox = None
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None


class GracefulUvicorn(uvicorn.Server):
    """uvicorn, except that SIGINT/SIGTERM end `run()` normally once it has shut down
    (uvicorn raises the signal again, which would kill the process before `stop()`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _costs(runtime: Runtime) -> tuple[Pricing, str] | None:
    """The pricing and the large model, for the console's tokens-and-cost page."""
    settings = runtime.settings
    try:
        pricing = load_pricing(settings.pricing_file)
    except PricingError:
        return None  # the page says so; telemetry has already refused a broken file
    return pricing, runtime.options.model_large or settings.model_large


def check_tools(runtime: Runtime) -> list[str]:
    """Every MCP server's configuration and variables, before any incident needs them
    (ConfigError names the server and the missing variable); the servers that will not be
    started because a variable they `require` is not set."""
    config = load_config(runtime.settings.mcp_servers_file)
    variables = tool_variables(runtime.settings, runtime.tool_env, output_dir="/tmp")
    skipped = []
    for name, server in config.servers.items():
        if wanted(server, variables):
            expand(name, server, variables)
        else:
            skipped.append(name)
    return skipped


async def _setup_checkpoints(url: str) -> None:
    async with postgres_checkpointer(url, setup=True):
        pass


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
