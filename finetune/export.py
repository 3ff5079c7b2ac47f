"""`graph finetune export DIR`: the trained LoRA merged into its base GGUF, and a Modelfile.

The base GGUF is copied tensor by tensor with all its metadata (tokenizer, chat template,
hyper-parameters); each tensor the LoRA touched is dequantized, gets `scale · B·A` added,
and is written as Q8_0 (F16 where a row does not split into 32-value blocks), every other
tensor keeps its bytes and quantization. The result loads in llama.cpp (the embedded
provider) and imports into Ollama. Llama-architecture GGUFs store the Q and K projections
with their rows permuted for llama.cpp's rotary embedding; the update gets the same
permutation (convert_hf_to_gguf.py's `LlamaModel.permute`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from finetune import registry
from finetune.base import SUPPORTED_ARCHS
from finetune.errors import FinetuneError
from finetune.examples import file_sha256
from finetune.modelfile import modelfile
from finetune.train import MANIFEST

_LORA_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")
PERMUTED = {"llama": ("q_proj", "k_proj")}  # archs whose GGUF permutes Q/K rows


class ExportError(FinetuneError):
    pass


@dataclass(frozen=True)
class Exported:
    name: str
    gguf: Path
    modelfile: Path
    size: int
    merged_tensors: int
    info: Path


def export(
    run_dir: Path, models_dir: Path, name: str | None = None, out_dir: Path | None = None
) -> Exported:
    manifest = _json(run_dir / MANIFEST, "train a model first: graph finetune train ... --out DIR")
    base = Path(manifest["base"]["path"])
    if not base.is_file():
        raise ExportError(f"the base GGUF {base} (from {run_dir / MANIFEST}) is gone")
    name = name or run_dir.resolve().name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ExportError(f"model name {name!r}: use letters, digits, '.', '_' and '-'")
    target_dir = out_dir or registry.folder(models_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    gguf_path = target_dir / f"{name}.gguf"
    deltas = lora_deltas(run_dir / "adapter")
    merged = write_merged(base, deltas, gguf_path, name)
    mf = target_dir / f"{name}.Modelfile"
    mf.write_text(modelfile(gguf_path))
    info = {
        "gguf": str(gguf_path), "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": file_sha256(gguf_path), "size_bytes": gguf_path.stat().st_size,
        "base": manifest["base"], "run_dir": str(run_dir.resolve()),
        "training": {k: v for k, v in manifest["training"].items() if k != "losses"},
        "data": manifest["data"], "merged_tensors": merged, "modelfile": str(mf),
    }  # fmt: skip
    entry = registry.register(target_dir, name, info)
    return Exported(name, gguf_path, mf, info["size_bytes"], merged, entry)


def _json(path: Path, hint: str) -> dict[str, Any]:
    if not path.is_file():
        raise ExportError(f"no {path.name} in {path.parent}: {hint}")
    value: dict[str, Any] = json.loads(path.read_text())
    return value


def lora_deltas(adapter: Path) -> dict[str, np.ndarray]:
    """`scale · B·A` per adapted module (`model.layers.0.self_attn.q_proj`), float32."""
    import torch
    from safetensors.torch import load_file

    config = _json(adapter / "adapter_config.json", "the run has no adapter/")
    if config.get("use_dora") or config.get("rank_pattern") or config.get("alpha_pattern"):
        raise ExportError(f"{adapter}: DoRA and per-module ranks are not supported by the export")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    scale = alpha / (rank**0.5) if config.get("use_rslora") else alpha / rank
    parts: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in load_file(adapter / "adapter_model.safetensors").items():
        match = _LORA_KEY.match(key)
        if match is None:
            raise ExportError(f"{adapter}: unexpected tensor {key} (only LoRA A/B weights)")
        parts.setdefault(match["module"], {})[match["part"]] = tensor.float()
    return {
        module: (scale * (ab["B"] @ ab["A"])).numpy().astype(np.float32)
        for module, ab in parts.items()
    }


def write_merged(base: Path, deltas: dict[str, np.ndarray], out: Path, name: str) -> int:
    import gguf

    reader = gguf.GGUFReader(base)
    arch = str(reader.fields["general.architecture"].contents())
    if arch not in SUPPORTED_ARCHS:
        raise ExportError(f"{base}: architecture {arch!r} is not supported by the export")
    by_tensor = _gguf_names(reader, arch, deltas)
    tmp = out.with_name(out.name + ".tmp")
    writer = gguf.GGUFWriter(tmp, arch)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value = name if field.name == gguf.Keys.General.NAME else field.contents()
        writer.add_key_value(field.name, value, vtype, sub_type=sub)
    data: list[np.ndarray] = []
    for t in reader.tensors:
        if t.name in by_tensor:
            array, kind = _merge(t, by_tensor[t.name])
        else:
            array, kind = t.data, t.tensor_type
        writer.add_tensor_info(t.name, array.shape, array.dtype, array.nbytes, kind)
        data.append(array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for array in data:
        writer.write_tensor_data(array, tensor_endianess=reader.endianess)
    writer.close()
    tmp.replace(out)
    return len(by_tensor)


def _gguf_names(reader: Any, arch: str, deltas: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Deltas keyed by GGUF tensor name, permuted as the GGUF stores those rows."""
    import gguf

    blocks = int(reader.fields[f"{arch}.block_count"].contents())
    heads = int(reader.fields[f"{arch}.attention.head_count"].contents())
    kv_field = reader.fields.get(f"{arch}.attention.head_count_kv")
    kv_heads = int(kv_field.contents()) if kv_field else heads
    arch_id = {v: k for k, v in gguf.MODEL_ARCH_NAMES.items()}[arch]
    names = gguf.get_tensor_name_map(arch_id, blocks)
    present = {t.name for t in reader.tensors}
    out = {}
    for module, delta in deltas.items():
        tensor = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if tensor is None or tensor not in present:
            raise ExportError(f"the LoRA adapts {module}, which has no tensor in the base GGUF")
        projection = module.rsplit(".", 1)[-1]
        if projection in PERMUTED.get(arch, ()):
            delta = permute(delta, heads, kv_heads if projection == "k_proj" else heads)
        out[tensor] = delta
    return out


def permute(weights: np.ndarray, n_head: int, n_head_kv: int) -> np.ndarray:
    """convert_hf_to_gguf.py's LlamaModel.permute: rows regrouped per rotary half."""
    if n_head_kv != n_head:
        n_head = n_head_kv
    rows = weights.shape[0]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _merge(tensor: Any, delta: np.ndarray) -> tuple[np.ndarray, Any]:
    from gguf import GGMLQuantizationType as Q
    from gguf.quants import dequantize, quantize

    weights = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
    if weights.shape != delta.shape:
        raise ExportError(f"{tensor.name}: the LoRA's shape {delta.shape} is not {weights.shape}")
    merged = weights + delta
    if tensor.tensor_type in (Q.F32, Q.F16):
        kind = tensor.tensor_type
        return merged.astype(np.float32 if kind == Q.F32 else np.float16), kind
    if merged.shape[-1] % 32 == 0:
        return quantize(merged, Q.Q8_0), Q.Q8_0
    return merged.astype(np.float16), Q.F16
