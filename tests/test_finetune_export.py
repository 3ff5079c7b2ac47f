"""The export: a LoRA merged into its base GGUF lands on the right weights (checked by reading
the GGUF back with transformers), llama.cpp loads the result, and the Modelfile fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from finetune.export import ExportError, export, permute
from runtime.models.embedded import EmbeddedChatModel
from runtime.models.weights import WeightsError, ensure_weights
from runtime.settings import Settings

pytestmark = pytest.mark.integration
torch = pytest.importorskip("torch", reason="needs the finetune-cpu extra (make finetune-deps)")


@pytest.fixture(scope="module")
def smollm2() -> Path:
    try:
        return ensure_weights("smollm2-135m", models_dir=Settings().models_dir, fetch=False)
    except WeightsError as exc:
        pytest.fail(f"{exc} (`make test` does this through `make weights`)")


def test_permute_regroups_rows_per_rotary_half() -> None:
    rows = np.arange(8, dtype=np.float32).reshape(8, 1)
    # two heads of four rows: each head's [0 1 | 2 3] halves interleave as 0 2 1 3
    assert permute(rows, 2, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    assert permute(rows, 4, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]  # k uses kv heads


def _random_lora(base: Path, run: Path) -> Any:
    """A LoRA whose update is large enough to see (B is zero at init; here it is not)."""
    from finetune.backends import Lora, load_cpu
    from finetune.base import resolve

    spec = resolve(str(base), Settings())
    model, _ = load_cpu(spec, Lora(rank=4, alpha=8), threads=2)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 1.0)
    model.save_pretrained(run / "adapter", save_embedding_layers=False)
    manifest = {"base": {"name": "smollm2-135m", "path": str(base), "architecture": "llama"},
                "training": {"steps": 0}, "data": {}}  # fmt: skip
    (run / "finetune.json").write_text(json.dumps(manifest))
    return model


def test_merged_gguf_holds_base_plus_lora_and_runs_in_llama_cpp(
    smollm2: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    run = tmp_path / "run"
    model = _random_lora(smollm2, run)
    base = {k: v.clone() for k, v in model.get_base_model().state_dict().items()}
    expected = model.merge_and_unload().state_dict()
    done = export(run, tmp_path / "models", name="lora-check")
    assert done.gguf == tmp_path / "models" / "tuned" / "lora-check.gguf"
    assert done.merged_tensors == 30 * 7
    back = AutoModelForCausalLM.from_pretrained(
        str(done.gguf.parent), gguf_file=done.gguf.name, dtype=torch.float32
    ).state_dict()
    for layer in (0, 17):
        for part in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.down_proj"):
            key = f"model.layers.{layer}.{part}.weight"
            base_key = f"model.layers.{layer}.{part}.base_layer.weight"
            update = (expected[key] - base[base_key]).abs().max().item()
            error = (back[key] - expected[key]).abs().max().item()
            assert update > 0.1, f"{key}: the test LoRA changes too little to check"
            assert error < 0.25 * update, f"{key}: off by {error} for an update of {update}"
    tuned = EmbeddedChatModel(model="lora-check", model_path=done.gguf, n_ctx=512, n_threads=1)
    tuned.load()
    reply = tuned.invoke("Say OK.", max_tokens=4)
    assert reply.usage_metadata and reply.usage_metadata["output_tokens"] >= 1
    text = done.modelfile.read_text()
    assert "FROM ./lora-check.gguf" in text and "<|im_start|>assistant" in text
    assert 'SYSTEM """You are a helpful AI assistant named SmolLM' in text
    entry = json.loads(done.info.read_text())
    assert entry["gguf"] == str(done.gguf) and entry["size_bytes"] == done.gguf.stat().st_size


def test_export_without_a_trained_run_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no finetune.json in .*graph finetune train"):
        export(tmp_path, tmp_path / "models")


def test_dequantized_base_saves_as_a_plain_hugging_face_folder(
    smollm2: Path, tmp_path: Path
) -> None:
    """What unsloth loads on CUDA: the GGUF's weights as floats, tokenizer and chat template."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from finetune.base import resolve, save_hf

    folder = save_hf(resolve(str(smollm2), Settings()), tmp_path / "base-hf")
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    reference = AutoModelForCausalLM.from_pretrained(
        str(smollm2.parent), gguf_file=smollm2.name, dtype=torch.float32
    )
    key = "model.layers.3.self_attn.q_proj.weight"
    assert torch.equal(model.state_dict()[key], reference.state_dict()[key])
    tokenizer = AutoTokenizer.from_pretrained(folder)
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert chat.startswith("<|im_start|>system")
