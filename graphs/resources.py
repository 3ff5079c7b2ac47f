"""A run's live resources: MCP tool sessions, models, the service catalog and the clock.

Nodes reach them through `resources(runtime.context)`. The CLI and the service register
them under a key; LangGraph Studio, which can only send plain JSON, names a scenario
and gets that scenario's world, built once per process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_ollama import ChatOllama
from pydantic import BaseModel

from graphs.context import Context
from graphs.meter import current_node, record_llm, tool_call
from graphs.models.embedded import EmbeddedChatModel
from graphs.models.factory import get_chat_model
from graphs.models.structured import Structured, StructuredOutputError, structured_call
from graphs.settings import Settings
from graphs.state import RawAlert, Role
from mcphost.host import ToolResult
from mcphost.threaded import ThreadedToolHost
from observability.tracing import chat_span, tool_failed, tool_span
from policies.audit import AuditStore
from policies.engine import Policy
from world.scenario import Service

T = TypeVar("T", bound=BaseModel)


@dataclass
class Resources:
    settings: Settings
    tools: ThreadedToolHost
    catalog: Mapping[str, Service]
    clock: Callable[[], datetime]
    model_names: dict[Role, str]
    policy: Policy
    audit: AuditStore | None = None  # where gate decisions and approvals are persisted
    scenario_alert: RawAlert | None = None  # Studio: the scenario's alert, when input has none
    progress: Callable[[str], None] = lambda _line: None
    _models: dict[str, BaseChatModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def call_tool(self, qualified: str, args: Mapping[str, Any]) -> ToolResult:
        with tool_span(qualified) as span, tool_call():
            result = await self.tools.call(qualified, args)
            if result.status == "error":
                tool_failed(span, qualified, result.text)
            return result

    async def ask(
        self, role: Role, schema: type[T], messages: list[BaseMessage], max_tokens: int
    ) -> Structured[T]:
        """A structured answer from the role's model, in a `chat <model>` span; tokens and time
        go to the node's meter and the GenAI metrics."""
        name = self.model_names[role]
        self.progress(f"asking the {role} model ({name}) for {schema.__name__}…")
        model = await asyncio.to_thread(self.model, name)
        with chat_span(provider_name(model), name, max_tokens, current_node()) as call:
            try:
                answer = await structured_call(model, schema, messages, max_tokens=max_tokens)
            except StructuredOutputError as exc:
                record_llm(name, exc.input_tokens, exc.output_tokens, exc.duration_s)
                call.usage(exc.input_tokens, exc.output_tokens, exc.duration_s)
                raise
            record_llm(name, answer.input_tokens, answer.output_tokens, answer.duration_s)
            call.usage(answer.input_tokens, answer.output_tokens, answer.duration_s)
            return answer

    def preload(self, models: Mapping[str, BaseChatModel]) -> None:
        """Use these chat models for these names (a library user's own, or a test double)."""
        with self._lock:
            self._models.update(models)

    def model(self, name: str) -> BaseChatModel:
        with self._lock:
            if name not in self._models:
                self._models[name] = get_chat_model(name, self.settings, fetch=False)
            return self._models[name]


def provider_name(model: BaseChatModel) -> str:
    """`gen_ai.provider.name`: llama.cpp, ollama, or an injected model's own type."""
    if isinstance(model, EmbeddedChatModel):
        return "llama.cpp"
    if isinstance(model, ChatOllama):
        return "ollama"
    return model._llm_type


_registry: dict[str, Resources] = {}
_registry_lock = threading.Lock()


def register(key: str, value: Resources) -> None:
    with _registry_lock:
        _registry[key] = value


def unregister(key: str) -> None:
    with _registry_lock:
        _registry.pop(key, None)


def resources(context: Context) -> Resources:
    with _registry_lock:
        if context.resources_key in _registry:
            return _registry[context.resources_key]
        if context.scenario:
            key = f"scenario:{context.scenario}"
            if key not in _registry:
                from graphs.replay import studio_resources  # a replay world for Studio

                _registry[key] = studio_resources(context)
            return _registry[key]
    raise LookupError(
        "no resources for this run: give the context a 'scenario' (LangGraph Studio) "
        "or run it through `graph run` / `graph serve`"
    )


async def aresources(context: Context) -> Resources:
    """`resources` off the event loop: building Studio's world reads files and starts servers,
    which `langgraph dev` (blockbuster) refuses on its loop. Use it in a run's first node."""
    return await asyncio.to_thread(resources, context)
