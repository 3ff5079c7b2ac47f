"""Training checkpoints: resume a run where it stopped (a crash, Ctrl-C, a bigger --max-steps).

`DIR/checkpoints/step-NNNNNN/` holds the LoRA weights, the optimizer and scheduler state and
`state.json` (the step, the loss history and the run's fingerprint). A checkpoint is written
to a temporary folder and renamed, so a crash never leaves a half-written one; the last two
are kept. The example order is a function of the seed and the step, so a resumed run sees
exactly the examples the uninterrupted one would have.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from finetune.errors import FinetuneError

KEEP = 2


class ResumeError(FinetuneError):
    """The checkpoints in the output folder belong to a different run."""


def folder(out: Path) -> Path:
    return out / "checkpoints"


def latest(out: Path) -> Path | None:
    found = sorted(p for p in folder(out).glob("step-*") if (p / "state.json").is_file())
    return found[-1] if found else None


def save(
    out: Path, step: int, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]
) -> Path:
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    final = folder(out) / f"step-{step:06d}"
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights = {
        k: v.detach().cpu().contiguous()
        for k, v in get_peft_model_state_dict(model, save_embedding_layers=False).items()
    }
    save_file(weights, tmp / "adapter.safetensors")
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
    (tmp / "state.json").write_text(json.dumps({**state, "step": step}, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in sorted(folder(out).glob("step-*"))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def restore(
    path: Path, model: Any, optimizer: Any, scheduler: Any, fingerprint: dict[str, Any]
) -> dict[str, Any]:
    """Load a checkpoint into the run's objects; its state (step, losses) is returned."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    state: dict[str, Any] = json.loads((path / "state.json").read_text())
    theirs = state.get("fingerprint", {})
    changed = sorted(k for k in fingerprint if theirs.get(k) != fingerprint[k])
    if changed:
        detail = "; ".join(f"{k}: {theirs.get(k)!r} → {fingerprint[k]!r}" for k in changed)
        raise ResumeError(
            f"{path} is from a different run ({detail}): use another --out folder, or --fresh "
            "to discard its checkpoints"
        )
    device = next(model.parameters()).device
    set_peft_model_state_dict(model, load_file(path / "adapter.safetensors", device=str(device)))
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
    return state


def discard(out: Path) -> None:
    shutil.rmtree(folder(out), ignore_errors=True)
