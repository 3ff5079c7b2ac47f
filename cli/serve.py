"""`graph serve [--host H] [--port P] [--world SCENARIO | --catalog FILE] [--workers N]`:
the webhook service (service/, docs/service.md)."""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from agents.ingest.mapping import MappingError, load_mappings, resolve
from cli.errors import EXIT_OK, CliError, load_scenario
from cli.run import STARTUP_ERRORS, add_model_options, add_otel_file, say, telemetry_for
from core.state import AlertMapping
from engine.deps import preflight
from engine.options import RunOptions
from policies.roles import Roles, roles_for
from runtime.settings import Settings, secret
from service.catalog import CatalogError, load_catalog
from service.db import DatabaseError
from service.runner import Runtime
from service.server import ServeConfig, ServiceServer
from world.runtime import World
from world.scenario import parse_time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0: a free one)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--world",
        metavar="SCENARIO",
        help="start this scenario's stand-ins (dashboards, GitHub, Slack) and point the MCP "
        "servers at them: the whole service offline",
    )
    where.add_argument(
        "--catalog",
        type=Path,
        metavar="FILE",
        help="the service catalog (YAML `services:`; a scenario.yaml works)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=None,
        help="incidents run at once (default INCIDENT_GRAPH_SERVICE_WORKERS; "
        "0: accept alerts only)",
    )
    add_model_options(parser)
    add_otel_file(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return serve(args, settings)


def serve(
    args: argparse.Namespace,
    settings: Settings,
    chat_models: Mapping[str, BaseChatModel] | None = None,
) -> int:
    """Run until SIGINT/SIGTERM. `chat_models` injects models by name (tests, library use)."""
    with started(args, settings, chat_models) as (server, config, world):
        generated = world is not None and settings.service_token is None
        say(banner(server, config, world, show_token=generated))
        server.serve()
    return EXIT_OK


@contextmanager
def started(
    args: argparse.Namespace,
    settings: Settings,
    chat_models: Mapping[str, BaseChatModel] | None,
    http: bool = True,
) -> Iterator[tuple[ServiceServer, ServeConfig, World | None]]:
    """The service started from the command line (checked: weights, policy, catalog,
    credentials, inbox), stopped with its world and telemetry when the block ends."""
    workers = settings.service_workers if args.workers is None else args.workers
    if workers < 0:
        raise CliError("--workers must be 0 or more")
    options = RunOptions(
        model_small=args.model_small,
        model_large=args.model_large,
        chat_models=dict(chat_models or {}),
    )
    if workers:  # they gate and mutate: weights, policy and audit store must be usable
        try:
            preflight(settings, options)
        except STARTUP_ERRORS as exc:
            raise CliError(str(exc)) from exc
    world = _world(args, settings)
    try:
        config = _config(args, settings, options, workers, world, http)
        with telemetry_for(settings, args.otel_file):
            server = _start(config, http)
            try:
                yield server, config, world
            finally:
                server.stop()
    finally:
        if world is not None:
            world.stop()


def _world(args: argparse.Namespace, settings: Settings) -> World | None:
    if not args.world:
        return None
    try:
        return World(load_scenario(settings, args.world)).start()
    except OSError as exc:
        raise CliError(f"the world could not start: {exc}") from exc


def _config(
    args: argparse.Namespace,
    settings: Settings,
    options: RunOptions,
    workers: int,
    world: World | None,
    http: bool = True,
) -> ServeConfig:
    token = secret(settings.service_token)
    hmac_secret = secret(settings.service_hmac_secret)
    if world is not None:
        spec = world.loaded.spec
        now = parse_time(spec.now)
        catalog, clock, env = dict(spec.services), (lambda: now), world.env()
        token = token or secrets.token_urlsafe(24)  # a throw-away token for trying it out
    elif args.catalog is not None:
        try:
            catalog = load_catalog(args.catalog)
        except CatalogError as exc:
            raise CliError(str(exc)) from exc
        clock, env = (lambda: datetime.now(UTC)), {}
    else:
        raise CliError("give --catalog FILE (which team owns which service) or --world SCENARIO")
    if http and not token and not hmac_secret:
        raise CliError(
            "no way to authenticate senders: set INCIDENT_GRAPH_SERVICE_TOKEN "
            "(bearer) or INCIDENT_GRAPH_SERVICE_HMAC_SECRET (signed webhooks)"
        )
    database_url = secret(settings.database_url)
    broker_url = secret(settings.broker_url)
    if broker_url and not database_url:
        raise CliError("INCIDENT_GRAPH_BROKER_URL needs INCIDENT_GRAPH_DATABASE_URL: workers on "
                       "other hosts share the inbox and checkpoints in PostgreSQL")  # fmt: skip
    try:
        mappings = load_mappings(settings.alert_mappings_file)
        if world is not None:
            mappings |= world_mapping(world, mappings)
    except MappingError as exc:
        raise CliError(f"alert mappings: {exc}") from exc
    runtime = Runtime(settings, options, catalog, clock, env, database_url, mappings)
    return ServeConfig(
        host=args.host,
        port=args.port,
        workers=workers,
        runtime=runtime,
        token=token,
        hmac_secret=hmac_secret,
        slack_signing_secret=secret(settings.slack_signing_secret),
        roles=roles_for(settings.roles_file, settings.approvers),
        max_body=settings.max_body_bytes,
        dedup_window_s=settings.dedup_window_s,
        inbox_path=getattr(args, "inbox", None) or settings.inbox_db,
        database_url=database_url,
        broker_url=broker_url,
    )


def _start(config: ServeConfig, http: bool = True) -> ServiceServer:
    server = ServiceServer(config)
    try:
        return server.start(http)
    except (DatabaseError, OSError, *STARTUP_ERRORS) as exc:
        server.stop()
        raise CliError(str(exc)) from exc


def banner(
    server: ServiceServer, config: ServeConfig, world: World | None, show_token: bool = False
) -> str:
    inbox = "postgresql" if config.database_url else f"sqlite {config.inbox_path}"
    runs = (f"incidents run on `graph worker` processes via {config.broker_url.split('@')[-1]}"
            if config.broker_url else f"{config.workers} worker(s)")  # fmt: skip
    lines = [
        f"listening on {server.url} (inbox {inbox}, {runs})",
        f"  POST {server.url}/alerts/alertmanager | /alerts/grafana | /alerts/generic"
        + "".join(f" | /alerts/generic/{name}" for name in sorted(config.runtime.mappings)),
        f"  GET  {server.url}/incidents · {server.url}/docs · {server.url}/metrics",
    ]
    lines.append(f"  approvals: {who_approves(config.roles)}")
    if server.not_started:
        lines.append(
            "  MCP servers not started (their settings are not set here): "
            + ", ".join(server.not_started)
        )
    if server.requeued:
        lines.append(
            f"  resuming {len(server.requeued)} incident(s) left running: "
            + ", ".join(server.requeued[:5])
        )
    if world is not None:
        lines += _try_it(server, config, world, show_token)
    return "\n".join(lines)


def who_approves(roles: Roles) -> str:
    """The start-up line about approvals: who may answer, or loudly that nobody may."""
    if roles.problem is not None:
        return f"NOBODY may approve or deny actions ({roles.problem})"
    return f"{len(roles.people)} person(s) in {roles.source}"


def _try_it(server: ServiceServer, config: ServeConfig, world: World, show: bool) -> list[str]:
    spec, ep = world.loaded.spec, world.endpoints
    body = alert_file(world)
    token = config.token if show else "$INCIDENT_GRAPH_SERVICE_TOKEN"
    return [
        f"  world {spec.name}: GitHub {ep.github_api_url} · Slack {ep.slack_api_url} "
        f"(messages: {ep.slack_api_url.removesuffix('/api/')}/_world/messages)",
        *(
            [f"  token {token} (made up for this run; set INCIDENT_GRAPH_SERVICE_TOKEN to choose)"]
            if show
            else []
        ),
        f"  try: curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
        f"--data @{body} {server.url}/alerts/{world_route(world)}",
    ]


def alert_file(world: World) -> Path:
    """The world's alert, as its source would send it, in a file of its own."""
    body = Path(tempfile.mkdtemp(prefix="incident-graph-")) / f"{world.loaded.spec.name}.json"
    body.write_text(json.dumps(world.alert_payload(), indent=2))
    return body


def world_mapping(world: World, known: Mapping[str, AlertMapping]) -> dict[str, AlertMapping]:
    """A scenario's inline mapping, served at `/alerts/generic/<scenario>`."""
    spec = world.loaded.spec
    mapping = resolve(spec.alert.mapping, known)
    if mapping is None or isinstance(spec.alert.mapping, str):
        return {}
    return {spec.name: mapping.model_copy(update={"name": spec.name})}


def world_route(world: World) -> str:
    """The route a scenario's alert is posted to."""
    alert = world.loaded.spec.alert
    if alert.mapping is None:
        return alert.format
    name = alert.mapping if isinstance(alert.mapping, str) else world.loaded.spec.name
    return f"generic/{name}"
