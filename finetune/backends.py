"""Where a LoRA is trained: unsloth on a CUDA GPU (QLoRA: the base in 4 bits), or transformers
+ peft on the CPU (float32; slow, but it runs anywhere). Both give a peft model, so the
training loop, the checkpoints and the export are the same."""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from finetune.base import BaseModel, load, save_hf
from finetune.errors import FinetuneError

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
BackendName = Literal["auto", "cpu", "unsloth"]


class BackendError(FinetuneError):
    pass


@dataclass(frozen=True)
class Lora:
    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = TARGETS


def pick(wanted: BackendName) -> Literal["cpu", "unsloth"]:
    """`auto`: unsloth when CUDA and unsloth are both there, else the CPU."""
    cuda = _cuda()
    has_unsloth = importlib.util.find_spec("unsloth") is not None
    if wanted == "unsloth" and not (cuda and has_unsloth):
        missing = "a CUDA GPU" if not cuda else "the unsloth package (pip install '.[finetune]')"
        raise BackendError(f"--backend unsloth needs {missing}; --backend cpu works anywhere")
    if wanted == "auto":
        return "unsloth" if cuda and has_unsloth else "cpu"
    return wanted


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def load_cpu(base: BaseModel, lora: Lora, threads: int | None) -> tuple[Any, Any]:
    from peft import LoraConfig, get_peft_model

    model, tokenizer = load(base, threads)
    config = LoraConfig(
        r=lora.rank, lora_alpha=lora.alpha, target_modules=list(lora.targets),
        lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
    )  # fmt: skip
    with warnings.catch_warnings():
        # peft reads transformers' deprecated `is_gradient_checkpointing` (transformers 5)
        warnings.filterwarnings(
            "ignore", message=r".*is_gradient_checkpointing.*deprecated", category=FutureWarning
        )
        return get_peft_model(model, config), tokenizer


def load_unsloth(
    base: BaseModel, lora: Lora, max_length: int, work: Path, seed: int
) -> tuple[Any, Any]:
    """QLoRA with unsloth: the GGUF, dequantized once into `work/base-hf`, loaded in 4 bits."""
    import unsloth  # noqa: F401  (before transformers: it patches it on import)
    from unsloth import FastLanguageModel

    folder = save_hf(base, work / "base-hf")
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=str(folder), max_seq_length=max_length, dtype=None, load_in_4bit=True
    )
    model = FastLanguageModel.get_peft_model(
        model, r=lora.rank, lora_alpha=lora.alpha, target_modules=list(lora.targets),
        lora_dropout=0, bias="none", use_gradient_checkpointing="unsloth", random_state=seed,
    )  # fmt: skip
    return model, tokenizer
