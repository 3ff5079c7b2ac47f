"""A read-only web server for a scenario's dashboard pages (what Playwright reads in replays)."""

from __future__ import annotations

import html
import mimetypes

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from world.loader import LoadedScenario
from world.scenario import substitute

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def create_app(loaded: LoadedScenario) -> Starlette:
    """Serve `dashboards` at `/<key>`, with `${DASHBOARDS_URL}` replaced by this server's URL."""

    async def index(_: Request) -> Response:
        items = "".join(
            f'<li><a href="/{html.escape(key)}">{html.escape(key)}</a></li>'
            for key in sorted(loaded.spec.dashboards)
        )
        title = html.escape(loaded.spec.title)
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><ul>{items}</ul>"
        return HTMLResponse(body, headers=_HEADERS)

    async def page(request: Request) -> Response:
        key = request.path_params["key"]
        if key not in loaded.spec.dashboards:
            return PlainTextResponse(f"no dashboard page /{key}\n", status_code=404)
        media_type = mimetypes.guess_type(key)[0] or "text/plain"
        raw = loaded.page(key)
        if media_type.startswith("text/"):
            text = substitute(raw.decode("utf-8"), str(request.base_url))
            return Response(text, media_type=f"{media_type}; charset=utf-8", headers=_HEADERS)
        return Response(raw, media_type=media_type, headers=_HEADERS)

    return Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/{key:path}", page, methods=["GET", "HEAD"]),
        ]
    )
