"""The Ollama provider: `langchain-ollama`'s ChatOllama against a configured server.

ChatOllama calls `POST /api/chat` (streamed NDJSON); structured output is `format=<JSON schema>`
and token counts come from the final line's `prompt_eval_count` / `eval_count`. How to import
the same GGUF files into Ollama: docs/models.md.
"""

from __future__ import annotations

import ollama
from langchain_ollama import ChatOllama


def ollama_chat_model(
    *, base_url: str, model: str, num_predict: int = 512, num_ctx: int = 4096
) -> ChatOllama:
    """Greedy (temperature 0, seed 0), bounded output, explicit context window."""
    return ChatOllama(
        base_url=base_url,
        model=model,
        temperature=0,
        seed=0,
        num_predict=num_predict,
        num_ctx=num_ctx,
    )


def ollama_models(base_url: str, *, timeout_s: float = 5.0) -> list[str]:
    """Names of the models the server holds (`GET /api/tags`); raises if it does not answer."""
    with ollama.Client(host=base_url, timeout=timeout_s) as client:
        listing = client.list()
    return [entry.model for entry in listing.models if entry.model]


def close_ollama(model: ChatOllama) -> None:
    """Close the sync HTTP connection pool ChatOllama keeps open (it has no close of its own)."""
    model._client.close()  # type: ignore[no-untyped-call]  # ollama leaves it unannotated


async def aclose_ollama(model: ChatOllama) -> None:
    """Close both of ChatOllama's HTTP connection pools.

    The async pool belongs to the event loop that first used it: close it before that loop
    ends (end of `asyncio.run`, end of an async test), else its sockets are reported unclosed.
    """
    close_ollama(model)
    await model._async_client.close()  # type: ignore[no-untyped-call]
