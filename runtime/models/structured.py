"""One structured LLM call: output constrained by a pydantic model's JSON schema, bounded,
validated, retried once, and counted.

The constraint is the provider's own: llama.cpp builds a grammar from
`response_format={"type": "json_object", "schema": ...}`; Ollama takes `format=<schema>`.
The only parsing is `json.loads` of that constrained text and pydantic validation. An invalid
answer is retried once with the validation error added to the conversation; a second invalid
answer raises `StructuredOutputError`, which carries both raw outputs and the tokens spent so
the caller can fall back and still count the cost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable
from langchain_ollama import ChatOllama
from pydantic import BaseModel, ValidationError

from core.structured import Structured, StructuredOutputError
from runtime.models.embedded import EmbeddedChatModel

T = TypeVar("T", bound=BaseModel)
ATTEMPTS = 2

__all__ = ["Structured", "StructuredOutputError", "structured_call"]


@dataclass
class _Tally:
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, reply: BaseMessage) -> None:
        usage = reply.usage_metadata if isinstance(reply, AIMessage) else None
        if usage:
            self.input_tokens += usage["input_tokens"]
            self.output_tokens += usage["output_tokens"]


async def structured_call(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    *,
    max_tokens: int,
) -> Structured[T]:
    """Ask `model` for a `schema` instance; at most two attempts of at most `max_tokens` each."""
    constrained = constrain(model, schema.model_json_schema(), max_tokens)
    name = model_name(model)
    conversation = list(messages)
    raws: list[str] = []
    errors: list[str] = []
    tally = _Tally()
    started = time.perf_counter()
    for attempt in range(1, ATTEMPTS + 1):
        reply = await constrained.ainvoke(conversation)
        tally.add(reply)
        raw = str(reply.text)
        raws.append(raw)
        try:
            value = schema.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            errors.append(_describe(exc))
            conversation += [AIMessage(content=raw), HumanMessage(content=_retry_prompt(exc))]
            continue
        elapsed = time.perf_counter() - started
        return Structured(value, tally.input_tokens, tally.output_tokens, attempt, elapsed, name)
    raise StructuredOutputError(
        f"{name} gave no valid {schema.__name__} in {ATTEMPTS} attempts: {errors[-1]}",
        raw_outputs=tuple(raws),
        errors=tuple(errors),
        input_tokens=tally.input_tokens,
        output_tokens=tally.output_tokens,
        duration_s=time.perf_counter() - started,
        model=name,
    )


def constrain(
    model: BaseChatModel, json_schema: dict[str, Any], max_tokens: int
) -> Runnable[LanguageModelInput, BaseMessage]:
    """`model` with its output constrained to `json_schema` and bounded to `max_tokens`."""
    if isinstance(model, EmbeddedChatModel):
        response_format = {"type": "json_object", "schema": json_schema}
        return model.bind(max_tokens=max_tokens, response_format=response_format)
    if isinstance(model, ChatOllama):
        bounded = model.model_copy(update={"num_predict": max_tokens})
        return bounded.bind(format=json_schema)
    # Any other LangChain chat model (a hosted API, a test double): bounded where it takes
    # `max_tokens`, not constrained; validation and the one retry still apply.
    return model.bind(max_tokens=max_tokens)


def model_name(model: BaseChatModel) -> str:
    name = getattr(model, "model", None)
    return name if isinstance(name, str) else type(model).__name__


def _describe(exc: json.JSONDecodeError | ValidationError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at character {exc.pos}; cut off at the token limit?)"
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors()[:5]
    ]
    return "does not match the schema: " + "; ".join(problems)


def _retry_prompt(exc: json.JSONDecodeError | ValidationError) -> str:
    return (
        f"That answer {_describe(exc)}. Answer again with only a complete JSON object that "
        "matches the schema, and keep string values short."
    )
