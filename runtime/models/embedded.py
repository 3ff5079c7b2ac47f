"""A LangChain chat model that runs a GGUF file in this process with llama.cpp.

Greedy decoding (temperature 0, seed 0). Per call, `max_tokens` and an OpenAI-style
`response_format` (`{"type": "json_object", "schema": {...}}` constrains the output with a
grammar built from the JSON schema) can be bound with `.bind(...)`. A loaded `Llama` is shared
per (path, context, threads, cache) within the process and guarded by a lock: it is not
thread-safe.

Prompt prefix cache: every prompt starts with its template's fixed instructions, so a
model's states after each call are kept (LRU, `prefix_cache_mb`) and the next call with the
same beginning (the next incident's root cause, the gate's next judge) restores the longest
matching one instead of reading those tokens again (docs/models.md, "Prefix cache").
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from llama_cpp import Llama, LlamaState
from llama_cpp import llama_cpp as llama_lib
from llama_cpp.llama_cache import LlamaRAMCache
from pydantic import Field

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_CALL_OPTIONS = frozenset({"max_tokens", "response_format"})


@dataclass
class LoadedModel:
    llama: Llama
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, int, int, int], LoadedModel] = {}
_LOADING = threading.Lock()


class CachingLlama(Llama):
    """`Llama` whose saved states (what the prefix cache keeps) hold the KV cache of the
    tokens read and no logits: llama-cpp-python's own `save_state` copies the whole logits
    buffer (n_batch x vocabulary, about 300 MB for Qwen) on every call, which sampling never
    reads back (it samples from the context's own logits after evaluating at least one new
    token)."""

    def save_state(self) -> LlamaState:
        size = llama_lib.llama_state_get_size(self._ctx.ctx)
        buffer = (ctypes.c_uint8 * int(size))()
        written = int(llama_lib.llama_state_get_data(self._ctx.ctx, buffer, size))
        if written > int(size):
            raise RuntimeError("llama.cpp wrote more state than it announced")
        return LlamaState(
            input_ids=self.input_ids.copy(),
            scores=np.zeros((1, self._n_vocab), dtype=np.single),  # broadcast on load
            n_tokens=self.n_tokens,
            llama_state=ctypes.string_at(buffer, written),  # one copy of what was written
            llama_state_size=written,
            seed=self._seed,
        )


def load_llama(path: Path, n_ctx: int, n_threads: int, prefix_cache_mb: int = 0) -> LoadedModel:
    """The process-wide `Llama` for this file and settings, loaded on first use; with a
    prefix cache of `prefix_cache_mb` (0: none)."""
    key = (str(path.resolve()), n_ctx, n_threads, prefix_cache_mb)
    with _LOADING:
        if key not in _LOADED:
            if not path.is_file():
                raise FileNotFoundError(f"no GGUF file at {path}")
            with _plain_cpu_buffers():
                llama = CachingLlama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False, seed=0
                )
            if prefix_cache_mb > 0:
                llama.set_cache(LlamaRAMCache(capacity_bytes=prefix_cache_mb << 20))
            _LOADED[key] = LoadedModel(llama)
        return _LOADED[key]


@contextmanager
def _plain_cpu_buffers() -> Iterator[None]:
    """Load weights into plain CPU buffers (llama.cpp's `--no-repack`).

    On CPUs with AMX (Sapphire Rapids and later) llama.cpp repacks weights for its AMX
    kernels, and the first multi-token prompt then crashes the process with SIGSEGV
    where the kernel does not grant AMX tile state (measured here, llama-cpp-python
    0.3.36). Plain buffers work on every CPU; `Llama` does not expose the switch, so the
    default parameters it asks for are adjusted while it loads (under `_LOADING`).
    """
    original = llama_lib.llama_model_default_params

    def params() -> llama_lib.llama_model_params:
        p: llama_lib.llama_model_params = original()
        p.use_extra_bufts = False
        return p

    llama_lib.llama_model_default_params = params
    try:
        yield
    finally:
        llama_lib.llama_model_default_params = original


class EmbeddedChatModel(BaseChatModel):
    """llama.cpp in process on a local GGUF file (the default provider without Ollama)."""

    model: str = Field(description="name reported in metadata: catalog name or file stem")
    model_path: Path
    n_ctx: int = 4096
    n_threads: int = Field(default_factory=lambda: os.cpu_count() or 1)
    max_tokens: int = 512
    response_format: dict[str, Any] | None = None
    prefix_cache_mb: int = 0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "model_path": str(self.model_path), "n_ctx": self.n_ctx}

    def load(self) -> LoadedModel:
        return load_llama(self.model_path, self.n_ctx, self.n_threads, self.prefix_cache_mb)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,  # noqa: ARG002 (BaseChatModel's)
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        loaded = self.load()
        with loaded.lock:
            response = loaded.llama.create_chat_completion(**request)
        if not isinstance(response, dict):
            raise TypeError("llama.cpp returned a stream for a non-streaming request")
        return self._result(response)

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        unknown = {k for k in kwargs if k not in _CALL_OPTIONS and not k.startswith("ls_")}
        if unknown:
            raise TypeError(f"EmbeddedChatModel does not take {sorted(unknown)}")
        request: dict[str, Any] = {
            "messages": [_to_llama(message) for message in messages],
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": 0.0,
            "seed": 0,
            "stop": stop or [],
        }
        response_format = kwargs.get("response_format", self.response_format)
        if response_format is not None:
            request["response_format"] = response_format
        return request

    def _result(self, response: Any) -> ChatResult:
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        tokens_in = int(usage.get("prompt_tokens", 0))
        tokens_out = int(usage.get("completion_tokens", 0))
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=UsageMetadata(
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                total_tokens=tokens_in + tokens_out,
            ),
            response_metadata={
                "model_name": self.model,
                "model_provider": "llama.cpp",
                "finish_reason": choice.get("finish_reason"),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def _to_llama(message: BaseMessage) -> dict[str, str]:
    role = _ROLES.get(message.type)
    if role is None:
        raise ValueError(
            f"the embedded model takes system, human and AI messages, not {message.type!r}"
        )
    return {"role": role, "content": str(message.text)}
