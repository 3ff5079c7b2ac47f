"""The incident graph for LangGraph Studio (`langgraph.json`): each run's dependencies come
from the context's `scenario`, whose world (stand-ins on loopback, MCP servers) is started
once per process and kept, and whose alert is ingested when the input has none."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any, cast

from core.context import Context
from core.ports import Deps
from core.state import RawAlert
from engine.deps import RunDeps
from engine.options import RunOptions
from graphs.graph import build_graph
from mcphost.threaded import ThreadedToolHost
from replay.run import scenario_alert, scenario_deps
from runtime.settings import Settings
from runtime.toolset import open_tools
from world.loader import load
from world.runtime import World

_worlds: dict[tuple[str, str, str], RunDeps] = {}
_lock = threading.Lock()


NO_SCENARIO = (
    "no dependencies for this run: give the context a 'scenario' (LangGraph Studio) "
    "or run it through `graph run` / `graph serve`"
)


class _NoScenario:
    """Deps for a run without a scenario: an alert in the input still ingests; anything
    that needs the world says what to give."""

    default_alert: RawAlert | None = None

    def __getattr__(self, name: str) -> Any:
        raise LookupError(NO_SCENARIO)

    def now(self) -> datetime:
        raise LookupError(NO_SCENARIO)


async def studio_deps(context: Context) -> Deps:
    """The scenario's dependencies, built off the event loop (reading files and starting
    servers is blocking, which `langgraph dev` refuses on its loop)."""
    if not context.scenario:
        return cast(Deps, _NoScenario())
    return await asyncio.to_thread(_deps, context)


def _deps(context: Context) -> RunDeps:
    key = (context.scenario, context.model_small, context.model_large)
    with _lock:
        if key not in _worlds:
            settings = Settings()
            loaded = load(context.scenario, settings.scenarios_dir)
            world = World(loaded).start()
            tools = ThreadedToolHost(lambda: open_tools(settings, world.env())).start()
            options = RunOptions(model_small=context.model_small, model_large=context.model_large)
            alert = scenario_alert(world, settings)
            _worlds[key] = scenario_deps(loaded, settings, tools, options, alert)
        return _worlds[key]


graph = build_graph(studio_deps)
"""The module-level graph for `langgraph.json` (LangGraph Studio supplies its checkpointer)."""
