"""Replay a scenario end to end: its world on loopback, the MCP servers, real models, the graph.

The alert enters through the webhook's code path (`RawAlert` → ingest). Approvals follow
the run's mode; in `ask` mode each interrupt is put to `RunOptions.ask`. Checkpoints
go to SQLite, so an interrupted incident resumes in a new process with `resume=ID`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from agents.ingest.mapping import MappingError, load_mappings, resolve
from core.context import Context
from core.state import IncidentState, RawAlert
from engine.deps import RunDeps, build_deps, preflight, warm_models
from engine.drive import drive
from engine.errors import StartupError
from engine.options import Ask, RunOptions
from graphs.checkpoints import sqlite_checkpointer
from graphs.graph import build_graph, fixed
from mcphost.threaded import ThreadedToolHost
from observability.logs import log
from observability.tracing import workflow_span
from replay.checks import evaluate
from runtime.settings import Settings
from runtime.toolset import open_tools
from world.github_api import GitHubWrite
from world.loader import LoadedScenario
from world.runtime import World
from world.scenario import parse_time
from world.slack_api import SlackMessage

__all__ = ["Ask", "Replay", "RunOptions", "replay", "scenario_deps"]


@dataclass
class Replay:
    loaded: LoadedScenario
    incident_id: str
    state: IncidentState
    messages: list[SlackMessage]
    writes: list[GitHubWrite]
    duration_s: float
    trace_id: str
    checks: dict[str, bool]
    interrupted: bool = False
    startup_s: dict[str, float] = field(default_factory=dict)


async def replay(loaded: LoadedScenario, settings: Settings, options: RunOptions) -> Replay:
    started = time.perf_counter()
    preflight(settings, options)
    warmed: list[str] = []
    warm = threading.Thread(
        target=lambda: warmed.extend(warm_models(settings, options)), daemon=True
    )
    warm.start()  # loads weights while the world and the MCP servers start
    with (
        World(loaded) as world,
        ThreadedToolHost(lambda: open_tools(settings, world.env())) as tools,
    ):
        # llama.cpp silences the whole process's stdout/stderr while it loads: let it finish
        # before the graph prints progress
        await asyncio.to_thread(warm.join)
        if warmed:
            raise StartupError("\n".join(warmed))
        deps = scenario_deps(loaded, settings, tools, options)
        incident_id, state, trace_id, paused = await _run(world, settings, options, deps)
        return Replay(
            loaded=loaded,
            incident_id=incident_id,
            state=state,
            messages=world.slack.messages,
            writes=list(world.github.writes),
            duration_s=time.perf_counter() - started,
            trace_id=trace_id,
            checks=evaluate(loaded.spec.expect, state, world.slack.messages, world.github.writes),
            interrupted=paused,
            startup_s=tools.host.startup_s,
        )


def scenario_alert(world: World, settings: Settings) -> RawAlert:
    """The scenario's alert as its source posts it, read through its mapping (generic)."""
    spec = world.loaded.spec
    try:
        mapping = resolve(spec.alert.mapping, load_mappings(settings.alert_mappings_file))
    except MappingError as exc:
        raise StartupError(
            f"{world.loaded.folder / 'scenario.yaml'}: alert.mapping: {exc}"
        ) from exc
    return RawAlert(
        format=spec.alert.format,
        body=json.dumps(world.alert_payload()),
        mapping=mapping,
        received_at=parse_time(spec.now),
    )


def scenario_deps(
    loaded: LoadedScenario,
    settings: Settings,
    tools: ThreadedToolHost,
    options: RunOptions,
    default_alert: RawAlert | None = None,
) -> RunDeps:
    """A run's dependencies on a scenario's world: its catalog, its clock (`now`)."""
    now = parse_time(loaded.spec.now)
    return build_deps(settings, tools, loaded.spec.services, lambda: now, options, default_alert)


async def _run(
    world: World, settings: Settings, options: RunOptions, deps: RunDeps
) -> tuple[str, IncidentState, str, bool]:
    spec = world.loaded.spec
    incident_id = options.resume or f"{spec.name}-{uuid.uuid4().hex[:8]}"
    context = Context(
        approvals=options.approvals, approver=options.approver,
        model_small=options.model_small, model_large=options.model_large,
    )  # fmt: skip
    first: Any = None if options.resume else {
        "incident_id": incident_id,
        "raw_alert": scenario_alert(world, settings),
    }  # fmt: skip
    config: Any = {"configurable": {"thread_id": incident_id}}
    async with sqlite_checkpointer(settings.checkpoint_db) as saver:
        graph = build_graph(fixed(deps), saver)
        with workflow_span(incident_id, spec.name) as trace_id:
            paused = await drive(graph, first, config, context, options)
            log().info("incident finished", incident_id=incident_id, interrupted=paused)
        snapshot = await graph.aget_state(config)
    if not snapshot.values:
        raise LookupError(f"no incident {incident_id!r} in {settings.checkpoint_db}")
    state = cast(IncidentState, snapshot.values)
    return incident_id, state, trace_id, paused
