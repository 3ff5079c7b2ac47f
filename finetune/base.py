"""The base model to tune: a catalog model (by role or name) or a GGUF file, loaded for training.

Only GGUF weights exist locally, so training starts from the GGUF itself: transformers reads
it and dequantizes every tensor to float (`from_pretrained(folder, gguf_file=...)`), and
the export later adds the learned change to the same GGUF's tensors. Needs the
`finetune-cpu` extra (torch, transformers, peft, gguf).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.errors import FinetuneError
from finetune.registry import tuned_models
from runtime.models.factory import weights_path
from runtime.settings import Settings

SUPPORTED_ARCHS = ("llama", "qwen2")  # transformers reads them; the export knows their tensors


class BaseModelError(FinetuneError):
    """A base that cannot be trained or exported, with what to do instead."""


@dataclass(frozen=True)
class BaseModel:
    name: str  # what the user gave: small, large, a catalog name or a path
    path: Path  # the GGUF file
    architecture: str


def resolve(base: str, settings: Settings) -> BaseModel:
    """`small` / `large` (the configured roles), a catalog name, a tuned model's name, or a
    path to a .gguf."""
    name = {"small": settings.model_small, "large": settings.model_large}.get(base, base)
    tuned = {m.name: m.path for m in tuned_models(settings.models_dir)}
    name = str(tuned[name]) if name in tuned else name
    if Path(name).expanduser().is_dir():
        raise BaseModelError(
            f"{name} is a folder: give a .gguf file (convert a Hugging Face model with "
            "llama.cpp's convert_hf_to_gguf.py), a catalog name, small or large"
        )
    path = weights_path(name, settings, fetch=False)
    return BaseModel(name=base, path=path.resolve(), architecture=architecture(path))


def architecture(path: Path) -> str:
    from gguf import GGUFReader

    field = GGUFReader(path).get_field("general.architecture")
    arch = str(field.contents()) if field else "?"
    if arch not in SUPPORTED_ARCHS:
        raise BaseModelError(
            f"{path}: architecture {arch!r} is not supported for tuning "
            f"(supported: {', '.join(SUPPORTED_ARCHS)})"
        )
    return arch


def load(base: BaseModel, threads: int | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) in float32 on the CPU, dequantized from the GGUF."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    folder, file = str(base.path.parent), base.path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
    model: Any = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file, dtype=torch.float32)
    # the weights are plain floats now: drop transformers' note that they came from a GGUF
    # (with it, save_pretrained refuses: "quantized with gguf and is not serializable")
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    model.hf_quantizer = None
    if hasattr(model, "quantization_method"):
        del model.quantization_method
    return model, tokenizer


def save_hf(base: BaseModel, folder: Path) -> Path:
    """The dequantized base as a Hugging Face folder (unsloth loads only those); reused."""
    marker = folder / "config.json"
    if marker.is_file():
        return folder
    model, tokenizer = load(base)
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.replace(folder)
    return folder
