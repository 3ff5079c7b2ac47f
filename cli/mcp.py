"""`graph mcp [--world SCENARIO | --catalog FILE] [--user NAME] [--http [--port P]]`: the
pipeline as an MCP server (service/mcp_front.py): stdio for a host that starts it
(Claude Desktop, VS Code), streamable HTTP with `--http` (bearer: the service token)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

import uvicorn
from langchain_core.language_models import BaseChatModel
from starlette.types import ASGIApp, Receive, Scope, Send

from cli import serve as serve_cmd
from cli.errors import EXIT_OK, CliError
from cli.run import add_model_options, add_otel_file, say
from runtime.settings import Settings
from service.auth import Credentials
from service.mcp_front import build_server
from service.server import GracefulUvicorn, bind


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--world",
        metavar="SCENARIO",
        help="start this scenario's stand-ins and investigate in them (offline)",
    )
    where.add_argument(
        "--catalog",
        type=Path,
        metavar="FILE",
        help="the service catalog (YAML `services:`; a scenario.yaml works)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="the person in the roles the host's user is (default "
        "INCIDENT_GRAPH_MCP_USER; unset: approvals through MCP are off)",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="streamable HTTP at /mcp instead of stdio (bearer: the service token)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="--http: address to listen on")
    parser.add_argument("--port", type=int, default=8090, help="--http: port (0: a free one)")
    parser.add_argument(
        "--inbox",
        type=Path,
        metavar="FILE",
        help="SQLite inbox (default: mcp-inbox.sqlite beside "
        "INCIDENT_GRAPH_INBOX_DB; with INCIDENT_GRAPH_DATABASE_URL, shared)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="incidents investigated at once (default 1)",
    )
    add_model_options(parser)
    add_otel_file(parser)  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    return mcp(args, settings)


def mcp(
    args: argparse.Namespace,
    settings: Settings,
    chat_models: Mapping[str, BaseChatModel] | None = None,
) -> int:
    """Until the host closes stdin (stdio) or SIGINT/SIGTERM (--http)."""
    if args.workers < 1:
        raise CliError("--workers must be 1 or more: the MCP server investigates alerts")
    if args.inbox is None:
        args.inbox = settings.inbox_db.with_name("mcp-inbox.sqlite")
    user = args.user or settings.mcp_user
    with serve_cmd.started(args, settings, chat_models, http=False) as (server, config, world):
        svc = server.service
        assert svc is not None
        who = user if user else "nobody (set INCIDENT_GRAPH_MCP_USER)"
        say(f"MCP server incident-graph: approvals as {who}; "
            f"{serve_cmd.who_approves(config.roles)}")  # fmt: skip
        if world is not None:
            route = serve_cmd.world_route(world)
            say(
                f"world {world.loaded.spec.name}: its alert ({route}) is in "
                f"{serve_cmd.alert_file(world)}; give it to investigate_alert"
            )
        app = build_server(svc, user)
        if not args.http:
            asyncio.run(app.run_stdio_async())
            return EXIT_OK
        token = config.token
        if not token:
            raise CliError("--http needs INCIDENT_GRAPH_SERVICE_TOKEN (the MCP client's bearer)")
        sock = bind(args.host, args.port)
        port = sock.getsockname()[1]
        say(f"MCP streamable HTTP on http://{args.host}:{port}/mcp (Authorization: Bearer)")
        guarded = Bearer(app.streamable_http_app(), Credentials(token, None))
        GracefulUvicorn(uvicorn.Config(guarded, log_level="warning")).run(sockets=[sock])
    return EXIT_OK


class Bearer:
    """ASGI: the service token on every HTTP request, else 401."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self._app = app
        self._credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            why = self._credentials.api(headers)
            if why is not None:
                body = json.dumps({"detail": why}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self._app(scope, receive, send)
