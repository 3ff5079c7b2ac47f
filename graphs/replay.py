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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langgraph.types import Command

from graphs import resources as registry
from graphs.checkpoints import sqlite_checkpointer
from graphs.checks import evaluate
from graphs.context import Approvals, Context
from graphs.graph import Graph, build_graph
from graphs.models.embedded import EmbeddedChatModel, load_llama
from graphs.models.factory import get_chat_model, resolve_provider, weights_path
from graphs.resources import Resources
from graphs.settings import Settings
from graphs.state import IncidentState, RawAlert, Role
from graphs.toolset import open_tools
from mcphost.threaded import ThreadedToolHost
from observability.logs import log
from observability.tracing import workflow_span
from policies.audit import AuditStore
from policies.engine import load_policy
from world.github_api import GitHubWrite
from world.loader import LoadedScenario, load
from world.runtime import World
from world.scenario import Service, parse_time
from world.slack_api import SlackMessage

Ask = Callable[[dict[str, Any]], dict[str, Any]]


def _quiet(_line: str) -> None:
    return None


@dataclass(frozen=True)
class RunOptions:
    approvals: Approvals = "deny"
    approver: str = ""
    model_small: str = ""
    model_large: str = ""
    resume: str | None = None
    ask: Ask | None = None
    progress: Callable[[str], None] = _quiet
    observe: Callable[[str, Any], None] | None = None  # every node's state update, as it lands
    chat_models: Mapping[str, BaseChatModel] = field(default_factory=dict)  # by name, injected


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


def model_names(settings: Settings, options: RunOptions) -> dict[Role, str]:
    return {
        "small": options.model_small or settings.model_small,
        "large": options.model_large or settings.model_large,
    }


def check_models(settings: Settings, options: RunOptions) -> None:
    """Fail before anything starts when a model's weights are missing or corrupt."""
    if resolve_provider(settings) != "embedded":
        return
    for name in model_names(settings, options).values():
        if name not in options.chat_models:
            weights_path(name, settings, fetch=False)


async def replay(loaded: LoadedScenario, settings: Settings, options: RunOptions) -> Replay:
    started = time.perf_counter()
    check_models(settings, options)
    warm = threading.Thread(target=_warm_models, args=(settings, options), daemon=True)
    warm.start()  # loads weights while the world and the MCP servers start
    with (
        World(loaded) as world,
        ThreadedToolHost(lambda: open_tools(settings, world.env())) as tools,
    ):
        # llama.cpp silences the whole process's stdout/stderr while it loads: let it finish
        # before the graph prints progress (a failed warm-up surfaces at first use instead)
        await asyncio.to_thread(warm.join)
        res = _resources(loaded, settings, tools, options)
        key = f"run:{uuid.uuid4().hex}"
        registry.register(key, res)
        try:
            incident_id, state, trace_id, paused = await _run(world, settings, options, key)
        finally:
            registry.unregister(key)
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


async def _run(
    world: World, settings: Settings, options: RunOptions, key: str
) -> tuple[str, IncidentState, str, bool]:
    spec = world.loaded.spec
    incident_id = options.resume or f"{spec.name}-{uuid.uuid4().hex[:8]}"
    context = Context(
        approvals=options.approvals, approver=options.approver, resources_key=key,
        model_small=options.model_small, model_large=options.model_large,
    )  # fmt: skip
    body = json.dumps(world.alert_payload())
    first: Any = None if options.resume else {
        "incident_id": incident_id,
        "raw_alert": RawAlert(format=spec.alert.format, body=body),
    }  # fmt: skip
    config: Any = {"configurable": {"thread_id": incident_id}}
    async with sqlite_checkpointer(settings.checkpoint_db) as saver:
        graph = build_graph(saver)
        with workflow_span(incident_id, spec.name) as trace_id:
            paused = await drive(graph, first, config, context, options)
            log().info("incident finished", incident_id=incident_id, interrupted=paused)
        snapshot = await graph.aget_state(config)
    if not snapshot.values:
        raise LookupError(f"no incident {incident_id!r} in {settings.checkpoint_db}")
    state = cast(IncidentState, snapshot.values)
    return incident_id, state, trace_id, paused


async def drive(
    graph: Graph, first: Any, config: Any, context: Context, options: RunOptions
) -> bool:
    """Run until the graph ends; True when it stopped at an approval nobody could answer."""
    command: Any = first
    while True:
        pending = []
        async for chunk in graph.astream(
            command, config, context=context, stream_mode="updates", durability="sync"
        ):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    pending.extend(update)
                    continue
                options.progress(_describe(node, update))
                if options.observe is not None:
                    options.observe(node, update)
        if not pending:
            return False
        if options.ask is None:
            return True
        command = Command(resume={i.id: options.ask(i.value) for i in pending})


def _describe(node: str, update: Any) -> str:
    usage = (update or {}).get("usage") or []
    if not usage:
        return f"✓ {node}"
    u = usage[-1]
    model = f", {u.model} {u.input_tokens}+{u.output_tokens} tokens" if u.model else ""
    return f"✓ {node} {u.duration_s:.1f}s{model}"


def _warm_models(settings: Settings, options: RunOptions) -> None:
    for name in model_names(settings, options).values():
        if name in options.chat_models:
            continue  # injected (a test's scripted model): no weights to load
        try:
            model = get_chat_model(name, settings, fetch=False)
            if isinstance(model, EmbeddedChatModel):
                load_llama(model.model_path, model.n_ctx, model.n_threads)
        except Exception:  # the same load, in the node, raises it again with context
            return


def _resources(
    loaded: LoadedScenario, settings: Settings, tools: ThreadedToolHost, options: RunOptions
) -> Resources:
    now = parse_time(loaded.spec.now)
    return build_resources(settings, tools, loaded.spec.services, lambda: now, options)


def build_resources(
    settings: Settings,
    tools: ThreadedToolHost,
    catalog: Mapping[str, Service],
    clock: Callable[[], datetime],
    options: RunOptions,
) -> Resources:
    """A run's resources from its parts (replays: the scenario's; `graph serve`: its own)."""
    policy = load_policy(settings.policy_file)
    if policy.error:  # said at start-up; the guardian blocks every mutation
        log().warning("policy unavailable", reason=policy.error)
    res = Resources(
        settings=settings,
        tools=tools,
        catalog=catalog,
        clock=clock,
        model_names=model_names(settings, options),
        policy=policy,
        audit=AuditStore(settings.audit_db),
        progress=options.progress,
    )
    res.preload(options.chat_models)
    return res


def studio_resources(context: Context) -> Resources:
    """Resources for LangGraph Studio: the named scenario's world, kept for the process."""
    settings = Settings()
    loaded = load(context.scenario, settings.scenarios_dir)
    world = World(loaded).start()
    tools = ThreadedToolHost(lambda: open_tools(settings, world.env())).start()
    options = RunOptions(model_small=context.model_small, model_large=context.model_large)
    res = _resources(loaded, settings, tools, options)
    body = json.dumps(world.alert_payload())
    res.scenario_alert = RawAlert(format=loaded.spec.alert.format, body=body)
    return res
