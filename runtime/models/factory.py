"""One factory for chat models: Ollama when configured, else llama.cpp in process.

A name is a catalog name (`graph models` lists them) or a path to a `.gguf` file, which loads
as is, without a hash check (fine-tuned exports). On Ollama a name is whatever the server
calls the model; `ollama_model_small` / `ollama_model_large` map the two roles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from langchain_core.language_models import BaseChatModel

from runtime.models.catalog import get_spec
from runtime.models.embedded import EmbeddedChatModel
from runtime.models.ollama import ollama_chat_model
from runtime.models.weights import Progress, ensure_weights
from runtime.settings import Settings

Role = Literal["small", "large"]
Provider = Literal["embedded", "ollama"]


def resolve_provider(settings: Settings) -> Provider:
    if settings.model_provider == "auto":
        return "ollama" if settings.ollama_host else "embedded"
    return settings.model_provider


def role_model_name(role: Role, settings: Settings) -> str:
    return settings.model_small if role == "small" else settings.model_large


def get_role_model(
    role: Role, settings: Settings, *, progress: Progress | None = None
) -> BaseChatModel:
    return get_chat_model(role_model_name(role, settings), settings, progress=progress)


def get_chat_model(
    name: str, settings: Settings, *, progress: Progress | None = None, fetch: bool = True
) -> BaseChatModel:
    """A LangChain chat model for `name` on the configured provider.

    Embedded: the weights are verified first and, when `fetch`, downloaded if missing.
    """
    if resolve_provider(settings) == "ollama":
        if not settings.ollama_host:
            raise ValueError("model_provider is 'ollama' but no ollama_host (OLLAMA_HOST) is set")
        return ollama_chat_model(
            base_url=settings.ollama_host,
            model=ollama_model_name(name, settings),
            num_ctx=settings.llm_context,
        )
    path = weights_path(name, settings, progress=progress, fetch=fetch)
    return EmbeddedChatModel(
        model=path.stem if is_gguf_path(name) else name,
        model_path=path,
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        prefix_cache_mb=settings.llm_prefix_cache_mb,
    )


def ollama_model_name(name: str, settings: Settings) -> str:
    """The Ollama model for a configured role name; any other name is used as is."""
    if name == settings.model_small and settings.ollama_model_small:
        return settings.ollama_model_small
    if name == settings.model_large and settings.ollama_model_large:
        return settings.ollama_model_large
    return name


def is_gguf_path(name: str) -> bool:
    return name.lower().endswith(".gguf")


def weights_path(
    name: str, settings: Settings, *, progress: Progress | None = None, fetch: bool = True
) -> Path:
    """The GGUF for `name`: the file itself for a path, else verified (and fetched) weights."""
    if is_gguf_path(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"model file {path} does not exist")
        return path
    spec = get_spec(name)
    return ensure_weights(spec, models_dir=settings.models_dir, progress=progress, fetch=fetch)
