"""The Ollama provider against a fake server that follows Ollama's documented HTTP contract,
plus a live check that runs only where `OLLAMA_HOST` answers.

Contract used (Ollama API docs): `POST /api/chat` streams NDJSON objects, each with
`message.content` pieces and `done: false`, then a last object with `done: true`,
`done_reason`, `prompt_eval_count` and `eval_count`; `format` (a JSON schema) constrains the
answer; `options.num_predict` bounds it. `GET /api/tags` lists the models.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_ollama import ChatOllama
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from cli import main as cli
from runtime.models import factory
from runtime.models.factory import get_chat_model, get_role_model
from runtime.models.ollama import aclose_ollama, ollama_models
from runtime.models.structured import StructuredOutputError, structured_call
from runtime.settings import Settings
from world.http import LoopbackServers

MODEL = "incident-large"


class Triage(BaseModel):
    severity: Literal["low", "medium", "high", "critical"]
    service: str


MESSAGES = [
    SystemMessage(content="You triage production alerts."),
    HumanMessage(content="orders-api: connection pool at 95%, error rate 7%"),
]


@dataclass
class FakeOllama:
    """Answers /api/chat with scripted JSON (when `format` is given) or plain text."""

    answers: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    models: tuple[str, ...] = (f"{MODEL}:latest", "incident-small:latest")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/chat", self.chat, methods=["POST"]),
                Route("/api/tags", self.tags, methods=["GET"]),
            ]
        )

    async def tags(self, _request: Request) -> Response:
        return JSONResponse({"models": [{"name": m, "model": m, "size": 1} for m in self.models]})

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        answer = self.answers.pop(0) if body.get("format") else "OK, noted."
        pieces = self._pieces(answer, body.get("options") or {})
        prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
        last = {"done": True, "done_reason": "stop", "prompt_eval_count": prompt_tokens}
        last |= {"eval_count": len(pieces), "total_duration": 1_000_000}
        lines = [self._line(piece, done=False) for piece in pieces] + [self._line("") | last]
        if body.get("stream") is False:
            return JSONResponse(self._line(answer) | last)
        return StreamingResponse(_ndjson(lines), media_type="application/x-ndjson")

    @staticmethod
    def _pieces(answer: str, options: dict[str, Any]) -> list[str]:
        pieces = [answer[i : i + 4] for i in range(0, len(answer), 4)]
        return pieces[: options.get("num_predict") or len(pieces)]

    @staticmethod
    def _line(content: str, done: bool = True) -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {
            "model": MODEL,
            "created_at": "2026-05-24T10:00:00Z",
            "message": message,
            "done": done,
        }


async def _ndjson(lines: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for line in lines:
        yield (json.dumps(line) + "\n").encode()


@pytest.fixture(autouse=True)
async def close_clients(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Every ChatOllama the factory makes has its connection pools closed after the test."""
    made: list[ChatOllama] = []
    real = factory.ollama_chat_model

    def recording(**kwargs: Any) -> ChatOllama:
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(factory, "ollama_chat_model", recording)
    yield
    for model in made:
        await aclose_ollama(model)


@pytest.fixture
def fake() -> FakeOllama:
    return FakeOllama()


@pytest.fixture
def host(fake: FakeOllama) -> Iterator[str]:
    with LoopbackServers([fake.app()]) as servers:
        yield servers.urls[0]


@pytest.fixture
def settings(host: str) -> Settings:
    return Settings(ollama_host=host, model_large=MODEL, llm_context=2048)


async def test_structured_call_through_chat_ollama_parses_and_counts(
    fake: FakeOllama, settings: Settings
) -> None:
    fake.answers = ['{"severity": "high", "service": "orders-api"}']
    model = get_role_model("large", settings)
    assert isinstance(model, ChatOllama)
    result = await structured_call(model, Triage, MESSAGES, max_tokens=64)
    assert result.value == Triage(severity="high", service="orders-api")
    assert (result.input_tokens, result.output_tokens) == (12, 12)
    assert (result.attempts, result.model) == (1, MODEL)
    sent = fake.requests[0]
    assert sent["format"] == Triage.model_json_schema()
    assert sent["options"]["num_predict"] == 64
    assert sent["options"]["num_ctx"] == 2048
    assert sent["options"]["temperature"] == 0
    assert sent["stream"] is True
    assert sent["model"] == MODEL


async def test_an_invalid_answer_is_retried_once_with_the_error(
    fake: FakeOllama, settings: Settings
) -> None:
    fake.answers = ['{"severity": "high"}', '{"severity": "low", "service": "orders-db"}']
    result = await structured_call(
        get_role_model("large", settings), Triage, MESSAGES, max_tokens=64
    )
    assert result.value.service == "orders-db"
    assert result.attempts == 2
    assert result.output_tokens == 5 + 11
    retry = fake.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"severity": "high"}'}
    assert "service: Field required" in retry[-1]["content"]


async def test_two_invalid_answers_raise_with_both_outputs_and_the_tokens_spent(
    fake: FakeOllama, settings: Settings
) -> None:
    fake.answers = ['{"severity": "urgent", "service": "x"}', '{"severity": "high", "serv']
    with pytest.raises(StructuredOutputError) as caught:
        await structured_call(get_role_model("large", settings), Triage, MESSAGES, max_tokens=64)
    error = caught.value
    assert error.raw_outputs == (
        '{"severity": "urgent", "service": "x"}',
        '{"severity": "high", "serv',
    )
    assert error.attempts == 2
    assert error.output_tokens == 10 + 7
    assert error.input_tokens > 2 * 12
    assert "not valid JSON" in str(error)


async def test_num_predict_cuts_the_answer_short(fake: FakeOllama, settings: Settings) -> None:
    fake.answers = ['{"severity": "high", "service": "orders-api"}'] * 2
    with pytest.raises(StructuredOutputError) as caught:
        await structured_call(get_role_model("large", settings), Triage, MESSAGES, max_tokens=3)
    assert caught.value.raw_outputs == ('{"severity":', '{"severity":')
    assert [r["options"]["num_predict"] for r in fake.requests] == [3, 3]


def test_role_names_map_to_the_configured_ollama_models(host: str) -> None:
    settings = Settings(ollama_host=host, ollama_model_small="incident-small")
    small = get_role_model("small", settings)
    assert isinstance(small, ChatOllama)
    assert small.model == "incident-small"
    assert small.base_url == host
    other = get_chat_model("qwen2.5-coder:1.5b", settings)
    assert isinstance(other, ChatOllama)
    assert other.model == "qwen2.5-coder:1.5b"


def test_tags_and_the_models_check_go_through_the_server(
    host: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ollama_models(host) == [f"{MODEL}:latest", "incident-small:latest"]
    monkeypatch.setenv("OLLAMA_HOST", host)
    monkeypatch.setenv("INCIDENT_GRAPH_OLLAMA_MODEL_SMALL", "incident-small")
    monkeypatch.setenv("INCIDENT_GRAPH_OLLAMA_MODEL_LARGE", MODEL)
    assert cli.main(["models", "--check", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["configured"]
    assert [(r["role"], r["provider"], r["name"]) for r in rows] == [
        ("small", "ollama", "incident-small"),
        ("large", "ollama", MODEL),
    ]
    assert all(r["check"]["ok"] for r in rows)


def _live_host() -> str | None:
    host = os.environ.get("OLLAMA_HOST")
    if not host:
        return None
    url = host if "://" in host else f"http://{host}"
    try:
        httpx.get(f"{url}/api/tags", timeout=2).raise_for_status()
    except httpx.HTTPError:
        return None
    return url


@pytest.mark.integration
@pytest.mark.skipif(_live_host() is None, reason="no Ollama answers at OLLAMA_HOST")
async def test_live_ollama_gives_a_valid_structured_answer() -> None:
    host = _live_host() or ""
    name = os.environ.get("INCIDENT_GRAPH_LIVE_OLLAMA_MODEL") or ollama_models(host)[0]
    model = get_chat_model(name, Settings(ollama_host=host))
    result = await structured_call(model, Triage, MESSAGES, max_tokens=64)
    assert isinstance(result.value, Triage)
    assert result.input_tokens > 0
    assert result.output_tokens > 0
