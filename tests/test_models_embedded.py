"""llama.cpp in process on real weights (SmolLM2-135M, fetched by `make weights`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from runtime.models.embedded import EmbeddedChatModel
from runtime.models.factory import get_chat_model
from runtime.models.structured import StructuredOutputError, structured_call
from runtime.models.weights import WeightsError, ensure_weights
from runtime.settings import Settings

pytestmark = pytest.mark.integration

SMOLLM2 = "smollm2-135m"


class Triage(BaseModel):
    severity: Literal["low", "medium", "high", "critical"]
    service: str = Field(max_length=24)


class Essay(BaseModel):
    """More than a handful of tokens can hold: forces truncated, invalid output."""

    paragraphs: list[str] = Field(min_length=20)


ALERT = [
    SystemMessage(content="You triage production alerts. Answer in JSON."),
    HumanMessage(
        content="Alert OrdersDbPoolSaturation: service orders-api, connection pool at 95% for "
        "10 minutes, error rate 7%. Give the severity and the service."
    ),
]


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    try:
        return ensure_weights(SMOLLM2, models_dir=Settings().models_dir, fetch=False)
    except WeightsError as exc:
        pytest.fail(f"{exc} (`make test` does this through `make weights`)")


def smollm2(path: Path) -> EmbeddedChatModel:
    # One thread: llama.cpp's threads spin-wait on each other, so on a busy 2-core machine two
    # threads can run 20x slower than one; SmolLM2 is fast enough on one.
    return EmbeddedChatModel(model=SMOLLM2, model_path=path, n_ctx=2048, n_threads=1)


@pytest.fixture
def model(smollm2_path: Path) -> EmbeddedChatModel:
    return smollm2(smollm2_path)


async def test_structured_call_returns_a_valid_object_and_counts_tokens(
    model: EmbeddedChatModel,
) -> None:
    result = await structured_call(model, Triage, ALERT, max_tokens=48)
    assert isinstance(result.value, Triage)
    assert result.model == SMOLLM2
    assert 1 <= result.attempts <= 2
    assert result.input_tokens > 40
    assert 0 < result.output_tokens <= 48 * result.attempts
    assert result.duration_s > 0


async def test_max_tokens_bounds_the_answer(model: EmbeddedChatModel) -> None:
    reply = await model.bind(max_tokens=5).ainvoke([HumanMessage(content="Write a long story.")])
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] == 5
    assert reply.usage_metadata["total_tokens"] == (
        reply.usage_metadata["input_tokens"] + reply.usage_metadata["output_tokens"]
    )
    assert reply.response_metadata == {
        "model_name": SMOLLM2,
        "model_provider": "llama.cpp",
        "finish_reason": "length",
    }


async def test_output_that_cannot_fit_fails_after_exactly_two_attempts(
    model: EmbeddedChatModel,
) -> None:
    with pytest.raises(StructuredOutputError) as caught:
        await structured_call(model, Essay, ALERT, max_tokens=8)
    error = caught.value
    assert error.attempts == 2
    assert len(error.raw_outputs) == 2
    assert all(raw.startswith("{") for raw in error.raw_outputs)
    assert all("not valid JSON" in reason for reason in error.errors)
    assert 0 < error.output_tokens <= 16
    assert error.input_tokens > 2 * 40
    assert error.model == SMOLLM2


async def test_concurrent_calls_share_one_loaded_model(
    model: EmbeddedChatModel, smollm2_path: Path
) -> None:
    twin = smollm2(smollm2_path)
    assert twin.load() is model.load()
    results = await asyncio.gather(
        structured_call(model, Triage, ALERT, max_tokens=48),
        structured_call(twin, Triage, ALERT, max_tokens=48),
    )
    assert results[0].value == results[1].value  # greedy decoding, same prompt


def test_a_gguf_path_loads_that_file_without_a_hash_check(
    smollm2_path: Path, tmp_path: Path
) -> None:
    settings = Settings(models_dir=tmp_path / "empty", model_provider="embedded", llm_context=1024)
    chat = get_chat_model(str(smollm2_path), settings)
    assert isinstance(chat, EmbeddedChatModel)
    assert chat.model == smollm2_path.stem
    assert chat.n_ctx == 1024
    assert not (tmp_path / "empty").exists()


def test_tool_messages_are_refused(model: EmbeddedChatModel) -> None:
    with pytest.raises(ValueError, match="not 'tool'"):
        model.invoke([ToolMessage(content="{}", tool_call_id="1")])


def test_the_prefix_cache_restores_a_shared_beginning_and_answers_the_same(
    smollm2_path: Path,
) -> None:
    """A prompt that starts like an earlier one reads only its new part (the cache holds the
    states of earlier calls, without logits), and greedy answers do not change."""
    instructions = "You triage production alerts for an SRE team. " * 12
    first = [HumanMessage(content=instructions + "Alert A: disk 91% on ledger-db.")]
    second = [HumanMessage(content=instructions + "Alert B: p99 latency 4 s on cart-api.")]
    plain = EmbeddedChatModel(model=SMOLLM2, model_path=smollm2_path, n_ctx=2048, n_threads=1)
    cached = plain.model_copy(update={"prefix_cache_mb": 64})
    expected = [plain.bind(max_tokens=12).invoke(m).content for m in (first, second)]
    llama = cached.load().llama
    assert llama.cache is not None and plain.load().llama.cache is None
    got = [cached.bind(max_tokens=12).invoke(first).content]
    llama.reset()  # as if another prompt had run since: only the cache can help now
    [state] = llama.cache.cache_state.values()
    assert state.scores.shape == (1, llama.n_vocab()), "no logits buffer copied per call"
    reads = []
    original = llama.eval
    llama.eval = lambda tokens: (reads.append(len(tokens)), original(tokens))[1]  # type: ignore[method-assign]
    got.append(cached.bind(max_tokens=12).invoke(second).content)
    assert got == expected
    prompt_tokens = len(llama.tokenize(second[0].content.encode()))
    assert reads[0] < prompt_tokens / 2, f"read {reads[0]} of ~{prompt_tokens} prompt tokens"
