"""The run's models: one chat model per name, loaded once, asked for structured answers.

`ModelPool.ask(role, schema, messages, max_tokens)` runs one structured call on the role's
model inside a `chat <model>` span; its tokens and time go to the current node's meter and
the GenAI metrics. It implements `core.ports.Models`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_ollama import ChatOllama
from pydantic import BaseModel

from core.state import Role
from core.structured import Structured, StructuredOutputError
from observability.meter import current_node, record_llm
from observability.tracing import chat_span
from runtime.models.embedded import EmbeddedChatModel
from runtime.models.factory import get_chat_model
from runtime.models.structured import structured_call
from runtime.settings import Settings

T = TypeVar("T", bound=BaseModel)


def _quiet(_line: str) -> None:
    return None


@dataclass
class ModelPool:
    settings: Settings
    names: Mapping[Role, str]
    progress: Callable[[str], None] = _quiet
    _models: dict[str, BaseChatModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def ask(
        self, role: Role, schema: type[T], messages: list[BaseMessage], max_tokens: int
    ) -> Structured[T]:
        """A structured answer from the role's model, in a `chat <model>` span; tokens and time
        go to the node's meter and the GenAI metrics."""
        name = self.names[role]
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
